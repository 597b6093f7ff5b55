// The execution tracer (Go: runtime/trace.go, `go tool trace`): what each
// G, M and P does, recorded by the runtime itself and written as Chrome
// trace-event JSON, which ui.perfetto.dev and chrome://tracing open as it is.
//
//   RAWRT_TRACE=out.json ./prog                  the whole run
//   rawrt::run({.trace = "out.json"}, ...)       the same from code
//   rawrt::trace::start("part.json"); ... rawrt::trace::stop();   a stretch
//
// Each M records into a buffer of its own, with no lock and no syscall per
// event, stamped with the CPU's counter that two readings of the vDSO clock
// turn into its nanoseconds (sched/trace_buf.cpp); a full buffer goes to the trace writer, an M
// without a P like sysmon, which appends it to a scratch file beside the
// output. stop() (or the run's end, exit_group, a fatal error) has the
// writer turn the scratch file into the JSON (sched/trace_json.cpp) and
// waits for it. docs/trace.md tells what each track and event means.
#pragma once

#include <atomic>
#include <cstdint>

#include "sys/result.hpp"

namespace rawrt::trace {

// Starts recording into path (ENAMETOOLONG past 4095 bytes; EBUSY when a
// trace is already on; ENOTCONN outside a run; the open's errno for a path
// that cannot be written, which is checked here, not at stop; ENOSYS in a
// runtime built with the tracer compiled out, RAWRT_TRACE_COMPILED_OUT
// below). From a G.
sys::Result<void> start(const char* path);
// Stops, and returns once the file is complete. EINVAL when no trace is on;
// the errno of a write that failed (the file is then incomplete). From a G,
// or from the thread that called run() once it returned (a no-op then).
sys::Result<void> stop();
// Whether a trace is being recorded.
bool enabled();

// A named stretch of the program on the trace's "regions" track (Go's
// trace.StartRegion / End). name must outlive the trace: a string literal.
void region_begin(const char* name);
void region_end(const char* name);

}  // namespace rawrt::trace

namespace rawrt::sched {

struct G;
struct M;

// Go: the trace event types (internal/trace/v2's go122 names where one
// exists).
enum TraceEv : uint8_t {
    evGoCreate = 1,   // a=new goid, b=site file, x=site line
    evGoInfo,         // a G that existed when the trace began: a=goid, b=file, x=line, c=its M's id + 1
                      // when running, arg8=its status
    evProcInfo,       // a P held when the trace began: x=P id, a=the M's id
    evGoStart,        // a=goid
    evGoStop,         // a=goid, b=WaitReason text (park) or kind text, x=TraceStop
    evGoUnblock,      // a=goid readied
    evGoSyscall,      // x=nr (or ~0u: blocking_call), a,b,c=the first three args, arg8=1: entersyscallblock
    evGoSyscallEnd,   // x=TraceSysExit, a=goid
    evProcStart,      // p
    evProcStop,       // p
    evProcHandoff,    // p
    evProcRetake,     // p, x=1: by a standby M
    evMStart,         //
    evMPark,          //
    evMWake,          // a=M id woken
    evMExit,          //
    evSysmonPass,     // a=the sleep that follows (ns)
    evNetpoll,        // a=Gs readied, x=1: blocking
    evTimers,         // a=timers run
    evPreemptSignal,  // a=M id signalled
    evUringSubmit,    // a=opcode, b=goid
    evUringReap,      // a=completions
    evRegionBegin,    // b=name
    evRegionEnd,      // b=name
    evCount
};

// How a G stopped running (evGoStop's x).
enum TraceStop : uint32_t {
    kStopPark = 0,    // gopark: b is the wait reason
    kStopYield,       // Gosched / goyield
    kStopPreempt,     // sysmon's flag, seen at a scheduling point
    kStopSigPreempt,  // switched out by the preemption signal
    kStopExit,        // the G ended
    kStopSyscallNoP,  // back from a syscall with no P: queued (exitsyscall0)
};

// The way out of a syscall (evGoSyscallEnd's x).
enum TraceSysExit : uint32_t { kSysExitFast = 0, kSysExitIdleP, kSysExitSlow };

// One recorded event: 40 bytes, written by its M only.
struct TraceEvent {
    int64_t ts;  // arch::cputicks, nanoseconds of the vDSO clock once converted
    uint8_t type;
    uint8_t arg8;
    int16_t p;  // the recording M's P, -1 for none
    uint32_t x;
    uint64_t a, b, c;
};
static_assert(sizeof(TraceEvent) == 40);

// Bit 0: recording; the rest: the trace's generation, so that a buffer left
// from an earlier trace is never taken for this one's.
extern std::atomic<uint32_t> trace_state;

void traceEvent_slow(TraceEv type, uint32_t x, uint64_t a, uint64_t b, uint64_t c, uint8_t arg8);

// RAWRT_TRACE_COMPILED_OUT (make NOTRACE=1, in build/<arch>-notrace) takes
// the tracer out of every event site, so that `make bench` can set what the
// sites cost while no trace is on against a runtime without them. The
// library still links, but nothing can trace: start(), RunConfig::trace and
// RAWRT_TRACE get ENOSYS (RAWRT_TRACE only warns, and the run goes on).
#ifdef RAWRT_TRACE_COMPILED_OUT
inline constexpr bool kTraceCompiledIn = false;

[[gnu::always_inline]] inline void traceEvent(TraceEv, uint32_t = 0, uint64_t = 0, uint64_t = 0, uint64_t = 0,
                                              uint8_t = 0) {}

inline bool traceEnabled() { return false; }
#else
inline constexpr bool kTraceCompiledIn = true;

// Every event site: one load and one predictable branch while no trace is on.
[[gnu::always_inline]] inline void traceEvent(TraceEv type, uint32_t x = 0, uint64_t a = 0, uint64_t b = 0,
                                              uint64_t c = 0, uint8_t arg8 = 0) {
    if (__builtin_expect(trace_state.load(std::memory_order_relaxed) & 1, 0)) traceEvent_slow(type, x, a, b, c, arg8);
}

inline bool traceEnabled() { return trace_state.load(std::memory_order_relaxed) & 1; }
#endif

// Run start and end (sched/run.cpp): RunConfig::trace or RAWRT_TRACE; at
// the end, the file is finished before the Ms are joined.
sys::Result<void> trace_run_start(const char* path);
void trace_run_end();
// An exiting M hands its buffer on (mexit).
void trace_mexit(M* mp);
// Run teardown, every M joined: the buffers' memory goes back.
void trace_release();

}  // namespace rawrt::sched
