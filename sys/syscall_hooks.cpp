// The slot through which the blocking flavour reaches a scheduler (its
// entersyscall / exitsyscall hooks; empty without one), and the test a signal
// handler makes of a PC: at a stub's syscall instruction, or just after it?

#include "sys/syscall.hpp"
#include "sys/tcb.hpp"

namespace rawrt::sys {

namespace detail {
std::atomic<const SyscallHooks*> installed_syscall_hooks{nullptr};
}

void install_syscall_hooks(const SyscallHooks* hooks) {
    detail::installed_syscall_hooks.store(hooks, std::memory_order_release);
}

bool pc_in_syscall_stub(uintptr_t pc) {
    static const char* const labels[] = {
        rawrt_syscall0_insn, rawrt_syscall0_return, rawrt_syscall1_insn, rawrt_syscall1_return,
        rawrt_syscall2_insn, rawrt_syscall2_return, rawrt_syscall3_insn, rawrt_syscall3_return,
        rawrt_syscall4_insn, rawrt_syscall4_return, rawrt_syscall5_insn, rawrt_syscall5_return,
        rawrt_syscall6_insn, rawrt_syscall6_return,
    };
    for (const char* label : labels)
        if (pc == reinterpret_cast<uintptr_t>(label)) return true;
    return false;
}

bool pc_at_syscall_return(uintptr_t pc) {
    static const char* const labels[] = {
        rawrt_syscall0_return, rawrt_syscall1_return, rawrt_syscall2_return, rawrt_syscall3_return,
        rawrt_syscall4_return, rawrt_syscall5_return, rawrt_syscall6_return,
    };
    for (const char* label : labels)
        if (pc == reinterpret_cast<uintptr_t>(label)) return true;
    return false;
}

bool detail::take_preempt_eintr() {
    ThreadControlBlock* tcb = current_runtime_tcb();
    if (tcb == nullptr || tcb->preempt_eintr != kPreemptEintr) return false;
    std::atomic_ref<uintptr_t>(tcb->preempt_eintr).store(kPreemptEintrRetrying, std::memory_order_relaxed);
    return true;
}

void detail::retried_syscall_done() {
    if (ThreadControlBlock* tcb = current_runtime_tcb())
        std::atomic_ref<uintptr_t>(tcb->preempt_eintr).store(0, std::memory_order_relaxed);
}

}  // namespace rawrt::sys
