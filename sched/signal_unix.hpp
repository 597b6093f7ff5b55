// Signals, the part of Go's runtime/signal_unix.go that rawrt needs: a G
// that runs into the guard page below its stack gets "fatal error: stack
// overflow in goroutine N" and exit status 2 instead of a silent SIGSEGV;
// SIGURG carries sysmon's preemption requests (sched/preempt.hpp).
//
// The handler runs on a per-M alternate signal stack (the overflowing stack
// has no room left for a signal frame). It is installed for SIGSEGV and
// SIGBUS for the length of a run; any fault that is not a guard-page hit on
// a runtime thread, and every fault on a thread that is not an M, goes back
// to the disposition that was there before the run: the handler puts it
// back and returns, the faulting instruction runs again, and the fault goes
// where it would have gone without rawrt (a host program's own handler, or
// the default core dump). That previous disposition then stays for the rest
// of the run.
#pragma once

#include <cstddef>

#include "sched/runtime2.hpp"

namespace rawrt::sched {

// Go: initsig. Installs the handlers, keeping the previous dispositions, and
// sizes the signal stacks from the auxiliary vector. At the start of a run,
// before the first M. SIGURG's only with RAWRT_DEBUG's asyncpreempt on.
void initsig();
// Puts back what initsig replaced. At the end of a run, once every M is gone.
void deinit_sig();

// Bytes of alternate signal stack each M gets: AT_MINSIGSTKSZ (the kernel's
// signal frame: 3376 on an AVX-512 x86_64) plus room for the handler, and at
// least 16 KiB. A multiple of the page size. Valid after initsig.
size_t signal_stack_size();

// Whether the run's SIGURG handler is installed (preemption signals are sent).
bool preempt_signal_installed();
// While it is, SIGURGs that are not preemption requests go to notify
// (nullptr: to the disposition SIGURG had before the run) instead of that
// disposition: how rawrt::signal::notify catches SIGURG. False, and
// nothing changes, when the handler is not installed.
bool sigurg_forward(void (*notify)(int));

// Go: minitSignalStack / unminitSignalStack. Installs mp->gsignal as the
// calling thread's alternate signal stack (in mstart), and removes it
// before the thread exits (in mexit).
void minitSignalStack(M* mp);
void unminitSignalStack();

}  // namespace rawrt::sched
