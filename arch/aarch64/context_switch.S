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
// The CFI describes that frame from the end of the save to the last load: after
// the stack swap it describes the resumed context's frame, which has the same
// shape, so a debugger stopped anywhere in here unwinds into the right caller.

#include "arch/aarch64/asm.hpp"
#include "arch/aarch64/context_frame.hpp"

RAWRT_FUNC(rawrt_context_switch)
    RAWRT_CONTEXT_FRAME_SAVE
    mov     x9, sp                                     // (str cannot store sp itself)
    str     x9, [x0, #RAWRT_CONTEXT_SP]                // *save = our frame: we are suspended
    ldr     x9, [x1, #RAWRT_CONTEXT_SP]
    mov     sp, x9                                     // the other context's frame: its stack from here on
    RAWRT_CONTEXT_FRAME_RESUME                         // (its frame has the shape the CFI describes)
RAWRT_END(rawrt_context_switch)

RAWRT_GNU_PROPERTY_NOTE
