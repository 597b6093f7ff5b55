// [[noreturn]] void rawrt_gogo(const rawrt_context* load);
//
// Go's gogo: resumes the context in *load without saving the caller's, for a
// context that is finished or for g0 handing its M to a G. The frame it pops
// is the one rawrt_context_switch and rawrt_mcall push (or a first frame from
// make_context), so the resumed context sees its rawrt_context_switch or
// rawrt_mcall return, or starts in rawrt_context_start.
//
// ABI:
//   in:  x0 = load
//   out: never returns to its caller
//   clobbers: everything of the caller's; the caller's stack is abandoned
//        as it is (its memory is left untouched).
//
// Frame map (arch/offsets.hpp, RAWRT_CONTEXT_FRAME_*), from the saved sp up:
//
//   0x00  x29 (fp)     0x08  x30 (lr: where ret resumes)
//   0x10  x19    0x18  x20    0x20  x21    0x28  x22
//   0x30  x23    0x38  x24    0x40  x25    0x48  x26
//   0x50  x27    0x58  x28
//   0x60  d8     0x68  d9     0x70  d10    0x78  d11
//   0x80  d12    0x88  d13    0x90  d14    0x98  d15
//   0xa0  the resumed context's caller frame; sp after the final ret
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
