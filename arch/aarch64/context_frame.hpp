// The saved-context frame on aarch64: the one map of it, the offsets that
// context_switch.S, gogo.S and mcall.S store and load it at, and the same
// frame as a C++ struct checked against them. The .S files get assembler
// macros, so the three routines store, describe and load exactly the same
// registers at exactly the same offsets; C++ (through arch/arch.hpp) gets
// ContextFrame and the first frame of a fresh context.
//
// A rawrt_context holds one word, the saved sp; the frame lies there, on the
// suspended context's own stack. The frame record (x29, x30) opens it, as a
// normal AAPCS64 prologue would put it, and x30 is where the final ret of a
// resume goes. From the saved sp up:
//
//   0x00  x29 (fp; first frame: 0)     0x08  x30 (lr: where ret resumes;
//                                            first frame: rawrt_context_start)
//   0x10  x19 (first frame: fn)        0x18  x20 (first frame: arg)
//   0x20  x21    0x28  x22    0x30  x23    0x38  x24
//   0x40  x25    0x48  x26    0x50  x27    0x58  x28
//   0x60  d8     0x68  d9     0x70  d10    0x78  d11   (low halves of v8..v15)
//   0x80  d12    0x88  d13    0x90  d14    0x98  d15
//   0xa0  the caller's frame; sp once the frame is resumed
//
// A first frame is one that no routine saved: make_context writes it
// (write_first_frame below) so that resuming it enters the trampoline of
// context_start.S with fn and arg in two callee-saved registers.
#pragma once

#include "arch/offsets.hpp"

#define RAWRT_CONTEXT_FRAME_X29 0x00
#define RAWRT_CONTEXT_FRAME_X30 0x08  // where the final ret of a resume goes
#define RAWRT_CONTEXT_FRAME_X19 0x10  // x19..x28 in pairs, 8 bytes apart
#define RAWRT_CONTEXT_FRAME_X20 0x18
#define RAWRT_CONTEXT_FRAME_X21 0x20
#define RAWRT_CONTEXT_FRAME_X22 0x28
#define RAWRT_CONTEXT_FRAME_X23 0x30
#define RAWRT_CONTEXT_FRAME_X24 0x38
#define RAWRT_CONTEXT_FRAME_X25 0x40
#define RAWRT_CONTEXT_FRAME_X26 0x48
#define RAWRT_CONTEXT_FRAME_X27 0x50
#define RAWRT_CONTEXT_FRAME_X28 0x58
#define RAWRT_CONTEXT_FRAME_D8 0x60   // d8..d15 in pairs
#define RAWRT_CONTEXT_FRAME_D9 0x68
#define RAWRT_CONTEXT_FRAME_D10 0x70
#define RAWRT_CONTEXT_FRAME_D11 0x78
#define RAWRT_CONTEXT_FRAME_D12 0x80
#define RAWRT_CONTEXT_FRAME_D13 0x88
#define RAWRT_CONTEXT_FRAME_D14 0x90
#define RAWRT_CONTEXT_FRAME_D15 0x98
#define RAWRT_CONTEXT_FRAME_SIZE 0xa0  // saved sp + SIZE = sp after the ret

#ifdef __ASSEMBLER__

// CFI for a frame at sp: where each saved register is. The caller describes
// the CFA.
.macro RAWRT_CONTEXT_FRAME_CFI
    .cfi_rel_offset x29, RAWRT_CONTEXT_FRAME_X29
    .cfi_rel_offset x30, RAWRT_CONTEXT_FRAME_X30
    .cfi_rel_offset x19, RAWRT_CONTEXT_FRAME_X19
    .cfi_rel_offset x20, RAWRT_CONTEXT_FRAME_X20
    .cfi_rel_offset x21, RAWRT_CONTEXT_FRAME_X21
    .cfi_rel_offset x22, RAWRT_CONTEXT_FRAME_X22
    .cfi_rel_offset x23, RAWRT_CONTEXT_FRAME_X23
    .cfi_rel_offset x24, RAWRT_CONTEXT_FRAME_X24
    .cfi_rel_offset x25, RAWRT_CONTEXT_FRAME_X25
    .cfi_rel_offset x26, RAWRT_CONTEXT_FRAME_X26
    .cfi_rel_offset x27, RAWRT_CONTEXT_FRAME_X27
    .cfi_rel_offset x28, RAWRT_CONTEXT_FRAME_X28
    .cfi_rel_offset d8, RAWRT_CONTEXT_FRAME_D8
    .cfi_rel_offset d9, RAWRT_CONTEXT_FRAME_D9
    .cfi_rel_offset d10, RAWRT_CONTEXT_FRAME_D10
    .cfi_rel_offset d11, RAWRT_CONTEXT_FRAME_D11
    .cfi_rel_offset d12, RAWRT_CONTEXT_FRAME_D12
    .cfi_rel_offset d13, RAWRT_CONTEXT_FRAME_D13
    .cfi_rel_offset d14, RAWRT_CONTEXT_FRAME_D14
    .cfi_rel_offset d15, RAWRT_CONTEXT_FRAME_D15
.endm

// At entry of a routine: opens the frame below sp, with the frame record
// first as a normal prologue would, and stores the callee-saved registers.
// sp then points at the frame, which is what a rawrt_context holds.
.macro RAWRT_CONTEXT_FRAME_SAVE
    stp     x29, x30, [sp, #-RAWRT_CONTEXT_FRAME_SIZE]!    // open the frame with its frame record
    .cfi_def_cfa_offset RAWRT_CONTEXT_FRAME_SIZE
    stp     x19, x20, [sp, #RAWRT_CONTEXT_FRAME_X19]
    stp     x21, x22, [sp, #RAWRT_CONTEXT_FRAME_X21]
    stp     x23, x24, [sp, #RAWRT_CONTEXT_FRAME_X23]
    stp     x25, x26, [sp, #RAWRT_CONTEXT_FRAME_X25]
    stp     x27, x28, [sp, #RAWRT_CONTEXT_FRAME_X27]
    stp     d8, d9, [sp, #RAWRT_CONTEXT_FRAME_D8]
    stp     d10, d11, [sp, #RAWRT_CONTEXT_FRAME_D10]
    stp     d12, d13, [sp, #RAWRT_CONTEXT_FRAME_D12]
    stp     d14, d15, [sp, #RAWRT_CONTEXT_FRAME_D14]
    RAWRT_CONTEXT_FRAME_CFI
.endm

// With sp at a saved frame (and the CFI describing it, CFA = sp + SIZE):
// loads it, closes it and returns into it. ret (not br) needs no BTI landing
// pad at the place it resumes, which a call's return address does not have.
.macro RAWRT_CONTEXT_FRAME_RESUME
    ldp     d8, d9, [sp, #RAWRT_CONTEXT_FRAME_D8]
    ldp     d10, d11, [sp, #RAWRT_CONTEXT_FRAME_D10]
    ldp     d12, d13, [sp, #RAWRT_CONTEXT_FRAME_D12]
    ldp     d14, d15, [sp, #RAWRT_CONTEXT_FRAME_D14]
    ldp     x19, x20, [sp, #RAWRT_CONTEXT_FRAME_X19]   // (a first frame: fn, arg)
    ldp     x21, x22, [sp, #RAWRT_CONTEXT_FRAME_X21]
    ldp     x23, x24, [sp, #RAWRT_CONTEXT_FRAME_X23]
    ldp     x25, x26, [sp, #RAWRT_CONTEXT_FRAME_X25]
    ldp     x27, x28, [sp, #RAWRT_CONTEXT_FRAME_X27]
    ldp     x29, x30, [sp], #RAWRT_CONTEXT_FRAME_SIZE  // frame record, and close the frame
    .cfi_def_cfa_offset 0
    .cfi_restore x19
    .cfi_restore x20
    .cfi_restore x21
    .cfi_restore x22
    .cfi_restore x23
    .cfi_restore x24
    .cfi_restore x25
    .cfi_restore x26
    .cfi_restore x27
    .cfi_restore x28
    .cfi_restore x29
    .cfi_restore x30
    .cfi_restore d8
    .cfi_restore d9
    .cfi_restore d10
    .cfi_restore d11
    .cfi_restore d12
    .cfi_restore d13
    .cfi_restore d14
    .cfi_restore d15
    ret                                                // to x30: into the resumed context
.endm

#else  // C++

#include <cstddef>
#include <cstdint>

namespace rawrt::arch {

// The frame, field by field, as the assembly stores it.
struct ContextFrame {
    uintptr_t x29, x30;
    uintptr_t x19, x20, x21, x22, x23, x24, x25, x26, x27, x28;
    uint64_t d8, d9, d10, d11, d12, d13, d14, d15;  // bit patterns of the doubles
};

static_assert(sizeof(ContextFrame) == RAWRT_CONTEXT_FRAME_SIZE);
static_assert(RAWRT_CONTEXT_FRAME_SIZE % 16 == 0, "a saved sp must stay 16-byte aligned");
static_assert(RAWRT_CONTEXT_FRAME_X29 == 0 && RAWRT_CONTEXT_FRAME_X30 == 8,
              "the frame record must open the frame: stp/ldp x29, x30 with writeback put it there");
static_assert(offsetof(ContextFrame, x29) == RAWRT_CONTEXT_FRAME_X29);
static_assert(offsetof(ContextFrame, x30) == RAWRT_CONTEXT_FRAME_X30);
static_assert(offsetof(ContextFrame, x19) == RAWRT_CONTEXT_FRAME_X19);
static_assert(offsetof(ContextFrame, x20) == RAWRT_CONTEXT_FRAME_X20);
static_assert(offsetof(ContextFrame, x21) == RAWRT_CONTEXT_FRAME_X21);
static_assert(offsetof(ContextFrame, x22) == RAWRT_CONTEXT_FRAME_X22);
static_assert(offsetof(ContextFrame, x23) == RAWRT_CONTEXT_FRAME_X23);
static_assert(offsetof(ContextFrame, x24) == RAWRT_CONTEXT_FRAME_X24);
static_assert(offsetof(ContextFrame, x25) == RAWRT_CONTEXT_FRAME_X25);
static_assert(offsetof(ContextFrame, x26) == RAWRT_CONTEXT_FRAME_X26);
static_assert(offsetof(ContextFrame, x27) == RAWRT_CONTEXT_FRAME_X27);
static_assert(offsetof(ContextFrame, x28) == RAWRT_CONTEXT_FRAME_X28);
static_assert(offsetof(ContextFrame, d8) == RAWRT_CONTEXT_FRAME_D8);
static_assert(offsetof(ContextFrame, d9) == RAWRT_CONTEXT_FRAME_D9);
static_assert(offsetof(ContextFrame, d10) == RAWRT_CONTEXT_FRAME_D10);
static_assert(offsetof(ContextFrame, d11) == RAWRT_CONTEXT_FRAME_D11);
static_assert(offsetof(ContextFrame, d12) == RAWRT_CONTEXT_FRAME_D12);
static_assert(offsetof(ContextFrame, d13) == RAWRT_CONTEXT_FRAME_D13);
static_assert(offsetof(ContextFrame, d14) == RAWRT_CONTEXT_FRAME_D14);
static_assert(offsetof(ContextFrame, d15) == RAWRT_CONTEXT_FRAME_D15);

// Writes a first frame: resumed, it rets to start (rawrt_context_start),
// which calls x19(x20), that is fn(arg); x29 = 0 ends the frame chain there.
inline void write_first_frame(ContextFrame* frame, uintptr_t start, uintptr_t fn, uintptr_t arg) {
    *frame = ContextFrame{};  // every other saved register starts at 0
    frame->x30 = start;
    frame->x19 = fn;
    frame->x20 = arg;
}

}  // namespace rawrt::arch

#endif  // __ASSEMBLER__
