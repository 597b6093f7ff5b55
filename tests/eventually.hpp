// Waiting in a test for something the runtime will do, bounded so that a
// runtime that never does it fails the test instead of hanging it. What is
// awaited is a state or a counter (sysmon's passes, a flag), never a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

#include "sched/time.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::test {

// On a hosted thread: polls cond until it holds; false after `limit`.
template <class Cond>
bool eventually(Cond cond, std::chrono::seconds limit = std::chrono::seconds(30)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!cond()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
}

// The same on a G: parks with rawrt::sleep between polls (every poll_ns)
// and reads rawrt's clock (no libc on runtime threads).
template <class Cond>
bool eventually_on_g(Cond cond, int64_t limit_ns = 30'000'000'000, int64_t poll_ns = 50'000) {
    const int64_t end = rawrt::vdso::nanotime() + limit_ns;
    while (!cond()) {
        if (rawrt::vdso::nanotime() > end) return false;
        rawrt::sleep(poll_ns);
    }
    return true;
}

}  // namespace rawrt::test
