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
//   in:  x0 = flags, x1 = stack_top, x2 = tid, x3 = tls, x4 = fn, x5 = arg
//   kernel (arm64 order, unlike x86_64): x8 = __NR_clone, x0 = flags,
//        x1 = newsp, x2 = parent_tid, x3 = tls, x4 = child_tid
//   out: x0 = child tid (parent) or -errno
//   clobbers: x1, x4, x8, x10, x11
//
// svc preserves every register but x0, and the child starts with a copy of
// the parent's registers, so fn and arg ride in x10/x11.

#include <asm/unistd.h>
#include "arch/aarch64/asm.hpp"

RAWRT_FUNC(rawrt_clone)
    and     x1, x1, #~15        // AAPCS64: sp % 16 == 0 at all times
    mov     x10, x4             // fn
    mov     x11, x5             // arg
    mov     x4, x2              // child_tid: the same word as parent_tid
    mov     x8, #__NR_clone
    svc     #0
    cbz     x0, 1f
    ret                         // parent: tid or -errno

1:  // child: sp = stack_top, all other registers as in the parent
    .cfi_undefined x30          // outermost frame of the new thread
    mov     x29, #0
    mov     x30, #0
    mov     x0, x11             // arg
    blr     x10                 // fn(arg)
    mov     x8, #__NR_exit      // fn's result (w0) is the thread's exit code
    svc     #0
    brk     #0                  // unreachable
RAWRT_END(rawrt_clone)

RAWRT_GNU_PROPERTY_NOTE
