// Offsets shared by the assembly in arch/<arch>/ and the C++ that lays out the
// same structures. The .S files include this header for the numbers; the C++
// side checks each one with static_assert next to its struct definition
// (sys/tcb.hpp), so the two can never drift apart silently.
#pragma once

// Runtime thread control block: what the thread pointer (%fs base on x86_64,
// tpidr_el0 on aarch64) points at on every rawrt thread.
#define RAWRT_TCB_SELF 0          // the TCB's own address: x86_64 TLS ABI reads %fs:0
#define RAWRT_TCB_TAG 8           // self ^ RAWRT_TCB_MAGIC: tells a rawrt thread from a libc one
#define RAWRT_TCB_M 16            // the M running on this thread (sched/)
#define RAWRT_TCB_G 24            // the G running on this thread (sched/)
#define RAWRT_TCB_STACK_GUARD 40  // GCC's x86_64 stack protector reads its canary at %fs:0x28
#define RAWRT_TCB_SIZE 128

#define RAWRT_TCB_MAGIC 0x7261777274544342  // "rawrtTCB"

// A saved execution context (sched/context.hpp, arch/<arch>/context_switch.S):
// struct rawrt_context holds one word, the stack pointer of a suspended
// context; everything else lives in a frame on that context's own stack, at
// these offsets from the saved sp. context_switch, mcall and gogo all use the
// same frame, so any of them can resume what another one saved; make_context
// builds a first frame by hand whose "return address" is the entry trampoline
// (context_start.S), with fn and arg in two callee-saved register slots.
#define RAWRT_CONTEXT_SP 0  // offsetof(rawrt_context, sp)

#if defined(__x86_64__)
// Boost.Context's x86_64 layout. RETURN is pushed by the call into
// rawrt_context_switch / rawrt_mcall; the rest is stored below it.
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
#define RAWRT_CONTEXT_FRAME_FN RAWRT_CONTEXT_FRAME_RBX   // first frame: fn, in rbx
#define RAWRT_CONTEXT_FRAME_ARG RAWRT_CONTEXT_FRAME_R12  // first frame: arg, in r12
#define RAWRT_CONTEXT_DEFAULT_MXCSR 0x1f80  // all exceptions masked, round to nearest
#define RAWRT_CONTEXT_DEFAULT_FPCW 0x037f   // same for x87, 64-bit precision
#elif defined(__aarch64__)
// A frame record (x29, x30) at the bottom, as a normal AAPCS64 prologue would
// put it; RETURN is the saved x30, which the final ret branches to.
#define RAWRT_CONTEXT_FRAME_X29 0x00
#define RAWRT_CONTEXT_FRAME_X30 0x08
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
#define RAWRT_CONTEXT_FRAME_D8 0x60   // d8..d15 (low halves of v8..v15)
#define RAWRT_CONTEXT_FRAME_D9 0x68
#define RAWRT_CONTEXT_FRAME_D10 0x70
#define RAWRT_CONTEXT_FRAME_D11 0x78
#define RAWRT_CONTEXT_FRAME_D12 0x80
#define RAWRT_CONTEXT_FRAME_D13 0x88
#define RAWRT_CONTEXT_FRAME_D14 0x90
#define RAWRT_CONTEXT_FRAME_D15 0x98
#define RAWRT_CONTEXT_FRAME_RETURN RAWRT_CONTEXT_FRAME_X30
#define RAWRT_CONTEXT_FRAME_SIZE 0xa0  // a multiple of 16: sp stays aligned
#define RAWRT_CONTEXT_FRAME_FN RAWRT_CONTEXT_FRAME_X19   // first frame: fn, in x19
#define RAWRT_CONTEXT_FRAME_ARG RAWRT_CONTEXT_FRAME_X20  // first frame: arg, in x20
#endif
