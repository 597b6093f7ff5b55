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
//   in:  rdi = save, rsi = load (load == save resumes the caller at once)
//   out: nothing
//   preserved: rbx, rbp, r12-r15, rsp, MXCSR, the x87 control word: the
//        psABI's callee-saved state (§3.2.1). The x87 status word, the x87
//        register stack (empty at a call) and the MXCSR flags are caller's
//        business; the MXCSR flags simply travel with MXCSR.
//   clobbers: r8 (the return address); every caller-saved register comes
//        back holding whatever the context that resumed this one had in it.
//
// The frame, and its map: arch/x86_64/context_frame.hpp.
//
// The CFI describes that frame from the end of the save to the last load: after
// the stack swap it describes the resumed context's frame, which has the same
// shape, so a debugger stopped anywhere in here unwinds into the right caller.
//
// The resumed context is entered with an indirect jmp, not ret: see
// RAWRT_CONTEXT_FRAME_RESUME in context_frame.hpp.

#include "arch/x86_64/asm.hpp"
#include "arch/x86_64/context_frame.hpp"

RAWRT_FUNC(rawrt_context_switch)
    RAWRT_CONTEXT_FRAME_SAVE
    mov     %rsp, RAWRT_CONTEXT_SP(%rdi)               // *save = our frame: we are suspended
    mov     RAWRT_CONTEXT_SP(%rsi), %rsp               // the other context's frame: its stack from here on
    RAWRT_CONTEXT_FRAME_RESUME                         // (its frame has the shape the CFI describes)
RAWRT_END(rawrt_context_switch)

RAWRT_GNU_PROPERTY_NOTE
