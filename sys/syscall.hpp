// The two ways into the kernel, as in Go's syscall package:
//
//   raw_syscall(nr, ...)       Go's RawSyscall: straight to the stub; never
//                              tells the scheduler. For calls that cannot block.
//   blocking_syscall(nr, ...)  Go's Syscall: brackets the stub with the
//                              entersyscall / exitsyscall hooks so the
//                              scheduler can hand this thread's P to another
//                              thread while the kernel holds this one.
//
// Both return the kernel's raw word (-4095..-1 = -errno); the typed wrappers
// in sys/calls.hpp wrap it in a Result.
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>

#include <linux/errno.h>

#include "arch/arch.hpp"

namespace rawrt::sys {

// A syscall argument as the kernel's register word.
template <class T>
inline long syscall_word(T v) {
    if constexpr (std::is_pointer_v<T> || std::is_null_pointer_v<T>) return reinterpret_cast<long>(v);
    else return static_cast<long>(v);
}

namespace detail {

template <class... A>
inline long raw_syscall_once(long nr, A... a) {
    constexpr auto n = sizeof...(A);
    static_assert(n <= 6, "Linux syscalls take at most 6 arguments");
    if constexpr (n == 0) return rawrt_syscall0(nr);
    else if constexpr (n == 1) return rawrt_syscall1(nr, syscall_word(a)...);
    else if constexpr (n == 2) return rawrt_syscall2(nr, syscall_word(a)...);
    else if constexpr (n == 3) return rawrt_syscall3(nr, syscall_word(a)...);
    else if constexpr (n == 4) return rawrt_syscall4(nr, syscall_word(a)...);
    else if constexpr (n == 5) return rawrt_syscall5(nr, syscall_word(a)...);
    else return rawrt_syscall6(nr, syscall_word(a)...);
}

// After the preemption signal made this thread's syscall fail with EINTR
// (sys::ThreadControlBlock::preempt_eintr): true, and no more such signals
// until retried_syscall_done.
bool take_preempt_eintr();
void retried_syscall_done();

}  // namespace detail

// The runtime's own preemption signal (sched/preempt.hpp) may cut a syscall
// short; where the kernel does not restart it (SA_RESTART cannot: sleeps,
// polls, timed waits), it is made again, whole (a relative timeout starts
// over), and no preemption signal comes to the thread until it returns.
// Everyone else's signals' EINTRs come back as they are.
template <class... A>
inline long raw_syscall(long nr, A... a) {
    const long r = detail::raw_syscall_once(nr, a...);
    if (r != -EINTR || !detail::take_preempt_eintr()) [[likely]]
        return r;
    long again;
    do again = detail::raw_syscall_once(nr, a...);
    while (again == -EINTR && detail::take_preempt_eintr());
    detail::retried_syscall_done();
    return again;
}

// What a scheduler plugs in to hear about blocking syscalls. sys/ never links
// a scheduler: until one installs its hooks (and on threads that are not its
// own, where its hooks return at once) blocking_syscall is raw_syscall plus
// one load and one branch.
// enter and enter_block get the call's number and first three arguments
// (0 past its last), for the tracer's record of it.
struct SyscallHooks {
    void (*enter)(long nr, long a0, long a1, long a2);        // Go: entersyscall
    void (*exit)();                                           // Go: exitsyscall
    void (*enter_block)(long nr, long a0, long a1, long a2);  // Go: entersyscallblock (hand the P off at once)
};

namespace detail {
// The first three arguments as words, 0 for those the call does not take.
template <class... A>
struct FirstArgs {
    long w[sizeof...(A) + 3];
    explicit FirstArgs(A... a) : w{syscall_word(a)..., 0, 0, 0} {}
};
}  // namespace detail

namespace detail {
extern std::atomic<const SyscallHooks*> installed_syscall_hooks;
}

// Installs hooks (nullptr removes them). The scheduler does this before its
// first thread starts and undoes it after its last has been joined.
void install_syscall_hooks(const SyscallHooks* hooks);

inline const SyscallHooks* syscall_hooks() { return detail::installed_syscall_hooks.load(std::memory_order_acquire); }

template <class... A>
inline long blocking_syscall(long nr, A... a) {
    const SyscallHooks* hooks = syscall_hooks();
    if (hooks == nullptr) return raw_syscall(nr, a...);
    const detail::FirstArgs<A...> args(a...);
    hooks->enter(nr, args.w[0], args.w[1], args.w[2]);
    long r = raw_syscall(nr, a...);
    hooks->exit();
    return r;
}

// For a call known to block for long (a wait with no deadline): the P is
// handed off before entering the kernel instead of after sysmon notices.
template <class... A>
inline long long_blocking_syscall(long nr, A... a) {
    const SyscallHooks* hooks = syscall_hooks();
    if (hooks == nullptr) return raw_syscall(nr, a...);
    const detail::FirstArgs<A...> args(a...);
    hooks->enter_block(nr, args.w[0], args.w[1], args.w[2]);
    long r = raw_syscall(nr, a...);
    hooks->exit();
    return r;
}

// Whether pc is a syscall instruction of the stubs, or the instruction right
// after one: a signal handler's test for "this thread is in the kernel or
// about to restart a syscall".
bool pc_in_syscall_stub(uintptr_t pc);
// Whether pc is the instruction right after a stub's syscall instruction: a
// syscall interrupted there has returned (a restarted one is back at the
// syscall instruction).
bool pc_at_syscall_return(uintptr_t pc);

}  // namespace rawrt::sys
