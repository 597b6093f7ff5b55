// The slot through which the blocking flavour reaches a scheduler (its
// entersyscall / exitsyscall hooks; empty without one), and the test a signal
// handler makes of a PC: at a stub's syscall instruction, or just after it?

#include "sys/syscall.hpp"

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

}  // namespace rawrt::sys
