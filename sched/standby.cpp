#include "sched/standby.hpp"

#include "arch/cpu_relax.hpp"
#include "sched/proc.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {

namespace {

// The M on standby, for startm to take if the idle list runs dry meanwhile
// (sysmon's: set and cleared by it, read under sched.lock by startm).
std::atomic<M*> standbym{nullptr};

// A P travels in m.standby with its low bit telling whether the M is to
// count as spinning (Ps are aligned: the bit is free, and the value is
// never kStandbyWaiting or kStandbyOff).
bool give(M* mp, P* pp, bool spinning) {
    uintptr_t s = kStandbyWaiting;
    const uintptr_t v = reinterpret_cast<uintptr_t>(pp) | (spinning ? 1 : 0);
    return mp->standby.compare_exchange_strong(s, v, std::memory_order_release);
}

}  // namespace

M* standbystart() {
    lock(&sched.lock);
    M* mp = sched.exiting ? nullptr : mget();
    if (mp != nullptr) {
        mp->standby.store(kStandbyWaiting, std::memory_order_relaxed);
        standbym.store(mp, std::memory_order_relaxed);
    }
    unlock(&sched.lock);
    if (mp != nullptr) notewakeup(&mp->park);
    return mp;
}

bool standbygive(M* mp, P* pp) { return give(mp, pp, false); }

bool standbytake(P* pp, bool spinning) {
    M* mp = standbym.load(std::memory_order_relaxed);
    return mp != nullptr && give(mp, pp, spinning);
}

void standbyoff(M* mp) {
    lock(&sched.lock);
    standbym.store(nullptr, std::memory_order_relaxed);
    unlock(&sched.lock);
    uintptr_t s = kStandbyWaiting;
    mp->standby.compare_exchange_strong(s, kStandbyOff, std::memory_order_relaxed);
}

bool standbywait(M* mp) {
    uintptr_t s = mp->standby.load(std::memory_order_acquire);
    if (s == kStandbyNone) return true;
    const int64_t deadline = vdso::nanotime() + kStandbyNs;
    for (;; s = mp->standby.load(std::memory_order_acquire)) {
        if (s == kStandbyWaiting) {
            if (!sched.exiting && vdso::nanotime() < deadline) {
                arch::cpu_relax();
                continue;
            }
            // Given up: unless sysmon was faster, with a P or a call-off.
            if (mp->standby.compare_exchange_strong(s, kStandbyNone, std::memory_order_acquire)) return false;
        }
        mp->standby.store(kStandbyNone, std::memory_order_relaxed);
        if (s == kStandbyOff) return false;
        mp->nextp = reinterpret_cast<P*>(s & ~uintptr_t{1});
        mp->spinning = (s & 1) != 0;
        return true;
    }
}

}  // namespace rawrt::sched
