// Offsets shared by the assembly in arch/<arch>/ and the C++ that lays out the
// same structures, the same on every architecture. The .S files include this
// header for the numbers; the C++ side checks each one with static_assert
// next to its struct definition (sys/tcb.hpp, arch/arch.hpp), so the two can
// never drift apart silently.
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

// struct rawrt_context (arch/arch.hpp): the saved sp of a suspended context.
// What lies at that sp is per architecture: arch/<arch>/context_frame.hpp.
#define RAWRT_CONTEXT_SP 0  // offsetof(rawrt_context, sp)
