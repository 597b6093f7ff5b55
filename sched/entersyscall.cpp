// Syscalls that may block, after Go's entersyscall / exitsyscall (runtime/
// proc.go). A G entering one keeps its M (the M goes into the kernel) but
// leaves its P in Psyscall, where either of two parties may take it:
//
//   the M itself, back from a short syscall: it runs on with the same P, its
//       cache and its queue (exitsyscallfast);
//   sysmon, when the syscall lasts a full tick with work waiting: it hands
//       the P to another M (retake).
//
// Go settles that race with one CAS on p.status from each side. rawrt keeps
// the locked instruction off the M's side, which runs around every syscall:
//
//   M (exitsyscall)                      sysmon (retake_p)
//   exiting_syscall = true                CAS status Psyscall -> Pretaking
//   light_fence                           heavy_fence (membarrier)
//   status == Psyscall and              exiting_syscall?
//     syscallm == this M?                  yes: CAS Pretaking -> Psyscall
//     yes: status = Prunning (a store)    no:  CAS Pretaking -> Pidle, ours
//   exiting_syscall = false
//
// A Dekker pair: at least one side sees the other's store. If the M saw
// Psyscall, sysmon sees its flag (and gives the P back, or finds its CAS
// beaten by the M's Prunning); if sysmon saw no flag, the M saw Pretaking
// and waits for sysmon's verdict. Only sysmon writes Pretaking, so a stale
// CAS of its own can never succeed on a later syscall. syscallm keeps an M
// whose P was retaken (and is now in another M's syscall) from taking it.
// An M that lost its P takes an idle one, or queues its G and parks
// (exitsyscall0). docs/syscall-scheduling.md tells the whole protocol.
//
// The sys/ wrappers call these through the hooks installed for the run;
// on a thread that is not an M, or on g0, the hooks do nothing.

#include "sched/entersyscall.hpp"

#include "arch/cpu_relax.hpp"
#include "sched/asymfence.hpp"
#include "sched/layers_below.hpp"
#include "sched/proc.hpp"
#include "sched/runq.hpp"
#include "sched/sysmon.hpp"
#include "sched/trace.hpp"
#include "sys/counter.hpp"
#include "sys/fatal.hpp"
#include "sys/syscall.hpp"

namespace rawrt::sched {
namespace {

// The calling G when it is a user G on an M, else nullptr (a glibc thread,
// or g0: the runtime's own calls never hand anything off).
// One check of the thread pointer: this runs around every syscall.
[[gnu::always_inline]] inline G* syscaller(M** mpp) {
    const sys::ThreadControlBlock* tcb = sys::current_runtime_tcb();
    if (tcb == nullptr || tcb->m == nullptr) return nullptr;
    M* mp = static_cast<M*>(tcb->m);
    G* gp = mp->curg;
    if (gp == nullptr || tcb->g != gp) return nullptr;
    *mpp = mp;
    return gp;
}

// Go: reentersyscall's bookkeeping, shared with entersyscallblock.
P* save_for_syscall(M* mp, G* gp, uintptr_t pc, uintptr_t sp) {
    gp->syscallpc = pc;
    gp->syscallsp = sp;
    casgstatus(gp, Grunning, Gsyscall);
    sys::counter_inc_owned(mp->stats.syscalls);
    P* pp = mp->p;
#if RAWRT_CHECKED
    if (pp == nullptr || pp->m != mp || pp->status.load() != Prunning)
        sys::fatal("entersyscall: M ", mp->id, " does not own a running P");
#endif
    return pp;
}

void entersyscallblock_handoff(void*) { handoffp(releasep()); }

// The M's half of the protocol above: true if it has oldp back, running.
[[gnu::always_inline]] inline bool reclaimp(M* mp, P* pp) {
    mp->exiting_syscall.store(true, std::memory_order_relaxed);
    light_fence();
    uint32_t s;
    // Pretaking lasts one membarrier: spin, then let sysmon have the CPU.
    for (int spins = 0; (s = pp->status.load(std::memory_order_acquire)) == Pretaking; ++spins) {
        if (spins < 100) arch::cpu_relax();
        else osyield();
    }
    const bool won = s == Psyscall && pp->syscallm.load(std::memory_order_relaxed) == mp;
    if (won) {
#if RAWRT_CHECKED
        if (pp->m != nullptr || mp->syscalltick != pp->syscalltick)
            sys::fatal("exitsyscall: P ", pp->id, " changed hands while M ", mp->id, " was in a syscall");
#endif
        mp->p = pp;
        pp->m = mp;
        pp->status.store(Prunning, std::memory_order_relaxed);
    }
    // Release, after the status: a sysmon that reads false here then sees
    // Prunning, and its CAS from Pretaking fails.
    mp->exiting_syscall.store(false, std::memory_order_release);
    return won;
}

// Go: exitsyscallfast. Returns with a P, or false for the slow path.
bool exitsyscallfast(M* mp, P* oldp) {
    if (oldp != nullptr && reclaimp(mp, oldp)) {
        sys::counter_inc_owned(mp->stats.exit_fast);
        traceEvent(evGoSyscallEnd, kSysExitFast);
        return true;
    }
    nmblocked.fetch_sub(1, std::memory_order_relaxed);  // its P went on without it
    if (sched.npidle.load(std::memory_order_relaxed) != 0) {
        lock(&sched.lock);
        P* pp = sched.exiting ? nullptr : pidleget();
        unlock(&sched.lock);
        if (pp != nullptr) {
            acquirep(pp);
            sys::counter_inc_owned(mp->stats.exit_idle_p);
            traceEvent(evGoSyscallEnd, kSysExitIdleP);
            return true;
        }
    }
    return false;
}

// Go: exitsyscall0, on g0: no P for gp. Run it on an idle P if one turned
// up, else queue it globally and park this M (a locked G keeps its M).
void exitsyscall0(void* arg) {
    G* gp = static_cast<G*>(arg);
    M* mp = getm();
    casgstatus(gp, Gsyscall, Grunnable);
    dropg();
    lock(&sched.lock);
    P* pp = sched.exiting ? nullptr : pidleget();
    bool locked = false;
    if (pp == nullptr) {
        globrunqput(gp);
        // Read before the unlock publishes gp to whoever takes it next.
        locked = gp->lockedm != nullptr;
        // On its way to stopm: a startm meanwhile hands it a P.
        if (!locked) mstopping_put(mp);
    }
    // Counted before the unlock publishes gp: once it runs elsewhere, its
    // syscall must already show as ended in stats().
    sys::counter_inc_owned(pp != nullptr ? mp->stats.exit_idle_p : mp->stats.exit_slow);
    // Traced before the unlock too: another M may start gp the moment it is
    // published, and its start must not come before this end.
    traceEvent(evGoSyscallEnd, pp != nullptr ? kSysExitIdleP : kSysExitSlow);
    traceEvent(evGoStop, kStopSyscallNoP, static_cast<uint64_t>(gp->goid));
    unlock(&sched.lock);
    if (pp != nullptr) {
        acquirep(pp);
        return execute(gp, false);
    }
    if (locked) {
        stoplockedm();  // until some M finds gp and hands this one a P
        return execute(gp, false);
    }
    stopm();
    schedule();
}

}  // namespace

void entersyscall(long nr, long a0, long a1, long a2) {
    M* mp;
    G* gp = syscaller(&mp);
    if (gp == nullptr) return;
    traceEvent(evGoSyscall, static_cast<uint32_t>(nr), static_cast<uint64_t>(a0), static_cast<uint64_t>(a1),
               static_cast<uint64_t>(a2));
    P* pp = save_for_syscall(mp, gp, reinterpret_cast<uintptr_t>(__builtin_return_address(0)),
                             reinterpret_cast<uintptr_t>(__builtin_frame_address(0)));
    mp->syscalltick = pp->syscalltick;
    pp->m = nullptr;
    mp->oldp = pp;
    mp->p = nullptr;
    pp->syscallm.store(mp, std::memory_order_relaxed);
    pp->status.store(Psyscall, std::memory_order_release);
    // Dekker with sysmon deciding to sleep long: it stores its state, then
    // looks at the Ps; this stored Psyscall and now reads the state.
    light_fence();
    sysmon_entersyscall(pp, mp->syscalltick);
}

void entersyscallblock(long nr, long a0, long a1, long a2) {
    M* mp;
    G* gp = syscaller(&mp);
    if (gp == nullptr) return;
    traceEvent(evGoSyscall, static_cast<uint32_t>(nr), static_cast<uint64_t>(a0), static_cast<uint64_t>(a1),
               static_cast<uint64_t>(a2), 1);
    P* pp = save_for_syscall(mp, gp, reinterpret_cast<uintptr_t>(__builtin_return_address(0)),
                             reinterpret_cast<uintptr_t>(__builtin_frame_address(0)));
    ++pp->syscalltick;
    mp->syscalltick = pp->syscalltick;
    mp->oldp = nullptr;  // no P to take back: exitsyscall goes for an idle one
    sys::counter_inc_owned(mp->stats.handoff_block);
    nmblocked.fetch_add(1, std::memory_order_relaxed);
    // handoffp may make a thread: more stack than a small G has.
    rawrt_systemstack(reinterpret_cast<void*>(mp->g0->stack.hi), entersyscallblock_handoff, nullptr);
}

void exitsyscall() {
    M* mp;
    G* gp = syscaller(&mp);
    if (gp == nullptr) return;
    if (exitsyscallfast(mp, mp->oldp)) {
        ++mp->p->syscalltick;
        casgstatus(gp, Gsyscall, Grunning);
        gp->syscallsp = 0;
        if (gp->preempt.load(std::memory_order_relaxed)) go_preempt();
        return;
    }
    mcall(exitsyscall0);
    // Running again, with a P, perhaps on another M.
    ++getm()->p->syscalltick;
    gp->syscallsp = 0;
}

SyscallMark syscall_mark() {
    const P* pp = getm()->p;
    return {pp, pp->syscalltick};
}

// exitsyscall's fast path bumps the tick once on the P it kept; a retake
// bumps it too, and a slow exit runs the G on whatever P it finds.
bool syscall_kept_p(SyscallMark mark) { return getm()->p == mark.pp && mark.pp->syscalltick == mark.tick + 1; }

namespace {
const sys::SyscallHooks hooks = {entersyscall, exitsyscall, entersyscallblock};
}

void install_syscall_hooks(bool on) { sys::install_syscall_hooks(on ? &hooks : nullptr); }

void blocking_call(void (*fn)(void*), void* arg) {
    M* mp;
    G* gp = syscaller(&mp);
    if (gp == nullptr) {
        fn(arg);
        return;
    }
    sys::counter_inc_owned(mp->stats.blocking_calls);
    entersyscall();
    // Go's asmcgocall: on the M's own stack, as g0, so that the syscalls fn
    // makes are plain ones (its P is already up for grabs).
    setg(mp->g0);
    rawrt_systemstack(reinterpret_cast<void*>(mp->g0->stack.hi), fn, arg);
    setg(gp);
    exitsyscall();
}

}  // namespace rawrt::sched
