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
//   in:  rdi = save, rsi = load (load == save resumes the caller at once)
//   out: nothing
//   preserved: rbx, rbp, r12-r15, rsp, MXCSR, the x87 control word: the
//        psABI's callee-saved state (§3.2.1). The x87 status word, the x87
//        register stack (empty at a call) and the MXCSR flags are caller's
//        business; the MXCSR flags simply travel with MXCSR.
//   clobbers: r8 (the return address); every caller-saved register comes
//        back holding whatever the context that resumed this one had in it.
//
// Frame map (arch/offsets.hpp, RAWRT_CONTEXT_FRAME_*), from the saved sp up.
// The return address is the one the caller's call pushed; the rest is stored
// below it. rsp % 16 == 8 at entry, so the saved sp is 16-byte aligned.
//
//   0x00  MXCSR (4 bytes)          0x04  x87 control word (2) + padding (2)
//   0x08  r12                      0x10  r13
//   0x18  r14                      0x20  r15
//   0x28  rbx  (a first frame: fn) 0x30  rbp
//   0x38  return address (a first frame: rawrt_context_start)
//   0x40  the caller's frame; sp after the final jmp
//
// The CFI describes that frame from the first store to the last load: after
// the stack swap it describes the resumed context's frame, which has the same
// shape, so a debugger stopped anywhere in here unwinds into the right caller.
//
// The resumed context is entered with an indirect jmp, not ret, as Boost's jump_fcontext does: a
// ret always goes somewhere else than the return stack buffer predicts (the
// call that pushed its prediction came from the other context), and that
// one misprediction per switch made the switch 2.3x slower than Boost's in
// BM_switch_asm. An indirect jmp is predicted from its history, which a
// ping-pong repeats. It is `notrack`: the place it lands after a call has no
// endbr64, and IBT lets notrack jumps through (GCC's switch tables rely on
// the same).

#include "arch/offsets.hpp"
#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(rawrt_context_switch)
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
    .cfi_rel_offset r12, RAWRT_CONTEXT_FRAME_R12
    .cfi_rel_offset r13, RAWRT_CONTEXT_FRAME_R13
    .cfi_rel_offset r14, RAWRT_CONTEXT_FRAME_R14
    .cfi_rel_offset r15, RAWRT_CONTEXT_FRAME_R15
    .cfi_rel_offset rbx, RAWRT_CONTEXT_FRAME_RBX
    .cfi_rel_offset rbp, RAWRT_CONTEXT_FRAME_RBP
    mov     %rsp, RAWRT_CONTEXT_SP(%rdi)               // *save = our frame: we are suspended
    mov     RAWRT_CONTEXT_SP(%rsi), %rsp               // the other context's frame: its stack from here on
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
RAWRT_END(rawrt_context_switch)

RAWRT_GNU_PROPERTY_NOTE
