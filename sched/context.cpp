// make_context, which writes a new context's first frame so that the first
// switch into it starts fn(arg) (Go: gostartcall, runtime/sys_x86.go and
// sys_arm64.go), and the fatal ends of context_start.S and mcall.S.

#include "sched/context.hpp"

#include "sys/fatal.hpp"

namespace rawrt::sched {

void make_context(Context* context, void* stack_base, size_t size, void (*fn)(void*), void* arg) {
    if (size < kMinContextStack) sys::fatal("make_context: a stack of ", size, " bytes is too small");
    const uintptr_t top = (reinterpret_cast<uintptr_t>(stack_base) + size) & ~uintptr_t{15};
    auto* frame = reinterpret_cast<ContextFrame*>(top - sizeof(ContextFrame));
    *frame = ContextFrame{};  // every other saved register starts at 0
    const auto start = reinterpret_cast<uintptr_t>(&rawrt_context_start);
#if defined(__x86_64__)
    frame->mxcsr = RAWRT_CONTEXT_DEFAULT_MXCSR;
    frame->fpcw = RAWRT_CONTEXT_DEFAULT_FPCW;
    frame->rbx = reinterpret_cast<uintptr_t>(fn);   // RAWRT_CONTEXT_FRAME_FN
    frame->r12 = reinterpret_cast<uintptr_t>(arg);  // RAWRT_CONTEXT_FRAME_ARG
    frame->rbp = 0;                                 // the frame chain ends in the trampoline
    frame->return_address = start;
#elif defined(__aarch64__)
    frame->x19 = reinterpret_cast<uintptr_t>(fn);   // RAWRT_CONTEXT_FRAME_FN
    frame->x20 = reinterpret_cast<uintptr_t>(arg);  // RAWRT_CONTEXT_FRAME_ARG
    frame->x29 = 0;                                 // the frame chain ends in the trampoline
    frame->x30 = start;
#endif
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
