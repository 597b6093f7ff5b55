// The scheduler's side of blocking syscalls (sched/entersyscall.cpp): Go's
// entersyscall, entersyscallblock and exitsyscall, which sys/'s wrappers
// reach through the hooks a run installs, and blocking_call (Go's cgocall).
#pragma once

#include <cstdint>
#include <type_traits>

namespace rawrt::sched {

// Around a syscall that may block: the P stays behind in Psyscall for the
// M to take back, or for sysmon to give to another M if the call lasts.
// nr and the first arguments are for the tracer (-1: rawrt::blocking_call).
void entersyscall(long nr = -1, long a0 = 0, long a1 = 0, long a2 = 0);
void exitsyscall();
// For a call known to block: the P is handed off before the call.
void entersyscallblock(long nr = -1, long a0 = 0, long a1 = 0, long a2 = 0);

// rawrt: whether a blocking syscall made between syscall_mark() and
// syscall_kept_p() kept the calling G's P throughout (exitsyscall's fast
// path with oldp, no retake meanwhile). On a G with a P.
struct P;
struct SyscallMark {
    const P* pp;
    uint32_t tick;
};
SyscallMark syscall_mark();
bool syscall_kept_p(SyscallMark mark);
// Installs (or removes) the hooks that make sys/'s wrappers call the above.
void install_syscall_hooks(bool on);

void blocking_call(void (*fn)(void*), void* arg);

}  // namespace rawrt::sched

namespace rawrt {

// Go's cgocall: runs fn() — a long computation, a call into a C library that
// may block — with the calling G's P released exactly as for a syscall, on
// the M's own (system) stack. Other Gs keep running on the P meanwhile. fn
// must not call back into the scheduler (no go, yield, channel or lock that
// parks). Outside the runtime it is a plain call.
template <class F>
void blocking_call(F&& fn) {
    sched::blocking_call([](void* f) { (*static_cast<std::remove_reference_t<F>*>(f))(); }, &fn);
}

}  // namespace rawrt
