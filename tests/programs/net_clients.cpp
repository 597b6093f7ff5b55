// The client side of tests/net_many_test.cpp, as its own process so that
// each side's descriptors fit under RLIMIT_NOFILE (20 000 here, and it cannot
// be raised): 10 000 connections need 10 000 descriptors at each end.
//
//   net_clients ADDRESS CONNS ROUNDS
//
// Dials CONNS connections to the TCP ADDRESS (at most 256 dials in flight:
// the listener's backlog is finite), one G each. Each G waits for the
// server's one-byte "go", then makes ROUNDS round trips of a 32-byte message
// that names the connection and the round, checks the echo, and closes.
// Prints "connected N" once every dial is done and "ok N" at the end (the
// connections whose every echo matched); exit status 0 iff N == CONNS.

#include <atomic>

#include "netpoll/net.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sys/parse.hpp"
#include "sys/print.hpp"

namespace {

using rawrt::net::Conn;

void message(int64_t conn, int64_t round, char* out) {
    uint64_t x = static_cast<uint64_t>(conn) * 1'000'003 + static_cast<uint64_t>(round);
    for (int i = 0; i < 32; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        out[i] = static_cast<char>(x >> 56);
    }
}

bool read_full(Conn* c, char* p, size_t n) {
    while (n != 0) {
        auto r = c->read(p, n);
        if (!r.ok() || r.value() == 0) return false;
        p += r.value();
        n -= r.value();
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        rawrt::sys::fdprint(2, "usage: net_clients ADDRESS CONNS ROUNDS\n");
        return 2;
    }
    const char* address = argv[1];
    const int64_t conns = rawrt::sys::parse_decimal(argv[2], nullptr, 100'000);
    const int64_t rounds = rawrt::sys::parse_decimal(argv[3], nullptr, 1'000'000);
    if (conns <= 0 || rounds < 0) return 2;

    rawrt::Semaphore dialling(256);
    rawrt::WaitGroup dialled, finished;
    dialled.add(static_cast<int>(conns));
    finished.add(static_cast<int>(conns));
    std::atomic<int64_t> connected{0}, ok{0};
    for (int64_t i = 0; i < conns; ++i)
        rawrt::go([&, i] {
            auto* c = new Conn;
            dialling.acquire();
            const bool up = rawrt::net::dial("tcp", address, c).ok();
            dialling.release();
            if (up) connected.fetch_add(1);
            dialled.done();
            char go_byte, msg[32], echo[32];
            bool good = up && read_full(c, &go_byte, 1);
            for (int64_t k = 0; good && k < rounds; ++k) {
                message(i, k, msg);
                good = c->write(msg, sizeof msg).ok() && read_full(c, echo, sizeof echo);
                for (int b = 0; good && b < 32; ++b) good = echo[b] == msg[b];
            }
            if (good) ok.fetch_add(1);
            delete c;
            finished.done();
        });
    dialled.wait();
    rawrt::sys::fdprint(1, "connected ", connected.load(), "\n");
    finished.wait();
    rawrt::sys::fdprint(1, "ok ", ok.load(), "\n");
    return ok.load() == conns ? 0 : 1;
}
