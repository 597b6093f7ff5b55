// The signals the runtime has put a handler of its own on: sched's for
// faults and preemption (initsig), rawrt::signal::notify's. A vfork child
// resets these before it unblocks signals for execve (exec/fork_exec.cpp),
// as Go's child resets those in handlingSig (clearSignalHandlers). Kept in
// the lowest layer, so that a program that only spawns (examples/init)
// links no scheduler for it.
#pragma once

#include "sys/types.hpp"

namespace rawrt::sys {

// Every signal noted in this process so far, runs that ended included: a
// superset of those the runtime handles now (Go's handlingSig is exact).
// It only grows, and a handler is noted before it goes in, so a child's
// copy of the handler table never holds one of the runtime's that this
// set lacks.
SignalSet runtime_handlers();
// Called before a handler of the runtime's for sig goes in.
void note_runtime_handler(int sig);

}  // namespace rawrt::sys
