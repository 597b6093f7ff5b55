// Go's os/signal.Notify, reduced: signals become bytes in a pipe, and a G
// waits for them in the netpoller like any other read, its M free.
//
//   if (auto e = rawrt::signal::notify({SIGINT, SIGTERM}); !e.ok()) ...;
//   auto sig = rawrt::signal::wait();     // parks this G until one arrives
//   ... shut down ...
//   rawrt::signal::stop();                // the previous dispositions back
//
// The handler (SA_RESTORER, SA_ONSTACK, SA_RESTART, every signal blocked
// while it runs) does one thing: a raw write(2) of the signal's number, one
// byte, into a non-blocking close-on-exec pipe. That is async-signal-safe
// on any thread, runtime M or not. When the pipe is full (64 KiB of
// signals nobody waited for) the byte is dropped, as Go drops a signal
// whose channel is full: a burst of one signal may arrive as fewer wait()s.
//
// SIGURG is rawrt's preemption signal too (sched/preempt.hpp), as in Go;
// notify(SIGURG) sees the SIGURGs others send, never the runtime's own
// (Go's Notify sees both).
//
// notify is additive, as Go's Notify is on one channel: a second call adds
// its signals to those already caught (one pipe for all). Signals that are
// never notified keep whatever disposition they had. Only on a G
// (freestanding main, or inside rawrt::run); in a hosted run, call stop()
// before the run ends: the pipe's poll descriptor does not outlive it.
#pragma once

#include <initializer_list>

#include "sys/result.hpp"

namespace rawrt::signal {

// Go: signal.Notify. Catches every signal in sigs[0..n) from now on.
// EINVAL (and nothing changes): n <= 0 or sigs null, a number outside
// 1..64, SIGKILL or SIGSTOP (the kernel will not let them be caught), or
// one of the faults SIGILL, SIGBUS, SIGFPE, SIGSEGV (a handler that returns
// would re-run the faulting instruction forever; the runtime owns SIGSEGV
// and SIGBUS for its stack guard). Otherwise pipe2's and rt_sigaction's
// errors, and the poller's (EMFILE, ENOMEM).
sys::Result<void> notify(const int* sigs, int n);
inline sys::Result<void> notify(std::initializer_list<int> sigs) {
    return notify(sigs.begin(), static_cast<int>(sigs.size()));
}

// The next caught signal's number, parking the calling G (not its M) until
// one arrives. Signals are returned in the order they were caught. EBADF:
// nothing is being notified (no notify, or stop() ran, also while this G
// waited).
sys::Result<int> wait();

// Go: signal.Stop (for every signal at once). Puts back the dispositions
// the caught signals had before notify, waits for any handler still
// running on another thread, closes the pipe (Gs in wait() return EBADF).
// Signals caught but not yet waited for are discarded. Does nothing when
// nothing is notified.
void stop();

}  // namespace rawrt::signal
