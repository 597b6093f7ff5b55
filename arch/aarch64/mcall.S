// void rawrt_mcall(rawrt_context* save, void* g0_stack_top,
//                  void (*fn)(void*), void* g);
//
// Go's mcall: leaves the current stack for the M's g0 stack and calls fn(g)
// there. The caller's state is saved into *save first, in the frame that
// rawrt_context_switch uses, so a later rawrt_gogo(save) or
// rawrt_context_switch(..., save) makes this call return to its caller. fn
// must not return (it runs the scheduler, which resumes some context); if it
// does, rawrt_mcall_returned() ends the process with "fatal error: ..." and
// exit status 2, as Go's "mcall function returned" does.
//
// ABI:
//   in:  x0 = save, x1 = g0_stack_top (rounded down to 16 bytes),
//        x2 = fn, x3 = g
//   out: nothing, when *save is resumed
//   preserved (across the whole suspension): x19-x30, sp, d8-d15
//   clobbers: every caller-saved register
//   fn runs with: x0 = g, sp = g0_stack_top & -16, x29 = 0.
//
// The frame, and its map: arch/aarch64/context_frame.hpp.
//
// On g0 the frame chain ends here (x30 undefined for the unwinder), as Go's
// traceback ends at mcall: the moment fn makes the G runnable, another M may
// resume it and reuse the stack this frame is on, so a backtrace from fn must
// not walk into it.

#include "arch/aarch64/asm.hpp"
#include "arch/aarch64/context_frame.hpp"

RAWRT_FUNC(rawrt_mcall)
    RAWRT_CONTEXT_FRAME_SAVE
    mov     x9, sp                                     // (str cannot store sp itself)
    str     x9, [x0, #RAWRT_CONTEXT_SP]                // *save = our frame: resumable from now on

    and     sp, x1, #~15                               // on g0's stack, 16-byte aligned
    .cfi_def_cfa sp, 0                                 // (nothing above it to describe)
    .cfi_undefined x30                                 // outermost frame on g0
    mov     x29, #0                                    // end of the frame-record chain too
    mov     x0, x3                                     // g
    // A branch with the link register set by hand, not blr: fn never
    // returns, and blr would leave an entry on the CPU's return-address
    // stack that the next G resumed would mispredict a return on. Through
    // x16: BTI lets `br x16` land on fn's `bti c`.
    adr     x30, 1f                                    // where fn would return to
    mov     x16, x2
    br      x16                                        // fn(g): should never come back
1:  bl      rawrt_mcall_returned                       // fatal error, exit status 2
    brk     #0                                         // unreachable
RAWRT_END(rawrt_mcall)

RAWRT_GNU_PROPERTY_NOTE
