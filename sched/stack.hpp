// Goroutine stacks (Go: runtime/stack.go's stackalloc / stackfree, with its
// stackpool and per-P stackcache). Every stack has an inaccessible guard page
// just below lo, so running off its end faults (and sched/signal_unix.cpp
// reports "stack overflow") instead of corrupting a neighbour.
//
// Stacks are carved out of large shared mappings ("chunks"), never one mmap
// each: a munmap costs tens of microseconds of TLB shootdown, and every
// mapping costs a VMA out of vm.max_map_count (65530 by default).
//
//   chunk:  | header | guard | stack 0 | guard | stack 1 | ... |
//             4 KiB    4 KiB   size      4 KiB   size
//
// A guard is installed when its slot is first handed out, with
// madvise(MADV_GUARD_INSTALL) (Linux 6.13+: a page-table marker, no VMA of
// its own) or, where that is missing or silently ignored (qemu-user answers
// 0 to every madvise and does nothing), with mprotect(PROT_NONE), which
// splits the chunk: two VMAs per stack, so about 32 000 stacks at most.
//
// Freed stacks go to a per-P cache (lock-free for the P's owner), spilling
// half to the global pool under a lock when it fills. Nothing goes back to
// the OS before stack_free_all(), which run()'s teardown calls once every M
// has been joined.
#pragma once

#include <cstddef>

#include "sched/runtime2.hpp"

namespace rawrt::sched {

inline constexpr size_t kDefaultStackSize = 64 * 1024;
inline constexpr size_t kStackGuardSize = 4096;  // one page below every stack

// A stack of `size` bytes (a multiple of the page size) with its guard page
// below lo. Fatal when the kernel refuses the memory (Go: "out of memory")
// or the guard. At most kNumStackClasses distinct sizes per run.
Stack stackalloc(size_t size);
// Returns a stack from stackalloc for reuse; its memory stays mapped.
void stackfree(Stack stk);
// Unmaps every chunk: every stack stackalloc ever returned is gone. Only
// when no thread can still be running on one (run()'s teardown).
void stack_free_all();

// How guard pages are made in this process (decided once, by probing).
enum class StackGuardKind { madvise, mprotect };
StackGuardKind stack_guard_kind();

}  // namespace rawrt::sched
