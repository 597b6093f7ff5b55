// Futex notes and the runtime mutex (locks/lock_futex.hpp), exercised from plain glibc threads: both
// are the scheduler's thread-level primitives and must work on any thread.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "locks/lock_futex.hpp"

namespace {

using namespace rawrt::locks;

TEST(Note, WakeupBeforeSleepLetsTheSleepReturnAtOnce) {
    note n;
    notewakeup(&n);
    notesleep(&n);
    EXPECT_TRUE(notetsleep(&n, 0));
    EXPECT_EQ(n.key.load(), 1u);
}

TEST(Note, SleeperIsWokenByAnotherThread) {
    for (int round = 0; round < 200; ++round) {
        note n;
        std::atomic<bool> woke{false};
        std::thread sleeper([&] {
            notesleep(&n);
            woke = true;
        });
        notewakeup(&n);
        sleeper.join();
        EXPECT_TRUE(woke);
    }
}

TEST(Note, TimedSleepReportsATimeoutWhenNobodyWakes) {
    note n;
    EXPECT_FALSE(notetsleep(&n, 1000000));  // 1 ms
    EXPECT_FALSE(notetsleep(&n, 0));
}

TEST(Note, TimedSleepReportsTheWakeup) {
    note n;
    std::thread waker([&] { notewakeup(&n); });
    EXPECT_TRUE(notetsleep(&n, 60'000'000'000));  // a minute: the wakeup ends it
    waker.join();
}

TEST(Note, ClearMakesTheNoteReusable) {
    note n;
    notewakeup(&n);
    noteclear(&n);
    EXPECT_FALSE(notetsleep(&n, 0));
    notewakeup(&n);
    EXPECT_TRUE(notetsleep(&n, 0));
}

TEST(NoteDeathTest, DoubleWakeupIsFatal) {
    EXPECT_EXIT(
        {
            note n;
            notewakeup(&n);
            notewakeup(&n);
        },
        testing::ExitedWithCode(2), "fatal error: notewakeup - double wakeup");
}

TEST(RuntimeMutex, ExcludesAcrossThreads) {
    mutex mu;
    long counter = 0;  // deliberately not atomic: the lock must protect it
    constexpr int kThreads = 4;
    constexpr int kIncrements = 50000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kIncrements; ++i) {
                lock(&mu);
                ++counter;
                unlock(&mu);
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(counter, long{kThreads} * kIncrements);
    EXPECT_EQ(mu.key.load(), 0u);
}

TEST(RuntimeMutex, AWaiterThatSleptIsWokenByUnlock) {
    mutex mu;
    lock(&mu);
    std::atomic<bool> got{false};
    std::thread waiter([&] {
        lock(&mu);
        got = true;
        unlock(&mu);
    });
    // Once the waiter has given up spinning it marks the key "sleeping" (2);
    // only then does unlock have someone to wake through the futex.
    while (mu.key.load() != 2u) std::this_thread::yield();
    EXPECT_FALSE(got);
    unlock(&mu);
    waiter.join();
    EXPECT_TRUE(got);
    EXPECT_EQ(mu.key.load(), 0u);
}

TEST(RuntimeMutexDeathTest, UnlockOfAnUnlockedMutexIsFatal) {
    EXPECT_EXIT(
        {
            mutex mu;
            unlock(&mu);
        },
        testing::ExitedWithCode(2), "fatal error: unlock of unlocked lock");
}

}  // namespace
