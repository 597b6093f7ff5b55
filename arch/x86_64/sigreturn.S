// rawrt_sigreturn: the SA_RESTORER trampoline. x86_64 requires one: the kernel
// makes a signal handler "return" into sa_restorer, which must call
// rt_sigreturn to restore the interrupted context from the signal frame.
//
// ABI: entered by the handler's ret with rsp pointing at the kernel's
// rt_sigframe (just past the popped return address); never returns.
// clobbers: everything (rt_sigreturn replaces the whole register state).
//
// No endbr64: only a ret reaches it, and IBT checks indirect calls and jumps.
// The exact bytes `mov $15, %rax; syscall` are what gdb and libgcc's unwinder
// look for to recognise a signal frame; the leading nop keeps "pc - 1" inside
// this symbol for unwinders that look up the caller that way.

#include <asm/unistd.h>
#include "arch/x86_64/asm.hpp"

    .text
    .p2align 4
    nop
    .globl  rawrt_sigreturn
    .type   rawrt_sigreturn, @function
rawrt_sigreturn:
    movq    $__NR_rt_sigreturn, %rax
    syscall
    hlt                         // unreachable
    .size   rawrt_sigreturn, .-rawrt_sigreturn

// void rawrt_sigreturn_at(uintptr_t sp);
//
// rt_sigreturn from a frame that no handler returns from: a preempted G's,
// moved onto its own stack (sched/preempt.cpp). Restores every register the
// frame holds, the XSAVE state included, and the signal mask.
//
// ABI: in rdi = sp as rt_sigreturn wants it (the frame's ucontext, the word
// below it being the popped pretcode); never returns.
RAWRT_FUNC(rawrt_sigreturn_at)
    mov     %rdi, %rsp
    movq    $__NR_rt_sigreturn, %rax
    syscall
    hlt                         // unreachable
RAWRT_END(rawrt_sigreturn_at)

RAWRT_GNU_PROPERTY_NOTE
