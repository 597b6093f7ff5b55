// UDP ping-pong over IPv4 loopback, 64-byte datagrams, one round trip at a
// time (ns per round trip; round trips per second = 1e9 / ns):
//   BM_udp_pingpong_1p  rawrt, one P: a server G echoes with read_from and
//                       write_to, a client G writes and reads a dialled
//                       socket; both park in the netpoller
//   BM_udp_pingpong_c   the C baseline: two threads, blocking recvfrom and
//                       sendto, no runtime
// Go's: bench/go/gobench/udp.go (net.UDPConn, GOMAXPROCS=1).

#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>

#include "bench/on_g.hpp"
#include "bench/ratio_reporter.hpp"
#include "netpoll/packet.hpp"
#include "sched/go.hpp"

namespace {

using rawrt::bench::Stopwatch;
using rawrt::bench::Timing;

constexpr size_t kSize = 64;

Timing time_rawrt(int64_t n) {
    Timing t;
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::net::PacketConn server, client;
        if (!rawrt::net::listen_packet("udp4", "127.0.0.1:0", &server).ok()) return;
        if (!rawrt::net::dial("udp4", server.local_addr().text().str, &client).ok()) return;
        rawrt::go([&] {
            char buf[2048];
            rawrt::net::SockAddr from;
            for (;;) {
                auto got = server.read_from(buf, sizeof buf, &from);
                if (!got.ok()) break;
                (void)server.write_to(buf, got.value(), from);
            }
        });
        char out[kSize] = {1}, in[2048];
        int64_t ok = 0;
        Stopwatch sw;
        sw.start();
        for (int64_t i = 0; i < n; ++i) {
            (void)client.write(out, kSize);
            ok += client.read(in, sizeof in).ok();
        }
        sw.stop(t, n);
        t.ok = ok == n;
        (void)server.close();
    });
    t.ok = t.ok && r.ok();
    return t;
}

// The same exchange with plain blocking sockets: the kernel's cost of the
// four syscalls and the two thread wake-ups, nothing else.
Timing time_c(int64_t n) {
    Timing t;
    int s = ::socket(AF_INET, SOCK_DGRAM, 0), c = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0 ||
        ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(s);
        ::close(c);
        return t;
    }
    std::thread server([&] {
        char buf[2048];
        for (int64_t i = 0; i < n; ++i) {
            sockaddr_in from{};
            socklen_t flen = sizeof from;
            const ssize_t got = ::recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
            if (got < 0) break;
            (void)::sendto(s, buf, static_cast<size_t>(got), 0, reinterpret_cast<sockaddr*>(&from), flen);
        }
    });
    char out[kSize] = {1}, in[2048];
    int64_t ok = 0;
    Stopwatch sw;
    sw.start();
    for (int64_t i = 0; i < n; ++i) {
        (void)::send(c, out, kSize, 0);
        ok += ::recv(c, in, sizeof in, 0) == static_cast<ssize_t>(kSize);
    }
    sw.stop(t, n);
    server.join();
    ::close(s);
    ::close(c);
    t.ok = ok == n;
    return t;
}

void report(benchmark::State& state, const Timing& t) {
    if (!rawrt::bench::report_timing(state, t, "the exchange failed")) return;
    state.counters["round_trips_per_s"] = static_cast<double>(t.operations) * 1e9 / static_cast<double>(t.wall_ns);
}

void BM_udp_pingpong_1p(benchmark::State& state) { report(state, time_rawrt(state.max_iterations)); }
BENCHMARK(BM_udp_pingpong_1p)->UseManualTime();

void BM_udp_pingpong_c(benchmark::State& state) { report(state, time_c(state.max_iterations)); }
BENCHMARK(BM_udp_pingpong_c)->UseManualTime();

}  // namespace

RAWRT_BENCH_RATIO("BM_udp_pingpong_1p", "BM_udp_pingpong_c", "≤ 1 (time per round trip: round trips ≥ C's)");
