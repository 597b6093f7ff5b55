// Asymmetric fences, for the Dekker pairs between the syscall paths (run
// millions of times a second) and sysmon (a few times per tick): the frequent
// side pays a compiler barrier, the rare side membarrier(2), which makes
// every running thread of the process execute a full barrier before it
// returns. Each pair is "I store, fence, then load what the other stored":
// with one side's fence made heavy, at least one of the two loads still sees
// the other's store, as with two full fences.
//
// Without MEMBARRIER_CMD_PRIVATE_EXPEDITED (before Linux 4.14, or refused),
// or with RAWRT_DEBUG=membarrier=0, both sides use a full fence.
#pragma once

#include <atomic>

namespace rawrt::sched {

// Chosen when a run starts, before any M exists, and fixed for the run: the
// two sides of a pair must agree.
extern bool asymfence_heavy_is_membarrier;

// The frequent side's fence.
inline void light_fence() {
    if (asymfence_heavy_is_membarrier) std::atomic_signal_fence(std::memory_order_seq_cst);
    else std::atomic_thread_fence(std::memory_order_seq_cst);
}

// The rare side's fence: orders this thread's earlier stores before its later
// loads as seen by every thread that runs light_fence.
void heavy_fence();

// Run start: registers the process for membarrier when `want` and the kernel
// has it. Returns whether light_fence is a compiler barrier for this run.
bool asymfence_init(bool want);

}  // namespace rawrt::sched
