// C++ declarations of the assembly routines in arch/<arch>/ (each .S file
// documents its own register-level ABI; these are the C-level contracts),
// and the per-architecture facts the C++ needs: the includes below pick this
// build's arch/<arch>/, so no code outside arch/ tests for __x86_64__ or
// __aarch64__.
#pragma once

#include <cstddef>
#include <cstdint>

#include "arch/offsets.hpp"

#if defined(__x86_64__)
#include "arch/x86_64/context_frame.hpp"
#include "arch/x86_64/kernel_abi.hpp"
#include "arch/x86_64/memory.hpp"
#include "arch/x86_64/signal_frame.hpp"
#include "arch/x86_64/vdso.hpp"
#elif defined(__aarch64__)
#include "arch/aarch64/context_frame.hpp"
#include "arch/aarch64/kernel_abi.hpp"
#include "arch/aarch64/memory.hpp"
#include "arch/aarch64/signal_frame.hpp"
#include "arch/aarch64/vdso.hpp"
#else
#error "rawrt supports x86_64 and aarch64"
#endif

extern "C" {
// Raw syscalls: the kernel's result, -4095..-1 being -errno (syscall.S).
long rawrt_syscall0(long nr);
long rawrt_syscall1(long nr, long a1);
long rawrt_syscall2(long nr, long a1, long a2);
long rawrt_syscall3(long nr, long a1, long a2, long a3);
long rawrt_syscall4(long nr, long a1, long a2, long a3, long a4);
long rawrt_syscall5(long nr, long a1, long a2, long a3, long a4, long a5);
long rawrt_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

// Code labels inside the stubs: the syscall instruction and the one after it.
extern const char rawrt_syscall0_insn[], rawrt_syscall0_return[];
extern const char rawrt_syscall1_insn[], rawrt_syscall1_return[];
extern const char rawrt_syscall2_insn[], rawrt_syscall2_return[];
extern const char rawrt_syscall3_insn[], rawrt_syscall3_return[];
extern const char rawrt_syscall4_insn[], rawrt_syscall4_return[];
extern const char rawrt_syscall5_insn[], rawrt_syscall5_return[];
extern const char rawrt_syscall6_insn[], rawrt_syscall6_return[];

// A thread on stack_top that runs fn(arg) then the raw exit (clone.S).
long rawrt_clone(unsigned long flags, void* stack_top, int* tid, void* tls, int (*fn)(void*), void* arg);

// The SA_RESTORER trampoline (sigreturn.S). Never called directly.
void rawrt_sigreturn();
// rt_sigreturn from the signal frame at sp (rawrt::arch::sigreturn_sp of
// its ucontext), wherever it lies (sigreturn.S).
[[noreturn]] void rawrt_sigreturn_at(uintptr_t sp);

// The calling thread's TCB pointer (thread_pointer_get.S / _set.S).
void* rawrt_thread_pointer_get();
long rawrt_thread_pointer_set(void* tcb);

// A suspended execution context: its saved stack pointer. The callee-saved
// registers live in a frame on that stack (rawrt::arch::ContextFrame, mapped
// in arch/<arch>/context_frame.hpp); sched/context.hpp builds a first one
// (make_context).
struct rawrt_context {
    void* sp;
};
static_assert(offsetof(rawrt_context, sp) == RAWRT_CONTEXT_SP);

// Saves the caller's state into *save and resumes *load; returns when some
// later switch, gogo or mcall resumes *save (context_switch.S).
void rawrt_context_switch(rawrt_context* save, const rawrt_context* load);

// Resumes *load without saving anything: Go's gogo (gogo.S). Never returns;
// not [[noreturn]], so that a call in tail position is a jump (sched/proc.hpp).
void rawrt_gogo(const rawrt_context* load);

// Go's mcall: saves the caller's state into *save, moves to g0_stack_top
// (rounded down to 16 bytes) and calls fn(g) there. fn must not return; it
// resumes some context instead. Resuming *save returns from rawrt_mcall (mcall.S).
void rawrt_mcall(rawrt_context* save, void* g0_stack_top, void (*fn)(void*), void* g);

// Go's systemstack: fn(arg) on the stack ending at stack_top (rounded down to
// 16 bytes), then back on the caller's stack. The caller must not already be
// running on that stack (systemstack.S).
void rawrt_systemstack(void* stack_top, void (*fn)(void*), void* arg);

// Where a first frame from make_context "returns" to: calls fn(arg) with the
// frame chain ended. Never called directly (context_start.S).
void rawrt_context_start();

// Fatal paths of the trampolines, in sched/context.cpp: a context's fn or an
// mcall's fn returned.
[[noreturn]] void rawrt_context_returned();
[[noreturn]] void rawrt_mcall_returned();
}
