// Execution contexts: the C++ side of arch/<arch>/context_switch.S, gogo.S,
// mcall.S, systemstack.S and context_start.S.
//
// A context is one word, the stack pointer of a suspended flow of control;
// its callee-saved registers sit in a frame on its own stack (layout in
// arch/offsets.hpp, RAWRT_CONTEXT_FRAME_*). The scheduler keeps one in every
// G (Go's g.sched) and in every M's g0:
//
//   make_context(&g->context, stack, size, fn, arg)   a G that will run fn(arg)
//   rawrt_context_switch(&from->context, &to->context) suspend one, resume another
//   rawrt_gogo(&g->context)                           Go's gogo: resume, save nothing
//   rawrt_mcall(&g->context, g0_top, fn, g)           Go's mcall: save, fn(g) on g0
//   rawrt_systemstack(g0_top, fn, arg)                Go's systemstack: fn(arg) on g0
//
// make_context writes a frame that looks like one rawrt_context_switch saved,
// with rawrt_context_start as its return address and fn/arg in two callee-
// saved slots; the first switch into it "returns" into the trampoline, which
// calls fn(arg). fn must never return (a G's fn ends by switching away for
// good): if it does, the process dies with "fatal error: ..." and status 2.
#pragma once

#include <cstddef>
#include <cstdint>

#include "arch/arch.hpp"
#include "arch/offsets.hpp"

namespace rawrt::sched {

using Context = rawrt_context;

// The saved frame, field by field, as the assembly stores it.
struct ContextFrame {
#if defined(__x86_64__)
    uint32_t mxcsr;
    uint16_t fpcw;
    uint16_t padding;
    uintptr_t r12, r13, r14, r15, rbx, rbp;
    uintptr_t return_address;
#elif defined(__aarch64__)
    uintptr_t x29, x30;
    uintptr_t x19, x20, x21, x22, x23, x24, x25, x26, x27, x28;
    uint64_t d8, d9, d10, d11, d12, d13, d14, d15;  // bit patterns of the doubles
#else
#error "rawrt supports x86_64 and aarch64"
#endif
};

static_assert(offsetof(Context, sp) == RAWRT_CONTEXT_SP);
static_assert(sizeof(ContextFrame) == RAWRT_CONTEXT_FRAME_SIZE);
static_assert(RAWRT_CONTEXT_FRAME_SIZE % 16 == 0, "a saved sp must stay 16-byte aligned");
#if defined(__x86_64__)
static_assert(offsetof(ContextFrame, mxcsr) == RAWRT_CONTEXT_FRAME_MXCSR);
static_assert(offsetof(ContextFrame, fpcw) == RAWRT_CONTEXT_FRAME_FPCW);
static_assert(offsetof(ContextFrame, r12) == RAWRT_CONTEXT_FRAME_R12);
static_assert(offsetof(ContextFrame, r13) == RAWRT_CONTEXT_FRAME_R13);
static_assert(offsetof(ContextFrame, r14) == RAWRT_CONTEXT_FRAME_R14);
static_assert(offsetof(ContextFrame, r15) == RAWRT_CONTEXT_FRAME_R15);
static_assert(offsetof(ContextFrame, rbx) == RAWRT_CONTEXT_FRAME_RBX);
static_assert(offsetof(ContextFrame, rbp) == RAWRT_CONTEXT_FRAME_RBP);
static_assert(offsetof(ContextFrame, return_address) == RAWRT_CONTEXT_FRAME_RETURN);
static_assert(RAWRT_CONTEXT_FRAME_FN == RAWRT_CONTEXT_FRAME_RBX);  // context_start.S: call *%rbx
static_assert(RAWRT_CONTEXT_FRAME_ARG == RAWRT_CONTEXT_FRAME_R12);  // context_start.S: mov %r12, %rdi
#elif defined(__aarch64__)
static_assert(offsetof(ContextFrame, x29) == RAWRT_CONTEXT_FRAME_X29);
static_assert(offsetof(ContextFrame, x30) == RAWRT_CONTEXT_FRAME_X30);
static_assert(offsetof(ContextFrame, x19) == RAWRT_CONTEXT_FRAME_X19);
static_assert(offsetof(ContextFrame, x20) == RAWRT_CONTEXT_FRAME_X20);
static_assert(offsetof(ContextFrame, x21) == RAWRT_CONTEXT_FRAME_X21);
static_assert(offsetof(ContextFrame, x22) == RAWRT_CONTEXT_FRAME_X22);
static_assert(offsetof(ContextFrame, x23) == RAWRT_CONTEXT_FRAME_X23);
static_assert(offsetof(ContextFrame, x24) == RAWRT_CONTEXT_FRAME_X24);
static_assert(offsetof(ContextFrame, x25) == RAWRT_CONTEXT_FRAME_X25);
static_assert(offsetof(ContextFrame, x26) == RAWRT_CONTEXT_FRAME_X26);
static_assert(offsetof(ContextFrame, x27) == RAWRT_CONTEXT_FRAME_X27);
static_assert(offsetof(ContextFrame, x28) == RAWRT_CONTEXT_FRAME_X28);
static_assert(offsetof(ContextFrame, d8) == RAWRT_CONTEXT_FRAME_D8);
static_assert(offsetof(ContextFrame, d9) == RAWRT_CONTEXT_FRAME_D9);
static_assert(offsetof(ContextFrame, d10) == RAWRT_CONTEXT_FRAME_D10);
static_assert(offsetof(ContextFrame, d11) == RAWRT_CONTEXT_FRAME_D11);
static_assert(offsetof(ContextFrame, d12) == RAWRT_CONTEXT_FRAME_D12);
static_assert(offsetof(ContextFrame, d13) == RAWRT_CONTEXT_FRAME_D13);
static_assert(offsetof(ContextFrame, d14) == RAWRT_CONTEXT_FRAME_D14);
static_assert(offsetof(ContextFrame, d15) == RAWRT_CONTEXT_FRAME_D15);
static_assert(RAWRT_CONTEXT_FRAME_RETURN == RAWRT_CONTEXT_FRAME_X30);
static_assert(RAWRT_CONTEXT_FRAME_FN == RAWRT_CONTEXT_FRAME_X19);  // context_start.S: blr x19
static_assert(RAWRT_CONTEXT_FRAME_ARG == RAWRT_CONTEXT_FRAME_X20);  // context_start.S: mov x0, x20
#endif

// The least stack make_context accepts: the first frame, plus room for fn's
// first frames. Real G stacks are far bigger (64 KiB by default).
inline constexpr size_t kMinContextStack = 1024;

// Makes *context a fresh context that runs fn(arg) on the stack
// [stack_base, stack_base + size) the first time it is resumed (by
// rawrt_context_switch or rawrt_gogo). The stack's top is rounded down to 16
// bytes and the first frame written just below it; nothing else of the stack
// is touched. The new context starts with the default floating-point
// environment (x86_64: MXCSR 0x1f80, x87 control word 0x037f), whatever the
// caller's is. A stack smaller than kMinContextStack is a fatal error.
void make_context(Context* context, void* stack_base, size_t size, void (*fn)(void*), void* arg);

}  // namespace rawrt::sched
