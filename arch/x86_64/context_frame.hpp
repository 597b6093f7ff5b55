// The saved-context frame of context_switch.S, gogo.S and mcall.S as
// assembler macros, so the three routines store, describe and load exactly
// the same registers at exactly the same offsets (arch/offsets.hpp,
// RAWRT_CONTEXT_FRAME_*; the frame map is at the top of context_switch.S).
// Only for .S files.
#pragma once

#include "arch/offsets.hpp"

// CFI for a frame at %rsp: where each saved register is. The caller
// describes the CFA.
.macro RAWRT_CONTEXT_FRAME_CFI
    .cfi_rel_offset r12, RAWRT_CONTEXT_FRAME_R12
    .cfi_rel_offset r13, RAWRT_CONTEXT_FRAME_R13
    .cfi_rel_offset r14, RAWRT_CONTEXT_FRAME_R14
    .cfi_rel_offset r15, RAWRT_CONTEXT_FRAME_R15
    .cfi_rel_offset rbx, RAWRT_CONTEXT_FRAME_RBX
    .cfi_rel_offset rbp, RAWRT_CONTEXT_FRAME_RBP
.endm

// At entry of a routine (the call's return address on top): stores the
// frame below that return address and leaves %rsp pointing at it, which is
// what a rawrt_context holds. rsp % 16 == 8 at entry, so the frame is
// 16-byte aligned.
.macro RAWRT_CONTEXT_FRAME_SAVE
    sub     $RAWRT_CONTEXT_FRAME_RETURN, %rsp          // the frame, below the return address
    .cfi_adjust_cfa_offset RAWRT_CONTEXT_FRAME_RETURN
    stmxcsr RAWRT_CONTEXT_FRAME_MXCSR(%rsp)            // SSE rounding mode, exception masks
    fnstcw  RAWRT_CONTEXT_FRAME_FPCW(%rsp)             // x87 rounding, precision, masks
    mov     %r12, RAWRT_CONTEXT_FRAME_R12(%rsp)
    mov     %r13, RAWRT_CONTEXT_FRAME_R13(%rsp)
    mov     %r14, RAWRT_CONTEXT_FRAME_R14(%rsp)
    mov     %r15, RAWRT_CONTEXT_FRAME_R15(%rsp)
    mov     %rbx, RAWRT_CONTEXT_FRAME_RBX(%rsp)
    mov     %rbp, RAWRT_CONTEXT_FRAME_RBP(%rsp)
    RAWRT_CONTEXT_FRAME_CFI
.endm

// With %rsp at a saved frame (and the CFI describing it, CFA = rsp + SIZE):
// loads it, pops it with its return address and jumps there. Clobbers r8.
//
// The jump is an indirect jmp, not ret, as Boost's jump_fcontext does: a
// ret always goes somewhere else than the return stack buffer predicts (the
// call that pushed its prediction came from the other context), and that
// one misprediction per switch made the switch 2.3x slower than Boost's in
// BM_switch_asm. An indirect jmp is predicted from its history, which a
// ping-pong repeats. It is `notrack`: the place it lands after a call has no
// endbr64, and IBT lets notrack jumps through (GCC's switch tables rely on
// the same).
.macro RAWRT_CONTEXT_FRAME_RESUME
    mov     RAWRT_CONTEXT_FRAME_RETURN(%rsp), %r8      // where it continues (a first frame: the trampoline)
    ldmxcsr RAWRT_CONTEXT_FRAME_MXCSR(%rsp)
    fldcw   RAWRT_CONTEXT_FRAME_FPCW(%rsp)
    mov     RAWRT_CONTEXT_FRAME_R12(%rsp), %r12        // (a first frame: arg)
    mov     RAWRT_CONTEXT_FRAME_R13(%rsp), %r13
    mov     RAWRT_CONTEXT_FRAME_R14(%rsp), %r14
    mov     RAWRT_CONTEXT_FRAME_R15(%rsp), %r15
    mov     RAWRT_CONTEXT_FRAME_RBX(%rsp), %rbx        // (a first frame: fn)
    mov     RAWRT_CONTEXT_FRAME_RBP(%rsp), %rbp        // (a first frame: 0)
    lea     RAWRT_CONTEXT_FRAME_SIZE(%rsp), %rsp       // pop the frame and the return address
    .cfi_def_cfa_offset 0
    .cfi_register rip, r8
    .cfi_restore r12
    .cfi_restore r13
    .cfi_restore r14
    .cfi_restore r15
    .cfi_restore rbx
    .cfi_restore rbp
    notrack jmp *%r8                                   // into the resumed context
.endm
