// The saved-context frame on x86_64: the one map of it, the offsets that
// context_switch.S, gogo.S and mcall.S store and load it at, and the same
// frame as a C++ struct checked against them. The .S files get assembler
// macros, so the three routines store, describe and load exactly the same
// registers at exactly the same offsets; C++ (through arch/arch.hpp) gets
// ContextFrame and the first frame of a fresh context.
//
// A rawrt_context holds one word, the saved sp; the frame lies there, on the
// suspended context's own stack. It is Boost.Context's x86_64 layout: the
// return address is the one the call into rawrt_context_switch / rawrt_mcall
// pushed, and the rest is stored below it. rsp % 16 == 8 at entry, so the
// saved sp is 16-byte aligned. From the saved sp up:
//
//   0x00  MXCSR (4 bytes)          0x04  x87 control word (2) + padding (2)
//   0x08  r12  (first frame: arg)  0x10  r13
//   0x18  r14                      0x20  r15
//   0x28  rbx  (first frame: fn)   0x30  rbp  (first frame: 0)
//   0x38  return address: where the resumed context continues
//         (first frame: rawrt_context_start)
//   0x40  the caller's frame; sp once the frame is resumed
//
// A first frame is one that no routine saved: make_context writes it
// (write_first_frame below) so that resuming it enters the trampoline of
// context_start.S with fn and arg in two callee-saved registers.
#pragma once

#include "arch/offsets.hpp"

#define RAWRT_CONTEXT_FRAME_MXCSR 0x00   // 4 bytes: SSE control/status (stmxcsr)
#define RAWRT_CONTEXT_FRAME_FPCW 0x04    // 2 bytes: x87 control word (fnstcw), 2 bytes padding
#define RAWRT_CONTEXT_FRAME_R12 0x08
#define RAWRT_CONTEXT_FRAME_R13 0x10
#define RAWRT_CONTEXT_FRAME_R14 0x18
#define RAWRT_CONTEXT_FRAME_R15 0x20
#define RAWRT_CONTEXT_FRAME_RBX 0x28
#define RAWRT_CONTEXT_FRAME_RBP 0x30
#define RAWRT_CONTEXT_FRAME_RETURN 0x38  // where the resumed context continues (notrack jmp)
#define RAWRT_CONTEXT_FRAME_SIZE 0x40    // saved sp + SIZE = sp after the jmp

// A first frame's floating-point environment, whatever its creator's is.
#define RAWRT_CONTEXT_DEFAULT_MXCSR 0x1f80  // all exceptions masked, round to nearest
#define RAWRT_CONTEXT_DEFAULT_FPCW 0x037f   // same for x87, 64-bit precision

#ifdef __ASSEMBLER__

// CFI for a frame at %rsp: where each saved register is. The caller
// describes the CFA.
.macro RAWRT_CONTEXT_FRAME_CFI
    .cfi_rel_offset r12, RAWRT_CONTEXT_FRAME_R12
    .cfi_rel_offset r13, RAWRT_CONTEXT_FRAME_R13
    .cfi_rel_offset r14, RAWRT_CONTEXT_FRAME_R14
    .cfi_rel_offset r15, RAWRT_CONTEXT_FRAME_R15
    .cfi_rel_offset rbx, RAWRT_CONTEXT_FRAME_RBX
    .cfi_rel_offset rbp, RAWRT_CONTEXT_FRAME_RBP
.endm

// At entry of a routine (the call's return address on top): stores the
// frame below that return address and leaves %rsp pointing at it, which is
// what a rawrt_context holds.
.macro RAWRT_CONTEXT_FRAME_SAVE
    sub     $RAWRT_CONTEXT_FRAME_RETURN, %rsp          // the frame, below the return address
    .cfi_adjust_cfa_offset RAWRT_CONTEXT_FRAME_RETURN
    stmxcsr RAWRT_CONTEXT_FRAME_MXCSR(%rsp)            // SSE rounding mode, exception masks
    fnstcw  RAWRT_CONTEXT_FRAME_FPCW(%rsp)             // x87 rounding, precision, masks
    mov     %r12, RAWRT_CONTEXT_FRAME_R12(%rsp)
    mov     %r13, RAWRT_CONTEXT_FRAME_R13(%rsp)
    mov     %r14, RAWRT_CONTEXT_FRAME_R14(%rsp)
    mov     %r15, RAWRT_CONTEXT_FRAME_R15(%rsp)
    mov     %rbx, RAWRT_CONTEXT_FRAME_RBX(%rsp)
    mov     %rbp, RAWRT_CONTEXT_FRAME_RBP(%rsp)
    RAWRT_CONTEXT_FRAME_CFI
.endm

// With %rsp at a saved frame (and the CFI describing it, CFA = rsp + SIZE):
// loads it, pops it with its return address and jumps there. Clobbers r8.
//
// The jump is an indirect jmp, not ret, as Boost's jump_fcontext does: a
// ret always goes somewhere else than the return stack buffer predicts (the
// call that pushed its prediction came from the other context), and that
// one misprediction per switch made the switch 2.3x slower than Boost's in
// BM_switch_asm. An indirect jmp is predicted from its history, which a
// ping-pong repeats. It is `notrack`: the place it lands after a call has no
// endbr64, and IBT lets notrack jumps through (GCC's switch tables rely on
// the same).
.macro RAWRT_CONTEXT_FRAME_RESUME
    mov     RAWRT_CONTEXT_FRAME_RETURN(%rsp), %r8      // where it continues (a first frame: the trampoline)
    ldmxcsr RAWRT_CONTEXT_FRAME_MXCSR(%rsp)
    fldcw   RAWRT_CONTEXT_FRAME_FPCW(%rsp)
    mov     RAWRT_CONTEXT_FRAME_R12(%rsp), %r12        // (a first frame: arg)
    mov     RAWRT_CONTEXT_FRAME_R13(%rsp), %r13
    mov     RAWRT_CONTEXT_FRAME_R14(%rsp), %r14
    mov     RAWRT_CONTEXT_FRAME_R15(%rsp), %r15
    mov     RAWRT_CONTEXT_FRAME_RBX(%rsp), %rbx        // (a first frame: fn)
    mov     RAWRT_CONTEXT_FRAME_RBP(%rsp), %rbp        // (a first frame: 0)
    lea     RAWRT_CONTEXT_FRAME_SIZE(%rsp), %rsp       // pop the frame and the return address
    .cfi_def_cfa_offset 0
    .cfi_register rip, r8
    .cfi_restore r12
    .cfi_restore r13
    .cfi_restore r14
    .cfi_restore r15
    .cfi_restore rbx
    .cfi_restore rbp
    notrack jmp *%r8                                   // into the resumed context
.endm

#else  // C++

#include <cstddef>
#include <cstdint>

namespace rawrt::arch {

// The frame, field by field, as the assembly stores it.
struct ContextFrame {
    uint32_t mxcsr;
    uint16_t fpcw;
    uint16_t padding;
    uintptr_t r12, r13, r14, r15, rbx, rbp;
    uintptr_t return_address;
};

static_assert(sizeof(ContextFrame) == RAWRT_CONTEXT_FRAME_SIZE);
static_assert(RAWRT_CONTEXT_FRAME_SIZE % 16 == 0, "a saved sp must stay 16-byte aligned");
static_assert(offsetof(ContextFrame, mxcsr) == RAWRT_CONTEXT_FRAME_MXCSR);
static_assert(offsetof(ContextFrame, fpcw) == RAWRT_CONTEXT_FRAME_FPCW);
static_assert(offsetof(ContextFrame, r12) == RAWRT_CONTEXT_FRAME_R12);
static_assert(offsetof(ContextFrame, r13) == RAWRT_CONTEXT_FRAME_R13);
static_assert(offsetof(ContextFrame, r14) == RAWRT_CONTEXT_FRAME_R14);
static_assert(offsetof(ContextFrame, r15) == RAWRT_CONTEXT_FRAME_R15);
static_assert(offsetof(ContextFrame, rbx) == RAWRT_CONTEXT_FRAME_RBX);
static_assert(offsetof(ContextFrame, rbp) == RAWRT_CONTEXT_FRAME_RBP);
static_assert(offsetof(ContextFrame, return_address) == RAWRT_CONTEXT_FRAME_RETURN);

// Writes a first frame: resumed, it jumps to start (rawrt_context_start),
// which calls rbx(r12), that is fn(arg); rbp = 0 ends the frame chain there.
inline void write_first_frame(ContextFrame* frame, uintptr_t start, uintptr_t fn, uintptr_t arg) {
    *frame = ContextFrame{};  // every other saved register starts at 0
    frame->mxcsr = RAWRT_CONTEXT_DEFAULT_MXCSR;
    frame->fpcw = RAWRT_CONTEXT_DEFAULT_FPCW;
    frame->rbx = fn;
    frame->r12 = arg;
    frame->return_address = start;
}

}  // namespace rawrt::arch

#endif  // __ASSEMBLER__
