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
// The frame, and its map: arch/aarch64/context_frame.hpp.
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
