// The scheduler's public face: start Gs, yield, and run the runtime from an
// ordinary thread.
//
//   // hosted (a normal glibc program, a test):
//   auto r = rawrt::run({.procs = 4}, [] {
//       rawrt::go([] { ... });      // a new G, runnable on any P
//       rawrt::yield();             // Go's runtime.Gosched
//   });                             // returns after a full teardown
//
//   // freestanding (linked with rawrt_crt.o): main already runs as the main
//   // G, with the default configuration; its return ends the process.
//
// Code on runtime threads must not call libc: glibc's thread-local state
// (errno, malloc arenas, stdio locks) does not exist there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

#include "sched/runtime2.hpp"
#include "sys/result.hpp"

namespace rawrt {

struct RunConfig {
    // Number of Ps (Go: GOMAXPROCS). 0: $RAWRT_MAXPROCS if set, else the
    // CPUs sched_getaffinity allows. (The environment is the one sys::getenv
    // sees: a hosted program hands it over with sys::set_process_args.)
    int32_t procs = 0;
    // Bytes of stack per G (a multiple of 4096; 0: 64 KiB).
    size_t stack_size = 0;
    // Most OS threads (Ms) the run may have at once, sysmon included (Go:
    // debug.SetMaxThreads). 0: 10 000. Past it: "fatal error: thread exhaustion".
    int32_t max_threads = 0;
    // Microseconds a G may run before sysmon preempts it (Go's 10 ms
    // forcePreemptNS): 0 for RAWRT_DEBUG's preempt=US, else 10 ms; at
    // least 100 (sched::kMinPreemptUs), else run() fails with EINVAL.
    int64_t preempt_us = 0;
    // Scheduler tunables and traces, RAWRT_DEBUG's syntax (sched/debug.hpp:
    // "schedtrace=1000,sysmonmax=5000"), applied over the environment's.
    const char* debug = nullptr;
    // Records an execution trace of the whole run into this file (Chrome
    // trace-event JSON, sched/trace.hpp); nullptr: $RAWRT_TRACE if set.
    const char* trace = nullptr;
};

namespace sched {
// site_file and site_line: where go() was called, to name the G in a trace.
void newproc(void (*fn)(void*), void (*destroy)(void*), void (*move_into)(void* from, void* to), void* callable,
             const char* site_file = nullptr, uint32_t site_line = 0);
sys::Result<void> run_main(const RunConfig& config, void (*fn)(void*), void* arg, bool exit_process_on_end = false);

template <class F>
struct Closure {
    static void call(void* self) { (*static_cast<F*>(self))(); }
    static void destroy(void* self) { static_cast<F*>(self)->~F(); }
    static void move_into(void* from, void* to) { ::new (to) F(std::move(*static_cast<F*>(from))); }
};
}  // namespace sched

// Go's `go fn()`: runs fn on a new G. The callable is moved into the G
// (at most sched::kClosureBytes of captured state). Only from a G. The
// defaults record the caller's file and line, which name the G in a trace.
template <class F>
void go(F&& fn, const char* file = __builtin_FILE(), uint32_t line = __builtin_LINE()) {
    using T = std::decay_t<F>;
    static_assert(sizeof(T) <= sched::kClosureBytes, "rawrt::go: the callable captures too much state");
    static_assert(alignof(T) <= 16, "rawrt::go: the callable is over-aligned");
    T local(std::forward<F>(fn));
    sched::newproc(&sched::Closure<T>::call, &sched::Closure<T>::destroy, &sched::Closure<T>::move_into, &local, file,
                   line);
}

// Go's runtime.Gosched: lets other Gs run; this one stays runnable.
void yield();

// The id of the calling G (Go's goid; 0 outside the runtime).
int64_t goid();

// Yields if sysmon has asked the calling G to (it ran 10 ms without passing
// through the scheduler). Costs one load otherwise. The preemption signal
// (sched/preempt.hpp) does the same for code that never calls this; with
// RAWRT_DEBUG=asyncpreempt=0, a long computation calls it now and then so
// that Gs queued behind it on its P get their turn.
void preempt_point();

// Go's runtime.LockOSThread: the calling G runs only on its current thread,
// and that thread runs no other G, until as many unlock_os_thread calls. A G
// that exits while locked takes the thread with it (the thread ends). For
// code that needs a thread's own state: thread-directed signals, setns,
// per-thread credentials. Outside the runtime both do nothing.
void lock_os_thread();
void unlock_os_thread();

// Runs fn as the main G of a fresh runtime and returns when it returns, after
// every M has exited and been joined and every stack is unmapped. Gs still
// alive then are dropped, as Go drops them when main returns. Errors: EDEADLK
// when no G could ever run again (Go's "all goroutines are asleep"), EBUSY
// when a run is already in progress, EINVAL for a bad config.
template <class F>
sys::Result<void> run(const RunConfig& config, F&& fn) {
    return sched::run_main(
        config, [](void* f) { (*static_cast<std::remove_reference_t<F>*>(f))(); }, &fn);
}

}  // namespace rawrt
