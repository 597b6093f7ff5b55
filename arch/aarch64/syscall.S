// long rawrt_syscallN(long nr, long a1, ..., long aN);   N = 0..6
//
// Enters the kernel with N arguments and returns its raw result: -4095..-1
// is -errno, anything else is the value. No errno, no scheduler: sys/ builds
// both of Go's flavours (RawSyscall, Syscall) on top of these.
//
// ABI (AAPCS64 in, Linux syscall out), for the first N arguments:
//   in:   x0 = nr, x1 = a1, x2 = a2, x3 = a3, x4 = a4, x5 = a5, x6 = a6
//   kernel wants: x8 = nr, x0 = a1, x1 = a2, x2 = a3, x3 = a4, x4 = a5, x5 = a6
//   out:  x0 = result
//   clobbers: x8 and the argument registers the stub moves (svc itself
//             preserves every other register)
//
// rawrt_syscallN_insn labels the svc instruction and rawrt_syscallN_return
// the one after it: a signal handler compares the interrupted PC with them
// (sys::pc_in_syscall_stub) to know the thread was in (or about to restart)
// a syscall. Each stub has a section of its own (RAWRT_FUNC), so a link with
// --gc-sections keeps only the stubs a program calls.

#include "arch/aarch64/asm.hpp"

.macro RAWRT_SYSCALL_STUB n
RAWRT_FUNC(rawrt_syscall\n)
    mov     x8, x0              // syscall number
.if \n >= 1
    mov     x0, x1              // a1
.endif
.if \n >= 2
    mov     x1, x2              // a2
.endif
.if \n >= 3
    mov     x2, x3              // a3
.endif
.if \n >= 4
    mov     x3, x4              // a4
.endif
.if \n >= 5
    mov     x4, x5              // a5
.endif
.if \n >= 6
    mov     x5, x6              // a6
.endif
    .globl  rawrt_syscall\n\()_insn
rawrt_syscall\n\()_insn:
    svc     #0
    .globl  rawrt_syscall\n\()_return
rawrt_syscall\n\()_return:
    ret
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
