// The runtime's thread control block: what the thread pointer points at on
// every rawrt thread (see arch/offsets.hpp for the layout the assembly uses).
//
// A thread that is not rawrt's (the glibc main thread of a test, a thread the
// host made) has a thread pointer too, but to libc's TCB: current_runtime_tcb()
// tells them apart with two loads and a compare, so runtime entry points can
// act as plain passthroughs there.
#pragma once

#include <cstddef>
#include <cstdint>

#include "arch/offsets.hpp"
#include "arch/thread_pointer.hpp"

namespace rawrt::sys {

struct alignas(64) ThreadControlBlock {
    ThreadControlBlock* self;  // the TLS ABI's self pointer (%fs:0 on x86_64)
    uintptr_t tag;             // self ^ RAWRT_TCB_MAGIC: "this is a rawrt thread"
    void* m;                   // sched/: the M of this thread
    void* g;                   // sched/: the G running on it
    uintptr_t reserved;
    uintptr_t stack_guard;  // %fs:0x28, GCC's x86_64 stack-protector canary
    // Runtime locks this thread holds (Go: m.locks), counted by the checked
    // build only: sched/preempt.cpp asserts that none is held where it
    // preempts, which the runtime's text range alone is meant to ensure.
    uintptr_t locks;
    // kPreemptEintr: the runtime's preemption signal cut this thread's
    // syscall short with EINTR (sched/preempt.cpp), and the syscall wrappers
    // make the call again (sys/syscall.hpp), so that signal never shows;
    // kPreemptEintrRetrying meanwhile: sysmon sends no more (preemptM).
    // Written by this thread only (through std::atomic_ref).
    uintptr_t preempt_eintr;
    uintptr_t spare[8];

    // Makes this block a valid rawrt TCB for the thread that will own it.
    void init(uintptr_t canary);
};

inline constexpr uintptr_t kPreemptEintr = 1;
inline constexpr uintptr_t kPreemptEintrRetrying = 2;

static_assert(offsetof(ThreadControlBlock, self) == RAWRT_TCB_SELF);
static_assert(offsetof(ThreadControlBlock, tag) == RAWRT_TCB_TAG);
static_assert(offsetof(ThreadControlBlock, m) == RAWRT_TCB_M);
static_assert(offsetof(ThreadControlBlock, g) == RAWRT_TCB_G);
static_assert(offsetof(ThreadControlBlock, stack_guard) == RAWRT_TCB_STACK_GUARD);
static_assert(sizeof(ThreadControlBlock) == RAWRT_TCB_SIZE);

// The calling thread's TCB if it is a rawrt thread, else nullptr.
inline ThreadControlBlock* current_runtime_tcb() {
    uintptr_t tp = arch::thread_pointer();
    auto* tcb = reinterpret_cast<ThreadControlBlock*>(tp);
    if (tcb == nullptr || tcb->self != tcb || tcb->tag != (tp ^ RAWRT_TCB_MAGIC)) return nullptr;
    return tcb;
}

// Installs tcb as the calling thread's TCB (the first thread; clone'd threads
// get theirs from CLONE_SETTLS).
void install_thread_control_block(ThreadControlBlock* tcb);

// A canary from the kernel's AT_RANDOM bytes, for TCBs and __stack_chk_guard.
uintptr_t random_canary();

// Seeds __stack_chk_guard (aarch64's canary) for a freestanding program.
void init_stack_protector();

}  // namespace rawrt::sys
