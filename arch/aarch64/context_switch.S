// void rawrt_context_switch(rawrt_context* save, const rawrt_context* load);
//
// Suspends the calling context into *save and resumes the one in *load, as
// Boost.Context's jump_fcontext does: the callee-saved state goes into a frame
// on the current stack, and a context is nothing but the address of that
// frame. The call returns when some later rawrt_context_switch or rawrt_gogo
// resumes *save. It may also resume a frame saved by rawrt_mcall (which then
// returns) or a first frame built by make_context (which "returns" into
// rawrt_context_start).
//
// ABI:
//   in:  x0 = save, x1 = load (load == save resumes the caller at once)
//   out: nothing
//   preserved: x19-x28, x29 (fp), x30 (lr), sp, d8-d15: AAPCS64's
//        callee-saved state (§6.1.1, §6.1.2; only the low 64 bits of v8-v15).
//        FPCR is not switched: both contexts share its rounding mode.
//   clobbers: x9 itself; every caller-saved register comes back holding
//        whatever the context that resumed this one had in it.
//
// Frame map (arch/offsets.hpp, RAWRT_CONTEXT_FRAME_*), from the saved sp up.
// The frame record (x29, x30) opens it, as in a normal prologue; 0xa0 bytes
// keep sp 16-byte aligned.
//
//   0x00  x29 (fp; a first frame: 0)   0x08  x30 (lr: where ret resumes;
//                                            a first frame: rawrt_context_start)
//   0x10  x19 (a first frame: fn)      0x18  x20 (a first frame: arg)
//   0x20  x21    0x28  x22    0x30  x23    0x38  x24
//   0x40  x25    0x48  x26    0x50  x27    0x58  x28
//   0x60  d8     0x68  d9     0x70  d10    0x78  d11
//   0x80  d12    0x88  d13    0x90  d14    0x98  d15
//   0xa0  the caller's frame; sp after the final ret
//
// The CFI describes that frame from the first store to the last load: after
// the stack swap it describes the resumed context's frame, which has the same
// shape, so a debugger stopped anywhere in here unwinds into the right caller.
// ret (not br) also needs no BTI landing pad at the place it resumes.

#include "arch/offsets.hpp"
#include "arch/aarch64/asm.hpp"

#if RAWRT_CONTEXT_FRAME_X29 != 0 || RAWRT_CONTEXT_FRAME_X30 != 8
#error "the frame record must open the frame: stp x29, x30, [sp, #-SIZE]! puts it there"
#endif

RAWRT_FUNC(rawrt_context_switch)
    stp     x29, x30, [sp, #-RAWRT_CONTEXT_FRAME_SIZE]!    // open the frame with its frame record
    .cfi_def_cfa_offset RAWRT_CONTEXT_FRAME_SIZE
    .cfi_rel_offset x29, RAWRT_CONTEXT_FRAME_X29
    .cfi_rel_offset x30, RAWRT_CONTEXT_FRAME_X30
    stp     x19, x20, [sp, #RAWRT_CONTEXT_FRAME_X19]
    .cfi_rel_offset x19, RAWRT_CONTEXT_FRAME_X19
    .cfi_rel_offset x20, RAWRT_CONTEXT_FRAME_X20
    stp     x21, x22, [sp, #RAWRT_CONTEXT_FRAME_X21]
    .cfi_rel_offset x21, RAWRT_CONTEXT_FRAME_X21
    .cfi_rel_offset x22, RAWRT_CONTEXT_FRAME_X22
    stp     x23, x24, [sp, #RAWRT_CONTEXT_FRAME_X23]
    .cfi_rel_offset x23, RAWRT_CONTEXT_FRAME_X23
    .cfi_rel_offset x24, RAWRT_CONTEXT_FRAME_X24
    stp     x25, x26, [sp, #RAWRT_CONTEXT_FRAME_X25]
    .cfi_rel_offset x25, RAWRT_CONTEXT_FRAME_X25
    .cfi_rel_offset x26, RAWRT_CONTEXT_FRAME_X26
    stp     x27, x28, [sp, #RAWRT_CONTEXT_FRAME_X27]
    .cfi_rel_offset x27, RAWRT_CONTEXT_FRAME_X27
    .cfi_rel_offset x28, RAWRT_CONTEXT_FRAME_X28
    stp     d8, d9, [sp, #RAWRT_CONTEXT_FRAME_D8]
    .cfi_rel_offset d8, RAWRT_CONTEXT_FRAME_D8
    .cfi_rel_offset d9, RAWRT_CONTEXT_FRAME_D9
    stp     d10, d11, [sp, #RAWRT_CONTEXT_FRAME_D10]
    .cfi_rel_offset d10, RAWRT_CONTEXT_FRAME_D10
    .cfi_rel_offset d11, RAWRT_CONTEXT_FRAME_D11
    stp     d12, d13, [sp, #RAWRT_CONTEXT_FRAME_D12]
    .cfi_rel_offset d12, RAWRT_CONTEXT_FRAME_D12
    .cfi_rel_offset d13, RAWRT_CONTEXT_FRAME_D13
    stp     d14, d15, [sp, #RAWRT_CONTEXT_FRAME_D14]
    .cfi_rel_offset d14, RAWRT_CONTEXT_FRAME_D14
    .cfi_rel_offset d15, RAWRT_CONTEXT_FRAME_D15

    mov     x9, sp                                     // (str cannot store sp itself)
    str     x9, [x0, #RAWRT_CONTEXT_SP]                // *save = our frame: we are suspended
    ldr     x9, [x1, #RAWRT_CONTEXT_SP]
    mov     sp, x9                                     // the other context's frame: its stack from here on

    ldp     d8, d9, [sp, #RAWRT_CONTEXT_FRAME_D8]
    ldp     d10, d11, [sp, #RAWRT_CONTEXT_FRAME_D10]
    ldp     d12, d13, [sp, #RAWRT_CONTEXT_FRAME_D12]
    ldp     d14, d15, [sp, #RAWRT_CONTEXT_FRAME_D14]
    ldp     x19, x20, [sp, #RAWRT_CONTEXT_FRAME_X19]   // (a first frame: fn, arg)
    ldp     x21, x22, [sp, #RAWRT_CONTEXT_FRAME_X21]
    ldp     x23, x24, [sp, #RAWRT_CONTEXT_FRAME_X23]
    ldp     x25, x26, [sp, #RAWRT_CONTEXT_FRAME_X25]
    ldp     x27, x28, [sp, #RAWRT_CONTEXT_FRAME_X27]
    ldp     x29, x30, [sp], #RAWRT_CONTEXT_FRAME_SIZE  // frame record, and close the frame
    .cfi_def_cfa_offset 0
    .cfi_restore x19
    .cfi_restore x20
    .cfi_restore x21
    .cfi_restore x22
    .cfi_restore x23
    .cfi_restore x24
    .cfi_restore x25
    .cfi_restore x26
    .cfi_restore x27
    .cfi_restore x28
    .cfi_restore x29
    .cfi_restore x30
    .cfi_restore d8
    .cfi_restore d9
    .cfi_restore d10
    .cfi_restore d11
    .cfi_restore d12
    .cfi_restore d13
    .cfi_restore d14
    .cfi_restore d15
    ret                                                // to x30: into the resumed context
RAWRT_END(rawrt_context_switch)

RAWRT_GNU_PROPERTY_NOTE
