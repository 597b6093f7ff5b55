#include "sched/standby.hpp"

#include "sched/os_linux.hpp"
#include "sched/proc.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {

namespace {

// The M on standby, from standbystart until the M leaves standby (with a P,
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

}  // namespace

M* standbystart() {
    lock(&sched.lock);
    M* mp = standbym.load(std::memory_order_relaxed);
    // Called off but still awake, on its way back to the idle list: it can
    // stand by again without a second wake (which would be one too many).
    // (Never still waiting: every watch ends in standbyoff.)
    if (mp != nullptr && cas(mp, kStandbyOff, kStandbyWaiting)) {
        unlock(&sched.lock);
        return mp;
    }
    mp = sched.exiting ? nullptr : mget();
    if (mp != nullptr) {
        mp->standby.store(kStandbyWaiting, std::memory_order_relaxed);
        standbym.store(mp, std::memory_order_relaxed);
    }
    unlock(&sched.lock);
    if (mp != nullptr) notewakeup(&mp->park);
    return mp;
}

bool standbygive(M* mp, P* pp) { return cas(mp, kStandbyWaiting, withp(pp, false)); }

bool standbytake(P* pp, bool spinning) {
    M* mp = standbym.load(std::memory_order_relaxed);
    return mp != nullptr && (cas(mp, kStandbyWaiting, withp(pp, spinning)) || cas(mp, kStandbyOff, withp(pp, spinning)));
}

void standbyoff(M* mp) { (void)cas(mp, kStandbyWaiting, kStandbyOff); }

bool standbywait(M* mp) {
    uintptr_t s = mp->standby.load(std::memory_order_acquire);
    if (s == kStandbyNone) return true;
    const int64_t deadline = vdso::nanotime() + kStandbyNs;
    for (;; s = mp->standby.load(std::memory_order_acquire)) {
        if (s == kStandbyWaiting && !sched.exiting && vdso::nanotime() < deadline) {
            // Yield, not pause: with sysmon spinning through its watch too,
            // two spinners fill a 2-CPU machine, and a third thread waking
            // could displace sysmon until this M gave up (a retake 200 µs
            // late in a quarter of the trials, measured).
            osyield();
            continue;
        }
        lock(&sched.lock);
        if (s == kStandbyWaiting || s == kStandbyOff) {
            // Called off, or given up: back onto the idle list in the same
            // critical section, so that a startm never finds the list empty
            // while this M is on its way (it would make a thread for
            // nothing); until then, standbytake may still hand it a P. A run
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
