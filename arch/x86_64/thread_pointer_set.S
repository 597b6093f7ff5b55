// long rawrt_thread_pointer_set(void* tcb);
//
// Points %fs at tcb for the calling thread (arch_prctl(ARCH_SET_FS)): the
// first thread's way to install its TCB; threads made by rawrt_clone get
// theirs from CLONE_SETTLS instead.
//
// ABI: in rdi = tcb; out rax = 0 or -errno; clobbers rcx, rdi, rsi, r11.

#include <asm/prctl.h>
#include <asm/unistd.h>
#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(rawrt_thread_pointer_set)
    mov     %rdi, %rsi          // addr
    mov     $ARCH_SET_FS, %edi  // code
    mov     $__NR_arch_prctl, %eax
    syscall
    ret
RAWRT_END(rawrt_thread_pointer_set)

RAWRT_GNU_PROPERTY_NOTE
