// Network I/O never holds an M: 10 000 connections, each
// served by a G parked in read, cost no more OS threads than a handful of
// connections would: at most procs + 3 (the Ms holding Ps, sysmon, the M
// waiting in epoll, and one in passing). The clients are another process
// (tests/programs/net_clients.cpp): each end needs a descriptor per
// connection, and RLIMIT_NOFILE (20 000 here) cannot hold both.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "netpoll/net.hpp"
#include "netpoll/poll_desc.hpp"
#include "sched/go.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "tests/child_process.hpp"
#include "tests/eventually.hpp"
#include "tests/g_heap.hpp"
#include "tests/proc_self.hpp"
#include "vdso/vdso.hpp"

namespace {

using rawrt::net::Conn;
using rawrt::net::Listener;
using rawrt::test::eventually;
using rawrt::test::eventually_on_g;

TEST(NetMany, TenThousandParkedConnectionsRunOnAtMostProcsPlusThreeThreads) {
    // An emulated CPU (qemu-user, the VM step) makes every syscall slow:
    // fewer connections there, the same bound.
    const int conns = rawrt::test::emulated() ? 1000 : 10000;
    constexpr int kRounds = 3;
    constexpr int32_t kProcs = 2;
    const int fds_before = rawrt::test::count_entries("/proc/self/fd");

    std::atomic<int> port{0};  // 0: not yet; -1: the server gave up
    rawrt::test::ChildResult client;
    std::thread launcher([&] {  // a hosted thread: made before the run
        if (!eventually([&] { return port.load() != 0; }) || port.load() < 0) return;
        client = rawrt::test::run_program(rawrt::test::build_path("tests/programs/net_clients") +
                                          " 127.0.0.1:" + std::to_string(port.load()) + " " + std::to_string(conns) +
                                          " " + std::to_string(kRounds));
    });

    int accepted = 0, all_parked = 0;
    int32_t threads_parked = 0, threads_max = 0;
    int64_t echoed = 0;
    auto r = rawrt::run({.procs = kProcs}, [&] {
        Listener ln;
        if (!rawrt::net::listen("tcp4", "127.0.0.1:0", &ln).ok()) {
            port = -1;
            return;
        }
        auto** served = rawrt::test::g_new_array<Conn*>(conns);
        for (int i = 0; i < conns; ++i) served[i] = nullptr;
        std::atomic<int64_t> bytes{0};
        rawrt::WaitGroup done;
        done.add(conns);
        // A client that dies half-way must not leave accept waiting for ever.
        (void)ln.set_deadline(rawrt::vdso::nanotime() + 300'000'000'000);
        port = ln.addr().port();
        for (int i = 0; i < conns; ++i) {
            served[i] = rawrt::test::g_new<Conn>();
            if (!ln.accept(served[i]).ok()) break;
            ++accepted;
            rawrt::go([&bytes, &done, c = served[i]] {
                char buf[64];
                for (;;) {
                    auto n = c->read(buf, sizeof buf);
                    if (!n.ok() || n.value() == 0) break;
                    if (!c->write(buf, n.value()).ok()) break;
                    bytes.fetch_add(static_cast<int64_t>(n.value()));
                }
                done.done();
            });
        }
        // Every connection's G parked in read at once: count the threads.
        if (eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == static_cast<uint32_t>(conns); }))
            all_parked = 1;
        threads_parked = rawrt::stats().threads;
        // Wake them all: each client waits for this byte, then talks.
        for (int i = 0; i < accepted; ++i) (void)served[i]->write("g", 1);
        for (int i = accepted; i < conns; ++i) done.done();
        done.wait();
        echoed = bytes.load();
        threads_max = rawrt::stats().threads_max;
        for (int i = 0; i < conns; ++i) rawrt::test::g_delete(served[i]);
        rawrt::free(served);
    });
    if (port.load() == 0) port = -1;
    launcher.join();
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(accepted, conns);
    EXPECT_EQ(all_parked, 1);
    EXPECT_EQ(client.exit_status, 0) << client.output;
    EXPECT_NE(client.output.find("ok " + std::to_string(conns)), std::string::npos) << client.output;
    EXPECT_EQ(echoed, int64_t{conns} * kRounds * 32);
    EXPECT_LE(threads_parked, kProcs + 3);
    EXPECT_LE(threads_max, kProcs + 3);
    EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds_before);
}

}  // namespace
