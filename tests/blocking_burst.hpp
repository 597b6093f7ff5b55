// A burst of blocking syscalls, on a G: n Gs each in a 30 ms nanosleep
// through sys:: (Go's Syscall), waited for. Each takes its M into the
// kernel, and the retakes that free their Ps make more Ms: what the tests
// of idle Ms and their retirement start from.
#pragma once

#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sys/calls.hpp"

namespace rawrt::test {

inline void blocking_burst(int n) {
    rawrt::WaitGroup wg;
    wg.add(n);
    for (int i = 0; i < n; ++i)
        rawrt::go([&wg] {
            const rawrt::sys::KernelTimespec ts = {0, 30'000'000};
            (void)rawrt::sys::nanosleep(rawrt::sys::as_timespec(&ts), nullptr);
            wg.done();
        });
    wg.wait();
}

}  // namespace rawrt::test
