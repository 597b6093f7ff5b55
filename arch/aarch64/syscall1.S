// long rawrt_syscall1(long nr, long a1);
//
// Enters the kernel with 1 argument and returns its raw result: -4095..-1
// is -errno, anything else is the value. No errno, no scheduler: sys/ builds
// both of Go's flavours (RawSyscall, Syscall) on top of this.
//
// ABI (AAPCS64 in, Linux syscall out):
//   in:   x0 = nr, x1 = a1
//   kernel wants: x8 = nr, x0 = a1
//   out:  x0 = result
//   clobbers: x8 (svc itself preserves every other register)
//
// rawrt_syscall1_insn labels the svc instruction and rawrt_syscall1_return
// the one after it: a signal handler compares the interrupted PC with them to
// know the thread was in (or about to restart) this syscall.

#include "arch/aarch64/asm.hpp"

RAWRT_FUNC(rawrt_syscall1)
    mov     x8, x0              // syscall number
    mov     x0, x1              // a1
    .globl  rawrt_syscall1_insn
rawrt_syscall1_insn:
    svc     #0
    .globl  rawrt_syscall1_return
rawrt_syscall1_return:
    ret
RAWRT_END(rawrt_syscall1)

RAWRT_GNU_PROPERTY_NOTE
