// Run queues, as Go's proc.go has them: each P's lock-free ring of 256 Gs
// plus runnext, and the global queue under sched.lock.
//
// Only a P's owner puts into its ring (runqput) and takes from the head
// (runqget); any M may steal half of it (runqsteal) with a CAS on the head.
// A full ring moves half its Gs to the global queue (runqputslow).
#pragma once

#include "sched/runtime2.hpp"

namespace rawrt::sched {

// Puts gp on pp's queue. next: into runnext (it runs next, and whatever was
// there is kicked to the tail). Only pp's owner may call it.
void runqput(P* pp, G* gp, bool next);
// The next G of pp's queue (runnext first), or nullptr. Owner only.
// *inherit_time: it came from runnext and keeps the current time slice.
G* runqget(P* pp, bool* inherit_time);
// How many Gs pp's ring holds (racy; runnext not counted), for schedtrace.
uint32_t runqlen(P* pp);
// Whether pp's queue is empty (racy, as Go's runqempty: exact for the owner).
// Inline: entersyscall asks it while sysmon sleeps long.
inline bool runqempty(P* pp) {
    // Go's loop: runnext may move into the ring between the two reads.
    for (;;) {
        uint32_t h = pp->runqhead.load(std::memory_order_acquire);
        uint32_t t = pp->runqtail.load(std::memory_order_acquire);
        G* next = pp->runnext.load(std::memory_order_acquire);
        if (t == pp->runqtail.load(std::memory_order_acquire)) return h == t && next == nullptr;
    }
}
// Whether gp is all that pp's queue holds (owner only; a thief may have
// taken it meanwhile, which only makes the answer moot).
inline bool runq_holds_only(P* pp, G* gp) {
    const uint32_t h = pp->runqhead.load(std::memory_order_acquire);
    const uint32_t t = pp->runqtail.load(std::memory_order_relaxed);
    G* next = pp->runnext.load(std::memory_order_relaxed);
    if (next != nullptr) return next == gp && h == t;
    return t - h == 1 && pp->runq[h % kRunqSize].load(std::memory_order_relaxed) == gp;
}
// Steals half of p2's queue into pp's, returning one of the Gs (or nullptr).
// stealRunNextG: may take p2's runnext too.
G* runqsteal(P* pp, P* p2, bool stealRunNextG);

// The global queue; sched.lock must be held.
void globrunqput(G* gp);
void globrunqputhead(G* gp);
void globrunqputbatch(GQueue* batch, int32_t n);
// Takes a fair share of the global queue into pp's (at most max when max >
// 0) and returns one of them.
G* globrunqget(P* pp, int32_t max);

}  // namespace rawrt::sched
