// long rawrt_syscall0(long nr);
//
// Enters the kernel with 0 arguments and returns its raw result: -4095..-1
// is -errno, anything else is the value. No errno, no scheduler: sys/ builds
// both of Go's flavours (RawSyscall, Syscall) on top of this.
//
// ABI (System V in, Linux syscall out):
//   in:   rdi = nr
//   kernel wants: rax = nr
//   out:  rax = result
//   clobbers: rcx, r11 (the syscall instruction saves rip and rflags there)
//
// rawrt_syscall0_insn labels the syscall instruction and rawrt_syscall0_return
// the one after it: a signal handler compares the interrupted PC with them to
// know the thread was in (or about to restart) this syscall.

#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(rawrt_syscall0)
    mov     %rdi, %rax          // syscall number
    .globl  rawrt_syscall0_insn
rawrt_syscall0_insn:
    syscall
    .globl  rawrt_syscall0_return
rawrt_syscall0_return:
    ret
RAWRT_END(rawrt_syscall0)

RAWRT_GNU_PROPERTY_NOTE
