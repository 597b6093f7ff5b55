// The netpoller inside the scheduler: nobody calls netpoll
// by hand here. The Ms poll before stealing, one idle M waits in epoll for
// I/O and the earliest timer, a new earlier timer breaks that wait, sysmon
// polls when nobody has for 10 ms, and a run leaves no poller behind.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "netpoll/fd.hpp"
#include "netpoll/netpoll.hpp"
#include "netpoll/poll_desc.hpp"
#include "sched/go.hpp"
#include "sched/runtime2.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "tests/eventually.hpp"
#include "tests/proc_self.hpp"
#include "vdso/vdso.hpp"

namespace {

namespace np = rawrt::netpoll;
using rawrt::fd::FD;
using rawrt::test::eventually;
using rawrt::test::eventually_on_g;

int error_of(const rawrt::sys::Result<size_t>& r) { return r.ok() ? 0 : r.error().code(); }

// Every P idle, a G parked on a pipe and another asleep: exactly one M
// waits in epoll (for the read and for the timer at once); every other M is
// parked on its note. sysmon is the only other thread not parked.
TEST(NetpollSched, ExactlyOneIdleMWaitsInThePoller) {
    for (int32_t procs : {1, 4}) {
        // A hosted thread (started outside the run: glibc's threads cannot
        // be made on an M) looks while the main G sleeps, every P idle.
        std::atomic<bool> armed{false}, stop{false}, one_poller{false};
        std::atomic<int32_t> threads{0}, idle{0};
        std::thread sampler([&] {
            eventually([&] { return armed.load() || stop.load(); });
            one_poller = eventually([&] {
                             const rawrt::SchedStats s = rawrt::stats();
                             threads = s.threads;
                             idle = s.idle_threads;
                             return stop.load() || (s.idle_procs == procs && rawrt::sched::sched.lastpoll.load() == 0 &&
                                                    s.threads - s.idle_threads == 2);  // sysmon and the poller
                         }) &&
                         !stop.load();
        });
        uint64_t blocking_before = np::netpoll_stats().blocking_polls, blocking = 0;
        auto r = rawrt::run({.procs = procs}, [&] {
            FD rd, wr;
            if (!rawrt::fd::pipe(&rd, &wr).ok()) return;
            std::atomic<int> back{0};
            rawrt::go([&] {
                char c;
                (void)rd.read(&c, 1);
                back.fetch_add(1);
            });
            rawrt::go([&] {
                rawrt::sleep(3'600'000'000'000);  // outlives the run: its timer is pollUntil
            });
            eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });
            armed = true;
            for (int i = 0; i < 2000 && !one_poller; ++i) rawrt::sleep(10'000'000);
            blocking = np::netpoll_stats().blocking_polls - blocking_before;
            (void)wr.write("x", 1);
            eventually_on_g([&] { return back.load() == 1; });
            (void)rd.close();
            (void)wr.close();
        });
        stop = true;
        sampler.join();
        ASSERT_TRUE(r.ok()) << r.error().name();
        EXPECT_TRUE(one_poller) << "procs " << procs << ": threads " << threads << ", idle " << idle;
        EXPECT_GT(blocking, 0u);
    }
}

// A deadline armed by a G that then keeps its P busy (never reaching a
// scheduling point) lives on that P's timer heap; the M blocked in epoll
// with no deadline of its own must be broken out to run it (Go:
// wakeNetPoller). Without the break, the reader would wait for ever.
TEST(NetpollSched, ANewEarlierTimerBreaksThePollerSoABusyPsDeadlineFires) {
    int err = -1;
    bool fired_while_busy = false;
    auto r = rawrt::run({.procs = 2}, [&] {
        FD rd, wr;
        if (!rawrt::fd::pipe(&rd, &wr).ok()) return;
        std::atomic<bool> back{false};
        rawrt::go([&] {
            char c;
            err = error_of(rd.read(&c, 1));
            back = true;
        });
        eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });
        // Wait until an M blocks in epoll (lastpoll 0) with no timer to wake for.
        eventually_on_g([&] {
            return rawrt::sched::sched.lastpoll.load() == 0 && rawrt::sched::sched.pollUntil.load() == 0;
        });
        (void)rd.set_read_deadline(rawrt::vdso::nanotime() + 2'000'000);
        const int64_t give_up = rawrt::vdso::nanotime() + 20'000'000'000;
        while (!back.load() && rawrt::vdso::nanotime() < give_up) {
        }
        fired_while_busy = back.load();
        eventually_on_g([&] { return back.load(); });
        (void)rd.close();
        (void)wr.close();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(fired_while_busy);
    EXPECT_EQ(err, ETIMEDOUT);
    // (Usually the break did it; if the poller happened to return just
    // before the deadline was set, addtimer woke an M instead.)
}

// One P, kept busy by a G that only yields: the scheduler always finds it
// on the local queue and never reaches its own poll. A pipe written from a
// hosted thread is then noticed by sysmon's poll alone.
TEST(NetpollSched, SysmonPollsWhenTheMsDoNot) {
    bool reader_ran = false;
    uint64_t polls = 0;
    std::atomic<int> wfd{-1};
    std::atomic<bool> done{false};
    std::thread writer([&] {  // hosted, so started outside the run
        if (eventually([&] { return wfd.load() >= 0 || done.load(); }) && wfd.load() >= 0)
            (void)::write(wfd.load(), "x", 1);
    });
    auto r = rawrt::run({.procs = 1}, [&] {
        FD rd, wr;
        if (!rawrt::fd::pipe(&rd, &wr).ok()) return;
        std::atomic<bool> back{false};
        rawrt::go([&] {
            char c;
            (void)rd.read(&c, 1);
            back = true;
        });
        while (rawrt::sched::netpoll_waiter_count() != 1) rawrt::yield();
        wfd = wr.sysfd();
        const int64_t give_up = rawrt::vdso::nanotime() + 20'000'000'000;
        while (!back.load() && rawrt::vdso::nanotime() < give_up) rawrt::yield();
        reader_ran = back.load();
        polls = rawrt::stats().sysmon_polls;
        (void)rd.close();
        (void)wr.close();
    });
    done = true;
    writer.join();
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(reader_ran);
    EXPECT_GE(polls, 1u);
}

// Many Gs parked on pipes, readied by a writer G, on every P count: the
// Ms' polls (before stealing, and the blocked one) hand them all out.
TEST(NetpollSched, GsParkedOnManyPipesAllWakeWithoutAnyoneCallingNetpoll) {
    constexpr int kPipes = 200;
    for (int32_t procs : {1, 2, 4}) {
        int woke = 0;
        // Made here, not as statics on the G: a static's guard and its
        // destructor's registration are glibc's, which must not run on an M.
        FD rd[kPipes], wr[kPipes];
        auto r = rawrt::run({.procs = procs}, [&] {
            for (int i = 0; i < kPipes; ++i)
                if (!rawrt::fd::pipe(&rd[i], &wr[i]).ok()) return;
            std::atomic<int> back{0};
            for (int i = 0; i < kPipes; ++i)
                rawrt::go([&, i] {
                    char c = 0;
                    if (rd[i].read(&c, 1).ok() && c == static_cast<char>(i)) back.fetch_add(1);
                });
            eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == kPipes; });
            for (int i = kPipes - 1; i >= 0; --i) {
                const char c = static_cast<char>(i);
                (void)wr[i].write(&c, 1);
            }
            eventually_on_g([&] { return back.load() == kPipes; });
            woke = back.load();
            for (int i = 0; i < kPipes; ++i) {
                (void)rd[i].close();
                (void)wr[i].close();
            }
        });
        ASSERT_TRUE(r.ok()) << r.error().name();
        EXPECT_EQ(woke, kPipes) << "procs " << procs;
    }
}

// Every G parked, one of them locked to its thread and waiting on a pipe
// that a thread outside the run writes to later: the locked G's M sleeps
// in stoplockedm, so handing its P off must start an M to wait in the
// poller (Go's handoffp: the last P running, nobody polling). Otherwise
// no M is left running and the run ends as a deadlock (EDEADLK).
TEST(NetpollSched, ALockedGParkedInThePollerIsNoDeadlock) {
    for (int32_t procs : {1, 2}) {
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        std::atomic<bool> parked{false};
        std::thread writer([&] {
            while (!parked.load()) std::this_thread::yield();
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            (void)::write(fds[1], "x", 1);
        });
        char got = 0;
        FD rd;  // made here: see above
        auto r = rawrt::run({.procs = procs}, [&] {
            if (!rd.init(fds[0]).ok()) return;
            rawrt::WaitGroup done;
            done.add(1);
            rawrt::go([&] {
                rawrt::lock_os_thread();
                // Long enough for every other M to go idle: the read then
                // parks with no M spinning or polling.
                rawrt::sleep(20'000'000);
                parked.store(true);
                char c = 0;
                if (rd.read(&c, 1).value_or(0) == 1) got = c;
                rawrt::unlock_os_thread();
                done.done();
            });
            // The main G parks too, with no timer: nothing but the poller
            // can make either G runnable again.
            done.wait();
            (void)rd.close();
        });
        writer.join();
        ::close(fds[1]);
        ASSERT_TRUE(r.ok()) << r.error().name() << ", procs " << procs;
        EXPECT_EQ(got, 'x') << "procs " << procs;
    }
}

// The run's teardown closes the poller's epoll fd and eventfd and unmaps
// its pollDescs: nothing of it outlives the run, and the next run starts it
// afresh.
TEST(NetpollSched, ARunLeavesNoPollerBehind) {
    const int fds_before = rawrt::test::count_entries("/proc/self/fd");
    const int maps_before = rawrt::test::count_lines("/proc/self/maps");
    for (int round = 0; round < 2; ++round) {
        bool inited = false;
        auto r = rawrt::run({.procs = 2}, [&] {
            FD rd, wr;
            if (!rawrt::fd::pipe(&rd, &wr).ok()) return;
            inited = np::netpollinited();
            (void)rd.close();
            (void)wr.close();
        });
        ASSERT_TRUE(r.ok()) << r.error().name();
        EXPECT_TRUE(inited);
        EXPECT_FALSE(np::netpollinited());
    }
    EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds_before);
    EXPECT_EQ(rawrt::test::count_lines("/proc/self/maps"), maps_before);
}

}  // namespace
