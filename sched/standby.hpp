// A standby M: when a P goes into a syscall with Gs queued behind it while
// sysmon sleeps (a prompt, sched/sysmon.hpp), entersyscall wakes an idle M
// instead of sysmon. The M watches that syscall itself and, if it is still
// going once it has lasted the minimum tick, retakes the P and runs its
// queue: one thread wake between the syscall and the Gs behind it, where
// waking sysmon to retake and then an M to run the P takes two (each ~15 µs
// to reach an idle CPU of this VM). Not in Go, where sysmon finds the
// syscall a tick later and handoffp wakes the M only once the P is free.
//
// The M is off the idle list (it counts as running for checkdead) and polls,
// yielding, until it retakes its P, the syscall ends, or kStandbyNs pass;
// then it goes back onto the list itself. Every change of m.standby is a CAS
// from kStandbyWaiting or kStandbyOff, so no two parties both win the M; a
// startm takes it (standby_take), watching or on its way back, before it
// wakes an idle M or makes a thread.
#pragma once

#include <cstdint>

#include "sched/runtime2.hpp"

namespace rawrt::sched {

// m.standby: 0 (not on standby), waiting, called off, or the P given (a
// pointer, never 0, 1 or 2).
enum : uintptr_t { kStandbyNone = 0, kStandbyWaiting = 1, kStandbyOff = 2 };

// The longest a standby M waits: the longest watch (sysmon.hpp's
// kMaxWatchNs) and the time it takes the M to wake, with room to spare.
constexpr int64_t kStandbyNs = 200'000;

// sysmon_prompt, with pp's prompt_tick and prompt_when stored, for a retake
// due within a watch (retake_wait() <= kMaxWatchNs): puts an M on
// standby to watch pp's syscall (an idle one, woken; or the one last on
// standby, if it is still on its way back). False if no M is idle (making
// one would cost more than the retake it speeds up) or the standby M
// watches another P: then sysmon must watch.
bool standby_watch(P* pp);
// startm, under sched.lock: hands pp to the M on standby, if one is
// waiting or on its way back. False: it needs an idle or a new M.
bool standby_take(P* pp, bool spinning);
// stopm, once woken: true if mp's nextp holds its P (a startm wake, or the
// P a standby retook or was given); false if it was on standby and got
// none: it is back on the idle list, and must park again.
bool standby_wait(M* mp);
// A run starts: no M stands by. (The slot outlives runs; an M of the last
// run may have left it set as it exited.)
void standby_reset();

}  // namespace rawrt::sched
