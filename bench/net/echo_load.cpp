// echo_load: the one load generator for every echo server the network
// benchmark compares (rawrt's examples/echo, Go's bench/go/echo, the C loop
// bench/net/c_echo), so their numbers differ only by the server.
//
//   echo_load [--conns N] [--size BYTES] [--seconds T] [--warmup W]
//             [--threads K] [--host IPV4] PORT
//
// N connections, spread over K threads with an epoll loop each, each doing
// request/response round trips of BYTES-byte messages: one message out, wait
// for all of it to come back, check every byte, send the next. Round trips
// that finish during the T seconds after a W-second warm-up are counted; their
// latencies (first byte written to last byte read) give the percentiles.
// Prints one JSON object on stdout:
//   {"req_per_s", "p50_us", "p99_us", "conns", "size", "seconds", "threads",
//    "requests", "errors"}
// A connect failure, a connection closed or reset before its echo is
// complete, a byte that differs from the one sent, or an echo that takes
// longer than --stall seconds is an error: a message on stderr and exit 1.
//
// Hosted code (the benchmark's client, not part of the runtime).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    int conns = 64;
    int size = 64;
    double seconds = 3.0;
    double warmup = 0.5;
    int threads = 2;
    double stall = 5.0;
    std::string host = "127.0.0.1";
    int port = 0;
};

// The byte at `offset` of request `seq` on connection `conn`: every request
// differs from the one before it and from its neighbours', so an echo that
// comes back late, twice, or on the wrong connection does not match.
inline unsigned char pattern(uint32_t conn, uint32_t seq, uint32_t offset) {
    uint32_t x = conn * 0x9E3779B1u ^ seq * 0x85EBCA77u ^ offset * 0xC2B2AE3Du;
    x ^= x >> 15;
    return static_cast<unsigned char>(x ^ (x >> 8));
}

struct Conn {
    int fd = -1;
    uint32_t id = 0;
    uint32_t seq = 0;  // the request in flight
    int sent = 0;      // bytes of it written so far
    int received = 0;  // bytes of its echo read and checked so far
    bool in_flight = false;
    bool want_write = false;  // EPOLLOUT registered (a short write)
    Clock::time_point started;
};

struct ThreadResult {
    uint64_t requests = 0;             // completed inside the measured window
    std::vector<uint32_t> latency_ns;  // of those requests (saturating)
    int errors = 0;
};

std::atomic<int> messages_left{20};  // error messages printed at most this many

void report_error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void report_error(const char* fmt, ...) {
    if (messages_left.fetch_sub(1, std::memory_order_relaxed) <= 0) return;
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "echo_load: ");
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    va_end(ap);
}

class Worker {
public:
    Worker(const Options& opt, std::vector<Conn> conns, Clock::time_point start)
        : opt_(opt), conns_(std::move(conns)), out_(opt.size), in_(opt.size) {
        measure_from_ = start + to_duration(opt.warmup);
        measure_until_ = measure_from_ + to_duration(opt.seconds);
        start_ = start;
        result_.latency_ns.reserve(1 << 16);
    }

    ThreadResult run() {
        epfd_ = epoll_create1(EPOLL_CLOEXEC);
        if (epfd_ < 0) {
            report_error("epoll_create1: %s", std::strerror(errno));
            result_.errors += static_cast<int>(conns_.size());
            return std::move(result_);
        }
        for (size_t i = 0; i < conns_.size(); ++i) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u64 = i;
            if (epoll_ctl(epfd_, EPOLL_CTL_ADD, conns_[i].fd, &ev) != 0) fail(conns_[i], "epoll_ctl", errno);
        }
        std::this_thread::sleep_until(start_);
        for (Conn& c : conns_)
            if (c.fd >= 0) send_request(c);
        loop();
        // Let the requests in flight finish so the server sees a clean close,
        // not a reset, and a short last echo is still caught.
        draining_ = true;
        loop();
        for (Conn& c : conns_)
            if (c.fd >= 0) ::close(c.fd);
        ::close(epfd_);
        return std::move(result_);
    }

private:
    static Clock::duration to_duration(double seconds) {
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    }

    int live() const {
        int n = 0;
        for (const Conn& c : conns_) n += c.fd >= 0 && (!draining_ || c.in_flight);
        return n;
    }

    void loop() {
        epoll_event events[256];
        Clock::time_point next_stall_check = Clock::now();
        const Clock::time_point drain_deadline = Clock::now() + to_duration(opt_.stall);
        while (live() > 0) {
            Clock::time_point now = Clock::now();
            if (!draining_ && now >= measure_until_) return;
            if (draining_ && now >= drain_deadline) {
                for (Conn& c : conns_)
                    if (c.fd >= 0 && c.in_flight) fail_short(c, "no complete echo after the run ended");
                return;
            }
            if (now >= next_stall_check) {
                check_stalls(now);
                next_stall_check = now + std::chrono::milliseconds(100);
            }
            int n = epoll_wait(epfd_, events, 256, 10);
            if (n < 0) {
                if (errno == EINTR) continue;
                report_error("epoll_wait: %s", std::strerror(errno));
                for (Conn& c : conns_)
                    if (c.fd >= 0) fail(c, "epoll_wait", errno);
                return;
            }
            for (int i = 0; i < n; ++i) {
                Conn& c = conns_[events[i].data.u64];
                if (c.fd < 0) continue;
                if ((events[i].events & EPOLLOUT) && c.in_flight && c.sent < opt_.size) write_rest(c);
                if (c.fd >= 0 && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) read_echo(c);
            }
        }
    }

    void check_stalls(Clock::time_point now) {
        for (Conn& c : conns_)
            if (c.fd >= 0 && c.in_flight && now - c.started > to_duration(opt_.stall))
                fail_short(c, "no complete echo within the stall limit");
    }

    void send_request(Conn& c) {
        c.sent = 0;
        c.received = 0;
        c.in_flight = true;
        c.started = Clock::now();
        write_rest(c);
    }

    void write_rest(Conn& c) {
        // out_ is shared by the thread's connections: rebuild the unsent tail.
        for (int i = c.sent; i < opt_.size; ++i) out_[i] = pattern(c.id, c.seq, i);
        while (c.sent < opt_.size) {
            ssize_t n = ::write(c.fd, out_.data() + c.sent, opt_.size - c.sent);
            if (n > 0) {
                c.sent += static_cast<int>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                set_write_interest(c, true);
                return;
            }
            fail(c, "write", errno);
            return;
        }
        if (c.want_write) set_write_interest(c, false);
    }

    void set_write_interest(Conn& c, bool on) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        if (on) ev.events |= EPOLLOUT;
        ev.data.u64 = static_cast<uint64_t>(&c - conns_.data());
        if (epoll_ctl(epfd_, EPOLL_CTL_MOD, c.fd, &ev) != 0) {
            fail(c, "epoll_ctl", errno);
            return;
        }
        c.want_write = on;
    }

    void read_echo(Conn& c) {
        // Never ask for more than is owed: a server that echoes extra bytes
        // is then caught by the next request's check.
        int want = opt_.size - c.received;
        if (!c.in_flight) want = opt_.size;  // nothing owed: anything read is extra
        ssize_t n = ::read(c.fd, in_.data(), want);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) return;
            fail(c, "read", errno);
            return;
        }
        if (n == 0) {
            fail_short(c, "the server closed the connection");
            return;
        }
        if (!c.in_flight || c.received + n > c.sent) {
            report_error("conn %u: %zd byte(s) echoed that were never sent (request %u)", c.id, n, c.seq);
            drop(c);
            return;
        }
        for (ssize_t i = 0; i < n; ++i) {
            unsigned char want_byte = pattern(c.id, c.seq, c.received + i);
            if (in_[i] != want_byte) {
                report_error("conn %u: request %u byte %d: got 0x%02x, sent 0x%02x", c.id, c.seq,
                             static_cast<int>(c.received + i), in_[i], want_byte);
                drop(c);
                return;
            }
        }
        c.received += static_cast<int>(n);
        if (c.received < opt_.size) return;

        Clock::time_point now = Clock::now();
        c.in_flight = false;
        if (now >= measure_from_ && now < measure_until_) {
            ++result_.requests;
            auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.started).count();
            result_.latency_ns.push_back(static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX)));
        }
        ++c.seq;
        if (!draining_ && now < measure_until_) send_request(c);
    }

    void fail(Conn& c, const char* what, int err) {
        report_error("conn %u: %s: %s", c.id, what, std::strerror(err));
        drop(c);
    }

    void fail_short(Conn& c, const char* why) {
        report_error("conn %u: request %u: short echo, %d of %d bytes back: %s", c.id, c.seq, c.received, opt_.size,
                     why);
        drop(c);
    }

    void drop(Conn& c) {
        ++result_.errors;
        ::close(c.fd);  // also leaves the epoll set
        c.fd = -1;
        c.in_flight = false;
    }

    const Options& opt_;
    std::vector<Conn> conns_;
    std::vector<unsigned char> out_, in_;
    Clock::time_point start_, measure_from_, measure_until_;
    ThreadResult result_;
    int epfd_ = -1;
    bool draining_ = false;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "echo_load: %s\nusage: echo_load [--conns N] [--size BYTES] [--seconds T] [--warmup W]\n"
                 "                 [--threads K] [--stall S] [--host IPV4] PORT\n",
                 why);
    std::exit(2);
}

double number(const char* flag, const char* text, double lo, double hi) {
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= lo && v <= hi)) {
        std::string why = std::string(flag) + ": bad value \"" + text + "\"";
        usage(why.c_str());
    }
    return v;
}

Options parse(int argc, char** argv) {
    Options opt;
    bool have_port = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) usage((arg + " needs a value").c_str());
            return argv[++i];
        };
        if (arg == "--conns") opt.conns = static_cast<int>(number("--conns", value(), 1, 15000));
        else if (arg == "--size") opt.size = static_cast<int>(number("--size", value(), 1, 1 << 20));
        else if (arg == "--seconds") opt.seconds = number("--seconds", value(), 0.01, 3600);
        else if (arg == "--warmup") opt.warmup = number("--warmup", value(), 0, 3600);
        else if (arg == "--threads") opt.threads = static_cast<int>(number("--threads", value(), 1, 256));
        else if (arg == "--stall") opt.stall = number("--stall", value(), 0.01, 3600);
        else if (arg == "--host") opt.host = value();
        else if (!arg.empty() && arg[0] == '-') usage(("unknown option " + arg).c_str());
        else if (have_port) usage("more than one PORT");
        else {
            opt.port = static_cast<int>(number("PORT", argv[i], 1, 65535));
            have_port = true;
        }
    }
    if (!have_port) usage("no PORT");
    opt.threads = std::min(opt.threads, opt.conns);
    return opt;
}

// Blocking connect, then non-blocking for the run. -1 after a message.
int dial(const Options& opt, const sockaddr_in& addr, int id) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        report_error("conn %d: socket: %s", id, std::strerror(errno));
        return -1;
    }
    int r;
    do r = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    while (r != 0 && errno == EINTR);
    if (r != 0) {
        report_error("conn %d: connect to %s:%d: %s", id, opt.host.c_str(), opt.port, std::strerror(errno));
        ::close(fd);
        return -1;
    }
    // Every server under test sets TCP_NODELAY too (Go does by default).
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

double percentile_us(std::vector<uint32_t>& ns, double p) {
    if (ns.empty()) return 0;
    size_t k = static_cast<size_t>(p * static_cast<double>(ns.size() - 1) + 0.5);
    std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
    return ns[k] / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
    Options opt = parse(argc, argv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(opt.port));
    if (::inet_pton(AF_INET, opt.host.c_str(), &addr.sin_addr) != 1) usage("--host: not an IPv4 address");

    // All connections are made before any request, so the warm-up measures
    // round trips, not the accept queue.
    std::vector<std::vector<Conn>> per_thread(opt.threads);
    int connect_errors = 0;
    for (int i = 0; i < opt.conns; ++i) {
        int fd = dial(opt, addr, i);
        if (fd < 0) {
            connect_errors = opt.conns - i;  // the rest would fail alike
            break;
        }
        Conn c;
        c.fd = fd;
        c.id = static_cast<uint32_t>(i);
        per_thread[i % opt.threads].push_back(c);
    }
    if (connect_errors > 0) {
        for (auto& conns : per_thread)
            for (Conn& c : conns) ::close(c.fd);
        std::fprintf(stderr, "echo_load: connection %d of %d failed\n", opt.conns - connect_errors + 1, opt.conns);
        return 1;
    }

    // One common start, a little ahead, so every thread's window is the same.
    Clock::time_point start = Clock::now() + std::chrono::milliseconds(20);
    std::vector<ThreadResult> results(opt.threads);
    std::vector<std::thread> threads;
    for (int t = 0; t < opt.threads; ++t)
        threads.emplace_back([&, t] {
            Worker w(opt, std::move(per_thread[t]), start);
            results[t] = w.run();
        });
    for (std::thread& t : threads) t.join();

    uint64_t requests = 0;
    int errors = 0;
    std::vector<uint32_t> latency;
    for (ThreadResult& r : results) {
        requests += r.requests;
        errors += r.errors;
        latency.insert(latency.end(), r.latency_ns.begin(), r.latency_ns.end());
    }
    double p50 = percentile_us(latency, 0.50);
    double p99 = percentile_us(latency, 0.99);
    std::printf(
        "{\"req_per_s\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"conns\": %d, \"size\": %d, "
        "\"seconds\": %.3f, \"threads\": %d, \"requests\": %llu, \"errors\": %d}\n",
        static_cast<double>(requests) / opt.seconds, p50, p99, opt.conns, opt.size, opt.seconds, opt.threads,
        static_cast<unsigned long long>(requests), errors);
    if (errors > 0) {
        std::fprintf(stderr, "echo_load: %d connection(s) failed\n", errors);
        return 1;
    }
    if (requests == 0) {
        std::fprintf(stderr, "echo_load: no round trip completed in the measured window\n");
        return 1;
    }
    return 0;
}
