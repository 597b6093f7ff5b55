// A freestanding program in which a G runs off its stack while asynchronous
// preemption is at work, for tests/sched_preempt_test.cpp (which sets
// RAWRT_DEBUG=preempt=100 and RAWRT_MAXPROCS=1). A spinning G keeps sysmon
// signalling; the overflowing G descends more slowly the deeper it is, so
// signals also land when its stack has no room left for a signal frame. The
// guard page must still be reported as Go reports it: "fatal error: stack
// overflow in goroutine 3" on stderr, exit status 2.
//
// Before the descent main prints "preempted" on stdout once it has seen a
// preemption (it gets its P back from the spinner no other way). Status 1:
// the descent came back, which it never should.

#include <atomic>
#include <cstdint>

#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "sched/stats.hpp"
#include "sys/calls.hpp"

namespace {

void say(const char* line) {
    size_t n = 0;
    while (line[n] != '\0') ++n;
    (void)rawrt::sys::write(1, line, n);
}

volatile int depth_limit = 1 << 30;

// Deep, non-tail, never inlined, a frame well under a page, and slower the
// deeper it is: most of the time goes to the last few frames.
__attribute__((noinline)) int descend(int depth) {
    volatile char frame[200];
    frame[0] = static_cast<char>(depth);
    for (int i = 0; i < depth * 512; ++i) asm volatile("" ::: "memory");
    if (depth == depth_limit) return frame[0];
    const int below = descend(depth + 1);
    asm volatile("" ::: "memory");
    return below + frame[0];
}

std::atomic<bool> started{false};

}  // namespace

int main() {
    rawrt::go([] {  // goroutine 2
        started.store(true);
        uint64_t n = 0;
        for (;;) {
            ++n;
            asm volatile("" : "+r"(n));
        }
    });
    while (!started.load()) rawrt::yield();
    if (rawrt::stats().preempted >= 1) say("preempted\n");
    rawrt::go([] {  // goroutine 3
        (void)descend(0);
        rawrt::sys::exit_group(1);
    });
    rawrt::Chan<int> never;
    (void)never.recv();
    return 1;
}
