// Scheduler internals shared by the files of sched/ (Go's proc.go names).
// Not for programs: they use sched/go.hpp.
#pragma once

#include "sched/runtime2.hpp"

namespace rawrt::sched {

// Bytes of stack per G in the current run (sched/run.cpp sets it).
extern size_t stack_size;

// Changes gp's status; the checked build proves the transition is legal
// and that gp really was in oldval.
void casgstatus(G* gp, uint32_t oldval, uint32_t newval);
uint32_t readgstatus(G* gp);

// Saves the current G and runs fn(gp) on the M's g0 stack (Go: mcall).
void mcall(void (*fn)(void*));
[[noreturn]] void schedule();
[[noreturn]] void execute(G* gp, bool inherit_time);
void goexit1();
void wakep();

// Go: gopark. Parks the current G: on g0, after the G is saved and marked
// waiting, unlockf(gp, lock) runs (typically releasing the lock that
// protects the queue gp was put on); if it returns false the G runs on.
void gopark(bool (*unlockf)(G* gp, void* lock), void* lock, WaitReason reason);
// Go: goready. Makes a parked G runnable, next on this P.
void goready(G* gp);
// Go: ready. next false: to the tail of the local queue, after what is there.
void ready(G* gp, bool next);

// For run(): the G and M makers, and the creation of the first M.
void goroutine_start(void* gp);
void pidleput(P* pp);  // sched.lock held
G* malg();
void allgadd(G* gp);
void newm(P* pp, bool spinning, int64_t id);
int64_t mReserveID();

}  // namespace rawrt::sched
