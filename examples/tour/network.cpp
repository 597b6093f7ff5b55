// Tour section 4: the netpoller, live. A listener and its clients in one
// program: one G per accepted connection reads its socket
// and finds nothing, so it parks on the socket's poll descriptor ("IO
// wait") and its M goes on to the next G. Thousands of Gs wait that way
// with the thread count where it was; when the burst of messages comes,
// epoll says which sockets are readable, netpoll readies exactly those Gs,
// and the same few Ms run them. (The socket reads and writes themselves
// are raw syscalls, never entersyscall: on a non-blocking fd they cannot
// block, so the scheduler's syscall counter does not move.)

#include <atomic>
#include <cstdint>

#include "examples/common/process.hpp"
#include "examples/tour/parked.hpp"
#include "examples/tour/tour.hpp"
#include "netpoll/net.hpp"
#include "netpoll/netpoll.hpp"
#include "netpoll/poll_desc.hpp"
#include "sched/go.hpp"
#include "sched/runtime2.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"
#include "sys/print.hpp"
#include "vdso/vdso.hpp"

namespace tour {
namespace {

namespace sys = rawrt::sys;
namespace net = rawrt::net;
using examples::os_threads;
using sys::fdprint;
using sys::Padded;

constexpr int kConns = 2000;
constexpr int kBatches = 8;  // a line of live counts after each
constexpr int kRounds = 5;   // of the burst: a message through every connection
constexpr size_t kMessage = 64;
// A slack for every descriptor the program holds besides the connections.
constexpr uint64_t kSpareFds = 64;
constexpr int64_t kPatience = 60'000'000'000;  // bounds every wait below (qemu included)

// <linux/resource.h> pulls in <linux/time.h>, which clashes with glibc's
// <time.h> under GCC 12's <atomic>: the struct is spelled out (rlimit64).
struct Rlimit {
    uint64_t cur, max;
};
constexpr int kRlimitNofile = 7;

unsigned char pattern(int conn, int round, size_t i) {
    const uint32_t x = static_cast<uint32_t>(conn) * 0x9E3779B1u ^ static_cast<uint32_t>(round) * 0x85EBCA77u ^
                       static_cast<uint32_t>(i) * 0xC2B2AE3Du;
    return static_cast<unsigned char>(x ^ (x >> 13));
}

// How many connections fit under RLIMIT_NOFILE (two descriptors each, one
// per end). The soft limit is raised to the hard one first, as Go does at
// startup since 1.19.
int connections_that_fit(uint64_t* limit) {
    Rlimit lim{};
    auto* raw = reinterpret_cast<rlimit64*>(&lim);
    if (!sys::raw::prlimit64(0, kRlimitNofile, nullptr, raw).ok()) return kConns;
    const uint64_t need = 2 * uint64_t{kConns} + kSpareFds;
    if (lim.cur < need && lim.cur < lim.max) {
        Rlimit raised{lim.max < need ? lim.max : need, lim.max};
        if (sys::raw::prlimit64(0, kRlimitNofile, reinterpret_cast<rlimit64*>(&raised), nullptr).ok()) lim = raised;
    }
    *limit = lim.cur;
    if (lim.cur >= need) return kConns;
    return lim.cur > kSpareFds ? static_cast<int>((lim.cur - kSpareFds) / 2) : 0;
}

struct Scenario {
    net::Listener ln;
    rawrt::WaitGroup servers;   // one per accepted connection
    rawrt::WaitGroup acceptor;  // the accepting G
    std::atomic<int> accepted{0};
    std::atomic<int64_t> accept_errors{0};
};

// Go: what an http.Server does per connection, reduced to echo.
void serve(net::Conn* c, Scenario* s) {
    char buf[kMessage];
    for (;;) {
        auto n = c->read(buf, sizeof buf);  // EAGAIN: parks on the socket
        if (!n.ok() || n.value() == 0) break;
        if (!c->write(buf, n.value()).ok()) break;
    }
    delete c;
    s->servers.done();
}

void accept_loop(Scenario* s) {
    for (;;) {
        auto* c = new net::Conn;
        if (auto r = s->ln.accept(c); !r.ok()) {
            delete c;
            if (r.error() == sys::Errno(EBADF)) break;  // closed: the section is over
            s->accept_errors.fetch_add(1, std::memory_order_relaxed);
            rawrt::sleep(1'000'000);
            continue;
        }
        s->servers.add(1);
        s->accepted.fetch_add(1, std::memory_order_relaxed);
        rawrt::go([c, s] { serve(c, s); });
    }
    s->acceptor.done();
}

// Sleeps (so that idle Ms poll the network) until `cond`, at most kPatience.
template <class Cond>
bool wait_for(Cond cond) {
    const int64_t end = rawrt::vdso::nanotime() + kPatience;
    while (!cond()) {
        if (rawrt::vdso::nanotime() > end) return false;
        rawrt::sleep(200'000);
    }
    return true;
}

bool read_full(net::Conn* c, unsigned char* buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        auto r = c->read(buf + got, n - got);
        if (!r.ok() || r.value() == 0) return false;
        got += r.value();
    }
    return true;
}

}  // namespace

void network() {
    fdprint(1, "\n== 4. network: Gs parked on sockets, the thread count flat ==\n");
    const int64_t threads_before = os_threads();
    fdprint(1, "Ps: ", rawrt::sched::sched.gomaxprocs, " (RAWRT_MAXPROCS, else the CPUs)\n");
    fdprint(1, "OS threads before: ", threads_before, "\n");
    uint64_t nofile = 0;
    const int conns = connections_that_fit(&nofile);
    if (conns < kConns)
        fdprint(1, "RLIMIT_NOFILE is ", nofile, ": room for ", conns, " connections, not ", kConns, "\n");

    auto* s = new Scenario;
    if (auto r = net::listen("tcp4", "127.0.0.1:0", &s->ln); !r.ok()) {
        fdprint(1, "listen: ", r.error(), "\n");
        return;
    }
    const auto where = s->ln.addr().text();
    s->acceptor.add(1);
    rawrt::go([s] { accept_loop(s); });
    fdprint(1, "a listener on ", where.str, " and a G per accepted connection, reading it\n");
    fdprint(1, "connections: ", conns, " (this G dials them; each server G parks in read)\n");

    auto** clients = new net::Conn*[conns];
    int dialled = 0;
    int64_t dial_errors = 0, most_while_parked = threads_before;
    for (int batch = 1; batch <= kBatches; ++batch) {
        const int upto = static_cast<int>(int64_t{conns} * batch / kBatches);
        for (; dialled < upto; ++dialled) {
            clients[dialled] = new net::Conn;
            if (!net::dial("tcp4", where.str, clients[dialled]).ok()) ++dial_errors;
        }
        // Every server G so far in its read, parked, and the acceptor too.
        (void)wait_for([&] { return s->accepted.load() == dialled && count_parked().io == dialled + 1; });
        const int64_t threads = os_threads();
        if (threads > most_while_parked) most_while_parked = threads;
        fdprint(1, "  dialled ", Padded{dialled, 5}, ": server Gs in IO wait ", Padded{count_parked().io, 5},
                ", OS threads ", threads, "\n");
    }
    const Parked parked = count_parked();
    const uint32_t waiters = rawrt::sched::netpoll_waiter_count();
    fdprint(1, "Gs parked on sockets: ", parked.io - 1, " (and the accepting G: IO wait in all ", parked.io, ")\n");
    fdprint(1, "netpoll waiters: ", waiters, "   dial errors: ", dial_errors, "\n");
    fdprint(1, "OS threads, most seen while parked: ", most_while_parked, " (a thread per blocked read would take ",
            conns, " more)\n");

    // The burst: a message into every connection, then every echo back.
    const rawrt::SchedStats st0 = rawrt::stats();
    const rawrt::netpoll::NetpollStats np0 = rawrt::netpoll::netpoll_stats();
    int64_t echoed = 0, wrong = 0, most_in_burst = os_threads();
    unsigned char msg[kMessage], back[kMessage];
    for (int round = 0; round < kRounds; ++round) {
        for (int i = 0; i < dialled; ++i) {
            for (size_t k = 0; k < kMessage; ++k) msg[k] = pattern(i, round, k);
            (void)clients[i]->write(msg, kMessage);
        }
        const int64_t threads = os_threads();
        if (threads > most_in_burst) most_in_burst = threads;
        for (int i = 0; i < dialled; ++i) {
            if (!read_full(clients[i], back, kMessage)) continue;
            ++echoed;
            for (size_t k = 0; k < kMessage; ++k) wrong += back[k] != pattern(i, round, k) ? 1 : 0;
        }
        const int64_t after = os_threads();
        if (after > most_in_burst) most_in_burst = after;
    }
    const rawrt::SchedStats st = rawrt::stats();
    const rawrt::netpoll::NetpollStats np = rawrt::netpoll::netpoll_stats();
    fdprint(1, "burst: rounds: ", kRounds, " of a ", kMessage, "-byte message through every connection\n");
    fdprint(1, "  messages echoed: ", echoed, ", bytes wrong: ", wrong, "\n");
    fdprint(1, "  OS threads, most seen in the burst: ", most_in_burst, "\n");
    fdprint(1, "  scheduler (rawrt::stats, over the burst): syscalls=", st.syscalls - st0.syscalls,
            " exit_fast=", st.exit_fast - st0.exit_fast, " retakes=", st.retakes - st0.retakes, " threads=", st.threads,
            " threads_max=", st.threads_max, " (since the program started)\n");
    fdprint(1, "  netpoller (netpoll_stats, over the burst): polls=", np.polls - np0.polls,
            " blocking=", np.blocking_polls - np0.blocking_polls, " events=", np.events - np0.events,
            " gs_ready=", np.gs_ready - np0.gs_ready, " stale=", np.stale_events - np0.stale_events,
            " breaks=", np.breaks - np0.breaks, "\n");

    // Hang up: every server G reads end of file and ends.
    for (int i = 0; i < dialled; ++i) delete clients[i];
    delete[] clients;
    s->servers.wait();
    (void)s->ln.close();
    s->acceptor.wait();
    fdprint(1, "closed: Gs still parked on sockets: ", count_parked().io, ", OS threads after: ", os_threads(), "\n");
    delete s;
}

}  // namespace tour
