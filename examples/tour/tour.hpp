// The tour: one section per layer of rawrt, each showing its mechanism at
// work and printing what it measured. `make run` builds and runs it.
#pragma once

#include <cstdint>

namespace tour {

// Section 1: the syscall stubs and the vDSO (foundation).
void foundation();

// Section 2: Gs blocked on a channel, a Mutex and timers park while their M
// keeps running other Gs (the seed's scenario 1).
void scheduler();

// Section 3: the seed's decision tree, the four ways a G blocks, each with
// what the scheduler did (Ms, syscall exits, handoffs, retakes, Gs parked).
void syscalls();

// Section 4: thousands of Gs parked on sockets in the netpoller while the
// OS thread count stays flat, then a burst of messages through all of them
// (the seed's scenario 2).
void network();

// Nanoseconds per call of fn, the best of a few rounds of `calls` calls:
// the minimum is the figure least disturbed by a noisy machine.
template <class Fn>
int64_t ns_per_call(int64_t (*now)(), Fn fn, int calls) {
    int64_t best = INT64_MAX;
    for (int round = 0; round < 5; ++round) {
        int64_t start = now();
        for (int i = 0; i < calls; ++i) fn();
        int64_t per_call = (now() - start) / calls;
        if (per_call < best) best = per_call;
    }
    return best;
}

}  // namespace tour
