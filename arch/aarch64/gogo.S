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

#include "arch/offsets.hpp"
#include "arch/aarch64/asm.hpp"

#if RAWRT_CONTEXT_FRAME_X29 != 0 || RAWRT_CONTEXT_FRAME_X30 != 8
#error "the frame record must open the frame: ldp x29, x30, [sp], #SIZE reads it there"
#endif

RAWRT_FUNC(rawrt_gogo)
    ldr     x9, [x0, #RAWRT_CONTEXT_SP]
    mov     sp, x9                                     // the resumed context's frame and stack
    .cfi_def_cfa_offset RAWRT_CONTEXT_FRAME_SIZE       // its caller's sp = frame + SIZE
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
RAWRT_END(rawrt_gogo)

RAWRT_GNU_PROPERTY_NOTE
