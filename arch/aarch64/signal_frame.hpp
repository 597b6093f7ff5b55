// The kernel's signal frame on aarch64, as far as asynchronous preemption
// (sched/preempt.cpp) reads and moves it. The handler finds it on the M's
// signal stack: siginfo, then struct ucontext, whose uc_mcontext.__reserved
// holds the FP/SIMD, SVE and other records inline; an extra_context record
// points (absolute address) at any overflow beyond them, within the same
// frame. sys/uapi_checks.cpp checks these structs against <asm/ucontext.h>.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rawrt::arch {

// ::sigcontext.
struct KernelSigcontext {
    uint64_t fault_address;
    uint64_t regs[31];
    uint64_t sp;
    uint64_t pc;
    uint64_t pstate;
    alignas(16) unsigned char reserved[4096];  // records: struct _aarch64_ctx {magic, size} ...
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
    uint64_t sigmask;
    unsigned char unused[1024 / 8 - sizeof(uint64_t)];
    KernelSigcontext mcontext;
};

inline constexpr size_t kSiginfoSize = 128;
inline constexpr uint32_t kExtraMagic = 0x45585401;  // EXTRA_MAGIC

// AAPCS64 has no red zone.
inline constexpr size_t kRedZone = 0;

inline uintptr_t signal_sp(const KernelUcontext* uc) { return uc->mcontext.sp; }
// A syscall's result, once it has returned.
inline long signal_result(const KernelUcontext* uc) { return static_cast<long>(uc->mcontext.regs[0]); }
inline uintptr_t signal_pc(const KernelUcontext* uc) { return uc->mcontext.pc; }

// Where the frame begins (the handler's sp at entry: the siginfo), and
// whether info sits where that layout says. A frame that does not look like
// the kernel's is left alone.
inline uintptr_t signal_frame_base(const KernelUcontext* uc) { return reinterpret_cast<uintptr_t>(uc) - kSiginfoSize; }
inline bool signal_frame_matches(const void* info, const KernelUcontext* uc) {
    return reinterpret_cast<uintptr_t>(info) == signal_frame_base(uc);
}

// Fixes the absolute addresses inside a frame copied delta bytes away: the
// extra_context record's datap, when there is one.
inline void relocate_signal_frame(KernelUcontext* uc, intptr_t delta) {
    struct Record {
        uint32_t magic;
        uint32_t size;
        uint64_t datap;  // extra_context only
    };
    for (size_t off = 0; off + sizeof(Record) <= sizeof uc->mcontext.reserved;) {
        auto* r = reinterpret_cast<Record*>(uc->mcontext.reserved + off);
        if (r->magic == 0 || r->size == 0) break;  // the terminator
        if (r->magic == kExtraMagic) r->datap += delta;
        off += r->size;
    }
}

// The default FP environment, where a signal handler leaves for the
// scheduler: the kernel hands an arm64 handler the interrupted FPCR.
inline void reset_fp_environment() { asm volatile("msr fpcr, xzr\n\tmsr fpsr, xzr" ::: "memory"); }

// The sp rt_sigreturn wants: the frame's base.
inline uintptr_t sigreturn_sp(const KernelUcontext* uc) { return signal_frame_base(uc); }

#ifdef RAWRT_UAPI_CHECKS  // sys/uapi_checks.cpp, with <asm/ucontext.h> included
static_assert(sizeof(KernelSigcontext) == sizeof(::sigcontext));
static_assert(offsetof(KernelSigcontext, sp) == offsetof(::sigcontext, sp));
static_assert(offsetof(KernelSigcontext, pc) == offsetof(::sigcontext, pc));
static_assert(offsetof(KernelSigcontext, reserved) == offsetof(::sigcontext, __reserved));
static_assert(kExtraMagic == EXTRA_MAGIC && offsetof(::extra_context, datap) == 8);
#endif

}  // namespace rawrt::arch
