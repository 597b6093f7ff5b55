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
//   sysmonprompt=0|1  wake sysmon from a long sleep when a P enters a
//                     syscall with work queued behind it (rawrt; Go: no)
//   retake=US         a P in a syscall with nothing queued and help at
//                     hand is retaken after this long anyway (Go: 10 ms)
//   preempt=US        a G that ran this long is asked to yield (Go: 10 ms)
//   netpoll=US        sysmon polls the network when nobody has for this
//                     long (Go: 10 ms)
//
// RunConfig::debug takes the same string and overrides the environment.
// An unknown name or a bad number is reported on fd 2 and ignored.
#pragma once

#include <cstdint>

namespace rawrt::sched {

struct DebugVars {
    int64_t schedtrace_ms = 0;
    bool scheddetail = false;
    int64_t sysmon_min_ns = 20'000;
    int64_t sysmon_max_ns = 10'000'000;
    uint32_t sysmon_idle_passes = 50;
    bool sysmon_prompt = true;
    int64_t retake_ns = 10'000'000;      // Go: the 10 ms in retake
    int64_t forcepreempt_ns = 10'000'000;  // Go: forcePreemptNS
    int64_t netpoll_ns = 10'000'000;       // Go: the 10 ms of sysmon's poll
};

extern DebugVars debug;

// Resets debug to the defaults, then applies RAWRT_DEBUG (sys::getenv: in a
// hosted program, after sys::set_process_args), then config (RunConfig::debug).
void parsedebugvars(const char* config);

}  // namespace rawrt::sched
