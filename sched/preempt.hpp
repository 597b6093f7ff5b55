// Asynchronous preemption (Go 1.14's, runtime/preempt.go and the preemption
// half of signal_unix.go): a G that computes without ever calling the
// runtime still gives up its P. docs/preemption.md tells the whole story.
//
//   sysmon (sysmon.cpp)                      the G's M, in the SIGURG handler
//   ------------------------------------     ---------------------------------
//   the G ran past the quantum and
//   something waits for its P:
//   gp->preempt = true; preemptM(mp)  ---->  doSigPreempt: at a safe point,
//                                            the kernel's signal frame moves
//                                            onto the G's stack, the M goes
//                                            to g0 and schedules; the G is
//                                            runnable, and rt_sigreturn from
//                                            that frame resumes it, on
//                                            whichever M runs it next.
//
// A safe point (isAsyncSafePoint): the M runs a user G in Grunning on that
// G's own stack (not g0's, not the signal stack), outside the runtime's text
// (sys/runtime_text.hpp: the scheduler, the locks, the allocator, the
// syscall stubs) and outside the vDSO, with room on the G's stack for the
// frame. Anywhere else the request stays set and sysmon asks again.
#pragma once

#include <cstdint>

#include "sched/runtime2.hpp"

namespace rawrt::sched {

// At the start of a run (initsig): the pid and the request's cookie, the
// vDSO's range. False when the runtime's text range is not where the build
// puts it (another linker, a linker script of one's own): preemption then
// stays cooperative.
bool preempt_init();

// Go: preemptM. Sends mp the preemption signal (SIGURG, si_code SI_QUEUE,
// si_value a cookie of this run, so that the handler tells sysmon's requests
// from SIGURGs others send), unless one is already on its way. sysmon, under
// sched.lock (mp stays an M meanwhile). True if one was sent.
bool preemptM(M* mp);

// True if si is sysmon's request (preemptM's cookie).
bool is_preempt_request(const sys::Siginfo* si);

// Go: doSigPreempt. In the SIGURG handler, on the M's signal stack: switches
// the M's G out if it is at a safe point, and does not return then; returns
// otherwise, counting a refusal.
void doSigPreempt(const sys::Siginfo* si, void* ucontext);

}  // namespace rawrt::sched
