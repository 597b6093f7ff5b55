// void rawrt_gogo(const rawrt_context* load);
//
// Go's gogo: resumes the context in *load without saving the caller's, for a
// context that is finished or for g0 handing its M to a G. The frame it pops
// is the one rawrt_context_switch and rawrt_mcall push (or a first frame from
// make_context), so the resumed context sees its rawrt_context_switch or
// rawrt_mcall return, or starts in rawrt_context_start.
//
// ABI:
//   in:  x0 = load
//   out: never returns to its caller. It is declared without [[noreturn]]
//        all the same, so that a call in tail position is a jump
//        (arch/arch.hpp).
//   clobbers: everything of the caller's; the caller's stack is abandoned
//        as it is (its memory is left untouched).
//
// The frame, and its map: arch/aarch64/context_frame.hpp.
//
// From the stack swap on, the CFI describes the resumed context's frame: a
// debugger stopped here unwinds into the context being resumed.

#include "arch/aarch64/asm.hpp"
#include "arch/aarch64/context_frame.hpp"

RAWRT_FUNC(rawrt_gogo)
    ldr     x9, [x0, #RAWRT_CONTEXT_SP]
    mov     sp, x9                                     // the resumed context's frame and stack
    .cfi_def_cfa_offset RAWRT_CONTEXT_FRAME_SIZE       // its caller's sp = frame + SIZE
    RAWRT_CONTEXT_FRAME_CFI
    RAWRT_CONTEXT_FRAME_RESUME
RAWRT_END(rawrt_gogo)

RAWRT_GNU_PROPERTY_NOTE
