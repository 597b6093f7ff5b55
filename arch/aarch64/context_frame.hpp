// The saved-context frame of context_switch.S, gogo.S and mcall.S as
// assembler macros, so the three routines store, describe and load exactly
// the same registers at exactly the same offsets (arch/offsets.hpp,
// RAWRT_CONTEXT_FRAME_*; the frame map is at the top of context_switch.S).
// Only for .S files.
#pragma once

#include "arch/offsets.hpp"

#if RAWRT_CONTEXT_FRAME_X29 != 0 || RAWRT_CONTEXT_FRAME_X30 != 8
#error "the frame record must open the frame: stp/ldp x29, x30 with writeback put it there"
#endif

// CFI for a frame at sp: where each saved register is. The caller describes
// the CFA.
.macro RAWRT_CONTEXT_FRAME_CFI
    .cfi_rel_offset x29, RAWRT_CONTEXT_FRAME_X29
    .cfi_rel_offset x30, RAWRT_CONTEXT_FRAME_X30
    .cfi_rel_offset x19, RAWRT_CONTEXT_FRAME_X19
    .cfi_rel_offset x20, RAWRT_CONTEXT_FRAME_X20
    .cfi_rel_offset x21, RAWRT_CONTEXT_FRAME_X21
    .cfi_rel_offset x22, RAWRT_CONTEXT_FRAME_X22
    .cfi_rel_offset x23, RAWRT_CONTEXT_FRAME_X23
    .cfi_rel_offset x24, RAWRT_CONTEXT_FRAME_X24
    .cfi_rel_offset x25, RAWRT_CONTEXT_FRAME_X25
    .cfi_rel_offset x26, RAWRT_CONTEXT_FRAME_X26
    .cfi_rel_offset x27, RAWRT_CONTEXT_FRAME_X27
    .cfi_rel_offset x28, RAWRT_CONTEXT_FRAME_X28
    .cfi_rel_offset d8, RAWRT_CONTEXT_FRAME_D8
    .cfi_rel_offset d9, RAWRT_CONTEXT_FRAME_D9
    .cfi_rel_offset d10, RAWRT_CONTEXT_FRAME_D10
    .cfi_rel_offset d11, RAWRT_CONTEXT_FRAME_D11
    .cfi_rel_offset d12, RAWRT_CONTEXT_FRAME_D12
    .cfi_rel_offset d13, RAWRT_CONTEXT_FRAME_D13
    .cfi_rel_offset d14, RAWRT_CONTEXT_FRAME_D14
    .cfi_rel_offset d15, RAWRT_CONTEXT_FRAME_D15
.endm

// At entry of a routine: opens the frame below sp, with the frame record
// first as a normal prologue would, and stores the callee-saved registers.
// sp then points at the frame, which is what a rawrt_context holds.
.macro RAWRT_CONTEXT_FRAME_SAVE
    stp     x29, x30, [sp, #-RAWRT_CONTEXT_FRAME_SIZE]!    // open the frame with its frame record
    .cfi_def_cfa_offset RAWRT_CONTEXT_FRAME_SIZE
    stp     x19, x20, [sp, #RAWRT_CONTEXT_FRAME_X19]
    stp     x21, x22, [sp, #RAWRT_CONTEXT_FRAME_X21]
    stp     x23, x24, [sp, #RAWRT_CONTEXT_FRAME_X23]
    stp     x25, x26, [sp, #RAWRT_CONTEXT_FRAME_X25]
    stp     x27, x28, [sp, #RAWRT_CONTEXT_FRAME_X27]
    stp     d8, d9, [sp, #RAWRT_CONTEXT_FRAME_D8]
    stp     d10, d11, [sp, #RAWRT_CONTEXT_FRAME_D10]
    stp     d12, d13, [sp, #RAWRT_CONTEXT_FRAME_D12]
    stp     d14, d15, [sp, #RAWRT_CONTEXT_FRAME_D14]
    RAWRT_CONTEXT_FRAME_CFI
.endm

// With sp at a saved frame (and the CFI describing it, CFA = sp + SIZE):
// loads it, closes it and returns into it. ret (not br) needs no BTI landing
// pad at the place it resumes, which a call's return address does not have.
.macro RAWRT_CONTEXT_FRAME_RESUME
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
.endm
