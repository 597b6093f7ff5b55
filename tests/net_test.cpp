// The socket API (netpoll/net.hpp, netpoll/sockaddr.hpp, and the socket
// calls of netpoll/fd.hpp): address text, listen/dial/accept over TCP on
// IPv4 and IPv6 loopback and over Unix-domain sockets, readiness both ways,
// end of file and half-close, close while Gs are parked, deadlines (passed,
// future, moved while parked), fd reuse, accept storms, readv/writev, every
// bad input, and a freestanding program that uses the API from the heap.
//
// Everything that parks a G runs inside rawrt::run, records into plain
// memory and is asserted after run returns. Waits inside a run are bounded
// (eventually_on_g); behind them a hosted watchdog shuts down every socket
// of the process if a run outlives its limit, so that a hang fails the test
// instead of blocking the suite. Each test checks /proc/self/fd afterwards:
// nothing leaked.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "netpoll/fd.hpp"
#include "netpoll/net.hpp"
#include "netpoll/netpoll.hpp"
#include "netpoll/poll_desc.hpp"
#include "netpoll/sockaddr.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"
#include "tests/child_process.hpp"
#include "tests/eventually.hpp"
#include "tests/proc_self.hpp"
#include "vdso/vdso.hpp"

namespace {

namespace np = rawrt::netpoll;
namespace net = rawrt::net;
using rawrt::test::eventually_on_g;
using rawrt::test::emulated;

static_assert(sizeof(rawrt::sys::KernelMsghdr) == sizeof(struct msghdr));
static_assert(offsetof(rawrt::sys::KernelMsghdr, iov) == offsetof(struct msghdr, msg_iov));
static_assert(offsetof(rawrt::sys::KernelMsghdr, iovlen) == offsetof(struct msghdr, msg_iovlen));
static_assert(offsetof(rawrt::sys::KernelMsghdr, flags) == offsetof(struct msghdr, msg_flags));

constexpr int64_t kMs = 1'000'000;
// Bound of every wait inside a run; the watchdog's is longer.
constexpr int64_t kWaitNs = 20'000 * kMs;

// The errno of a result, 0 for success: what the Gs record.
template <class T>
int err(const rawrt::sys::Result<T>& r) {
    return r.ok() ? 0 : r.error().code();
}

// Reads into buf (at most cap bytes) until end of file: the bytes read,
// or -errno. *got says how far it came either way.
int read_to_eof(net::Conn* c, char* buf, size_t cap, size_t* got) {
    for (;;) {
        auto n = c->read(buf + *got, cap - *got);
        if (!n.ok()) return -err(n);
        if (n.value() == 0) return static_cast<int>(*got);
        *got += n.value();
    }
}

// --- the hosted watchdog

// Shuts down (not closes: the numbers stay the runtime's) every socket of
// the process: parked reads see end of file, writes EPIPE, TCP accepts
// EINVAL, so the Gs waiting on them return.
void shut_down_every_socket() {
    for (int fd = 0; fd < 65536; ++fd) {
        char link[64], target[64] = {};
        std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        if (::readlink(link, target, sizeof target - 1) > 0 && std::strncmp(target, "socket:", 7) == 0)
            ::shutdown(fd, SHUT_RDWR);
    }
}

class Watchdog {
public:
    Watchdog() {
        thread_ = std::thread([this] {
            std::unique_lock<std::mutex> lock(mu_);
            const auto limit = std::chrono::seconds(emulated() ? 240 : 60);
            if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
            fired_ = true;
            shut_down_every_socket();
            // A wait that not even that ends: stop the suite loudly rather
            // than hang it.
            if (cv_.wait_for(lock, std::chrono::seconds(30), [this] { return done_; })) return;
            std::fprintf(stderr, "net_test: a run hung even after its sockets were shut down\n");
            std::_Exit(3);
        });
    }
    ~Watchdog() { stop(); }
    void stop() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            done_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    bool fired() const { return fired_; }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
    std::atomic<bool> fired_{false};
    std::thread thread_;
};

// --- fixtures

// Every test: no descriptor left behind (the run's teardown closes the
// poller's own two).
class NetTest : public ::testing::Test {
protected:
    void SetUp() override { fds_before_ = rawrt::test::count_entries("/proc/self/fd"); }
    void TearDown() override {
        EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds_before_) << "descriptors leaked";
    }

    // body runs as the main G of a watched run.
    template <class F>
    void run_net(int32_t procs, F&& body, const char* debug = nullptr) {
        Watchdog dog;
        auto r = rawrt::run({.procs = procs, .debug = debug}, [&] { body(); });
        dog.stop();
        ASSERT_TRUE(r.ok()) << r.error().name();
        EXPECT_FALSE(dog.fired()) << "a run hung: the watchdog shut its sockets down";
    }

    int fds_before_ = 0;
};

// A socket path under /tmp of this process, not yet in use.
std::string unix_path(const char* tag) {
    std::string p = "/tmp/rawrt_net_" + std::to_string(::getpid()) + "_" + tag + ".sock";
    ::unlink(p.c_str());
    return p;
}

// Whether IPv6 loopback works here: a plain socket bound to ::1.
std::string ipv6_unavailable() {
    const int s = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return std::string("socket(AF_INET6): ") + std::strerror(errno);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    const int b = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
    const int e = errno;
    ::close(s);
    if (b != 0) return std::string("bind([::1]:0): ") + std::strerror(e);
    return "";
}

enum class Kind { tcp4, tcp6, unix_path, unix_abstract };

struct Endpoint {
    const char* network;
    std::string address;  // to listen on
};

Endpoint endpoint(Kind k, const char* tag) {
    switch (k) {
        case Kind::tcp4: return {"tcp4", "127.0.0.1:0"};
        case Kind::tcp6: return {"tcp6", "[::1]:0"};
        case Kind::unix_path: return {"unix", unix_path(tag)};
        case Kind::unix_abstract: return {"unix", "@rawrt_net_" + std::to_string(::getpid()) + "_" + tag};
    }
    return {"", ""};
}

std::string kind_name(const ::testing::TestParamInfo<Kind>& info) {
    switch (info.param) {
        case Kind::tcp4: return "Tcp4";
        case Kind::tcp6: return "Tcp6";
        case Kind::unix_path: return "UnixPath";
        case Kind::unix_abstract: return "UnixAbstract";
    }
    return "Unknown";
}

// The same tests over each kind of stream socket.
class NetStream : public NetTest, public ::testing::WithParamInterface<Kind> {
protected:
    void SetUp() override {
        NetTest::SetUp();
        if (GetParam() == Kind::tcp6) {
            const std::string why = ipv6_unavailable();
            if (!why.empty()) GTEST_SKIP() << "no IPv6 loopback on this machine: " << why;
        }
    }
    bool is_tcp() const { return GetParam() == Kind::tcp4 || GetParam() == Kind::tcp6; }
};

INSTANTIATE_TEST_SUITE_P(Kinds, NetStream,
                         ::testing::Values(Kind::tcp4, Kind::tcp6, Kind::unix_path, Kind::unix_abstract), kind_name);

// One accepted connection: the server's end and the client's.
struct Pair {
    net::Conn server;
    net::Conn client;
};

// On a G: a connection through ln (dial, then accept). Errors into *e.
void connect_pair(net::Listener* ln, const char* network, Pair* p, int* e) {
    *e = err(net::dial(network, ln->addr().text().str, &p->client));
    if (*e == 0) *e = err(ln->accept(&p->server));
}

// On a G: listens on ep, then a connection through it. Errors into *e.
void listen_pair(const Endpoint& ep, net::Listener* ln, Pair* p, int* e) {
    *e = err(net::listen(ep.network, ep.address.c_str(), ln));
    if (*e == 0) connect_pair(ln, ep.network, p, e);
}

int sockopt_int(int fd, int level, int name) {
    int v = -1;
    uint32_t len = sizeof v;
    return rawrt::sys::raw::getsockopt(fd, level, name, &v, &len).ok() ? v : -1;
}

// "host:port" into out (32 bytes) without libc, which a G must not call
// (its locale lives in glibc's thread-local storage).
void host_port(char* out, const char* host, unsigned port) {
    size_t n = 0;
    while (*host != '\0') out[n++] = *host++;
    out[n++] = ':';
    char digits[8];
    int d = 0;
    do {
        digits[d++] = static_cast<char>('0' + port % 10);
        port /= 10;
    } while (port != 0);
    while (d > 0) out[n++] = digits[--d];
    out[n] = '\0';
}

uint64_t fnv(const unsigned char* p, size_t n, uint64_t h = 1469598103934665603ull) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

// ============================================================ addresses

std::string text_of(const net::SockAddr& a) { return a.text().str; }

struct Good {
    const char* in;
    net::Family family;
    bool listen;
    uint16_t af;
    const char* text;
};

TEST(NetAddr, ParsesAndFormatsIPAddressesCanonically) {
    const Good cases[] = {
        {"127.0.0.1:80", net::kAnyFamily, false, AF_INET, "127.0.0.1:80"},
        {"0.0.0.0:65535", net::kIPv4Only, true, AF_INET, "0.0.0.0:65535"},
        {"255.255.255.255:0", net::kAnyFamily, false, AF_INET, "255.255.255.255:0"},
        {"[::1]:0", net::kAnyFamily, false, AF_INET6, "[::1]:0"},
        {"[2001:DB8:0:0:0:0:0:1]:443", net::kIPv6Only, false, AF_INET6, "[2001:db8::1]:443"},
        {"[0:0:0:0:0:0:0:0]:1", net::kAnyFamily, false, AF_INET6, "[::]:1"},
        {"[1:0:0:2:0:0:0:3]:1", net::kAnyFamily, false, AF_INET6, "[1:0:0:2::3]:1"},
        {"[1:0:0:2:0:0:3:4]:1", net::kAnyFamily, false, AF_INET6, "[1::2:0:0:3:4]:1"},     // first of equal runs
        {"[1:2:3:4:5:6:7::]:1", net::kAnyFamily, false, AF_INET6, "[1:2:3:4:5:6:7:0]:1"},  // one zero: no "::"
        {"[::2:3:4:5:6:7:8]:1", net::kAnyFamily, false, AF_INET6, "[0:2:3:4:5:6:7:8]:1"},
        {"[1:2:3:4:5:6:1.2.3.4]:1", net::kAnyFamily, false, AF_INET6, "[1:2:3:4:5:6:102:304]:1"},
        {"[fe80::1%3]:22", net::kAnyFamily, false, AF_INET6, "[fe80::1%3]:22"},
        {"[00ab:0:0:0:0:0:0:0cd]:7", net::kAnyFamily, false, AF_INET6, "[ab::cd]:7"},
        // IPv4-mapped: IPv6 on the wire, IPv4 text (Go's); tcp4 takes it as IPv4.
        {"[::ffff:10.0.0.1]:1", net::kAnyFamily, false, AF_INET6, "10.0.0.1:1"},
        {"[::ffff:10.0.0.1]:1", net::kIPv4Only, false, AF_INET, "10.0.0.1:1"},
        // No host: every address to listen, this machine to dial.
        {":8080", net::kAnyFamily, true, AF_INET6, "[::]:8080"},
        {":8080", net::kIPv4Only, true, AF_INET, "0.0.0.0:8080"},
        {":8080", net::kIPv6Only, true, AF_INET6, "[::]:8080"},
        {":8080", net::kAnyFamily, false, AF_INET, "127.0.0.1:8080"},
        {":9", net::kIPv6Only, false, AF_INET6, "[::1]:9"},
        {"localhost:5", net::kAnyFamily, false, AF_INET, "127.0.0.1:5"},
        {"LocalHost:5", net::kIPv6Only, true, AF_INET6, "[::1]:5"},
    };
    for (const Good& c : cases) {
        net::SockAddr a;
        auto r = net::parse_inet(c.in, c.family, c.listen, &a);
        ASSERT_TRUE(r.ok()) << c.in << ": " << r.error().name();
        EXPECT_EQ(a.family(), c.af) << c.in;
        EXPECT_EQ(a.len, c.af == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)) << c.in;
        EXPECT_EQ(text_of(a), c.text) << c.in;
        // The text reads back as the same address (mapped text as IPv4 for tcp4).
        net::SockAddr b;
        const bool mapped = c.af == AF_INET6 && text_of(a).find('[') == std::string::npos;
        ASSERT_TRUE(net::parse_inet(c.text, mapped ? net::kIPv4Only : net::kAnyFamily, false, &b).ok()) << c.text;
        if (!mapped) {
            EXPECT_TRUE(a == b) << c.in;
        }
        EXPECT_EQ(b.port(), a.port());
    }
    // The port in network order where the kernel reads it.
    net::SockAddr a;
    ASSERT_TRUE(net::parse_inet("10.1.2.3:4660", net::kAnyFamily, false, &a).ok());
    const auto* sin = reinterpret_cast<const sockaddr_in*>(a.bytes);
    EXPECT_EQ(ntohs(sin->sin_port), 4660);
    EXPECT_EQ(ntohl(sin->sin_addr.s_addr), 0x0a010203u);
    a.set_port(1);
    EXPECT_EQ(text_of(a), "10.1.2.3:1");
    // format() cuts to fit and reports the whole length.
    char small[6];
    EXPECT_EQ(a.format(small, sizeof small), std::strlen("10.1.2.3:1"));
    EXPECT_STREQ(small, "10.1.");
    EXPECT_EQ(text_of(net::SockAddr{}), "");
}

TEST(NetAddr, AgreesWithGlibcOnRandomIPv6Addresses) {
    std::mt19937_64 rng(12345);
    int compared = 0;
    for (int i = 0; i < 5000; ++i) {
        uint8_t b[16];
        for (int g = 0; g < 8; ++g) {
            const uint64_t r = rng();
            const bool zero = (r & 3) != 0;  // many zero groups: runs of every length
            b[2 * g] = zero ? 0 : static_cast<uint8_t>(r >> 8) & ((r & 16) ? 0x0f : 0xff);
            b[2 * g + 1] = zero ? 0 : static_cast<uint8_t>(r >> 16);
        }
        char glibc[INET6_ADDRSTRLEN];
        ASSERT_NE(::inet_ntop(AF_INET6, b, glibc, sizeof glibc), nullptr);
        // glibc writes ::a.b.c.d and ::ffff:a.b.c.d where RFC 5952 and Go
        // differ; compare the rest.
        if (std::strchr(glibc, '.') != nullptr) continue;
        net::SockAddr a;
        ASSERT_TRUE(net::parse_ip(glibc, std::strlen(glibc), net::kAnyFamily, &a).ok()) << glibc;
        EXPECT_EQ(std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a.bytes)->sin6_addr, b, 16), 0) << glibc;
        const std::string mine = text_of(a);
        EXPECT_EQ(mine, "[" + std::string(glibc) + "]:0");
        ++compared;
    }
    EXPECT_GT(compared, 3000);
    // And IPv4, all through glibc's parser too.
    for (int i = 0; i < 2000; ++i) {
        const uint32_t v = static_cast<uint32_t>(rng());
        in_addr in{htonl(v)};
        char glibc[INET_ADDRSTRLEN];
        ASSERT_NE(::inet_ntop(AF_INET, &in, glibc, sizeof glibc), nullptr);
        net::SockAddr a;
        ASSERT_TRUE(net::parse_ip(glibc, std::strlen(glibc), net::kIPv4Only, &a).ok()) << glibc;
        EXPECT_EQ(reinterpret_cast<const sockaddr_in*>(a.bytes)->sin_addr.s_addr, in.s_addr);
        EXPECT_EQ(text_of(a), std::string(glibc) + ":0");
    }
}

TEST(NetAddr, RejectsEveryMalformedAddress) {
    const char* bad[] = {
        "",
        ":",
        "127.0.0.1",
        "127.0.0.1:",
        "127.0.0.1:65536",
        "127.0.0.1:-1",
        "127.0.0.1:+1",
        "127.0.0.1:http",
        "127.0.0.1:8 ",
        " 127.0.0.1:8",
        "127.0.0.1 :8",
        "256.0.0.1:80",
        "1.2.3:80",
        "1.2.3.4.5:80",
        "01.2.3.4:80",
        "1.2.3.04:80",
        "1..3.4:80",
        "1.2.3.4.:80",
        "1.2.3.-4:80",
        "::1:80",
        "[::1]80",
        "[::1",
        "[::1]:",
        "[]:80",
        "[[::1]]:80",
        "[1:2:3:4:5:6:7:8:9]:80",
        "[1::2::3]:80",
        "[12345::]:80",
        "[1:2:3:4:5:6:7:8::]:80",
        "[1:2:3:4::5:6:7:8]:80",
        "[:1:2:3:4:5:6:7]:80",
        "[1:2:3:4:5:6:7:]:80",
        "[::1%eth0]:80",
        "[::1%]:80",
        "[g::1]:80",
        "[::1.2.3.4.5]:80",
        "[1:2:3:4:5:6:7:1.2.3.4]:80",
        "[127.0.0.1]:80",
        "example.com:80",
        "local host:80",
        "localhost",
        "[localhost]:80",
        "1.2.3.4:80:90",
        "1.2.3.4]:80",
    };
    for (const char* s : bad) {
        for (bool listen : {false, true}) {
            net::SockAddr a;
            auto r = net::parse_inet(s, net::kAnyFamily, listen, &a);
            EXPECT_EQ(err(r), EINVAL) << '"' << s << '"';
        }
    }
    std::string very_long(300, '1');
    net::SockAddr a;
    EXPECT_EQ(err(net::parse_inet(very_long.c_str(), net::kAnyFamily, false, &a)), EINVAL);
    EXPECT_EQ(err(net::parse_inet(nullptr, net::kAnyFamily, false, &a)), EINVAL);
    EXPECT_EQ(err(net::parse_inet("1.2.3.4:5", static_cast<net::Family>(5), false, &a)), EINVAL);
    // The wrong family for what was asked.
    EXPECT_EQ(err(net::parse_inet("127.0.0.1:1", net::kIPv6Only, false, &a)), EAFNOSUPPORT);
    EXPECT_EQ(err(net::parse_inet("[::1]:1", net::kIPv4Only, false, &a)), EAFNOSUPPORT);
    EXPECT_EQ(err(net::parse_inet("[fe80::1%2]:1", net::kIPv4Only, false, &a)), EAFNOSUPPORT);
}

TEST(NetAddr, UnixPathsAndAbstractNames) {
    net::SockAddr a;
    ASSERT_TRUE(net::parse_unix("/tmp/x.sock", &a).ok());
    EXPECT_EQ(a.family(), AF_UNIX);
    EXPECT_EQ(a.len, offsetof(sockaddr_un, sun_path) + std::strlen("/tmp/x.sock") + 1);
    EXPECT_STREQ(reinterpret_cast<const sockaddr_un*>(a.bytes)->sun_path, "/tmp/x.sock");
    EXPECT_EQ(text_of(a), "/tmp/x.sock");
    EXPECT_EQ(a.port(), 0);
    ASSERT_TRUE(net::parse_unix("@abc", &a).ok());
    EXPECT_EQ(a.len, offsetof(sockaddr_un, sun_path) + 4);  // NUL + "abc", no terminator
    EXPECT_EQ(a.bytes[offsetof(sockaddr_un, sun_path)], 0);
    EXPECT_EQ(text_of(a), "@abc");
    // sun_path holds 108 bytes: a path needs one for its NUL.
    const std::string path107 = "/" + std::string(106, 'p');
    EXPECT_TRUE(net::parse_unix(path107.c_str(), &a).ok());
    EXPECT_EQ(text_of(a), path107);
    EXPECT_EQ(err(net::parse_unix((path107 + "q").c_str(), &a)), ENAMETOOLONG);
    const std::string abstract108 = "@" + std::string(107, 'a');
    EXPECT_TRUE(net::parse_unix(abstract108.c_str(), &a).ok());
    EXPECT_EQ(text_of(a), abstract108);
    EXPECT_EQ(err(net::parse_unix((abstract108 + "a").c_str(), &a)), ENAMETOOLONG);
    EXPECT_EQ(err(net::parse_unix(std::string(5000, 'x').c_str(), &a)), ENAMETOOLONG);
    EXPECT_EQ(err(net::parse_unix("", &a)), EINVAL);
    EXPECT_EQ(err(net::parse_unix(nullptr, &a)), EINVAL);
    // An unnamed socket (a dialler's end) has the empty text.
    net::SockAddr unnamed;
    unnamed.bytes[0] = AF_UNIX;
    unnamed.len = 2;
    EXPECT_EQ(text_of(unnamed), "");
}

// ============================================================ streams

TEST_P(NetStream, ReadinessBothWaysAndAddresses) {
    const Endpoint ep = endpoint(GetParam(), "ready");
    struct State {
        int listen_err = -1, dial_err = -1, accept_err = -1, server_read = -1, client_read = -1;
        bool server_parked = false, client_parked = false;
        char server_got[8] = {}, client_got[8] = {};
        net::SockAddr ln_addr, c_local, c_remote, s_local, s_remote;
        int nodelay_c = -1, nodelay_s = -1, reuse = -1, nonblock = -1, cloexec = -1;
        int close_read_err = -1, read_after_close_read = -1;
        std::atomic<int> stage{0};
    } s;
    run_net(2, [&] {
        net::Listener ln;
        s.listen_err = err(net::listen(ep.network, ep.address.c_str(), &ln));
        if (s.listen_err != 0) return;
        s.ln_addr = ln.addr();
        s.reuse = sockopt_int(ln.fd(), SOL_SOCKET, SO_REUSEADDR);
        Pair p;
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&s, &ln, &p, &wg] {
            s.accept_err = err(ln.accept(&p.server));
            s.stage = 1;
            auto n = p.server.read(s.server_got, 4);  // parks: nothing sent yet
            s.server_read = n.ok() ? static_cast<int>(n.value()) : -err(n);
            s.stage = 2;
            // Answer only once the client is parked in its read.
            s.client_parked =
                eventually_on_g([&] { return s.stage.load() == 3 && rawrt::sched::netpoll_waiter_count() == 1; },
                                kWaitNs);
            (void)p.server.write("pong", 4);
            wg.done();
        });
        s.dial_err = err(net::dial(ep.network, ln.addr().text().str, &p.client));
        eventually_on_g([&] { return s.stage.load() >= 1; }, kWaitNs);
        s.server_parked = eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; }, kWaitNs);
        (void)p.client.write("ping", 4);
        eventually_on_g([&] { return s.stage.load() >= 2; }, kWaitNs);
        s.stage = 3;
        auto n = p.client.read(s.client_got, 4);
        s.client_read = n.ok() ? static_cast<int>(n.value()) : -err(n);
        wg.wait();
        s.c_local = p.client.local_addr();
        s.c_remote = p.client.remote_addr();
        s.s_local = p.server.local_addr();
        s.s_remote = p.server.remote_addr();
        s.nodelay_c = sockopt_int(p.client.fd(), IPPROTO_TCP, TCP_NODELAY);
        s.nodelay_s = sockopt_int(p.server.fd(), IPPROTO_TCP, TCP_NODELAY);
        const long fl = rawrt::sys::raw::fcntl(p.server.fd(), F_GETFL).value_or(0);
        s.nonblock = (fl & O_NONBLOCK) != 0;
        s.cloexec = (rawrt::sys::raw::fcntl(p.client.fd(), F_GETFD).value_or(0) & FD_CLOEXEC) != 0;
        // close_read: end of file from then on, though the peer could still send.
        s.close_read_err = err(p.server.close_read());
        char c;
        auto after = p.server.read(&c, 1);
        s.read_after_close_read = after.ok() ? static_cast<int>(after.value()) : -err(after);
    });
    ASSERT_EQ(s.listen_err, 0) << std::strerror(s.listen_err);
    EXPECT_EQ(s.dial_err, 0) << std::strerror(s.dial_err);
    EXPECT_EQ(s.accept_err, 0) << std::strerror(s.accept_err);
    EXPECT_TRUE(s.server_parked) << "the server's read did not park";
    EXPECT_TRUE(s.client_parked) << "the client's read did not park";
    EXPECT_EQ(s.server_read, 4);
    EXPECT_STREQ(s.server_got, "ping");
    EXPECT_EQ(s.client_read, 4);
    EXPECT_STREQ(s.client_got, "pong");
    EXPECT_EQ(s.nonblock, 1);
    EXPECT_EQ(s.cloexec, 1);
    EXPECT_EQ(s.close_read_err, 0);
    EXPECT_EQ(s.read_after_close_read, 0);
    // Both ends name each other.
    EXPECT_TRUE(s.c_remote == s.s_local) << text_of(s.c_remote) << " vs " << text_of(s.s_local);
    EXPECT_TRUE(s.c_local == s.s_remote) << text_of(s.c_local) << " vs " << text_of(s.s_remote);
    EXPECT_TRUE(s.s_local == s.ln_addr) << text_of(s.s_local) << " vs " << text_of(s.ln_addr);
    switch (GetParam()) {
        case Kind::tcp4:
            EXPECT_EQ(text_of(s.ln_addr), "127.0.0.1:" + std::to_string(s.ln_addr.port()));
            EXPECT_NE(s.ln_addr.port(), 0) << "the kernel's port for :0";
            break;
        case Kind::tcp6:
            EXPECT_EQ(text_of(s.ln_addr), "[::1]:" + std::to_string(s.ln_addr.port()));
            EXPECT_NE(s.ln_addr.port(), 0);
            break;
        default:
            EXPECT_EQ(text_of(s.ln_addr), ep.address);
            EXPECT_EQ(text_of(s.c_local), "") << "a dialling Unix socket is unnamed";
            break;
    }
    if (is_tcp()) {
        EXPECT_EQ(s.reuse, 1) << "SO_REUSEADDR on a TCP listener";
        EXPECT_EQ(s.nodelay_c, 1) << "TCP_NODELAY on a dialled connection";
        EXPECT_EQ(s.nodelay_s, 1) << "TCP_NODELAY on an accepted connection";
    }
}

TEST_P(NetStream, EndOfFileAndHalfClose) {
    const Endpoint ep = endpoint(GetParam(), "eof");
    struct State {
        int setup = -1, server_total = -1, server_eof_again = -1, client_total = -1, client_eof_again = -1;
        int write_after_shutdown = 0, close_write_err = -1, reply_err = -1;
        char request[32] = {}, reply[32] = {};
    } s;
    run_net(2, [&] {
        net::Listener ln;
        Pair p;
        listen_pair(ep, &ln, &p, &s.setup);
        if (s.setup != 0) return;
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&s, &p, &wg] {
            // Reads to end of file: the client's close_write.
            size_t got = 0;
            s.server_total = read_to_eof(&p.server, s.request, sizeof s.request - 1, &got);
            auto again = p.server.read(s.request + got, 1);  // end of file stays
            s.server_eof_again = again.ok() ? static_cast<int>(again.value()) : -err(again);
            // ... and the half-closed peer still gets an answer.
            s.reply_err = err(p.server.write("reply", 5));
            (void)p.server.close();  // end of file for the client
            wg.done();
        });
        (void)p.client.write("request", 7);
        s.close_write_err = err(p.client.close_write());
        s.write_after_shutdown = err(p.client.write("x", 1));
        size_t got = 0;
        s.client_total = read_to_eof(&p.client, s.reply, sizeof s.reply - 1, &got);
        auto again = p.client.read(s.reply + got, 1);
        s.client_eof_again = again.ok() ? static_cast<int>(again.value()) : -err(again);
        wg.wait();
    });
    ASSERT_EQ(s.setup, 0) << std::strerror(s.setup);
    EXPECT_EQ(s.close_write_err, 0);
    EXPECT_EQ(s.write_after_shutdown, EPIPE) << "and no SIGPIPE: the process is still here";
    EXPECT_EQ(s.server_total, 7);
    EXPECT_STREQ(s.request, "request");
    EXPECT_EQ(s.server_eof_again, 0);
    EXPECT_EQ(s.reply_err, 0);
    EXPECT_EQ(s.client_total, 5);
    EXPECT_STREQ(s.reply, "reply");
    EXPECT_EQ(s.client_eof_again, 0);
}

TEST_P(NetStream, CloseWakesGsParkedInReadWriteAndAcceptWithEBADF) {
    const Endpoint ep = endpoint(GetParam(), "close");
    static unsigned char big[32 << 20];
    struct State {
        int setup = -1, reader = 0, writer = 0, acceptor = 0;
        size_t written_before = 0;
        bool all_parked = false;
        int closes[3] = {-1, -1, -1};
        int after[12] = {};
    } s;
    run_net(2, [&] {
        net::Listener ln;
        if ((s.setup = err(net::listen(ep.network, ep.address.c_str(), &ln))) != 0) return;
        Pair a, b;  // a: nobody writes to a.client; b: nobody reads b.client
        connect_pair(&ln, ep.network, &a, &s.setup);
        if (s.setup == 0) connect_pair(&ln, ep.network, &b, &s.setup);
        if (s.setup != 0) return;
        rawrt::WaitGroup wg;
        wg.add(3);
        rawrt::go([&] {
            char c;
            s.reader = err(a.client.read(&c, 1));
            wg.done();
        });
        rawrt::go([&] {
            s.writer = err(b.server.write(big, sizeof big, &s.written_before));
            wg.done();
        });
        net::Conn never;
        rawrt::go([&] {
            s.acceptor = err(ln.accept(&never));
            wg.done();
        });
        s.all_parked = eventually_on_g([] { return rawrt::sched::netpoll_waiter_count() == 3; }, kWaitNs);
        s.closes[0] = err(a.client.close());
        s.closes[1] = err(b.server.close());
        s.closes[2] = err(ln.close());
        wg.wait();
        // Everything on a closed Conn or Listener: EBADF, never a hang.
        char c;
        iovec v{&c, 1};
        net::Conn fresh;
        int k = 0;
        s.after[k++] = err(a.client.read(&c, 1));
        s.after[k++] = err(a.client.write(&c, 1));
        s.after[k++] = err(a.client.readv(&v, 1));
        s.after[k++] = err(a.client.writev(&v, 1));
        s.after[k++] = err(a.client.close());
        s.after[k++] = err(a.client.close_read());
        s.after[k++] = err(a.client.close_write());
        s.after[k++] = err(a.client.set_deadline(0));
        s.after[k++] = err(ln.accept(&fresh));
        s.after[k++] = err(ln.close());
        s.after[k++] = err(ln.set_deadline(0));
        s.after[k++] = err(fresh.read(&c, 1));  // never opened
    });
    ASSERT_EQ(s.setup, 0) << std::strerror(s.setup);
    EXPECT_TRUE(s.all_parked);
    for (int e : s.closes) EXPECT_EQ(e, 0) << std::strerror(e);
    EXPECT_EQ(s.reader, EBADF);
    EXPECT_EQ(s.writer, EBADF);
    EXPECT_EQ(s.acceptor, EBADF);
    EXPECT_GT(s.written_before, 0u);
    EXPECT_LT(s.written_before, sizeof big);
    for (int i = 0; i < 12; ++i) EXPECT_EQ(s.after[i], EBADF) << "call " << i;
}

TEST_P(NetStream, PassedDeadlinesTimeOutAndLeaveTheConnUsable) {
    const Endpoint ep = endpoint(GetParam(), "past");
    struct State {
        int setup = -1, at_once = 0, parked = 0, write_at_once = 0, accept_at_once = 0, both = 0;
        int after_read = -1, after_write = -1, after_accept = -1, after_both = -1;
    } s;
    run_net(1, [&] {
        net::Listener ln;
        Pair p;
        listen_pair(ep, &ln, &p, &s.setup);
        if (s.setup != 0) return;
        char c;
        const int64_t past = rawrt::vdso::nanotime() - 1;
        // Passed before the call: fails at once.
        (void)p.client.set_read_deadline(past);
        s.at_once = err(p.client.read(&c, 1));
        (void)p.client.set_read_deadline(0);
        // Passed while a G is parked: wakes it.
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            char d;
            s.parked = err(p.client.read(&d, 1));
            wg.done();
        });
        eventually_on_g([] { return rawrt::sched::netpoll_waiter_count() == 1; }, kWaitNs);
        (void)p.client.set_read_deadline(rawrt::vdso::nanotime() - 1);
        wg.wait();
        // Moved: usable again.
        (void)p.client.set_read_deadline(0);
        (void)p.server.write("a", 1);
        auto n = p.client.read(&c, 1);
        s.after_read = n.ok() ? static_cast<int>(n.value()) : -err(n);
        (void)p.client.set_write_deadline(past);
        s.write_at_once = err(p.client.write("b", 1));
        (void)p.client.set_write_deadline(rawrt::vdso::nanotime() + 3'600'000 * kMs);
        s.after_write = err(p.client.write("b", 1));
        (void)ln.set_deadline(past);
        net::Conn extra;
        s.accept_at_once = err(ln.accept(&extra));
        (void)ln.set_deadline(0);
        net::Conn dialled;
        (void)net::dial(ep.network, ln.addr().text().str, &dialled);
        s.after_accept = err(ln.accept(&extra));
        (void)p.server.set_deadline(past);  // both directions
        s.both = err(p.server.read(&c, 1)) == ETIMEDOUT && err(p.server.write("c", 1)) == ETIMEDOUT;
        (void)p.server.set_deadline(0);
        n = p.server.read(&c, 1);  // the "b"
        s.after_both = n.ok() && c == 'b' ? 1 : -err(n);
    });
    ASSERT_EQ(s.setup, 0) << std::strerror(s.setup);
    EXPECT_EQ(s.at_once, ETIMEDOUT);
    EXPECT_EQ(s.parked, ETIMEDOUT);
    EXPECT_EQ(s.after_read, 1);
    EXPECT_EQ(s.write_at_once, ETIMEDOUT);
    EXPECT_EQ(s.after_write, 0);
    EXPECT_EQ(s.accept_at_once, ETIMEDOUT);
    EXPECT_EQ(s.after_accept, 0);
    EXPECT_EQ(s.both, 1);
    EXPECT_EQ(s.after_both, 1);
}

// Deadlines that pass while the G is parked: a timer must wake it.
TEST_P(NetStream, FutureDeadlinesFireWhileParkedAndCanBeMoved) {
    const Endpoint ep = endpoint(GetParam(), "future");
    static unsigned char big[32 << 20];
    struct State {
        int setup = -1, timed_out = 0, preset = 0, extended = -1, accept_timed_out = 0, write_timed_out = 0;
        int usable_after = -1;
        bool parked_before_deadline = false, still_parked_after_old_deadline = false;
        size_t written_before = 0;
    } s;
    run_net(2, [&] {
        net::Listener ln;
        Pair p;
        listen_pair(ep, &ln, &p, &s.setup);
        if (s.setup != 0) return;
        rawrt::WaitGroup wg;
        std::atomic<bool> back{false};
        // 1. Parked with no deadline; one set 50 ms out times it out.
        wg.add(1);
        rawrt::go([&] {
            char c;
            s.timed_out = err(p.client.read(&c, 1));
            back = true;
            wg.done();
        });
        s.parked_before_deadline = eventually_on_g([] { return rawrt::sched::netpoll_waiter_count() == 1; }, kWaitNs);
        (void)p.client.set_read_deadline(rawrt::vdso::nanotime() + 50 * kMs);
        if (!eventually_on_g([&] { return back.load(); }, kWaitNs)) (void)p.client.close_read();
        wg.wait();
        // 2. Set before the call, 50 ms out.
        char c;
        (void)p.client.set_read_deadline(rawrt::vdso::nanotime() + 50 * kMs);
        s.preset = err(p.client.read(&c, 1));
        // 3. Extended while parked: the old deadline passes unnoticed, data arrives.
        (void)p.client.set_read_deadline(0);
        back = false;
        wg.add(1);
        rawrt::go([&] {
            char d = 0;
            auto n = p.client.read(&d, 1);
            s.extended = n.ok() && n.value() == 1 && d == 'e' ? 1 : -err(n);
            back = true;
            wg.done();
        });
        eventually_on_g([] { return rawrt::sched::netpoll_waiter_count() >= 1; }, kWaitNs);
        (void)p.client.set_read_deadline(rawrt::vdso::nanotime() + 50 * kMs);
        (void)p.client.set_read_deadline(rawrt::vdso::nanotime() + 3'600'000 * kMs);
        rawrt::sleep(200 * kMs);
        s.still_parked_after_old_deadline = !back.load();
        (void)p.server.write("e", 1);
        wg.wait();
        // 4. Accept, 50 ms out (if no timer fires, closing ends the wait).
        (void)ln.set_deadline(rawrt::vdso::nanotime() + 50 * kMs);
        net::Conn none;
        back = false;
        wg.add(1);
        rawrt::go([&] {
            s.accept_timed_out = err(ln.accept(&none));
            back = true;
            wg.done();
        });
        if (!eventually_on_g([&] { return back.load(); }, kWaitNs)) (void)ln.close();
        wg.wait();
        // 5. A write parked on a full buffer, 50 ms out.
        back = false;
        wg.add(1);
        rawrt::go([&] {
            s.write_timed_out = err(p.server.write(big, sizeof big, &s.written_before));
            back = true;
            wg.done();
        });
        eventually_on_g([] { return rawrt::sched::netpoll_waiter_count() >= 1; }, kWaitNs);
        (void)p.server.set_write_deadline(rawrt::vdso::nanotime() + 50 * kMs);
        if (!eventually_on_g([&] { return back.load(); }, kWaitNs)) (void)p.client.close();
        wg.wait();
        // The timed-out Conn still works once its deadline is gone.
        (void)p.client.set_read_deadline(0);
        (void)p.server.set_read_deadline(0);
        (void)p.client.write("u", 1);
        char u = 0;
        auto n = p.server.read(&u, 1);
        s.usable_after = n.ok() && u == 'u' ? 1 : -err(n);
    });
    ASSERT_EQ(s.setup, 0) << std::strerror(s.setup);
    EXPECT_TRUE(s.parked_before_deadline);
    EXPECT_EQ(s.timed_out, ETIMEDOUT);
    EXPECT_EQ(s.preset, ETIMEDOUT);
    EXPECT_TRUE(s.still_parked_after_old_deadline) << "the deadline was moved, yet its first timer fired";
    EXPECT_EQ(s.extended, 1);
    EXPECT_EQ(s.accept_timed_out, ETIMEDOUT);
    EXPECT_EQ(s.write_timed_out, ETIMEDOUT);
    EXPECT_GT(s.written_before, 0u);
    EXPECT_EQ(s.usable_after, 1);
}

// A socket's number comes back for the next one while its old file lives
// on (a dup): traffic on the old one must not wake the G parked on the new.
TEST_P(NetStream, TrafficOnAClosedConnsFileDoesNotWakeTheNextOwnerOfItsNumber) {
    const Endpoint ep = endpoint(GetParam(), "reuse");
    struct State {
        int setup = -1, number = -1, reused_by = -1, result = -1;
        bool woken_by_old = true;
        char got = 0;
    } s;
    run_net(2, [&] {
        net::Listener ln;
        if ((s.setup = err(net::listen(ep.network, ep.address.c_str(), &ln))) != 0) return;
        Pair a;
        connect_pair(&ln, ep.network, &a, &s.setup);
        if (s.setup != 0) return;
        s.number = a.server.fd();
        const auto keep = rawrt::sys::raw::fcntl(s.number, F_DUPFD_CLOEXEC, 0);
        if (!keep.ok()) {
            s.setup = err(keep);
            return;
        }
        (void)a.server.close();  // the number is free; the file is not
        Pair b;
        connect_pair(&ln, ep.network, &b, &s.setup);
        if (s.setup != 0) return;
        net::Conn* mine = b.client.fd() == s.number ? &b.client : b.server.fd() == s.number ? &b.server : nullptr;
        net::Conn* peer = mine == &b.client ? &b.server : &b.client;
        s.reused_by = mine == nullptr ? 0 : 1;
        if (mine == nullptr) mine = &b.client;
        std::atomic<bool> back{false};
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            auto n = mine->read(&s.got, 1);
            s.result = err(n);
            back = true;
            wg.done();
        });
        eventually_on_g([] { return rawrt::sched::netpoll_waiter_count() == 1; }, kWaitNs);
        // The old file gets data and then a hang-up.
        (void)a.client.write("o", 1);
        (void)a.client.close();
        rawrt::sleep(100 * kMs);
        s.woken_by_old = back.load();
        (void)peer->write("n", 1);
        wg.wait();
        (void)rawrt::sys::raw::close(static_cast<int>(keep.value()));
    });
    ASSERT_EQ(s.setup, 0) << std::strerror(s.setup);
    EXPECT_EQ(s.reused_by, 1) << "the new connection did not get the number " << s.number;
    EXPECT_FALSE(s.woken_by_old);
    EXPECT_EQ(s.result, 0);
    EXPECT_EQ(s.got, 'n');
}

// Many dials at once: every one accepted and answered.
TEST_P(NetStream, AcceptStormEveryDialAcceptedAndAnswered) {
    const Endpoint ep = endpoint(GetParam(), "storm");
    constexpr int kConns = 500;
    auto servers = std::make_unique<net::Conn[]>(kConns);
    auto clients = std::make_unique<net::Conn[]>(kConns);
    struct State {
        int setup = -1;
        std::atomic<int> accepted{0}, answered{0}, dial_errors{0}, wrong{0};
        int accept_end = -1;
    } s;
    run_net(2, [&] {
        net::Listener ln;
        if ((s.setup = err(net::listen(ep.network, ep.address.c_str(), &ln))) != 0) return;
        rawrt::WaitGroup handlers, dialers;
        handlers.add(kConns);
        rawrt::go([&] {
            for (int i = 0; i < kConns; ++i) {
                auto r = ln.accept(&servers[i]);
                if (!r.ok()) {
                    s.accept_end = err(r);
                    for (int k = i; k < kConns; ++k) handlers.done();
                    return;
                }
                ++s.accepted;
                rawrt::go([&s, &handlers, c = &servers[i]] {
                    uint64_t id = 0;
                    auto n = c->read(&id, sizeof id);
                    if (n.ok() && n.value() == sizeof id) {
                        const uint64_t reply = id * 3 + 1;
                        (void)c->write(&reply, sizeof reply);
                    }
                    (void)c->close();
                    handlers.done();
                });
            }
        });
        dialers.add(kConns);
        for (int i = 0; i < kConns; ++i)
            rawrt::go([&s, &dialers, &ln, &ep, c = &clients[i], i] {
                if (!net::dial(ep.network, ln.addr().text().str, c).ok()) {
                    ++s.dial_errors;
                } else {
                    const uint64_t id = static_cast<uint64_t>(i);
                    uint64_t reply = 0;
                    auto w = c->write(&id, sizeof id);
                    auto n = w.ok() ? c->read(&reply, sizeof reply) : rawrt::sys::Result<size_t>(w.error());
                    if (n.ok() && n.value() == sizeof reply && reply == id * 3 + 1) ++s.answered;
                    else ++s.wrong;
                    (void)c->close();
                }
                dialers.done();
            });
        dialers.wait();
        (void)ln.close();  // ends the acceptor if dials went missing
        handlers.wait();
    });
    ASSERT_EQ(s.setup, 0) << std::strerror(s.setup);
    EXPECT_EQ(s.dial_errors.load(), 0);
    EXPECT_EQ(s.accepted.load(), kConns);
    EXPECT_EQ(s.answered.load(), kConns);
    EXPECT_EQ(s.wrong.load(), 0);
    EXPECT_EQ(s.accept_end, -1) << std::strerror(s.accept_end);
}

// Connections opened and closed in a hurry by several Gs at once: numbers
// and pollDescs are reused all the time, and no byte reaches the wrong G.
TEST_P(NetStream, ChurnOfShortConnectionsNeverCrossesData) {
    const Endpoint ep = endpoint(GetParam(), "churn");
    constexpr int kClients = 8;
    const int kRounds = emulated() ? 40 : 150;
    struct State {
        int setup = -1;
        std::atomic<int> ok{0}, bad{0};
    } s;
    // A small pool of server Conns, each reused once its handler is done.
    constexpr int kPool = kClients * 2;
    auto pool = std::make_unique<net::Conn[]>(kPool);
    auto busy = std::make_unique<std::atomic<bool>[]>(kPool);
    for (int k = 0; k < kPool; ++k) busy[k] = false;
    run_net(2, [&] {
        net::Listener ln;
        if ((s.setup = err(net::listen(ep.network, ep.address.c_str(), &ln))) != 0) return;
        rawrt::WaitGroup acceptor, clients;
        acceptor.add(1);
        rawrt::go([&] {
            rawrt::WaitGroup handlers;
            for (;;) {
                int slot = -1;
                while (slot < 0) {
                    for (int k = 0; k < kPool && slot < 0; ++k)
                        if (!busy[k].load()) slot = k;
                    if (slot < 0) rawrt::yield();
                }
                if (!ln.accept(&pool[slot]).ok()) break;
                busy[slot] = true;
                handlers.add(1);
                rawrt::go([&handlers, c = &pool[slot], b = &busy[slot]] {
                    unsigned char buf[16];
                    size_t got = 0;
                    while (got < sizeof buf) {
                        auto n = c->read(buf + got, sizeof buf - got);
                        if (!n.ok() || n.value() == 0) break;
                        got += n.value();
                    }
                    (void)c->write(buf, got);
                    (void)c->close();
                    *b = false;
                    handlers.done();
                });
            }
            handlers.wait();
            acceptor.done();
        });
        clients.add(kClients);
        for (int c = 0; c < kClients; ++c)
            rawrt::go([&, c] {
                net::Conn conn;
                for (int r = 0; r < kRounds; ++r) {
                    unsigned char tag[16], echo[16] = {};
                    for (int k = 0; k < 16; ++k) tag[k] = static_cast<unsigned char>(c * 31 + r * 7 + k);
                    bool good = net::dial(ep.network, ln.addr().text().str, &conn).ok() && conn.write(tag, 16).ok();
                    size_t got = 0;
                    while (good && got < 16) {
                        auto n = conn.read(echo + got, 16 - got);
                        if (!n.ok() || n.value() == 0) break;
                        got += n.value();
                    }
                    good = good && got == 16;
                    for (int k = 0; good && k < 16; ++k) good = tag[k] == echo[k];
                    char extra;
                    good = good && conn.read(&extra, 1).value_or(1) == 0;  // then end of file
                    (void)conn.close();
                    (good ? s.ok : s.bad)++;
                }
                clients.done();
            });
        clients.wait();
        (void)ln.close();
        acceptor.wait();
    });
    ASSERT_EQ(s.setup, 0) << std::strerror(s.setup);
    EXPECT_EQ(s.bad.load(), 0);
    EXPECT_EQ(s.ok.load(), kClients * kRounds);
}

TEST_P(NetStream, ReadvAndWritevMoveEveryByteThroughManyIovecs) {
    const Endpoint ep = endpoint(GetParam(), "iov");
    // More entries than one writev takes, of ragged sizes (zero included),
    // through a small send buffer so that writes stop inside entries.
    constexpr int kOut = 3000;
    std::vector<unsigned char> data;
    std::vector<iovec> out(kOut);
    std::vector<size_t> sizes(kOut);
    size_t total = 0;
    for (int i = 0; i < kOut; ++i) {
        sizes[i] = i % 10 == 0 ? 0 : static_cast<size_t>((i * 37) % 1500 + 1);
        total += sizes[i];
    }
    data.resize(total);
    for (size_t i = 0; i < total; ++i) data[i] = static_cast<unsigned char>(i * 131 + (i >> 9));
    for (int i = 0, at = 0; i < kOut; at += static_cast<int>(sizes[i]), ++i) out[i] = {data.data() + at, sizes[i]};
    const uint64_t want = fnv(data.data(), total);
    // The reader: 2000 entries of 7 bytes into one contiguous buffer (one
    // readv uses at most 1024 of them).
    constexpr int kIn = 2000;
    std::vector<unsigned char> in(kIn * 7);
    std::vector<iovec> in_iov(kIn);
    for (int i = 0; i < kIn; ++i) in_iov[i] = {in.data() + 7 * i, 7};
    struct State {
        int setup = -1, write_err = -1, read_err = 0, empty = -1, negative_w = 0, negative_r = 0;
        size_t written = 0, received = 0, most_in_one_read = 0;
        uint64_t got = 0;
    } s;
    run_net(2, [&] {
        net::Listener ln;
        Pair p;
        listen_pair(ep, &ln, &p, &s.setup);
        if (s.setup != 0) return;
        // (A small receive buffer too would leave TCP crawling through
        // zero-window probes.)
        const int small = 16384;
        (void)rawrt::sys::raw::setsockopt(p.client.fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            s.write_err = err(p.client.writev(out.data(), kOut, &s.written));
            (void)p.client.close_write();
            wg.done();
        });
        uint64_t h = 1469598103934665603ull;
        for (;;) {
            auto n = p.server.readv(in_iov.data(), kIn);
            if (!n.ok()) {
                s.read_err = err(n);
                break;
            }
            if (n.value() == 0) break;
            h = fnv(in.data(), n.value(), h);
            s.received += n.value();
            if (n.value() > s.most_in_one_read) s.most_in_one_read = n.value();
        }
        s.got = h;
        wg.wait();
        s.empty = static_cast<int>(p.client.writev(nullptr, 0).value_or(99));
        s.negative_w = err(p.client.writev(out.data(), -1));
        s.negative_r = err(p.server.readv(in_iov.data(), -1));
    });
    ASSERT_EQ(s.setup, 0) << std::strerror(s.setup);
    EXPECT_EQ(s.write_err, 0) << std::strerror(s.write_err);
    EXPECT_EQ(s.read_err, 0) << std::strerror(s.read_err);
    EXPECT_EQ(s.written, total);
    EXPECT_EQ(s.received, total);
    EXPECT_EQ(s.got, want) << "bytes lost, doubled or reordered";
    EXPECT_LE(s.most_in_one_read, size_t{rawrt::sys::kUIO_MAXIOV} * 7);
    EXPECT_EQ(s.empty, 0);
    EXPECT_EQ(s.negative_w, EINVAL);
    EXPECT_EQ(s.negative_r, EINVAL);
}

// ============================================================ bad input

TEST_F(NetTest, EveryBadInputReturnsItsError) {
    const std::string path = unix_path("bad");
    const std::string missing = unix_path("missing");
    const std::string not_a_socket = unix_path("file");
    {
        std::FILE* f = std::fopen(not_a_socket.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fclose(f);
    }
    struct Case {
        const char* network;
        const char* address;
        int listen_err = -1, dial_err = -1;
    };
    const std::string too_long = "/tmp/" + std::string(120, 'a');
    Case cases[] = {
        {nullptr, "127.0.0.1:0"},
        {"tcp", nullptr},
        {"udp", "127.0.0.1:0"},
        {"udp4", "127.0.0.1:0"},
        {"unixgram", "/tmp/x"},
        {"unixpacket", "/tmp/x"},
        {"ip", "127.0.0.1"},
        {"tcp7", "127.0.0.1:0"},
        {"TCP", "127.0.0.1:0"},
        {"", "127.0.0.1:0"},
        {"tcp", ""},
        {"tcp", "127.0.0.1"},
        {"tcp", "127.0.0.1:99999"},
        {"tcp", "300.0.0.1:1"},
        {"tcp", "[::1"},
        {"tcp", "::1:80"},
        {"tcp", "example.com:80"},
        {"tcp4", "[::1]:0"},
        {"tcp6", "127.0.0.1:0"},
        {"unix", ""},
        {"unix", too_long.c_str()},
    };
    const int want[] = {EINVAL,       EINVAL,       EAFNOSUPPORT, EAFNOSUPPORT, EAFNOSUPPORT, EAFNOSUPPORT,
                        EAFNOSUPPORT, EAFNOSUPPORT, EAFNOSUPPORT, EAFNOSUPPORT, EINVAL,       EINVAL,
                        EINVAL,       EINVAL,       EINVAL,       EINVAL,       EINVAL,       EAFNOSUPPORT,
                        EAFNOSUPPORT, EINVAL,       ENAMETOOLONG};
    static_assert(sizeof want / sizeof want[0] == sizeof cases / sizeof cases[0]);
    struct State {
        int refused = -1, refused6 = -1, no_file = -1, not_socket = -1, in_use = -1, in_use6 = -1, unix_in_use = -1;
        int not_listening = -1, busy_listen = -1, busy_dial = -1, busy_accept = -1, null_out = -1, bad_len = -1;
        int never_opened_accept = -1, never_opened_close = -1;
    } s;
    const bool v6 = ipv6_unavailable().empty();
    run_net(2, [&] {
        for (Case& c : cases) {
            net::Listener ln;
            net::Conn conn;
            c.listen_err = err(net::listen(c.network, c.address, &ln));
            c.dial_err = err(net::dial(c.network, c.address, &conn));
        }
        // A port nobody listens on: the one a listener just gave back.
        net::Listener ln;
        net::Conn conn;
        if (net::listen("tcp4", "127.0.0.1:0", &ln).ok()) {
            char where[64];
            (void)ln.addr().format(where, sizeof where);
            (void)ln.close();
            s.refused = err(net::dial("tcp4", where, &conn));
        }
        if (v6 && net::listen("tcp6", "[::1]:0", &ln).ok()) {
            char where[64];
            (void)ln.addr().format(where, sizeof where);
            (void)ln.close();
            s.refused6 = err(net::dial("tcp", where, &conn));
        }
        s.no_file = err(net::dial("unix", missing.c_str(), &conn));
        s.not_socket = err(net::dial("unix", not_a_socket.c_str(), &conn));
        // Taken addresses.
        net::Listener first, second;
        if (net::listen("tcp4", "127.0.0.1:0", &first).ok()) {
            s.in_use = err(net::listen("tcp", first.addr().text().str, &second));
            (void)first.close();
        }
        if (v6 && net::listen("tcp6", "[::1]:0", &first).ok()) {
            s.in_use6 = err(net::listen("tcp6", first.addr().text().str, &second));
            (void)first.close();
        }
        if (net::listen("unix", path.c_str(), &first).ok()) {
            s.unix_in_use = err(net::listen("unix", path.c_str(), &second));
            // Busy out-parameters.
            s.busy_listen = err(net::listen("unix", "@rawrt_busy", &first));
            if (net::dial("unix", path.c_str(), &conn).ok()) {
                s.busy_dial = err(net::dial("unix", path.c_str(), &conn));
                s.busy_accept = err(first.accept(&conn));
            }
            s.null_out = err(first.accept(nullptr));
            (void)conn.close();
            (void)first.close();
        }
        // accept on a socket that does not listen.
        auto raw = rawrt::sys::raw::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (raw.ok()) {
            rawrt::fd::FD f;
            if (f.init(raw.value(), true).ok()) {
                s.not_listening = err(f.accept(nullptr, nullptr));
                sockaddr_in a{};
                a.sin_family = AF_INET;
                s.bad_len = err(f.connect(reinterpret_cast<sockaddr*>(&a), 3));
                (void)f.close();
            } else {
                (void)rawrt::sys::raw::close(raw.value());
            }
        }
        net::Listener never;
        net::Conn target;
        s.never_opened_accept = err(never.accept(&target));
        s.never_opened_close = err(never.close());
    });
    ::unlink(not_a_socket.c_str());
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const Case& c = cases[i];
        const std::string what = std::string(c.network ? c.network : "(null)") + " " +
                                 (c.address ? c.address : "(null)");
        EXPECT_EQ(c.listen_err, want[i]) << "listen " << what << ": " << std::strerror(c.listen_err);
        EXPECT_EQ(c.dial_err, want[i]) << "dial " << what << ": " << std::strerror(c.dial_err);
    }
    EXPECT_EQ(s.refused, ECONNREFUSED);
    if (v6) {
        EXPECT_EQ(s.refused6, ECONNREFUSED);
        EXPECT_EQ(s.in_use6, EADDRINUSE);
    }
    EXPECT_EQ(s.no_file, ENOENT);
    EXPECT_EQ(s.not_socket, ECONNREFUSED);
    EXPECT_EQ(s.in_use, EADDRINUSE);
    EXPECT_EQ(s.unix_in_use, EADDRINUSE);
    EXPECT_EQ(s.busy_listen, EBUSY);
    EXPECT_EQ(s.busy_dial, EBUSY);
    EXPECT_EQ(s.busy_accept, EBUSY);
    EXPECT_EQ(s.null_out, EINVAL);
    EXPECT_EQ(s.not_listening, EINVAL);
    EXPECT_EQ(s.bad_len, EINVAL);
    EXPECT_EQ(s.never_opened_accept, EBADF);
    EXPECT_EQ(s.never_opened_close, EBADF);
    EXPECT_NE(::access(path.c_str(), F_OK), 0) << "the listener left its socket file";
}

// ============================================================ listeners

TEST_F(NetTest, TcpWithNoHostListensOnBothFamiliesAndTcp4OnIPv4Only) {
    const std::string why = ipv6_unavailable();
    if (!why.empty()) GTEST_SKIP() << "no IPv6 loopback on this machine: " << why;
    struct State {
        int setup = -1, v4 = -1, v6 = -1, local = -1, any4 = -1, only4_v6 = -1, empty_dial = -1;
        int v6only_dual = -1, v6only_tcp6 = -1;
        net::SockAddr ln_addr, from_v4, from_v6, ln4_addr;
    } s;
    run_net(2, [&] {
        net::Listener ln, ln4, ln6;
        if ((s.setup = err(net::listen("tcp", ":0", &ln))) != 0) return;
        s.ln_addr = ln.addr();
        s.v6only_dual = sockopt_int(ln.fd(), IPPROTO_IPV6, IPV6_V6ONLY);
        const uint16_t port = ln.addr().port();
        char v4[32], v6[32], local[32], empty[16];
        host_port(v4, "127.0.0.1", port);
        host_port(v6, "[::1]", port);
        host_port(local, "localhost", port);
        host_port(empty, "", port);
        Pair a, b, c, d;
        s.v4 = err(net::dial("tcp4", v4, &a.client));
        if (s.v4 == 0) s.v4 = err(ln.accept(&a.server));
        s.v6 = err(net::dial("tcp6", v6, &b.client));
        if (s.v6 == 0) s.v6 = err(ln.accept(&b.server));
        s.local = err(net::dial("tcp", local, &c.client));
        if (s.local == 0) s.local = err(ln.accept(&c.server));
        s.empty_dial = err(net::dial("tcp", empty, &d.client));  // this machine
        if (s.empty_dial == 0) s.empty_dial = err(ln.accept(&d.server));
        s.from_v4 = a.server.remote_addr();
        s.from_v6 = b.server.remote_addr();
        // tcp4 with no host: IPv4 only.
        if ((s.any4 = err(net::listen("tcp4", ":0", &ln4))) == 0) {
            s.ln4_addr = ln4.addr();
            host_port(v6, "[::1]", ln4.addr().port());
            net::Conn e;
            s.only4_v6 = err(net::dial("tcp6", v6, &e));
        }
        if (net::listen("tcp6", "[::1]:0", &ln6).ok()) s.v6only_tcp6 = sockopt_int(ln6.fd(), IPPROTO_IPV6, IPV6_V6ONLY);
    });
    ASSERT_EQ(s.setup, 0) << std::strerror(s.setup);
    EXPECT_EQ(text_of(s.ln_addr), "[::]:" + std::to_string(s.ln_addr.port()));
    EXPECT_EQ(s.v6only_dual, 0);
    EXPECT_EQ(s.v6only_tcp6, 1);
    EXPECT_EQ(s.v4, 0) << std::strerror(s.v4);
    EXPECT_EQ(s.v6, 0) << std::strerror(s.v6);
    EXPECT_EQ(s.local, 0) << std::strerror(s.local);
    EXPECT_EQ(s.empty_dial, 0) << std::strerror(s.empty_dial);
    // An IPv4 peer of a dual-stack listener arrives IPv4-mapped, and reads as IPv4.
    EXPECT_EQ(s.from_v4.family(), AF_INET6);
    EXPECT_EQ(text_of(s.from_v4).rfind("127.0.0.1:", 0), 0u) << text_of(s.from_v4);
    EXPECT_EQ(text_of(s.from_v6).rfind("[::1]:", 0), 0u) << text_of(s.from_v6);
    EXPECT_EQ(s.any4, 0);
    EXPECT_EQ(text_of(s.ln4_addr), "0.0.0.0:" + std::to_string(s.ln4_addr.port()));
    EXPECT_EQ(s.only4_v6, ECONNREFUSED);
}

TEST_F(NetTest, UnixListenersRemoveTheirFileAndLeaveAStaleOneAlone) {
    const std::string path = unix_path("life");
    const std::string stale = unix_path("stale");
    {  // a socket file left behind by someone else
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strcpy(a.sun_path, stale.c_str());
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        ::close(fd);
    }
    const std::string abstract = "@rawrt_net_" + std::to_string(::getpid()) + "_life";
    struct State {
        int setup = -1, exists_while_open = -1, gone_after_close = -1, stale_err = -1, again = -1, abstract_again = -1;
    } s;
    auto exists = [](const char* p) {
        struct statx st;
        return rawrt::sys::raw::statx(AT_FDCWD, p, 0, 0, &st).ok() ? 1 : 0;
    };
    run_net(1, [&] {
        net::Listener ln;
        if ((s.setup = err(net::listen("unix", path.c_str(), &ln))) != 0) return;
        s.exists_while_open = exists(path.c_str());
        (void)ln.close();
        s.gone_after_close = !exists(path.c_str());
        s.again = err(net::listen("unix", path.c_str(), &ln));  // free again
        (void)ln.close();
        s.stale_err = err(net::listen("unix", stale.c_str(), &ln));
        // An abstract name is free again once its listener is closed.
        if (net::listen("unix", abstract.c_str(), &ln).ok()) {
            (void)ln.close();
            s.abstract_again = err(net::listen("unix", abstract.c_str(), &ln));
            (void)ln.close();
        }
    });
    EXPECT_EQ(::access(stale.c_str(), F_OK), 0) << "a stale socket file is not the listener's to remove";
    ::unlink(stale.c_str());
    ASSERT_EQ(s.setup, 0) << std::strerror(s.setup);
    EXPECT_EQ(s.exists_while_open, 1);
    EXPECT_EQ(s.gone_after_close, 1);
    EXPECT_EQ(s.again, 0);
    EXPECT_EQ(s.stale_err, EADDRINUSE);
    EXPECT_EQ(s.abstract_again, 0);
}

// ============================================================ a real program

// tests/programs/net_echo: a freestanding server and its clients, Conns
// from the heap, SIGPIPE at its default action.
TEST(NetProgram, FreestandingEchoServerFromTheHeap) {
    const int clients = emulated() ? 50 : 200;
    const std::string path = unix_path("program");
    for (const std::string& args : {std::string("tcp4 127.0.0.1:0"), "unix " + path}) {
        auto child = rawrt::test::run_program(rawrt::test::build_path("tests/programs/net_echo") + " " + args + " " +
                                              std::to_string(clients));
        EXPECT_EQ(child.exit_status, 0) << args << " (signal " << child.signal << "):\n" << child.output;
        EXPECT_EQ(rawrt::test::number_after(child.output, "echoed "), clients) << child.output;
        EXPECT_GE(rawrt::test::number_after(child.output, "server writes failed ").value_or(0), 1)
            << "the hung-up client's reply should have failed:\n"
            << child.output;
        EXPECT_NE(child.output.find("listening on "), std::string::npos);
    }
    EXPECT_NE(::access(path.c_str(), F_OK), 0) << "the program's listener left its socket file";
}

}  // namespace
