// long rawrt_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
//
// Enters the kernel with 6 arguments and returns its raw result: -4095..-1
// is -errno, anything else is the value. No errno, no scheduler: sys/ builds
// both of Go's flavours (RawSyscall, Syscall) on top of this.
//
// ABI (AAPCS64 in, Linux syscall out):
//   in:   x0 = nr, x1 = a1, x2 = a2, x3 = a3, x4 = a4, x5 = a5, x6 = a6
//   kernel wants: x8 = nr, x0 = a1, x1 = a2, x2 = a3, x3 = a4, x4 = a5, x5 = a6
//   out:  x0 = result
//   clobbers: x8, x1, x2, x3, x4, x5 (svc itself preserves every other register)
//
// rawrt_syscall6_insn labels the svc instruction and rawrt_syscall6_return
// the one after it: a signal handler compares the interrupted PC with them to
// know the thread was in (or about to restart) this syscall.

#include "arch/aarch64/asm.hpp"

RAWRT_FUNC(rawrt_syscall6)
    mov     x8, x0              // syscall number
    mov     x0, x1              // a1
    mov     x1, x2              // a2
    mov     x2, x3              // a3
    mov     x3, x4              // a4
    mov     x4, x5              // a5
    mov     x5, x6              // a6
    .globl  rawrt_syscall6_insn
rawrt_syscall6_insn:
    svc     #0
    .globl  rawrt_syscall6_return
rawrt_syscall6_return:
    ret
RAWRT_END(rawrt_syscall6)

RAWRT_GNU_PROPERTY_NOTE
