// The scheduler's tunables: Go's constants, each of which RAWRT_DEBUG can
// change (as GODEBUG does for Go), read once when a run starts:
//
//   RAWRT_DEBUG=schedtrace=1000,scheddetail=1,sysmonmin=20,sysmonmax=10000
//
//   schedtrace=MS     print Go's "SCHED ..." line to fd 2 every MS ms
//   scheddetail=1     with schedtrace, a line per P, M and G too
//   sysmonmin=US      sysmon's shortest sleep (Go: 20 µs)
//   sysmonmax=US      its longest, once backed off (Go: 10 ms)
//   sysmonidle=N      idle passes before it starts backing off (Go: 50)
//   sysmon_prompt=0|1  have a syscall entered with work queued behind it
//                     watched at once, not found on sysmon's passes
//                     (rawrt; Go: no)
//   sysmonstandby=0|1 that watch by an idle M, which retakes the P for
//                     itself, rather than by sysmon (rawrt; Go: no)
//   retake=US         a P in a syscall with nothing queued and help at
//                     hand is retaken after this long anyway (Go: 10 ms)
//   retakepace=US     a syscall's P is retaken one tick later for each M
//                     blocked in a syscall per P, but never later than
//                     this (rawrt; default 500; at most sysmonmin: always
//                     after one tick, as in Go)
//   preempt=US        a G that ran this long is asked to yield (Go: 10 ms;
//                     at least 100)
//   uring=0|1         0: no io_uring ring; file I/O takes the blocking
//                     syscalls (rawrt). Read when the ring is first used
//   uringentries=N    the ring's SQ entries (rawrt; default 256)
//   uringworkers=N    the kernel's io-wq workers for the whole process,
//                     each kind, shared out among the Ms that submit
//                     (rawrt; default 16)
//   uringregfd=0|1    1: each M that submits registers the ring's fd with
//                     its thread (IORING_REGISTER_RING_FDS) and names the
//                     ring by its slot (rawrt; default 1)
//   asyncpreempt=0|1  0: that request is a flag the G reads at its next
//                     scheduling point only, no signal (Go:
//                     GODEBUG=asyncpreemptoff=1). Read when a run starts
//   netpoll=US        sysmon polls the network when nobody has for this
//                     long (Go: 10 ms)
//   mretire=MS        an M idle this long, while more Ms than Ps are idle,
//                     ends (rawrt; default 500; 0: never, Go's way)
//   tracebuf=BYTES    each M's trace buffer (rawrt; default 64 KiB, at
//                     least 1024). Read when a trace starts
//   tracebufs=N       trace buffers in flight at most, all Ms together:
//                     past them events are dropped, and counted (rawrt;
//                     default 256)
//   membarrier=0|1    1: exitsyscall's fast path pays a compiler barrier,
//                     sysmon membarrier(2) (rawrt; Go: a CAS on each side);
//                     0: a full fence on both sides. Read when a run starts
//
// RunConfig::debug takes the same string and overrides the environment.
// An unknown name or a bad number is reported on fd 2 and ignored.
#pragma once

#include <atomic>
#include <cstdint>

namespace rawrt::sched {

// One setting: read by sysmon and the scheduler while set_debug_vars may
// change it, so a relaxed atomic (as cheap as a plain load); copyable, so
// that DebugVars can be reset to its defaults as a whole.
template <class T>
class Tunable {
public:
    constexpr Tunable(T v) : v_(v) {}
    Tunable(const Tunable& o) : v_(o) {}
    Tunable& operator=(const Tunable& o) { return *this = static_cast<T>(o); }
    Tunable& operator=(T v) {
        v_.store(v, std::memory_order_relaxed);
        return *this;
    }
    operator T() const { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<T> v_;
};

struct DebugVars {
    Tunable<int64_t> schedtrace_ms = 0;
    Tunable<bool> scheddetail = false;
    Tunable<int64_t> sysmon_min_ns = 20'000;
    Tunable<int64_t> sysmon_max_ns = 10'000'000;
    Tunable<uint32_t> sysmon_idle_passes = 50;
    Tunable<bool> sysmon_prompt = true;
    Tunable<bool> sysmon_standby = true;
    Tunable<int64_t> retake_ns = 10'000'000;        // Go: the 10 ms in retake
    Tunable<int64_t> retake_pace_ns = 500'000;      // rawrt: sysmon.hpp's retake_wait
    Tunable<int64_t> forcepreempt_ns = 10'000'000;  // Go: forcePreemptNS
    Tunable<bool> asyncpreempt = true;              // Go: !debug.asyncpreemptoff
    Tunable<bool> uring = true;
    Tunable<int64_t> uring_entries = 256;
    Tunable<int64_t> uring_workers = 16;
    Tunable<bool> uring_regfd = true;
    Tunable<int64_t> netpoll_ns = 10'000'000;  // Go: the 10 ms of sysmon's poll
    Tunable<bool> membarrier = true;
    Tunable<int64_t> mretire_ns = 500'000'000;
    Tunable<int64_t> tracebuf_bytes = 65536;
    Tunable<int64_t> tracebufs = 256;
};

extern DebugVars debug;

// The shortest preemption quantum (preempt=US, RunConfig::preempt_us): below
// it a G would spend a real share of its time being switched.
inline constexpr int64_t kMinPreemptUs = 100;

// Resets debug to the defaults, then applies RAWRT_DEBUG (sys::getenv: in a
// hosted program, after sys::set_process_args), then config (RunConfig::debug).
void parsedebugvars(const char* config);
// Applies settings ("name=value,...", as above) on top of the current ones,
// during a run: each takes effect the next time the scheduler reads it
// (sysmon: its next pass or sleep). How a freestanding program, whose run
// starts before main, changes a tunable (Go: a GODEBUG change at run time).
void set_debug_vars(const char* settings);

}  // namespace rawrt::sched
