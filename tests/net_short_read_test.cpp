// The read that is skipped (fd::FD::set_short_read_drains, docs/netpoll.md):
// after a short read on a TCP socket the next read waits for the poller's
// edge before its syscall. These tests show that no byte is lost wherever it
// arrives between the short read and the park, that the cases where the
// kernel ends a read early with bytes left (urgent data, a FIN, a reset) are
// still read to the end, and that an echo round trip makes no read that
// finds nothing.
//
// The clients are hosted threads with blocking sockets, outside the run, so
// that they cost the runtime's counters nothing. Every read inside a run has
// a deadline: a lost wake-up fails with ETIMEDOUT instead of hanging.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "locks/os_linux.hpp"
#include "netpoll/net.hpp"
#include "netpoll/netpoll.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "tests/child_process.hpp"
#include "tests/proc_self.hpp"
#include "vdso/vdso.hpp"

namespace {

namespace net = rawrt::net;
namespace np = rawrt::netpoll;
using rawrt::test::emulated;

constexpr int64_t kReadBoundNs = int64_t{20} * 1'000'000'000;

// A blocking client socket connected to 127.0.0.1:port, or -1.
int connect_client(uint16_t port) {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    (void)::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{30, 0};  // a server that stops answering fails the client, not the suite
    (void)::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(s);
        return -1;
    }
    return s;
}

bool write_all(int s, const void* p, size_t n, int flags = 0) {
    const auto* b = static_cast<const char*>(p);
    while (n > 0) {
        const ssize_t w = ::send(s, b, n, flags | MSG_NOSIGNAL);
        if (w <= 0) return false;
        b += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

bool read_exactly(int s, void* p, size_t n) {
    auto* b = static_cast<char*>(p);
    while (n > 0) {
        const ssize_t r = ::recv(s, b, n, 0);
        if (r <= 0) return false;
        b += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

// A read bounded by kReadBoundNs: the bytes, or -errno.
ssize_t bounded_read(net::Conn* c, void* buf, size_t n) {
    (void)c->set_read_deadline(rawrt::vdso::nanotime() + kReadBoundNs);
    auto r = c->read(buf, n);
    return r.ok() ? static_cast<ssize_t>(r.value()) : -static_cast<ssize_t>(r.error().code());
}

uint8_t pattern(uint32_t round, uint32_t i) { return static_cast<uint8_t>(round * 131 + i * 7 + 1); }

// One listener and one accepted connection, made on a G; the client thread
// runs body(client socket).
template <class Client, class Server>
void with_connection(int32_t procs, Client&& client, Server&& server) {
    std::atomic<int> port{0};  // -1: the server could not listen
    std::atomic<bool> accepted{false};
    // Started before the run: a thread made on a G would run glibc there.
    std::thread client_thread([&] {
        while (port.load() == 0) std::this_thread::yield();
        const int s = port.load() > 0 ? connect_client(static_cast<uint16_t>(port.load())) : -1;
        client(s);
        if (s >= 0) ::close(s);
    });
    auto r = rawrt::run({.procs = procs}, [&] {
        net::Listener ln;
        if (!net::listen("tcp", "127.0.0.1:0", &ln).ok()) port.store(-1);
        ASSERT_NE(port.load(), -1);
        port.store(ln.addr().port());
        net::Conn c;
        auto a = ln.accept(&c);
        (void)ln.close();
        ASSERT_TRUE(a.ok());
        accepted.store(true);
        server(&c);
        (void)c.close();
    });
    if (port.load() == 0) port.store(-1);  // the run ended before it listened
    client_thread.join();
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(accepted.load());
}

class NetShortRead : public ::testing::TestWithParam<int32_t> {
protected:
    void SetUp() override { fds_before_ = rawrt::test::count_entries("/proc/self/fd"); }
    void TearDown() override {
        EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds_before_) << "descriptors leaked";
    }
    int fds_before_ = 0;
};

// The client writes each message a random time after the server's read of
// the one before returned: at once, while the server is between its short
// read and the park, or after it parked. Every byte must arrive, in order,
// and most reads must have taken the skipped path (or the test proves
// nothing).
TEST_P(NetShortRead, NoByteIsLostWhereverItArrives) {
    const uint32_t rounds = emulated() ? 3000 : 30000;
    std::atomic<uint32_t> reads_returned{0};
    uint32_t bad_byte_round = 0, errors = 0, last_error = 0;
    uint64_t bytes = 0, expected_bytes = 0;
    const np::NetpollStats before = np::netpoll_stats();
    with_connection(
        GetParam(),
        [&](int s) {
        ASSERT_GE(s, 0);
        std::mt19937 rng(12345);
        uint8_t msg[64];
        for (uint32_t k = 0; k < rounds; ++k) {
            const uint32_t len = 1 + rng() % 64;
            for (uint32_t i = 0; i < len; ++i) msg[i] = pattern(k, i);
            // Wait until the server's previous read has returned, then
            // spin for 0 to about 20 µs (longer under emulation).
            while (reads_returned.load(std::memory_order_acquire) < k) {
            }
            const uint32_t spins = (rng() % 4 == 0) ? 0 : rng() % (emulated() ? 20000 : 4000);
            for (uint32_t i = 0; i < spins; ++i) asm volatile("" ::: "memory");
            expected_bytes += len;
            if (!write_all(s, msg, len)) return;
        }
        ::shutdown(s, SHUT_WR);
        char c;
        (void)::recv(s, &c, 1, 0);  // until the server closes
        },
        [&](net::Conn* c) {
        uint8_t buf[4096];
        uint32_t round = 0;
        for (;;) {
            const ssize_t n = bounded_read(c, buf, sizeof buf);
            if (n <= 0) {
                if (n < 0) {
                    ++errors;
                    last_error = static_cast<uint32_t>(-n);
                }
                break;
            }
            // One message per read, as the client waits for each read;
            // check it whole.
            for (ssize_t i = 0; i < n; ++i)
                if (buf[i] != pattern(round, static_cast<uint32_t>(i)) && bad_byte_round == 0)
                    bad_byte_round = round + 1;
            bytes += static_cast<uint64_t>(n);
            ++round;
            reads_returned.store(round, std::memory_order_release);
        }
    });
    const np::NetpollStats after = np::netpoll_stats();
    EXPECT_EQ(errors, 0u) << "errno " << last_error << " (ETIMEDOUT: a wake-up was lost)";
    EXPECT_EQ(bytes, expected_bytes);
    EXPECT_EQ(bad_byte_round, 0u) << "a message's bytes differ, from round " << bad_byte_round - 1;
    const uint64_t waited_first = after.reads_waited_first - before.reads_waited_first;
    std::printf("[ info ] %u rounds: %llu reads waited for the poller first, %llu made a syscall that found nothing\n",
                rounds, static_cast<unsigned long long>(waited_first),
                static_cast<unsigned long long>(after.reads_would_block - before.reads_would_block));
    EXPECT_GE(waited_first, rounds / 2u) << "the skipped read was not exercised";
}

// The ways a kernel ends a TCP read early with bytes still queued: urgent
// data (the read stops at its mark), end of stream and a reset after data.
// Each arrives whole while the server's G is parked, so the poller sees it
// before the read that comes back short.
enum class Early { kUrgent, kFin, kReset };

void early_end(int32_t procs, Early kind, uint32_t times) {
    for (uint32_t t = 0; t < times; ++t) {
        std::atomic<bool> parked{false}, read_all{false};
        char got[16] = {};
        size_t ngot = 0;
        ssize_t last = 1;
        with_connection(
            procs,
            [&](int s) {
            ASSERT_GE(s, 0);
            while (!parked.load()) {
            }
            std::this_thread::sleep_for(std::chrono::microseconds(500 + (t % 4) * 500));
            if (kind == Early::kUrgent) {
                // "ab", the urgent "X" (not inline: skipped by reads),
                // "cd"; no FIN until the server has all four, since its
                // event would also rule the skip out.
                write_all(s, "ab", 2);
                write_all(s, "X", 1, MSG_OOB);
                write_all(s, "cd", 2);
                while (!read_all.load()) std::this_thread::yield();
                ::shutdown(s, SHUT_WR);
            } else if (kind == Early::kFin) {
                write_all(s, "hello", 5);
                ::shutdown(s, SHUT_WR);
            } else {
                write_all(s, "hello", 5);
                linger l{1, 0};  // close sends a reset
                ::setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            }
            if (kind != Early::kReset) {
                char c;
                (void)::recv(s, &c, 1, 0);
            }
            },
            [&](net::Conn* c) {
            parked.store(true);
            for (;;) {
                last = bounded_read(c, got + ngot, sizeof got - 1 - ngot);
                if (last <= 0 || (ngot += static_cast<size_t>(last)) == 4) read_all.store(true);
                if (last <= 0) break;
            }
            read_all.store(true);
        });
        ASSERT_NE(last, -ETIMEDOUT) << "round " << t << ": the read after a short one never returned, after \"" << got
                                    << "\"";
        if (kind == Early::kUrgent) {
            EXPECT_STREQ(got, "abcd") << "round " << t;
            EXPECT_EQ(last, 0);
        } else if (kind == Early::kFin) {
            EXPECT_STREQ(got, "hello") << "round " << t;
            EXPECT_EQ(last, 0);
        } else {
            // The reset may discard what was queued: whatever came must be a
            // prefix, and the end an error or end of stream.
            EXPECT_EQ(std::strncmp(got, "hello", ngot), 0) << "round " << t;
            EXPECT_TRUE(last == 0 || last == -ECONNRESET) << "round " << t << ": " << last;
        }
    }
}

TEST_P(NetShortRead, UrgentDataIsReadPast) { early_end(GetParam(), Early::kUrgent, emulated() ? 12 : 40); }
TEST_P(NetShortRead, EndOfStreamAfterDataIsSeen) { early_end(GetParam(), Early::kFin, emulated() ? 12 : 40); }
TEST_P(NetShortRead, AResetAfterDataIsSeen) { early_end(GetParam(), Early::kReset, emulated() ? 12 : 40); }

// A fixed echo exchange: 16 connections, each doing its round trips in
// lockstep with the others (the client writes to all, then reads all). The
// server's kernel entries per round trip are the read and write that move
// the bytes, plus what the runtime adds: epoll waits, futex calls and reads
// that find nothing. Without the skipped read, each round trip makes one
// read that finds nothing.
TEST_P(NetShortRead, AnEchoRoundTripMakesNoReadThatFindsNothing) {
    constexpr int kConns = 16;
    const uint32_t rounds = emulated() ? 100 : 1000;
    std::atomic<int> port{0};  // -1: no server
    np::NetpollStats before{}, after{};
    uint64_t futex_before = 0, futex_after = 0;
    std::atomic<int> client_failures{0};
    uint32_t server_errors = 0;
    std::thread client([&] {
        while (port.load() == 0) std::this_thread::yield();
        if (port.load() < 0) return;
        int s[kConns];
        for (int& x : s) x = connect_client(static_cast<uint16_t>(port.load()));
        uint8_t msg[64], back[64];
        for (uint32_t k = 0; k < rounds; ++k) {
            for (int i = 0; i < kConns; ++i) {
                std::memset(msg, static_cast<int>(pattern(k, static_cast<uint32_t>(i))), sizeof msg);
                if (s[i] < 0 || !write_all(s[i], msg, sizeof msg)) client_failures.fetch_add(1);
            }
            for (int i = 0; i < kConns; ++i)
                if (s[i] < 0 || !read_exactly(s[i], back, sizeof back) ||
                    back[63] != pattern(k, static_cast<uint32_t>(i)))
                    client_failures.fetch_add(1);
        }
        for (int x : s)
            if (x >= 0) ::close(x);
    });
    auto r = rawrt::run({.procs = GetParam()}, [&] {
        net::Listener ln;
        if (!net::listen("tcp", "127.0.0.1:0", &ln).ok()) port.store(-1);
        ASSERT_NE(port.load(), -1);
        port.store(ln.addr().port());
        net::Conn conns[kConns];
        for (auto& c : conns) ASSERT_TRUE(ln.accept(&c).ok());
        (void)ln.close();
        before = np::netpoll_stats();
        futex_before = rawrt::locks::futex_calls();
        rawrt::WaitGroup wg;
        wg.add(kConns);
        for (auto& c : conns) {
            rawrt::go([&, conn = &c] {
                // One deadline for the whole exchange: moving it per read
                // would add timer work to what is counted.
                (void)conn->set_read_deadline(rawrt::vdso::nanotime() + kReadBoundNs);
                uint8_t buf[4096];
                for (;;) {
                    auto n = conn->read(buf, sizeof buf);
                    if (!n.ok() || n.value() == 0) {
                        if (!n.ok()) ++server_errors;
                        break;
                    }
                    if (!conn->write(buf, n.value()).ok()) ++server_errors;
                }
                wg.done();
            });
        }
        wg.wait();
        after = np::netpoll_stats();
        futex_after = rawrt::locks::futex_calls();
        for (auto& c : conns) (void)c.close();
    });
    if (port.load() == 0) port.store(-1);
    client.join();
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(client_failures.load(), 0);
    EXPECT_EQ(server_errors, 0u);
    const double trips = static_cast<double>(rounds) * kConns;
    const double empty_reads = static_cast<double>(after.reads_would_block - before.reads_would_block) / trips;
    const double polls = static_cast<double>(after.polls - before.polls) / trips;
    const double futexes = static_cast<double>(futex_after - futex_before) / trips;
    const double entries = 2 + empty_reads + polls + futexes;
    std::printf(
        "[ info ] per round trip, %d P: %.3f reads that found nothing, %.3f epoll waits, %.3f futex calls: "
        "%.2f kernel entries with the read and the write\n",
        GetParam(), empty_reads, polls, futexes, entries);
    EXPECT_LE(empty_reads, 0.05);
    // Here 2.08 to 2.46 on 1 P and 2.4 to 2.8 on 2 Ps: the lockstep client
    // leaves the Ms idle between rounds, and each such pause is a poll or a
    // futex call. What tells the skipped read from a read that finds nothing
    // is the bound above; this one only keeps the rest in sight.
    EXPECT_LE(entries, GetParam() == 1 ? 2.9 : 3.3);
}

INSTANTIATE_TEST_SUITE_P(Procs, NetShortRead, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int32_t>& i) { return std::to_string(i.param) + "P"; });

}  // namespace
