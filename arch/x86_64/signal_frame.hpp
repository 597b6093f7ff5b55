// The kernel's signal frame on x86_64, as far as asynchronous preemption
// (sched/preempt.cpp) reads and moves it. The handler finds it on the M's
// signal stack: the restorer's address (pretcode), struct ucontext, the
// siginfo, then the XSAVE area that uc_mcontext.fpstate points at, 64-byte
// aligned, up to the top of the stack. sys/uapi_checks.cpp checks these
// structs against <asm/ucontext.h>.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rawrt::arch {

// ::sigcontext (64-bit).
struct KernelSigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uintptr_t fpstate;  // the XSAVE area: an absolute address, so a moved frame needs it moved too
    uint64_t reserved1[8];
};

// stack_t.
struct KernelStack {
    uintptr_t sp;
    int32_t flags;
    uint64_t size;
};

// struct ucontext.
struct KernelUcontext {
    uint64_t flags;
    uintptr_t link;
    KernelStack stack;  // the alternate stack rt_sigreturn reinstalls
    KernelSigcontext mcontext;
    uint64_t sigmask;
};

// The psABI's red zone: leaf code keeps data in the 128 bytes below rsp, so
// a frame pushed onto an interrupted stack starts below it (the kernel skips
// it the same way).
inline constexpr size_t kRedZone = 128;

inline uintptr_t signal_sp(const KernelUcontext* uc) { return uc->mcontext.rsp; }
// A syscall's result, once it has returned.
inline long signal_result(const KernelUcontext* uc) { return static_cast<long>(uc->mcontext.rax); }
inline uintptr_t signal_pc(const KernelUcontext* uc) { return uc->mcontext.rip; }

// Where the frame begins (the handler's sp at entry: pretcode), and whether
// info sits where that layout says. A frame that does not look like the
// kernel's is left alone.
inline uintptr_t signal_frame_base(const KernelUcontext* uc) { return reinterpret_cast<uintptr_t>(uc) - 8; }
inline bool signal_frame_matches(const void* info, const KernelUcontext* uc) {
    return reinterpret_cast<uintptr_t>(info) == reinterpret_cast<uintptr_t>(uc + 1);
}

// Fixes the absolute addresses inside a frame copied delta bytes away.
inline void relocate_signal_frame(KernelUcontext* uc, intptr_t delta) {
    if (uc->mcontext.fpstate != 0) uc->mcontext.fpstate += delta;
}

// The default FP environment, where a signal handler leaves for the
// scheduler. The kernel already gives an x86_64 handler a fresh one
// (MXCSR 0x1f80, x87 control word 0x37f): loaded again all the same, so
// the scheduler never depends on that.
inline void reset_fp_environment() {
    const uint32_t mxcsr = 0x1f80;
    const uint16_t fpcw = 0x037f;
    asm volatile("ldmxcsr %0\n\tfldcw %1" ::"m"(mxcsr), "m"(fpcw) : "memory");
}

// The sp rt_sigreturn wants: it reads the frame at sp - 8, the restorer's
// ret having popped pretcode.
inline uintptr_t sigreturn_sp(const KernelUcontext* uc) { return reinterpret_cast<uintptr_t>(uc); }

#ifdef RAWRT_UAPI_CHECKS  // sys/uapi_checks.cpp, with <asm/ucontext.h> included
static_assert(sizeof(KernelSigcontext) == sizeof(::sigcontext));
static_assert(offsetof(KernelSigcontext, rsp) == offsetof(::sigcontext, rsp));
static_assert(offsetof(KernelSigcontext, rip) == offsetof(::sigcontext, rip));
static_assert(offsetof(KernelSigcontext, fpstate) == offsetof(::sigcontext, fpstate));
#endif

}  // namespace rawrt::arch
