// Execution contexts: the C++ side of arch/<arch>/context_switch.S, gogo.S,
// mcall.S, systemstack.S and context_start.S.
//
// A context is one word, the stack pointer of a suspended flow of control;
// its callee-saved registers sit in a frame on its own stack (layout in
// arch/<arch>/context_frame.hpp). The scheduler keeps one in every G (Go's
// g.sched) and in every M's g0:
//
//   make_context(&g->context, stack, size, fn, arg)   a G that will run fn(arg)
//   rawrt_context_switch(&from->context, &to->context) suspend one, resume another
//   rawrt_gogo(&g->context)                           Go's gogo: resume, save nothing
//   rawrt_mcall(&g->context, g0_top, fn, g)           Go's mcall: save, fn(g) on g0
//   rawrt_systemstack(g0_top, fn, arg)                Go's systemstack: fn(arg) on g0
//
// make_context writes a frame that looks like one rawrt_context_switch saved,
// with rawrt_context_start as its return address and fn/arg in two callee-
// saved slots (arch::write_first_frame); the first switch into it "returns"
// into the trampoline, which calls fn(arg). fn must never return (a G's fn
// ends by switching away for good): if it does, the process dies with "fatal
// error: ..." and status 2.
#pragma once

#include <cstddef>

#include "arch/arch.hpp"

namespace rawrt::sched {

using Context = rawrt_context;

// The least stack make_context accepts: the first frame, plus room for fn's
// first frames. Real G stacks are far bigger (64 KiB by default).
inline constexpr size_t kMinContextStack = 1024;

// Makes *context a fresh context that runs fn(arg) on the stack
// [stack_base, stack_base + size) the first time it is resumed (by
// rawrt_context_switch or rawrt_gogo). The stack's top is rounded down to 16
// bytes and the first frame written just below it; nothing else of the stack
// is touched. The new context starts with the default floating-point
// environment (arch/<arch>/context_frame.hpp says which), whatever the
// caller's is. A stack smaller than kMinContextStack is a fatal error.
void make_context(Context* context, void* stack_base, size_t size, void (*fn)(void*), void* arg);

}  // namespace rawrt::sched
