// long rawrt_clone(unsigned long flags, void* stack_top, int* tid,
//                  void* tls, int (*fn)(void*), void* arg);
//
// Creates a thread with the raw clone syscall. The child starts on stack_top,
// runs fn(arg), and ends with the raw exit syscall (never exit_group: only
// this thread ends). The parent gets the child's tid or -errno.
//
// tid is passed as both parent_tid and child_tid, so with CLONE_PARENT_SETTID
// | CLONE_CHILD_CLEARTID the kernel writes the tid before clone returns in
// either thread and zeroes it (with a futex wake) when the child exits: a
// joiner waiting for 0 can never see the word before the child has started.
//
// ABI:
//   in:  rdi = flags, rsi = stack_top, rdx = tid, rcx = tls, r8 = fn, r9 = arg
//   kernel (x86_64 order): rax = __NR_clone, rdi = flags, rsi = newsp,
//        rdx = parent_tid, r10 = child_tid, r8 = tls
//   out: rax = child tid (parent) or -errno
//   clobbers: rcx, r8, r10, r11, rsi
//
// fn and arg travel on the child's stack: it is the only memory the child
// is sure to own, and every register but rax is shared with the parent.

#include <asm/unistd.h>
#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(rawrt_clone)
    and     $-16, %rsi          // the child's first call needs rsp % 16 == 0
    sub     $16, %rsi
    mov     %r8, 0(%rsi)        // fn, popped by the child
    mov     %r9, 8(%rsi)        // arg
    mov     %rdx, %r10          // child_tid: the same word as parent_tid
    mov     %rcx, %r8           // tls
    mov     $__NR_clone, %eax
    syscall
    test    %rax, %rax
    jz      1f
    ret                         // parent: tid or -errno

1:  // child: rsp = stack_top - 16, all other registers as in the parent
    .cfi_undefined rip          // outermost frame of the new thread
    xor     %ebp, %ebp
    pop     %rax                // fn
    pop     %rdi                // arg; rsp is 16-byte aligned again
    call    *%rax
    mov     %eax, %edi          // fn's result is the thread's exit code
    mov     $__NR_exit, %eax
    syscall
    hlt                         // unreachable
RAWRT_END(rawrt_clone)

RAWRT_GNU_PROPERTY_NOTE
