// Helpers for the x86_64 .S files: function boundaries with CFI, an IBT landing
// pad, and the GNU property note that marks each object IBT-compatible.
// The note says IBT only: the context switches of sched/ swap stacks without
// touching a shadow stack, so SHSTK must not be claimed.
#pragma once

// Each routine gets a section of its own, as -ffunction-sections gives the
// C++: a static link with --gc-sections drops every routine nobody calls.
#define RAWRT_FUNC(name)                     \
    .section .text.name, "ax", @progbits;    \
    .globl name;                             \
    .type name, @function;                   \
    .p2align 4;                              \
    name:                                    \
    .cfi_startproc;                          \
    endbr64

#define RAWRT_END(name) \
    .cfi_endproc;       \
    .size name, .- name

// GNU_PROPERTY_X86_FEATURE_1_AND (0xc0000002) = GNU_PROPERTY_X86_FEATURE_1_IBT.
#define RAWRT_GNU_PROPERTY_NOTE                          \
    .pushsection .note.gnu.property, "a";                \
    .p2align 3;                                          \
    .long 4;              /* name size: "GNU\0" */       \
    .long 16;             /* descriptor size */          \
    .long 5;              /* NT_GNU_PROPERTY_TYPE_0 */   \
    .asciz "GNU";                                        \
    .long 0xc0000002;     /* X86_FEATURE_1_AND */        \
    .long 4;              /* datasize */                 \
    .long 1;              /* IBT */                      \
    .p2align 3;                                          \
    .popsection;                                         \
    .section .note.GNU-stack, "", @progbits
