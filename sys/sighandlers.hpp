// The signals the runtime has put a handler of its own on: sched's for
// faults and preemption (initsig), rawrt::signal::notify's. A vfork child
// resets these before it unblocks signals for execve (exec/fork_exec.cpp),
// as Go's child resets those in handlingSig (clearSignalHandlers). Kept in
// the lowest layer, so that a program that only spawns (examples/init)
// links no scheduler for it.
#pragma once

#include "sys/result.hpp"
#include "sys/types.hpp"

namespace rawrt::sys {

// Every signal noted in this process so far, runs that ended included: a
// superset of those the runtime handles now (Go's handlingSig is exact).
// It only grows, and a handler is noted before it goes in, so a child's
// copy of the handler table never holds one of the runtime's that this
// set lacks.
SignalSet runtime_handlers();
// rt_sigaction (raw) for a handler of the runtime's: sig is noted in
// runtime_handlers() first, then act goes in; errors are rt_sigaction's.
Result<void> install_runtime_handler(int sig, const KernelSigaction* act, KernelSigaction* old);

}  // namespace rawrt::sys
