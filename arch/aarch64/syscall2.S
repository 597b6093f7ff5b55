// long rawrt_syscall2(long nr, long a1, long a2);
//
// Enters the kernel with 2 arguments and returns its raw result: -4095..-1
// is -errno, anything else is the value. No errno, no scheduler: sys/ builds
// both of Go's flavours (RawSyscall, Syscall) on top of this.
//
// ABI (AAPCS64 in, Linux syscall out):
//   in:   x0 = nr, x1 = a1, x2 = a2
//   kernel wants: x8 = nr, x0 = a1, x1 = a2
//   out:  x0 = result
//   clobbers: x8, x1 (svc itself preserves every other register)
//
// rawrt_syscall2_insn labels the svc instruction and rawrt_syscall2_return
// the one after it: a signal handler compares the interrupted PC with them to
// know the thread was in (or about to restart) this syscall.

#include "arch/aarch64/asm.hpp"

RAWRT_FUNC(rawrt_syscall2)
    mov     x8, x0              // syscall number
    mov     x0, x1              // a1
    mov     x1, x2              // a2
    .globl  rawrt_syscall2_insn
rawrt_syscall2_insn:
    svc     #0
    .globl  rawrt_syscall2_return
rawrt_syscall2_return:
    ret
RAWRT_END(rawrt_syscall2)

RAWRT_GNU_PROPERTY_NOTE
