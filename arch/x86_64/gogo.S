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

#include "arch/x86_64/asm.hpp"
#include "arch/x86_64/context_frame.hpp"

RAWRT_FUNC(rawrt_gogo)
    mov     RAWRT_CONTEXT_SP(%rdi), %rsp               // the resumed context's frame and stack
    .cfi_def_cfa_offset RAWRT_CONTEXT_FRAME_SIZE       // its caller's sp = frame + SIZE
    RAWRT_CONTEXT_FRAME_CFI
    RAWRT_CONTEXT_FRAME_RESUME
RAWRT_END(rawrt_gogo)

RAWRT_GNU_PROPERTY_NOTE
