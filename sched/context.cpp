// make_context, which writes a new context's first frame so that the first
// switch into it starts fn(arg) (Go: gostartcall, runtime/sys_x86.go and
// sys_arm64.go), and the fatal ends of context_start.S and mcall.S.

#include "sched/context.hpp"

#include <cstdint>

#include "sys/fatal.hpp"

namespace rawrt::sched {

void make_context(Context* context, void* stack_base, size_t size, void (*fn)(void*), void* arg) {
    if (size < kMinContextStack) sys::fatal("make_context: a stack of ", size, " bytes is too small");
    const uintptr_t top = (reinterpret_cast<uintptr_t>(stack_base) + size) & ~uintptr_t{15};
    auto* frame = reinterpret_cast<arch::ContextFrame*>(top - sizeof(arch::ContextFrame));
    arch::write_first_frame(frame, reinterpret_cast<uintptr_t>(&rawrt_context_start), reinterpret_cast<uintptr_t>(fn),
                            reinterpret_cast<uintptr_t>(arg));
    // The trampoline starts with sp = top: 16-byte aligned, as a call needs.
    context->sp = frame;
}

}  // namespace rawrt::sched

// The fatal paths of context_start.S and mcall.S (declared in arch/arch.hpp).
// Go says "mcall function returned" for the second; a G whose function
// returns cannot happen in Go (goexit is its return address).

extern "C" void rawrt_context_returned() {
    rawrt::sys::fatal("a context's function returned (it must switch away for good instead)");
}

extern "C" void rawrt_mcall_returned() { rawrt::sys::fatal("mcall function returned"); }
