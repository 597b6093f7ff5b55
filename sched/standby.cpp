// The standby M (sched/standby.hpp), rawrt's own: an idle M woken at a
// prompt watches one syscall and retakes its P itself.

#include "sched/standby.hpp"

#include "sched/debug.hpp"
#include "sched/layers_below.hpp"
#include "sched/proc.hpp"
#include "sched/runq.hpp"
#include "sched/sysmon.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {

namespace {

// The M on standby, from standby_watch until the M leaves standby (with a P,
// or back onto the idle list): one at a time, under sched.lock.
std::atomic<M*> standbym{nullptr};

bool cas(M* mp, uintptr_t from, uintptr_t to) {
    return mp->standby.compare_exchange_strong(from, to, std::memory_order_acq_rel);
}

// A P travels in m.standby with its low bit telling whether the M is to
// count as spinning (Ps are aligned: the bit is free, and the value is
// never kStandbyWaiting or kStandbyOff).
uintptr_t withp(P* pp, bool spinning) { return reinterpret_cast<uintptr_t>(pp) | (spinning ? 1 : 0); }

// mp leaves standby (sched.lock held): it empties the slot.
void leave(M* mp) {
    if (standbym.load(std::memory_order_relaxed) == mp) standbym.store(nullptr, std::memory_order_relaxed);
}

// One look at the syscall mp watches (m.standby is kStandbyWaiting). Once
// the syscall has ended or lasted the minimum tick, the watch is over and
// m.standby moves on: to the P, retaken, or to kStandbyOff.
void watch(M* mp) {
    P* pp = mp->watch_p;  // stored before the CAS to kStandbyWaiting we saw
    const uint32_t tick = pp->prompt_tick.load(std::memory_order_acquire);
    const bool going = pp->status.load(std::memory_order_acquire) == Psyscall &&
                       std::atomic_ref<uint32_t>(pp->syscalltick).load(std::memory_order_relaxed) == tick;
    if (going && vdso::nanotime() < pp->prompt_when.load(std::memory_order_relaxed) + retake_wait()) {
        // Yield, not pause: a pause loop here and a spinning sysmon fill a
        // 2-CPU machine, and a third thread waking could displace the
        // retaker until it was too late (a quarter of the trials of a run
        // retaken 200 µs late, measured).
        osyield();
        return;
    }
    if (going && !runqempty(pp) && standby_retake(pp)) {
        // A startm may have handed this M a P meanwhile: then pp needs
        // another (sysmon's way).
        if (!cas(mp, kStandbyWaiting, withp(pp, false))) handoffp(pp);
        return;
    }
    sysmon_prompt_wasted();
    (void)cas(mp, kStandbyWaiting, kStandbyOff);
}

}  // namespace

bool standby_watch(P* pp) {
    // Without the lock first: a G making short syscalls one after another
    // prompts at each until the first watch turns prompts off.
    if (M* mp = standbym.load(std::memory_order_relaxed);
        mp != nullptr && mp->standby.load(std::memory_order_relaxed) != kStandbyOff)
        return false;
    lock(&sched.lock);
    M* mp = standbym.load(std::memory_order_relaxed);
    if (mp != nullptr) {
        // Called off but still awake, on its way back to the idle list: it
        // can stand by again without a second wake (which would be one too
        // many). Still watching, even pp's previous syscall: sysmon watches
        // (the M may be about to find that one over).
        bool ok = false;
        if (mp->standby.load(std::memory_order_relaxed) == kStandbyOff) {
            mp->watch_p = pp;
            ok = cas(mp, kStandbyOff, kStandbyWaiting);
        }
        unlock(&sched.lock);
        return ok;
    }
    mp = sched.exiting ? nullptr : mget();
    if (mp != nullptr) {
        mp->watch_p = pp;
        mp->standby.store(kStandbyWaiting, std::memory_order_release);
        standbym.store(mp, std::memory_order_relaxed);
    }
    unlock(&sched.lock);
    if (mp == nullptr) return false;
    notewakeup(&mp->park);
    return true;
}

bool standby_take(P* pp, bool spinning) {
    M* mp = standbym.load(std::memory_order_relaxed);
    return mp != nullptr &&
           (cas(mp, kStandbyWaiting, withp(pp, spinning)) || cas(mp, kStandbyOff, withp(pp, spinning)));
}

void standby_reset() { standbym.store(nullptr, std::memory_order_relaxed); }

bool standby_wait(M* mp) {
    uintptr_t s = mp->standby.load(std::memory_order_acquire);
    if (s == kStandbyNone) return true;
    const int64_t deadline = vdso::nanotime() + kStandbyNs;
    for (;; s = mp->standby.load(std::memory_order_acquire)) {
        if (s == kStandbyWaiting && !sched.exiting && vdso::nanotime() < deadline) {
            watch(mp);
            continue;
        }
        lock(&sched.lock);
        if (s == kStandbyWaiting || s == kStandbyOff) {
            // Called off, or given up: back onto the idle list in the same
            // critical section, so that a startm never finds the list empty
            // while this M is on its way (it would make a thread for
            // nothing); until then, standby_take may still hand it a P. A run
            // that is ending woke its idle Ms already: this one leaves.
            if (!cas(mp, s, kStandbyNone)) {
                unlock(&sched.lock);
                continue;  // a P, or standing by again, meanwhile
            }
            leave(mp);
            const bool exiting = sched.exiting;
            if (!exiting) mput(mp);
            unlock(&sched.lock);
            if (exiting) mexit();
            return false;
        }
        leave(mp);
        unlock(&sched.lock);
        mp->standby.store(kStandbyNone, std::memory_order_relaxed);
        mp->nextp = reinterpret_cast<P*>(s & ~uintptr_t{1});
        mp->spinning = (s & 1) != 0;
        return true;
    }
}

}  // namespace rawrt::sched
