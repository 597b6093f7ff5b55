// long rawrt_syscall3(long nr, long a1, long a2, long a3);
//
// Enters the kernel with 3 arguments and returns its raw result: -4095..-1
// is -errno, anything else is the value. No errno, no scheduler: sys/ builds
// both of Go's flavours (RawSyscall, Syscall) on top of this.
//
// ABI (System V in, Linux syscall out):
//   in:   rdi = nr, rsi = a1, rdx = a2, rcx = a3
//   kernel wants: rax = nr, rdi = a1, rsi = a2, rdx = a3
//   out:  rax = result
//   clobbers: rcx, r11 (the syscall instruction saves rip and rflags there)
//             and the argument registers it moves
//
// rawrt_syscall3_insn labels the syscall instruction and rawrt_syscall3_return
// the one after it: a signal handler compares the interrupted PC with them to
// know the thread was in (or about to restart) this syscall.

#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(rawrt_syscall3)
    mov     %rdi, %rax          // syscall number
    mov     %rsi, %rdi          // a1
    mov     %rdx, %rsi          // a2
    mov     %rcx, %rdx          // a3
    .globl  rawrt_syscall3_insn
rawrt_syscall3_insn:
    syscall
    .globl  rawrt_syscall3_return
rawrt_syscall3_return:
    ret
RAWRT_END(rawrt_syscall3)

RAWRT_GNU_PROPERTY_NOTE
