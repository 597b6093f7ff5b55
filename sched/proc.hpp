// Scheduler internals shared by the files of sched/ (Go's proc.go names).
// Not for programs: they use sched/go.hpp.
#pragma once

#include "sched/runtime2.hpp"

namespace rawrt::sched {

// Bytes of stack per G in the current run (sched/run.cpp sets it).
extern size_t stack_size;

// Changes gp's status; the checked build proves the transition is legal
// and that gp really was in oldval. Otherwise one store, inline: it runs
// twice around every syscall.
#if RAWRT_CHECKED
void casgstatus(G* gp, uint32_t oldval, uint32_t newval);
#else
inline void casgstatus(G* gp, uint32_t, uint32_t newval) { gp->atomicstatus.store(newval, std::memory_order_release); }
#endif
uint32_t readgstatus(G* gp);

// Runs started so far, the current one included: what a layer above keeps
// for one run only (a poller that failed to start) compares against it.
uint64_t run_generation();

// Saves the current G and runs fn(gp) on the M's g0 stack (Go: mcall).
void mcall(void (*fn)(void*));
// schedule and execute never return, yet are not [[noreturn]]: a call to a
// noreturn function is never compiled to a jump, and on g0 every call that
// does not return leaves an entry on the CPU's return-address stack. With
// the calls from mcall's fn to schedule, execute and gogo all jumps, the
// resumed G's returns find the predictions its own calls left (the same
// code path, when Gs park the same way): Gosched 23 -> 18 ns. Call them in
// tail position (`return execute(...)`), from a frame with no address-taken
// local (GCC then keeps the call: schedule's findNext).
void schedule();
void execute(G* gp, bool inherit_time);
void goexit1();

// Go: gopark. Parks the current G: on g0, after the G is saved and marked
// waiting, unlockf(gp, lock) runs (typically releasing the lock that
// protects the queue gp was put on); if it returns false the G runs on.
void gopark(bool (*unlockf)(G* gp, void* lock), void* lock, WaitReason reason);
// Go: goready. Makes a parked G runnable, next on this P.
void goready(G* gp);
// Go: ready. next false: to the tail of the local queue, after what is there.
void ready(G* gp, bool next);
// Go: injectglist. Makes every G of glist (all Gwaiting) runnable: on the
// global queue with an M started for each idle P that can take one, the
// rest on the caller's P if it has one. Empties glist.
void injectglist(GList* glist);

// Gosched on g0: gp goes to the global queue's tail.
void gosched_m(void* gp);
// Go: gopreempt_m's caller. The current G honours a preemption request: it
// goes to the global queue, where any P may pick it up.
void go_preempt();
// Go: dropg. The M stops running its current G (on g0, with the G saved).
void dropg();

// For run(): the G and M makers, and the creation of the first M.
G* malg();
void allgadd(G* gp);

// ---- Ms and Ps (sched/proc_mp.cpp). "locked": with sched.lock held.

// Go: acquirep / releasep. The checked build proves a P has one owner.
void acquirep(P* pp);
P* releasep();
void pidleput(P* pp);  // locked
P* pidleget();         // locked
void mput(M* mp);      // locked; runs checkdead
M* mget();             // locked
int32_t mcount();      // Ms alive (locked for an exact count)

// Go: newm. A new M (thread) that starts by running pp, or mstartfn with no
// P (sysmon). id from mReserveID (locked), which enforces the thread limit.
void newm(P* pp, bool spinning, int64_t id, void (*mstartfn)() = nullptr);
int64_t mReserveID();
// Go: stopm. Parks the M until startm hands it a P (or the run ends). With
// until != 0 it parks only until that nanotime, then tries to take an idle
// P itself so the timer due then gets run: how idle Ms wait for timers
// before the netpoller is started (after, one M waits in netpoll(delay)).
void stopm(int64_t until = 0);
// rawrt: mp has given up its P (locked, in the same critical section) and
// heads for stopm. Until it parks it is awake but on no list, and Go's
// startm, finding the idle list empty, makes a thread: rawrt's hands mp
// the P instead. mp then leaves that state with mstopping_leave or stopm.
void mstopping_put(M* mp);
// Locked. mp stops heading for stopm (to take a P of its own, or to wait in
// the poller): the P startm handed it meanwhile (mp->spinning set as startm
// asked), or nullptr. handed_only: leave only if a P was handed.
P* mstopping_leave(M* mp, bool handed_only = false);
// Go: startm. Runs pp (or an idle P) on an idle M, an M on its way to the
// idle list (mstopping_put), or a new one.
void startm(P* pp, bool spinning);
// Go: wakep. A G became runnable: if a P is idle and nobody is already
// looking for work, start a spinning M to find it.
void wakep();
// Go: handoffp. pp (released by its M) goes to an M if it has work, or if
// nobody else could look for work; else it goes idle.
void handoffp(P* pp);
// Go: stoplockedm. A locked M with nothing to run: hands its P off and
// sleeps until startlockedm hands it one back to run its G.
void stoplockedm();
// Go: startlockedm. gp is locked to another M: give it this M's P, park.
void startlockedm(G* gp);
// Takes sched.lock, or ends the M if the run is ending (it never returns
// then, and holds no lock).
void lock_sched_or_mexit();
// Go: checkdead (locked). Ends the run when no G can ever run again.
void checkdead();
// Ends the run: every M leaves at its next scheduling point (locked).
void begin_exit();
[[noreturn]] void mexit();

}  // namespace rawrt::sched
