// How the threadcount example watches its threads while a workload runs: a
// G that samples rawrt::stats().threads and the kernel's own count (the
// "Threads:" line of /proc/self/status) every millisecond and keeps the
// highest of each.
#pragma once

#include <atomic>
#include <cstdint>

#include "sched/stats.hpp"
#include "sched/sync.hpp"

namespace threadcount {

class Watch {
public:
    // Starts the sampling G and takes the counters' starting point.
    void start();
    // Stops it (waits for its last sample) and reads the counters again.
    void stop();

    int64_t peak_threads() const { return peak_threads_.load(); }  // rawrt::stats().threads
    int64_t peak_os_threads() const { return peak_os_.load(); }    // /proc/self/status
    const rawrt::SchedStats& before() const { return before_; }
    const rawrt::SchedStats& after() const { return after_; }
    int64_t made() const { return after_.threads_created - before_.threads_created; }

private:
    void sample();

    std::atomic<bool> running_{false};
    std::atomic<int64_t> peak_threads_{0};
    std::atomic<int64_t> peak_os_{0};
    rawrt::WaitGroup stopped_;
    rawrt::SchedStats before_, after_;
};

// Raises *max to v if v is higher (lock-free, from any thread or g0).
inline void raise_max(std::atomic<int64_t>* max, int64_t v) {
    int64_t seen = max->load(std::memory_order_relaxed);
    while (v > seen && !max->compare_exchange_weak(seen, v, std::memory_order_relaxed)) {
    }
}

}  // namespace threadcount
