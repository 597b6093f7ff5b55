// long rawrt_syscall2(long nr, long a1, long a2);
//
// Enters the kernel with 2 arguments and returns its raw result: -4095..-1
// is -errno, anything else is the value. No errno, no scheduler: sys/ builds
// both of Go's flavours (RawSyscall, Syscall) on top of this.
//
// ABI (System V in, Linux syscall out):
//   in:   rdi = nr, rsi = a1, rdx = a2
//   kernel wants: rax = nr, rdi = a1, rsi = a2
//   out:  rax = result
//   clobbers: rcx, r11 (the syscall instruction saves rip and rflags there)
//             and the argument registers it moves
//
// rawrt_syscall2_insn labels the syscall instruction and rawrt_syscall2_return
// the one after it: a signal handler compares the interrupted PC with them to
// know the thread was in (or about to restart) this syscall.

#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(rawrt_syscall2)
    mov     %rdi, %rax          // syscall number
    mov     %rsi, %rdi          // a1
    mov     %rdx, %rsi          // a2
    .globl  rawrt_syscall2_insn
rawrt_syscall2_insn:
    syscall
    .globl  rawrt_syscall2_return
rawrt_syscall2_return:
    ret
RAWRT_END(rawrt_syscall2)

RAWRT_GNU_PROPERTY_NOTE
