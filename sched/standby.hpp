// A standby M: sysmon wakes an idle M while it watches a syscall it expects
// to retake (sysmon.cpp's watchprompted), so that the M is awake when the P
// is retaken instead of starting its futex wake-up then (~12 µs in this VM:
// a third of the warm retake latency). Not in Go, whose handoffp wakes the M
// only once the P is free (startm).
//
// The M is off the idle list (it counts as running for checkdead) and polls
// m.standby, yielding, until it is given a P, called off, or kStandbyNs
// pass; then it goes back onto the list itself. Every change of m.standby
// is a CAS from kStandbyWaiting or kStandbyOff, so no two parties both win
// the M; a startm that finds the idle list empty takes it (standbytake),
// waiting or on its way back, rather than make a thread.
#pragma once

#include <cstdint>

#include "sched/runtime2.hpp"

namespace rawrt::sched {

// m.standby: 0 (not on standby), waiting, called off, or the P given (a
// pointer, never 0, 1 or 2).
enum : uintptr_t { kStandbyNone = 0, kStandbyWaiting = 1, kStandbyOff = 2 };

// The longest a standby M waits: sysmon's longest watch (kMaxWatchNs) and
// the time it takes the M to wake, with room to spare.
constexpr int64_t kStandbyNs = 200'000;

// sysmon: takes an idle M off the list and wakes it on standby (or the M
// last called off, if it is still on its way back); nullptr if no M is idle
// (making one would cost more than the retake it speeds up).
M* standbystart();
// sysmon: hands pp (retaken, _Pidle, with work) to mp; false if mp already
// gave up waiting, and then pp needs an M the usual way (handoffp).
bool standbygive(M* mp, P* pp);
// startm, under sched.lock, when no M is idle: hands pp to the M on
// standby, if one is waiting or on its way back. False: it needs a new M.
bool standbytake(P* pp, bool spinning);
// sysmon: the watch is over. mp, unless it was given a P, goes back onto
// the idle list.
void standbyoff(M* mp);
// stopm, once woken: true if mp's nextp holds its P (a startm wake, or the
// P of a standby); false if it was on standby and got none: it is back on
// the idle list, and must park again.
bool standbywait(M* mp);

}  // namespace rawrt::sched
