// The scheduler core through rawrt::run from a glibc thread: Gs start, yield,
// spread over Ps; a run ends with a full teardown and can be repeated; a run
// in which nothing can ever run again reports a deadlock. Runtime threads
// never call gtest or libc: they record into plain memory, and the test
// asserts after run returns.

#include <gtest/gtest.h>

#include <atomic>

#include "sched/go.hpp"
#include "sched/proc.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sys/calls.hpp"
#include "sys/consts.hpp"
#include "tests/child_process.hpp"
#include "tests/proc_self.hpp"

namespace {

using rawrt::test::count_entries;
using rawrt::test::count_lines;

struct ProcessFootprint {
    int tasks = count_entries("/proc/self/task");
    int maps = count_lines("/proc/self/maps");
    int fds = count_entries("/proc/self/fd");
};

TEST(SchedRun, RunsTheMainFunctionAsAG) {
    int64_t main_goid = 0;
    bool on_a_g = false;
    auto r = rawrt::run({.procs = 1}, [&] {
        main_goid = rawrt::goid();
        on_a_g = rawrt::sched::getg() != nullptr && rawrt::sched::getm() != nullptr;
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(main_goid, 1);
    EXPECT_TRUE(on_a_g);
    EXPECT_EQ(rawrt::goid(), 0) << "the caller is not a G";
}

TEST(SchedRun, HundredThousandGsAllRunOnce) {
    for (int procs : {1, 2}) {
        constexpr int kGs = 100000;
        // Under qemu-user stack guards are mprotect'd (two VMAs each, about
        // 32 000 live stacks at most): there the Gs are started 10 000 at a
        // time, each batch finishing before the next (finished Gs are reused).
        const int batch = rawrt::test::under_qemu() ? 10000 : kGs;
        std::atomic<int> ran{0};
        auto r = rawrt::run({.procs = procs}, [&] {
            for (int i = 0; i < kGs; ++i) {
                rawrt::go([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
                if ((i + 1) % batch == 0)
                    while (ran.load() != i + 1) rawrt::yield();
            }
            while (ran.load() != kGs) rawrt::yield();
        });
        ASSERT_TRUE(r.ok()) << r.error().name();
        EXPECT_EQ(ran.load(), kGs) << procs << " Ps";
    }
}

TEST(SchedRun, YieldInterleavesGsOnOneP) {
    // Two Gs on one P that yield after every step: the steps alternate. The
    // second one starts first: a new G goes into runnext, as in Go.
    char trace[64] = {};
    std::atomic<int> n{0};
    std::atomic<int> done{0};
    auto r = rawrt::run({.procs = 1}, [&] {
        for (char c : {'a', 'b'})
            rawrt::go([&, c] {
                for (int i = 0; i < 8; ++i) {
                    trace[n.fetch_add(1)] = c;
                    rawrt::yield();
                }
                done.fetch_add(1);
            });
        while (done.load() != 2) rawrt::yield();
    });
    ASSERT_TRUE(r.ok());
    EXPECT_STREQ(trace, "babababababababa");
}

TEST(SchedRun, WorkIsStolenByTheOtherPs) {
    // Fewer than a local run queue holds: none spills to the global queue,
    // where P 1 could take them without stealing (as it did once the
    // spawner got fast enough to spill early).
    constexpr int kGs = 200;
    static_assert(kGs < static_cast<int>(rawrt::sched::kRunqSize));
    std::atomic<int> ran_on[2] = {};
    std::atomic<int> finished{0};
    uint64_t steals = 0;
    auto r = rawrt::run({.procs = 2}, [&] {
        for (int i = 0; i < kGs; ++i)
            rawrt::go([&] {
                // Enough work per G that one P cannot drain them all before
                // the other M starts and steals.
                volatile uint64_t x = 0;
                for (int k = 0; k < 100000; ++k) x = x + k;
                ran_on[rawrt::sched::getm()->p->id].fetch_add(1);
                finished.fetch_add(1);
            });
        while (finished.load() != kGs) rawrt::yield();
        for (int i = 0; i < rawrt::sched::sched.gomaxprocs; ++i) steals += rawrt::sched::allp[i]->stats_steals;
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(ran_on[0] + ran_on[1], kGs);
    EXPECT_GT(ran_on[1].load(), 0) << "P 1 ran nothing";
    EXPECT_GT(steals, 0u);
}

// An M's timed waits (in the poller, on a note, sysmon's ticks) are for
// timers, whose timing is their point: every M runs with 1 ns of timer
// slack, not Linux's 50 µs. Gs on several Ms read their thread's slack, and
// blocking syscalls among them make the scheduler start more Ms; the thread
// that called run() keeps its own.
TEST(SchedRun, EveryMWaitsWithOneNanosecondOfTimerSlack) {
    namespace sys = rawrt::sys;
    const long caller_before = sys::raw::prctl(sys::kPR_GET_TIMERSLACK, 0).value();
    constexpr int kGs = 64;
    std::atomic<long> slack[kGs];
    std::atomic<int> tid[kGs];
    auto r = rawrt::run({.procs = 2}, [&] {
        rawrt::WaitGroup wg;
        wg.add(kGs);
        for (int i = 0; i < kGs; ++i) {
            rawrt::go([&, i] {
                const sys::KernelTimespec ms = {0, 1'000'000};
                if (i % 4 == 0) (void)sys::nanosleep(sys::as_timespec(&ms), nullptr);  // a handoff: more Ms
                auto s = sys::raw::prctl(sys::kPR_GET_TIMERSLACK, 0);
                slack[i] = s.ok() ? s.value() : -1;
                tid[i] = sys::raw::gettid().value();
                wg.done();
            });
        }
        wg.wait();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    for (int i = 0; i < kGs; ++i) EXPECT_EQ(slack[i].load(), 1) << "G " << i << " on thread " << tid[i].load();
    EXPECT_EQ(sys::raw::prctl(sys::kPR_GET_TIMERSLACK, 0).value(), caller_before);
    EXPECT_NE(caller_before, 1) << "the test thread already had rawrt's slack: the test proves nothing";
}

// An M that gives up its P is awake, and on no list, until it parks; a
// startm meanwhile (a G started for the P it just gave up) finds the idle
// list empty, and Go's makes a thread. rawrt's hands that M the P. With 2
// Ps, the main G starts a G and spins until it has run, again and again:
// each time the other P's M runs it, gives its P up and heads for the idle
// list as the next G is started. Ms: the main G's, sysmon and that one (4
// in every run of 20 000 rounds here without the hand-over, 3 with it).
TEST(SchedRun, AnMOnItsWayToTheIdleListIsHandedThePInsteadOfANewThread) {
    const int kRounds = rawrt::test::emulated() ? 2'000 : 20'000;
    rawrt::SchedStats s;
    auto r = rawrt::run({.procs = 2}, [&] {
        for (int i = 0; i < kRounds; ++i) {
            std::atomic<bool> ran{false};
            rawrt::go([&] { ran = true; });
            while (!ran.load()) {
            }
        }
        s = rawrt::stats();
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(s.threads_created, 3) << s.threads_spared << " Ps handed to an M on its way to the idle list";
}

TEST(SchedRun, RepeatedRunsLeaveNoThreadMappingOrDescriptor) {
    ProcessFootprint before;
    for (int round = 0; round < 3; ++round) {
        std::atomic<int> ran{0};
        auto r = rawrt::run({.procs = 2}, [&] {
            for (int i = 0; i < 1000; ++i) rawrt::go([&] { ran.fetch_add(1); });
            while (ran.load() != 1000) rawrt::yield();
        });
        ASSERT_TRUE(r.ok());
    }
    ProcessFootprint after;
    // Fewer is no leak: a thread of an earlier test (or qemu-user's own) may
    // still have been ending when before was counted.
    EXPECT_LE(after.tasks, before.tasks);
    EXPECT_EQ(after.maps, before.maps);
    EXPECT_EQ(after.fds, before.fds);
}

TEST(SchedRun, AMainGThatCanNeverWakeIsADeadlock) {
    auto r = rawrt::run({.procs = 2}, [] {
        rawrt::go([] { rawrt::sched::gopark(nullptr, nullptr, "test: forever"); });
        rawrt::sched::gopark(nullptr, nullptr, "test: forever");
    });
    ASSERT_FALSE(r.ok());
    EXPECT_STREQ(r.error().name(), "EDEADLK");
    // And the runtime is usable again afterwards.
    bool ran = false;
    EXPECT_TRUE(rawrt::run({.procs = 1}, [&] { ran = true; }).ok());
    EXPECT_TRUE(ran);
}

TEST(SchedRun, BadConfigurationsAreRejected) {
    EXPECT_STREQ(rawrt::run({.procs = -1}, [] {}).error().name(), "EINVAL");
    EXPECT_STREQ(rawrt::run({.stack_size = 1000}, [] {}).error().name(), "EINVAL");
}

TEST(SchedRun, RunFromInsideARunIsRefused) {
    bool refused = false;
    auto r = rawrt::run({.procs = 1}, [&] { refused = !rawrt::run({}, [] {}).ok(); });
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(refused);
}

}  // namespace
