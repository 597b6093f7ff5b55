// Blocking that never holds an M: Mutex, WaitGroup, Semaphore and sleep park
// the G and let its M run others. Runtime threads record into plain memory;
// the asserts come after run returns.

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "sched/go.hpp"
#include "sched/sema.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "vdso/vdso.hpp"

namespace {

TEST(SchedSync, MutexExcludesAcrossPs) {
    constexpr int kGs = 200, kIncrements = 500;
    long counter = 0;  // deliberately not atomic: the Mutex must protect it
    auto r = rawrt::run({.procs = 2}, [&] {
        rawrt::Mutex mu;
        rawrt::WaitGroup wg;
        wg.add(kGs);
        for (int i = 0; i < kGs; ++i)
            rawrt::go([&] {
                for (int k = 0; k < kIncrements; ++k) {
                    mu.lock();
                    long seen = counter;
                    if (k % 16 == 0) rawrt::yield();  // hold it across a reschedule
                    counter = seen + 1;
                    mu.unlock();
                }
                wg.done();
            });
        wg.wait();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(counter, long{kGs} * kIncrements);
}

TEST(SchedSync, WaitGroupWaitsForEveryG) {
    constexpr int kGs = 1000;
    std::atomic<int> done_before_wait_returned{-1};
    std::atomic<int> done{0};
    auto r = rawrt::run({.procs = 2}, [&] {
        rawrt::WaitGroup wg;
        wg.add(kGs);
        for (int i = 0; i < kGs; ++i)
            rawrt::go([&] {
                rawrt::yield();
                done.fetch_add(1);
                wg.done();
            });
        wg.wait();
        done_before_wait_returned = done.load();
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(done_before_wait_returned.load(), kGs);
}

TEST(SchedSync, SemaphoreBoundsConcurrency) {
    constexpr int kGs = 100, kLimit = 3;
    std::atomic<int> inside{0}, most_inside{0};
    auto r = rawrt::run({.procs = 2}, [&] {
        rawrt::Semaphore sem(kLimit);
        rawrt::WaitGroup wg;
        wg.add(kGs);
        for (int i = 0; i < kGs; ++i)
            rawrt::go([&] {
                sem.acquire();
                int now = inside.fetch_add(1) + 1;
                int seen = most_inside.load();
                while (now > seen && !most_inside.compare_exchange_weak(seen, now)) {
                }
                rawrt::yield();
                inside.fetch_sub(1);
                sem.release();
                wg.done();
            });
        wg.wait();
    });
    ASSERT_TRUE(r.ok());
    EXPECT_LE(most_inside.load(), kLimit);
    EXPECT_GE(most_inside.load(), 1);
}

TEST(SchedSync, SleepWakesInOrderAndNeverEarly) {
    // Gs sleep 5, 4, ..., 1 ms: they wake in the opposite order, each no
    // earlier than asked (a lower bound is correctness, not speed).
    constexpr int kGs = 5;
    int order[kGs] = {};
    bool early[kGs] = {};
    std::atomic<int> n{0};
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::WaitGroup wg;
        wg.add(kGs);
        for (int i = 0; i < kGs; ++i)
            rawrt::go([&, i] {
                const int64_t ns = (kGs - i) * 1'000'000;
                const int64_t start = rawrt::vdso::nanotime();
                rawrt::sleep(ns);
                early[i] = rawrt::vdso::nanotime() - start < ns;
                order[n.fetch_add(1)] = i;
                wg.done();
            });
        wg.wait();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    for (int i = 0; i < kGs; ++i) {
        EXPECT_EQ(order[i], kGs - 1 - i);
        EXPECT_FALSE(early[i]) << i;
    }
}

TEST(SchedSync, ASleepingGDoesNotHoldItsM) {
    // One P: while one G sleeps, the other runs to completion. The sleep
    // outlasts any machine's 100 yields by far (a short one made this a
    // race with a loaded qemu), and the run ends without waiting for it.
    std::atomic<int> steps{0};
    int worker_done_at = -1;
    bool sleeper_still_asleep = false;
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::WaitGroup worker;
        worker.add(1);
        rawrt::go([&] {
            rawrt::sleep(60'000'000'000);  // held the M: the worker would finish second
            steps.fetch_add(1);
        });
        rawrt::go([&] {
            for (int i = 0; i < 100; ++i) rawrt::yield();
            worker_done_at = steps.fetch_add(1);
            worker.done();
        });
        worker.wait();
        sleeper_still_asleep = steps.load() == 1;
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(worker_done_at, 0);
    EXPECT_TRUE(sleeper_still_asleep);
}

TEST(SchedSync, OnlySleepingGsIsNotADeadlock) {
    bool woke = false;
    auto r = rawrt::run({.procs = 2}, [&] {
        rawrt::sleep(1'000'000);
        woke = true;
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(woke);
}

TEST(SchedSync, GsBlockedOnAMutexForeverAreADeadlock) {
    auto r = rawrt::run({.procs = 2}, [] {
        static rawrt::Mutex mu;
        mu.lock();
        rawrt::go([] { mu.lock(); });
        mu.lock();  // never unlocked
    });
    ASSERT_FALSE(r.ok());
    EXPECT_STREQ(r.error().name(), "EDEADLK");
}

TEST(SchedSyncDeathTest, NegativeWaitGroupCounterIsFatal) {
    EXPECT_EXIT((void)rawrt::run(
                    {.procs = 1},
                    [] {
        rawrt::WaitGroup wg;
        wg.done();
                    }),
                testing::ExitedWithCode(2), "fatal error: sync: negative WaitGroup counter");
}

}  // namespace

namespace {
// Two counters 251 words apart hash to the same semaphore root.
uint32_t sema_words[2 * 251 + 1];
}  // namespace

TEST(SchedSync, AGLeftParkedOnASemaphoreDoesNotHauntTheNextRun) {
    uint32_t* left = &sema_words[0];
    uint32_t* same_root = &sema_words[2 * 251];
    // Run 1 ends with a G parked on `left`: its sudog lived on a stack that
    // the teardown unmaps.
    auto r1 = rawrt::run({.procs = 1}, [&] {
        rawrt::go([&] { rawrt::sched::semacquire(left); });
        rawrt::yield();
    });
    ASSERT_TRUE(r1.ok());
    EXPECT_EQ(rawrt::sched::sem_waiters(same_root), 0u) << "the parked G's sudog outlived its run";
    // Run 2 releases a counter in the same root: it must find nobody there
    // (walking the old run's sudog would fault).
    bool acquired = false;
    auto r2 = rawrt::run({.procs = 1}, [&] {
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            rawrt::sched::semacquire(same_root);
            acquired = true;
            wg.done();
        });
        rawrt::yield();
        rawrt::sched::semrelease(same_root);
        wg.wait();
    });
    ASSERT_TRUE(r2.ok());
    EXPECT_TRUE(acquired);
}
