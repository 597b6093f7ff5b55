// void rawrt_systemstack(void* stack_top, void (*fn)(void*), void* arg);
//
// Go's systemstack: calls fn(arg) on another stack (the M's g0 stack) and
// returns normally on the caller's stack once fn returns. For work that needs
// more stack than a G has, or must not run on a G's stack at all.
//
// ABI:
//   in:  x0 = stack_top (rounded down to 16 bytes), x1 = fn, x2 = arg
//   out: nothing
//   clobbers: what fn clobbers (every caller-saved register)
//   The caller must not be running on that stack already: fn's frames would
//   overwrite its own (Go's systemstack checks for g0 first; so must ours).
//
// Frame: a standard frame record on the caller's stack,
//
//   x29 + 0x08  x30 (the return address)     x29 + 0x00  the caller's x29
//
// and x29 keeps the caller's sp while sp is on the other stack. The CFI gives
// the CFA as x29 + 16, so gdb unwinds from fn through this frame back to the
// original stack; frame-record walkers follow the same x29 chain.

#include "arch/aarch64/asm.hpp"

RAWRT_FUNC(rawrt_systemstack)
    stp     x29, x30, [sp, #-16]!   // frame record on the caller's stack
    .cfi_def_cfa_offset 16
    .cfi_rel_offset x29, 0
    .cfi_rel_offset x30, 8
    mov     x29, sp                 // x29 = our frame: the way back
    .cfi_def_cfa_register x29       // CFA = x29 + 16 wherever sp goes
    and     sp, x0, #~15            // on the other stack, 16-byte aligned
    mov     x0, x2                  // arg
    blr     x1                      // fn(arg); x29 is callee-saved, so it survives
    mov     sp, x29                 // back on the caller's stack
    .cfi_def_cfa_register sp
    ldp     x29, x30, [sp], #16
    .cfi_def_cfa_offset 0
    .cfi_restore x29
    .cfi_restore x30
    ret
RAWRT_END(rawrt_systemstack)

RAWRT_GNU_PROPERTY_NOTE
