// void rawrt_context_start();   -- never called: a first frame returns into it
//
// The entry trampoline of a fresh context. make_context (sched/context.cpp)
// builds a frame whose return address is this routine and whose rbx and r12
// slots hold fn and arg; the first rawrt_context_switch or rawrt_gogo that
// resumes it loads those into rbx and r12 and jumps here.
//
// ABI:
//   in:  rbx = fn, r12 = arg (write_first_frame, in context_frame.hpp)
//        rsp = the top of the new stack, 16-byte aligned (make_context)
//        MXCSR = 0x1f80, x87 control word = 0x037f (the frame's defaults)
//   out: never returns. fn(arg) must not return either: a context has no
//        caller to go back to. If it does, rawrt_context_returned() ends the
//        process with "fatal error: ..." and exit status 2.
//
// The frame chain ends here: rbp = 0 and rip marked undefined, so gdb and
// frame-pointer walkers stop at this frame instead of reading past the top of
// the stack. No endbr64 is needed (the jump here is notrack); RAWRT_FUNC's
// is harmless.

#include "arch/x86_64/asm.hpp"

RAWRT_FUNC(rawrt_context_start)
    .cfi_undefined rip          // outermost frame of this context
    xor     %ebp, %ebp          // end of the frame-pointer chain
    and     $-16, %rsp          // the psABI wants rsp % 16 == 0 at a call
    mov     %r12, %rdi          // arg
    call    *%rbx               // fn(arg): should never come back
    call    rawrt_context_returned  // fatal error, exit status 2
    hlt                         // unreachable
RAWRT_END(rawrt_context_start)

RAWRT_GNU_PROPERTY_NOTE
