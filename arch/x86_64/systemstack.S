// void rawrt_systemstack(void* stack_top, void (*fn)(void*), void* arg);
//
// Go's systemstack: calls fn(arg) on another stack (the M's g0 stack) and
// returns normally on the caller's stack once fn returns. For work that needs
// more stack than a G has, or must not run on a G's stack at all.
//
// ABI:
//   in:  rdi = stack_top (rounded down to 16 bytes), rsi = fn, rdx = arg
//   out: nothing
//   clobbers: what fn clobbers (every caller-saved register)
//   The caller must not be running on that stack already: fn's frames would
//   overwrite its own (Go's systemstack checks for g0 first; so must ours).
//
// Frame: a standard rbp frame on the caller's stack,
//
//   rbp + 0x08  return address          rbp + 0x00  the caller's rbp
//
// and rbp keeps the caller's sp while rsp is on the other stack. The CFI
// gives the CFA as rbp + 16, so gdb unwinds from fn through this frame back to
// the original stack; frame-pointer walkers follow the same rbp chain.

#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(rawrt_systemstack)
    push    %rbp                // the caller's frame pointer
    .cfi_adjust_cfa_offset 8
    .cfi_rel_offset rbp, 0
    mov     %rsp, %rbp          // rbp = our frame: the way back
    .cfi_def_cfa_register rbp   // CFA = rbp + 16 wherever rsp goes
    and     $-16, %rdi          // the psABI wants rsp % 16 == 0 at a call
    mov     %rdi, %rsp          // on the other stack
    mov     %rdx, %rdi          // arg
    call    *%rsi               // fn(arg); rbp is callee-saved, so it survives
    mov     %rbp, %rsp          // back on the caller's stack
    .cfi_def_cfa_register rsp
    pop     %rbp
    .cfi_adjust_cfa_offset -8
    .cfi_restore rbp
    ret
RAWRT_END(rawrt_systemstack)

RAWRT_GNU_PROPERTY_NOTE
