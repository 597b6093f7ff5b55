// Goroutine stacks (Go: runtime/stack.go's stackalloc / stackfree): mmap'd,
// each with an inaccessible guard page just below it so that running off the
// end faults instead of corrupting a neighbour.
#pragma once

#include <cstddef>

#include "sched/runtime2.hpp"

namespace rawrt::sched {

inline constexpr size_t kDefaultStackSize = 64 * 1024;

// A stack of `size` bytes (a multiple of the page size) with its guard page
// below lo. Fatal when the kernel refuses the memory (Go: "out of memory").
Stack stackalloc(size_t size);
// Returns a stack from stackalloc.
void stackfree(Stack stk);

}  // namespace rawrt::sched
