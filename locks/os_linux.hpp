// The few OS services the scheduler asks of Linux directly, under Go's names
// (runtime/os_linux.go). All of them use the raw flavour: the scheduler's own
// waits must never re-enter the scheduler through entersyscall.
#pragma once

#include <atomic>
#include <cstdint>

namespace rawrt::locks {

// Sleeps while *addr == val, at most ns nanoseconds when ns >= 0. Returns on
// a wakeup, a timeout, a signal, or at once when *addr != val: callers
// re-check their word, as Go's do.
void futexsleep(std::atomic<uint32_t>* addr, uint32_t val, int64_t ns);

// Wakes up to `count` threads sleeping on addr. A failure here means the
// word is not a futex at all: fatal, as in Go.
void futexwakeup(std::atomic<uint32_t>* addr, uint32_t count);

// Every futex call futexsleep and futexwakeup have made (relaxed): the
// kernel entries the runtime's own waits cost, which tests count.
uint64_t futex_calls();

// The CPUs this process may run on (sched_getaffinity), at least 1: the
// default number of Ps.
int32_t getproccount();

// Gives up the CPU to another thread (sched_yield).
void osyield();

}  // namespace rawrt::locks
