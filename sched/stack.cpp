#include "sched/stack.hpp"

#include <linux/mman.h>

#include "sys/calls.hpp"
#include "sys/fatal.hpp"

namespace rawrt::sched {
namespace {

constexpr size_t kGuardSize = 4096;
constexpr int kMadvGuardInstall = 102;  // MADV_GUARD_INSTALL, Linux 6.13+

}  // namespace

Stack stackalloc(size_t size) {
    auto mapping = sys::raw::mmap(nullptr, kGuardSize + size, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (!mapping.ok()) sys::fatal("stackalloc: out of memory (", size, " bytes: ", mapping.error(), ")");
    auto* base = static_cast<char*>(mapping.value());
    // A guard installed by madvise costs no VMA of its own; older kernels
    // refuse the advice and get an mprotect'd page instead.
    if (!sys::raw::madvise(base, kGuardSize, kMadvGuardInstall).ok())
        (void)sys::raw::mprotect(base, kGuardSize, PROT_NONE);
    const auto lo = reinterpret_cast<uintptr_t>(base) + kGuardSize;
    return Stack{lo, lo + size};
}

void stackfree(Stack stk) {
    (void)sys::raw::munmap(reinterpret_cast<void*>(stk.lo - kGuardSize), kGuardSize + (stk.hi - stk.lo));
}

}  // namespace rawrt::sched
