// rawrt_sigreturn: the SA_RESTORER trampoline. Optional on arm64 (the kernel
// otherwise uses the vDSO's), but qemu-user and stripped containers may have
// no vDSO, so rawrt always passes its own.
//
// ABI: entered by the handler's ret (x30 = rawrt_sigreturn) with sp pointing
// at the kernel's rt_sigframe; never returns.
// clobbers: everything (rt_sigreturn replaces the whole register state).
//
// No bti: only a ret reaches it. The exact instructions `mov x8, #139;
// svc #0` are what gdb and libgcc's unwinder look for to recognise a signal
// frame; the leading nop keeps "pc - 1" inside this symbol.

#include <asm/unistd.h>
#include "arch/aarch64/asm.hpp"

    .text
    .p2align 4
    nop
    .globl  rawrt_sigreturn
    .type   rawrt_sigreturn, %function
rawrt_sigreturn:
    mov     x8, #__NR_rt_sigreturn
    svc     #0
    brk     #0                  // unreachable
    .size   rawrt_sigreturn, .-rawrt_sigreturn

// void rawrt_sigreturn_at(uintptr_t sp);
//
// rt_sigreturn from a frame that no handler returns from: a preempted G's,
// moved onto its own stack (sched/preempt.cpp). Restores every register the
// frame holds (x0-x30, sp, pc, pstate, the FP/SIMD and SVE records) and the
// signal mask.
//
// ABI: in x0 = sp as rt_sigreturn wants it (the frame's base, 16-byte
// aligned); never returns.
RAWRT_FUNC(rawrt_sigreturn_at)
    mov     sp, x0
    mov     x8, #__NR_rt_sigreturn
    svc     #0
    brk     #0                  // unreachable
RAWRT_END(rawrt_sigreturn_at)

RAWRT_GNU_PROPERTY_NOTE
