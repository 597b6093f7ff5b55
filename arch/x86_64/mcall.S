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
//   in:  rdi = save, rsi = g0_stack_top (rounded down to 16 bytes),
//        rdx = fn, rcx = g
//   out: nothing, when *save is resumed
//   preserved (across the whole suspension): rbx, rbp, r12-r15, rsp, MXCSR,
//        the x87 control word
//   clobbers: every caller-saved register
//   fn runs with: rdi = g, rsp = g0_stack_top & -16 minus the return
//        address, rbp = 0, the caller's MXCSR and x87 control word.
//
// The frame, and its map: arch/x86_64/context_frame.hpp.
//
// On g0 the frame chain ends here (rip undefined for the unwinder), as Go's
// traceback ends at mcall: the moment fn makes the G runnable, another M may
// resume it and reuse the stack this frame is on, so a backtrace from fn must
// not walk into it.

#include "arch/x86_64/asm.hpp"
#include "arch/x86_64/context_frame.hpp"

RAWRT_FUNC(rawrt_mcall)
    RAWRT_CONTEXT_FRAME_SAVE
    mov     %rsp, RAWRT_CONTEXT_SP(%rdi)               // *save = our frame: resumable from now on

    and     $-16, %rsi                                 // the psABI wants rsp % 16 == 0 at a call
    mov     %rsi, %rsp                                 // on g0's stack
    .cfi_def_cfa rsp, 0                                // (nothing above it to describe)
    .cfi_undefined rip                                 // outermost frame on g0
    xor     %ebp, %ebp                                 // end of the frame-pointer chain too
    mov     %rcx, %rdi                                 // g
    // A jump with the return address pushed by hand, not a call: fn never
    // returns, and a call would leave an entry on the CPU's return-address
    // stack that the next G resumed would mispredict a return on.
    lea     1f(%rip), %rax
    push    %rax                                       // where fn would return to
    .cfi_adjust_cfa_offset 8
    jmp     *%rdx                                      // fn(g): should never come back
1:  call    rawrt_mcall_returned                       // fatal error, exit status 2
    hlt                                                // unreachable
RAWRT_END(rawrt_mcall)

RAWRT_GNU_PROPERTY_NOTE
