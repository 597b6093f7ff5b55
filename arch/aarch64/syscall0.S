// long rawrt_syscall0(long nr);
//
// Enters the kernel with 0 arguments and returns its raw result: -4095..-1
// is -errno, anything else is the value. No errno, no scheduler: sys/ builds
// both of Go's flavours (RawSyscall, Syscall) on top of this.
//
// ABI (AAPCS64 in, Linux syscall out):
//   in:   x0 = nr
//   kernel wants: x8 = nr
//   out:  x0 = result
//   clobbers: x8 (svc itself preserves every other register)
//
// rawrt_syscall0_insn labels the svc instruction and rawrt_syscall0_return
// the one after it: a signal handler compares the interrupted PC with them to
// know the thread was in (or about to restart) this syscall.

#include "arch/aarch64/asm.hpp"

RAWRT_FUNC(rawrt_syscall0)
    mov     x8, x0              // syscall number
    .globl  rawrt_syscall0_insn
rawrt_syscall0_insn:
    svc     #0
    .globl  rawrt_syscall0_return
rawrt_syscall0_return:
    ret
RAWRT_END(rawrt_syscall0)

RAWRT_GNU_PROPERTY_NOTE
