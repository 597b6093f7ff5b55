// [[noreturn]] void rawrt_gogo(const rawrt_context* load);
//
// Go's gogo: resumes the context in *load without saving the caller's, for a
// context that is finished or for g0 handing its M to a G. The frame it pops
// is the one rawrt_context_switch and rawrt_mcall push (or a first frame from
// make_context), so the resumed context sees its rawrt_context_switch or
// rawrt_mcall return, or starts in rawrt_context_start.
//
// ABI:
//   in:  rdi = load
//   out: never returns to its caller
//   clobbers: everything of the caller's; the caller's stack is abandoned
//        as it is (its memory is left untouched).
//
// Frame map (arch/offsets.hpp, RAWRT_CONTEXT_FRAME_*), from the saved sp up:
//
//   0x00  MXCSR (4 bytes)          0x04  x87 control word (2) + padding (2)
//   0x08  r12                      0x10  r13
//   0x18  r14                      0x20  r15
//   0x28  rbx                      0x30  rbp
//   0x38  return address
//   0x40  the resumed context's caller frame; sp after the final jmp
//
// From the stack swap on, the CFI describes the resumed context's frame: a
// debugger stopped here unwinds into the context being resumed.

#include "arch/offsets.hpp"
#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(rawrt_gogo)
    mov     RAWRT_CONTEXT_SP(%rdi), %rsp               // the resumed context's frame and stack
    .cfi_def_cfa_offset RAWRT_CONTEXT_FRAME_SIZE       // its caller's sp = frame + SIZE
    .cfi_rel_offset r12, RAWRT_CONTEXT_FRAME_R12
    .cfi_rel_offset r13, RAWRT_CONTEXT_FRAME_R13
    .cfi_rel_offset r14, RAWRT_CONTEXT_FRAME_R14
    .cfi_rel_offset r15, RAWRT_CONTEXT_FRAME_R15
    .cfi_rel_offset rbx, RAWRT_CONTEXT_FRAME_RBX
    .cfi_rel_offset rbp, RAWRT_CONTEXT_FRAME_RBP
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
RAWRT_END(rawrt_gogo)

RAWRT_GNU_PROPERTY_NOTE
