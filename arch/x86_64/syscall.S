// long rawrt_syscallN(long nr, long a1, ..., long aN);   N = 0..6
//
// Enters the kernel with N arguments and returns its raw result: -4095..-1
// is -errno, anything else is the value. No errno, no scheduler: sys/ builds
// both of Go's flavours (RawSyscall, Syscall) on top of these.
//
// ABI (System V in, Linux syscall out), for the first N arguments:
//   in:   rdi = nr, rsi = a1, rdx = a2, rcx = a3, r8 = a4, r9 = a5, 8(%rsp) = a6
//   kernel wants: rax = nr, rdi = a1, rsi = a2, rdx = a3, r10 = a4, r8 = a5, r9 = a6
//   out:  rax = result
//   clobbers: rcx, r11 (the syscall instruction saves rip and rflags there)
//             and the argument registers the stub moves
//
// rawrt_syscallN_insn labels the syscall instruction and rawrt_syscallN_return
// the one after it: a signal handler compares the interrupted PC with them
// (sys::pc_in_syscall_stub) to know the thread was in (or about to restart)
// a syscall. Each stub has a section of its own (RAWRT_FUNC), so a link with
// --gc-sections keeps only the stubs a program calls.
//
// Each stub returns with pop and an indirect jump, not ret. A ret right
// after syscall mispredicts on CPUs where the kernel runs the SRSO
// mitigation ("Safe RET", AMD Zen): the return predictions were filled
// while the kernel ran. The jump is predicted by the indirect predictor,
// which the kernel leaves alone; getpid costs 30-70 ns less here
// (bench/bench_syscalls.cpp: BM_getpid_stub against BM_getpid_stub_ret,
// docs/syscalls.md). The jump is notrack: the return address carries no
// endbr64, and IBT lets a notrack jump land anywhere, so the object's IBT
// property stays true. A shadow stack (SHSTK) would see the call's entry
// never popped by a ret: rawrt claims no SHSTK (asm.hpp).

#include "arch/x86_64/asm.hpp"

.macro RAWRT_SYSCALL_STUB n
RAWRT_FUNC(rawrt_syscall\n)
    mov     %rdi, %rax          // syscall number
.if \n >= 1
    mov     %rsi, %rdi          // a1
.endif
.if \n >= 2
    mov     %rdx, %rsi          // a2
.endif
.if \n >= 3
    mov     %rcx, %rdx          // a3
.endif
.if \n >= 4
    mov     %r8, %r10           // a4
.endif
.if \n >= 5
    mov     %r9, %r8            // a5
.endif
.if \n >= 6
    mov     8(%rsp), %r9        // a6
.endif
    .globl  rawrt_syscall\n\()_insn
rawrt_syscall\n\()_insn:
    syscall
    .globl  rawrt_syscall\n\()_return
rawrt_syscall\n\()_return:
    pop     %rcx                // the return address (rcx: the kernel's scratch)
    .cfi_adjust_cfa_offset -8
    .cfi_register rip, rcx
    notrack jmp *%rcx
RAWRT_END(rawrt_syscall\n)
.endm

RAWRT_SYSCALL_STUB 0
RAWRT_SYSCALL_STUB 1
RAWRT_SYSCALL_STUB 2
RAWRT_SYSCALL_STUB 3
RAWRT_SYSCALL_STUB 4
RAWRT_SYSCALL_STUB 5
RAWRT_SYSCALL_STUB 6

RAWRT_GNU_PROPERTY_NOTE
