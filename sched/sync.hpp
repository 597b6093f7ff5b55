// Locks and counters that park Gs, never Ms (Go's sync.Mutex, sync.WaitGroup,
// and a counting semaphore like golang.org/x/sync/semaphore). All of them
// wait through the runtime semaphores of sched/sema.hpp; use them only from
// Gs.
//
//   rawrt::WaitGroup wg;
//   wg.add(n);
//   for (...) rawrt::go([&] { work(); wg.done(); });
//   wg.wait();
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/sema.hpp"

namespace rawrt {

// Mutual exclusion between Gs. A G that finds it locked parks, FIFO, and is
// handed the lock by unlock. Not recursive.
class Mutex {
public:
    void lock() {
        if (state_.fetch_add(1, std::memory_order_acquire) != 0) sched::semacquire(&sema_);
    }
    void unlock() {
        if (state_.fetch_sub(1, std::memory_order_release) != 1) sched::semrelease(&sema_);
    }
    bool try_lock() {
        uint32_t expected = 0;
        return state_.compare_exchange_strong(expected, 1, std::memory_order_acquire);
    }

private:
    std::atomic<uint32_t> state_{0};  // the holder plus the waiters
    uint32_t sema_ = 0;               // hand-offs to waiters
};

// Go's sync.WaitGroup: wait() parks until the counter is back to zero.
class WaitGroup {
public:
    // A negative counter is a fatal error ("sync: negative WaitGroup counter").
    void add(int32_t delta);
    void done() { add(-1); }
    void wait();

private:
    std::atomic<uint64_t> state_{0};  // high 32 bits: counter; low 32: waiters
    uint32_t sema_ = 0;
};

// A counting semaphore: acquire parks while the count is zero.
class Semaphore {
public:
    explicit Semaphore(uint32_t count) : count_(count) {}
    void acquire() { sched::semacquire(&count_); }
    void release() { sched::semrelease(&count_); }

private:
    uint32_t count_;
};

}  // namespace rawrt
