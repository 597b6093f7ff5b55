// long rawrt_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
//
// Enters the kernel with 6 arguments and returns its raw result: -4095..-1
// is -errno, anything else is the value. No errno, no scheduler: sys/ builds
// both of Go's flavours (RawSyscall, Syscall) on top of this.
//
// ABI (System V in, Linux syscall out):
//   in:   rdi = nr, rsi = a1, rdx = a2, rcx = a3, r8 = a4, r9 = a5, 8(%rsp) = a6
//   kernel wants: rax = nr, rdi = a1, rsi = a2, rdx = a3, r10 = a4, r8 = a5, r9 = a6
//   out:  rax = result
//   clobbers: rcx, r11 (the syscall instruction saves rip and rflags there)
//             and the argument registers it moves
//
// rawrt_syscall6_insn labels the syscall instruction and rawrt_syscall6_return
// the one after it: a signal handler compares the interrupted PC with them to
// know the thread was in (or about to restart) this syscall.

#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(rawrt_syscall6)
    mov     %rdi, %rax          // syscall number
    mov     %rsi, %rdi          // a1
    mov     %rdx, %rsi          // a2
    mov     %rcx, %rdx          // a3
    mov     %r8, %r10           // a4
    mov     %r9, %r8            // a5
    mov     8(%rsp), %r9        // a6
    .globl  rawrt_syscall6_insn
rawrt_syscall6_insn:
    syscall
    .globl  rawrt_syscall6_return
rawrt_syscall6_return:
    ret
RAWRT_END(rawrt_syscall6)

RAWRT_GNU_PROPERTY_NOTE
