// Large transfers, many at once: streams through TCP over
// IPv4 and IPv6 loopback, Unix sockets and pipes, written in chunks of
// varied size (write and writev) and read the same way (read and readv),
// every byte checked against what its offset must hold. 1 GiB in all on
// x86_64 (a sixteenth under qemu): nothing lost, duplicated or reordered.
#include <gtest/gtest.h>

#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>

#include "netpoll/fd.hpp"
#include "netpoll/net.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "tests/child_process.hpp"
#include "tests/g_heap.hpp"
#include "tests/proc_self.hpp"

namespace {

using rawrt::fd::FD;
using rawrt::net::Conn;
using rawrt::net::Listener;
using rawrt::test::g_delete;
using rawrt::test::g_new;
using rawrt::test::g_new_array;

// The byte a stream holds at offset i: one splitmix64 value per 8 bytes, so
// a dropped, repeated or swapped chunk shows at its first byte.
uint64_t word_at(uint64_t stream, uint64_t index) {
    uint64_t z = (stream << 40) + index + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void fill(uint64_t stream, uint64_t offset, unsigned char* p, size_t n) {
    for (size_t k = 0; k < n; ++k) {
        const uint64_t i = offset + k;
        p[k] = static_cast<unsigned char>(word_at(stream, i >> 3) >> (8 * (i & 7)));
    }
}

// Chunk sizes vary with the offset (1 byte to 256 KiB) so that writes and
// reads straddle each other and the kernel's buffers in every way.
size_t chunk_at(uint64_t stream, uint64_t offset, size_t left) {
    const size_t n = 1 + word_at(stream ^ 0xabcdef, offset) % (256 * 1024);
    return n < left ? n : left;
}

// What each end of a stream needs: a way to write it and to read it.
struct Stream {
    uint64_t id = 0;
    uint64_t bytes = 0;
    // One of the two pairs is used.
    Conn* conn_w = nullptr;
    Conn* conn_r = nullptr;
    FD* fd_w = nullptr;
    FD* fd_r = nullptr;
    uint64_t received = 0;
    uint64_t first_bad = UINT64_MAX;  // offset of the first wrong byte
    int write_error = 0;
    int read_error = 0;
};

rawrt::sys::Result<size_t> write_some(Stream* s, const void* p, size_t n, bool vectored) {
    if (!vectored) return s->conn_w != nullptr ? s->conn_w->write(p, n) : s->fd_w->write(p, n);
    // The same bytes as three entries.
    auto* b = static_cast<const unsigned char*>(p);
    const size_t a = n / 3, c = n / 3;
    iovec iov[3] = {{const_cast<unsigned char*>(b), a},
                    {const_cast<unsigned char*>(b + a), n - a - c},
                    {const_cast<unsigned char*>(b + n - c), c}};
    return s->conn_w != nullptr ? s->conn_w->writev(iov, 3) : s->fd_w->writev(iov, 3);
}

rawrt::sys::Result<size_t> read_some(Stream* s, void* p, size_t n, bool vectored) {
    if (!vectored) return s->conn_r != nullptr ? s->conn_r->read(p, n) : s->fd_r->read(p, n);
    auto* b = static_cast<unsigned char*>(p);
    const size_t a = n / 2;
    iovec iov[2] = {{b, a}, {b + a, n - a}};
    return s->conn_r != nullptr ? s->conn_r->readv(iov, 2) : s->fd_r->readv(iov, 2);
}

void writer(Stream* s) {
    auto* buf = g_new_array<unsigned char>(256 * 1024);
    for (uint64_t off = 0; off < s->bytes;) {
        const size_t n = chunk_at(s->id, off, s->bytes - off);
        fill(s->id, off, buf, n);
        auto w = write_some(s, buf, n, (off / 7) % 2 == 1);
        if (!w.ok() || w.value() != n) {
            s->write_error = w.ok() ? EIO : w.error().code();
            break;
        }
        off += n;
    }
    rawrt::free(buf);
    if (s->conn_w != nullptr) (void)s->conn_w->close_write();
    else (void)s->fd_w->close();
}

void reader(Stream* s) {
    auto* buf = g_new_array<unsigned char>(256 * 1024);
    auto* want = g_new_array<unsigned char>(256 * 1024);
    for (uint64_t reads = 0;; ++reads) {
        const size_t ask = 1 + word_at(s->id ^ 0x5555, reads) % (256 * 1024);
        auto r = read_some(s, buf, ask, reads % 3 == 0);
        if (!r.ok()) {
            s->read_error = r.error().code();
            break;
        }
        if (r.value() == 0) break;
        fill(s->id, s->received, want, r.value());
        if (s->first_bad == UINT64_MAX && std::memcmp(buf, want, r.value()) != 0) {
            size_t k = 0;
            while (buf[k] == want[k]) ++k;
            s->first_bad = s->received + k;
        }
        s->received += r.value();
    }
    rawrt::free(buf);
    rawrt::free(want);
}

TEST(NetBulk, AGibibyteThroughSocketsAndPipesArrivesWhole) {
    const uint64_t total = rawrt::test::emulated() ? (64ull << 20) : (1ull << 30);
    const int fds_before = rawrt::test::count_entries("/proc/self/fd");
    // 4 TCP over IPv4, 2 over IPv6, 2 Unix, 4 pipes.
    constexpr int kStreams = 12;
    Stream streams[kStreams];
    const char* setup_error = nullptr;
    const std::string path = "@rawrt-bulk-" + std::to_string(::getpid());
    auto r = rawrt::run({.procs = 2}, [&] {
        Listener tcp4, tcp6, unix_ln;
        if (!rawrt::net::listen("tcp4", "127.0.0.1:0", &tcp4).ok() ||
            !rawrt::net::listen("tcp6", "[::1]:0", &tcp6).ok() ||
            !rawrt::net::listen("unix", path.c_str(), &unix_ln).ok()) {
            setup_error = "listen";
            return;
        }
        FD pipes[8];
        for (int i = 0; i < kStreams; ++i) {
            Stream* s = &streams[i];
            s->id = static_cast<uint64_t>(i) + 1;
            s->bytes = total / kStreams + static_cast<uint64_t>(i) * 4093;  // unequal, odd lengths
            if (i >= 8) {
                FD* p = &pipes[(i - 8) * 2];
                if (!rawrt::fd::pipe(p, p + 1).ok()) {
                    setup_error = "pipe";
                    return;
                }
                s->fd_r = p;
                s->fd_w = p + 1;
                continue;
            }
            Listener* ln = i < 4 ? &tcp4 : i < 6 ? &tcp6 : &unix_ln;
            const char* network = i < 4 ? "tcp4" : i < 6 ? "tcp6" : "unix";
            s->conn_w = g_new<Conn>();
            s->conn_r = g_new<Conn>();
            const auto text = ln->addr().text();
            if (!rawrt::net::dial(network, text.str, s->conn_w).ok() || !ln->accept(s->conn_r).ok()) {
                setup_error = "dial/accept";
                return;
            }
        }
        rawrt::WaitGroup wg;
        wg.add(2 * kStreams);
        for (Stream& s : streams) {
            rawrt::go([&wg, p = &s] {
                writer(p);
                wg.done();
            });
            rawrt::go([&wg, p = &s] {
                reader(p);
                wg.done();
            });
        }
        wg.wait();
        for (Stream& s : streams) {
            g_delete(s.conn_w);
            g_delete(s.conn_r);
        }
        // The pipes' read ends close with their FDs; the write ends closed already.
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    ASSERT_EQ(setup_error, nullptr) << setup_error;
    uint64_t sum = 0;
    for (const Stream& s : streams) {
        EXPECT_EQ(s.write_error, 0) << "stream " << s.id;
        EXPECT_EQ(s.read_error, 0) << "stream " << s.id;
        EXPECT_EQ(s.received, s.bytes) << "stream " << s.id;
        EXPECT_EQ(s.first_bad, UINT64_MAX) << "stream " << s.id << ": first wrong byte at " << s.first_bad;
        sum += s.received;
    }
    EXPECT_GE(sum, total);
    EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds_before);
}

}  // namespace
