// Datagram sockets (netpoll/packet.hpp) and socketpair: UDP echo over IPv4
// and IPv6 loopback with every byte checked, unixgram to a path and to an
// abstract name, datagram and stream pairs, and every error case (EMSGSIZE,
// a truncated read, a closed socket, a wrong family, bad input), with
// /proc/self/fd checked afterwards: nothing leaked. Gs record into plain
// memory; the test asserts after run returns.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "netpoll/net.hpp"
#include "netpoll/packet.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "tests/child_process.hpp"
#include "tests/proc_self.hpp"
#include "vdso/vdso.hpp"

namespace {

namespace net = rawrt::net;
using rawrt::test::emulated;

constexpr int64_t kMs = 1'000'000;

bool same(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

template <class T>
int err(const rawrt::sys::Result<T>& r) {
    return r.ok() ? 0 : r.error().code();
}

// The bytes of datagram seq: its number, then a pattern that depends on
// it, at a length that varies with it (16..527 bytes).
size_t fill(uint64_t seq, unsigned char* buf) {
    const size_t len = 16 + (seq * 7919) % 512;
    __builtin_memcpy(buf, &seq, sizeof seq);
    uint64_t x = seq * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = sizeof seq; i < len; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = static_cast<unsigned char>(x);
    }
    return len;
}

struct EchoResult {
    int setup = -1;
    uint64_t sent = 0, received = 0, corrupt = 0, duplicate = 0, lost = 0;
};

// A client G writes datagrams through a dialled socket, at most kWindow
// ahead of the echoes it has read (the rate control: the receive buffers
// never hold more than kWindow × 527 bytes, far below their size, so
// loopback has no reason to drop); a server G echoes them. An echo that has
// not come 200 ms after the last one counts its datagram as lost, and the
// window moves on.
EchoResult udp_echo(const char* network, const char* listen_at, uint64_t count, int procs) {
    constexpr uint64_t kWindow = 64;
    EchoResult res;
    auto r = rawrt::run({.procs = procs}, [&] {
        net::PacketConn server, client;
        if ((res.setup = err(net::listen_packet(network, listen_at, &server))) != 0) return;
        const net::AddrText addr = server.local_addr().text();
        if ((res.setup = err(net::dial(network, addr.str, &client))) != 0) return;
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            unsigned char buf[2048];
            net::SockAddr from;
            for (;;) {
                auto n = server.read_from(buf, sizeof buf, &from);
                if (!n.ok()) break;
                (void)server.write_to(buf, n.value(), from);
            }
            wg.done();
        });
        auto* seen = static_cast<uint8_t*>(rawrt::alloc(count));
        unsigned char out[600], in[2048];
        uint64_t next = 0;
        while (res.received + res.lost < count) {
            while (next < count && next - (res.received + res.lost) < kWindow) {
                const size_t len = fill(next, out);
                if (client.write(out, len).ok()) ++res.sent;
                ++next;
            }
            (void)client.set_read_deadline(rawrt::vdso::nanotime() + 200 * kMs);
            auto n = client.read(in, sizeof in);
            if (!n.ok()) {  // nothing for 200 ms: what is outstanding is lost
                res.lost = next - res.received;
                continue;
            }
            uint64_t seq = 0;
            __builtin_memcpy(&seq, in, sizeof seq);
            const size_t len = seq < count ? fill(seq, out) : 0;
            if (seq >= count || len != n.value() || __builtin_memcmp(in, out, len) != 0) {
                ++res.corrupt;
                continue;
            }
            if (seen[seq]++ != 0) {
                ++res.duplicate;
                continue;
            }
            ++res.received;
        }
        rawrt::free(seen);
        (void)server.close();
        wg.wait();
    });
    if (!r.ok()) res.setup = r.error().code();
    return res;
}

// 500 000 datagrams per family natively (1 million in all; IPv4 on 2 Ps,
// IPv6 on 1), 100 000 under qemu, where each costs more.
uint64_t echo_count() { return emulated() ? 100'000 : 500'000; }

TEST(NetPacket, UdpEchoOverIPv4EveryByteChecked) {
    const int fds = rawrt::test::count_entries("/proc/self/fd");
    const EchoResult e = udp_echo("udp4", "127.0.0.1:0", echo_count(), 2);
    ASSERT_EQ(e.setup, 0) << strerror(e.setup);
    EXPECT_EQ(e.corrupt, 0u);
    EXPECT_EQ(e.duplicate, 0u);
    EXPECT_EQ(e.sent, echo_count());
    EXPECT_EQ(e.received + e.lost, echo_count());
    // Loopback drops only when a receive buffer overflows; the window keeps
    // them far from full, so a loss here is a datagram the runtime lost.
    EXPECT_EQ(e.lost, 0u);
    RecordProperty("lost", static_cast<int>(e.lost));
    EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds);
}

TEST(NetPacket, UdpEchoOverIPv6EveryByteChecked) {
    const EchoResult e = udp_echo("udp6", "[::1]:0", echo_count(), 1);
    if (e.setup == EADDRNOTAVAIL || e.setup == EAFNOSUPPORT) GTEST_SKIP() << "no IPv6 loopback here";
    ASSERT_EQ(e.setup, 0) << strerror(e.setup);
    EXPECT_EQ(e.corrupt, 0u);
    EXPECT_EQ(e.duplicate, 0u);
    EXPECT_EQ(e.received + e.lost, echo_count());
    EXPECT_EQ(e.lost, 0u);
}

// A "unixgram" server at a path or an abstract name; dialled clients are
// autobound, so the server answers each at the address read_from gave.
TEST(NetPacket, UnixgramToAPathAndAnAbstractName) {
    const std::string path = "/tmp/rawrt-dgram-" + std::to_string(::getpid()) + ".sock";
    const std::string abstract = "@rawrt-dgram-" + std::to_string(::getpid());
    const int fds = rawrt::test::count_entries("/proc/self/fd");
    for (const std::string& name : {path, abstract}) {
        int setup = -1, replies = 0, from_named = 0, ok_text = 0, close_err = -1;
        auto r = rawrt::run({.procs = 2}, [&] {
            net::PacketConn server;
            if ((setup = err(net::listen_packet("unixgram", name.c_str(), &server))) != 0) return;
            ok_text = same(server.local_addr().text().str, name.c_str());  // no std::string on a G: it mallocs
            rawrt::go([&] {
                char buf[64];
                net::SockAddr from;
                for (;;) {
                    auto n = server.read_from(buf, sizeof buf, &from);
                    if (!n.ok()) break;
                    from_named += from.text().str[0] == '@';
                    (void)server.write_to(buf, n.value(), from);
                }
            });
            for (int i = 0; i < 10; ++i) {
                net::PacketConn c;
                if ((setup = err(net::dial("unixgram", name.c_str(), &c))) != 0) return;
                char msg[8] = {'h', 'e', 'l', 'l', 'o', static_cast<char>('0' + i)}, back[8] = {};
                (void)c.write(msg, 6);
                auto n = c.read(back, sizeof back);
                replies += n.ok() && n.value() == 6 && __builtin_memcmp(msg, back, 6) == 0;
            }
            close_err = err(server.close());
        });
        ASSERT_TRUE(r.ok()) << r.error().name();
        ASSERT_EQ(setup, 0) << name << ": " << strerror(setup);
        EXPECT_EQ(replies, 10) << name;
        EXPECT_EQ(from_named, 10) << name;
        EXPECT_TRUE(ok_text) << name;
        EXPECT_EQ(close_err, 0);
    }
    EXPECT_NE(::access(path.c_str(), F_OK), 0) << "close removes the socket file";
    EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds);
}

TEST(NetPacket, SocketPairsStreamAndDatagram) {
    const int fds = rawrt::test::count_entries("/proc/self/fd");
    int dgram_ok = 0, stream_ok = 0, busy = 0, pairs = -1;
    bool boundaries = false, eof = false;
    auto r = rawrt::run({.procs = 2}, [&] {
        net::PacketConn a, b;
        net::Conn c, d;
        pairs = err(net::socketpair(&a, &b)) + err(net::socketpair(&c, &d));
        busy = err(net::socketpair(&a, &b)) + err(net::socketpair(&c, &d));
        rawrt::go([&] {
            (void)a.write("one", 3);
            (void)a.write("three", 5);
            (void)c.write("stream", 6);
            (void)c.close();
        });
        char buf[16];
        auto n1 = b.read(buf, sizeof buf);
        auto n2 = b.read(buf, sizeof buf);
        boundaries = n1.ok() && n1.value() == 3 && n2.ok() && n2.value() == 5;
        dgram_ok = boundaries && __builtin_memcmp(buf, "three", 5) == 0;
        size_t got = 0;
        for (;;) {
            auto n = d.read(buf + got, sizeof buf - got);
            if (!n.ok() || n.value() == 0) {
                eof = n.ok();
                break;
            }
            got += n.value();
        }
        stream_ok = got == 6 && __builtin_memcmp(buf, "stream", 6) == 0;
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(pairs, 0);
    EXPECT_EQ(busy, 2 * EBUSY);
    EXPECT_TRUE(boundaries);
    EXPECT_EQ(dgram_ok, 1);
    EXPECT_EQ(stream_ok, 1);
    EXPECT_TRUE(eof);
    EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds);
}

TEST(NetPacket, EveryErrorCase) {
    const int fds = rawrt::test::count_entries("/proc/self/fd");
    struct {
        int bad_network = 0, null_arg = 0, bad_addr = 0, wrong_family_listen = 0, busy = 0;
        int msgsize = 0, after_msgsize = -1;
        size_t cut_n = 0, next_n = 0;
        bool cut = false, not_cut = true;
        int v6_on_v4 = 0, v4_on_v6only = 0, v4_on_dual = -1, unix_on_udp = 0, empty_to = 0, isconn = 0;
        int timeout = 0, closed_read = 0, closed_write = 0, closed_twice = 0, parked_close = 0;
        int no_such_path = 0, refused = 0, not_dialled = 0;
    } e;
    auto r = rawrt::run({.procs = 2}, [&] {
        net::PacketConn a, b, c, d;
        e.bad_network = err(net::listen_packet("udp7", "127.0.0.1:0", &a)) + err(net::dial("tcp", "127.0.0.1:9", &a));
        e.null_arg = err(net::listen_packet(nullptr, "127.0.0.1:0", &a)) + err(net::dial("udp", nullptr, &a));
        e.bad_addr = err(net::listen_packet("udp", "127.0.0.1", &a));
        e.wrong_family_listen = err(net::listen_packet("udp4", "[::1]:0", &a));
        (void)net::listen_packet("udp4", "127.0.0.1:0", &a);
        e.busy = err(net::listen_packet("udp4", "127.0.0.1:0", &a));
        (void)net::listen_packet("udp4", "127.0.0.1:0", &b);
        const net::SockAddr to_b = b.local_addr();

        // EMSGSIZE: more than a UDP datagram holds; nothing goes out, the
        // socket stays usable.
        auto* big = static_cast<char*>(rawrt::alloc(70'000));
        e.msgsize = err(a.write_to(big, 70'000, to_b));
        rawrt::free(big);
        e.after_msgsize = err(a.write_to("0123456789abcdef", 16, to_b));
        (void)a.write_to("next", 4, to_b);
        char small[4];
        auto cut = b.read_from(small, sizeof small, nullptr, &e.cut);
        e.cut_n = cut.ok() ? cut.value() : 0;
        char buf[64];
        auto next = b.read_from(buf, sizeof buf, nullptr, &e.not_cut);
        e.next_n = next.ok() ? next.value() : 0;

        // Families.
        net::SockAddr v6, v4;
        (void)net::parse_inet("[::1]:9", net::kAnyFamily, false, &v6);
        (void)net::parse_inet("127.0.0.1:0", net::kAnyFamily, false, &v4);
        v4.set_port(to_b.port());
        e.v6_on_v4 = err(a.write_to("x", 1, v6));
        (void)net::listen_packet("udp6", "[::1]:0", &c);
        e.v4_on_v6only = c.fd() != -1 ? err(c.write_to("x", 1, v4)) : EAFNOSUPPORT;
        (void)net::listen_packet("udp", ":0", &d);
        e.v4_on_dual = err(d.write_to("dual", 4, v4));  // as ::ffff:127.0.0.1
        (void)b.read_from(buf, sizeof buf, nullptr);
        net::SockAddr un;
        (void)net::parse_unix("/tmp/x", &un);
        e.unix_on_udp = err(a.write_to("x", 1, un));
        e.empty_to = err(a.write_to("x", 1, net::SockAddr{}));
        e.not_dialled = err(a.write("x", 1));

        // Deadlines and close.
        (void)b.set_read_deadline(rawrt::vdso::nanotime() + 2 * kMs);
        e.timeout = err(b.read_from(buf, sizeof buf, nullptr));
        (void)b.set_read_deadline(0);
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            e.parked_close = err(b.read_from(buf, sizeof buf, nullptr));
            wg.done();
        });
        rawrt::sleep(2 * kMs);
        (void)b.close();
        wg.wait();
        e.closed_read = err(b.read(buf, sizeof buf));
        e.closed_write = err(b.write_to("x", 1, v4));
        e.closed_twice = err(b.close());

        net::PacketConn f, g;
        e.isconn = err(net::dial("udp4", a.local_addr().text().str, &f));
        e.isconn = e.isconn != 0 ? -1 : err(f.write_to("x", 1, a.local_addr()));
        e.no_such_path = err(net::dial("unixgram", "/nonexistent/rawrt.sock", &g));
        net::PacketConn h, i;
        (void)net::listen_packet("unixgram", "@rawrt-refused-probe", &h);
        (void)h.close();
        e.refused = err(net::dial("unixgram", "@rawrt-refused-probe", &i));
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(e.bad_network, 2 * EAFNOSUPPORT);
    EXPECT_EQ(e.null_arg, 2 * EINVAL);
    EXPECT_EQ(e.bad_addr, EINVAL);
    EXPECT_EQ(e.wrong_family_listen, EAFNOSUPPORT);
    EXPECT_EQ(e.busy, EBUSY);
    EXPECT_EQ(e.msgsize, EMSGSIZE);
    EXPECT_EQ(e.after_msgsize, 0);
    EXPECT_TRUE(e.cut) << "read_from reports a cut datagram";
    EXPECT_EQ(e.cut_n, 4u);
    EXPECT_FALSE(e.not_cut);
    EXPECT_EQ(e.next_n, 4u) << "the cut datagram's tail is gone, the next one whole";
    EXPECT_EQ(e.v6_on_v4, EAFNOSUPPORT);
    EXPECT_EQ(e.v4_on_v6only, EAFNOSUPPORT);
    EXPECT_EQ(e.v4_on_dual, 0);
    EXPECT_EQ(e.unix_on_udp, EAFNOSUPPORT);
    EXPECT_EQ(e.empty_to, EINVAL);
    EXPECT_EQ(e.not_dialled, EDESTADDRREQ);
    EXPECT_EQ(e.timeout, ETIMEDOUT);
    EXPECT_EQ(e.parked_close, EBADF);
    EXPECT_EQ(e.closed_read, EBADF);
    EXPECT_EQ(e.closed_write, EBADF);
    EXPECT_EQ(e.closed_twice, EBADF);
    EXPECT_EQ(e.isconn, EISCONN);
    EXPECT_EQ(e.no_such_path, ENOENT);
    EXPECT_EQ(e.refused, ECONNREFUSED);
    EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds);
}

}  // namespace
