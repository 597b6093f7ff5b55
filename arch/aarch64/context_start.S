// void rawrt_context_start();   -- never called: a first frame returns into it
//
// The entry trampoline of a fresh context. make_context (sched/context.cpp)
// builds a frame whose saved x30 is this routine and whose x19 and x20 slots
// hold fn and arg; the first rawrt_context_switch or rawrt_gogo that resumes
// it loads those and rets here.
//
// ABI:
//   in:  x19 = fn, x20 = arg (write_first_frame, in context_frame.hpp)
//        sp = the top of the new stack; 16-byte aligned (make_context made it
//        so, and the ldp that popped the frame would have faulted otherwise)
//   out: never returns. fn(arg) must not return either: a context has no
//        caller to go back to. If it does, rawrt_context_returned() ends the
//        process with "fatal error: ..." and exit status 2.
//
// The frame chain ends here: x29 = 0 and x30 marked undefined, so gdb and
// frame-record walkers stop at this frame instead of reading past the top of
// the stack. ret does not check BTI, so the bti c of RAWRT_FUNC is only
// harmless here.

#include "arch/aarch64/asm.hpp"

RAWRT_FUNC(rawrt_context_start)
    .cfi_undefined x30          // outermost frame of this context
    mov     x29, #0             // end of the frame-record chain
    mov     x0, x20             // arg
    blr     x19                 // fn(arg): should never come back
    bl      rawrt_context_returned  // fatal error, exit status 2
    brk     #0                  // unreachable
RAWRT_END(rawrt_context_start)

RAWRT_GNU_PROPERTY_NOTE
