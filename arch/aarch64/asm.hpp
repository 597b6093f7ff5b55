// Helpers for the aarch64 .S files: function boundaries with CFI, a BTI landing
// pad (a NOP on ARMv8.0 cores, enforced on BTI-capable ones), and the GNU
// property note that marks each object BTI-compatible.
#pragma once

// Each routine gets a section of its own, as -ffunction-sections gives the
// C++: a static link with --gc-sections drops every routine nobody calls.
#define RAWRT_FUNC(name)                     \
    .section .text.name, "ax", %progbits;    \
    .globl name;                             \
    .type name, %function;                   \
    .p2align 4;                              \
    name:                                    \
    .cfi_startproc;                          \
    bti c

#define RAWRT_END(name) \
    .cfi_endproc;       \
    .size name, .- name

// GNU_PROPERTY_AARCH64_FEATURE_1_AND (0xc0000000) = BTI.
#define RAWRT_GNU_PROPERTY_NOTE                          \
    .pushsection .note.gnu.property, "a";                \
    .p2align 3;                                          \
    .long 4;                                             \
    .long 16;                                            \
    .long 5;                                             \
    .asciz "GNU";                                        \
    .long 0xc0000000;                                    \
    .long 4;                                             \
    .long 1;                                             \
    .p2align 3;                                          \
    .popsection;                                         \
    .section .note.GNU-stack, "", %progbits
