// The run queues (sched/runq.hpp), after Go's runtime/proc.go: each P's
// lock-free ring with runnext, stealing half of one, and the global queue.

#include "sched/runq.hpp"

#include "sched/layers_below.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"

namespace rawrt::sched {

void GQueue::push_back(G* gp) {
    gp->schedlink = nullptr;
    if (tail != nullptr) tail->schedlink = gp;
    else head = gp;
    tail = gp;
}

void GQueue::push_front(G* gp) {
    gp->schedlink = head;
    head = gp;
    if (tail == nullptr) tail = gp;
}

G* GQueue::pop() {
    G* gp = head;
    if (gp != nullptr) {
        head = gp->schedlink;
        if (head == nullptr) tail = nullptr;
    }
    return gp;
}

void GList::push(G* gp) {
    gp->schedlink = head;
    head = gp;
    ++n;
}

G* GList::pop() {
    G* gp = head;
    if (gp != nullptr) {
        head = gp->schedlink;
        --n;
    }
    return gp;
}

namespace {

// Moves half of pp's full ring plus gp to the global queue. False if a
// stealer got there first (then the ring has room again).
bool runqputslow(P* pp, G* gp, uint32_t h, uint32_t t) {
    G* batch[kRunqSize / 2 + 1];
    uint32_t n = (t - h) / 2;
    if (n != kRunqSize / 2) sys::fatal("runqputslow: queue is not full");
    for (uint32_t i = 0; i < n; ++i) batch[i] = pp->runq[(h + i) % kRunqSize].load(std::memory_order_relaxed);
    if (!pp->runqhead.compare_exchange_strong(h, h + n, std::memory_order_release)) return false;
    batch[n] = gp;
    GQueue q;
    for (uint32_t i = 0; i <= n; ++i) q.push_back(batch[i]);
    lock(&sched.lock);
    globrunqputbatch(&q, static_cast<int32_t>(n + 1));
    unlock(&sched.lock);
    return true;
}

// Copies up to half of pp's Gs into batch[batchHead...] (a ring of
// kRunqSize) and returns how many.
uint32_t runqgrab(P* pp, std::atomic<G*>* batch, uint32_t batchHead, bool stealRunNextG) {
    for (;;) {
        uint32_t h = pp->runqhead.load(std::memory_order_acquire);
        uint32_t t = pp->runqtail.load(std::memory_order_acquire);
        uint32_t n = t - h;
        n = n - n / 2;
        if (n == 0) {
            if (stealRunNextG) {
                G* next = pp->runnext.load(std::memory_order_acquire);
                if (next != nullptr) {
                    // pp's owner is probably about to run it: give it a few
                    // microseconds rather than bounce the G between Ps (Go: usleep(3)).
                    if (pp->status.load(std::memory_order_relaxed) == Prunning) {
                        const sys::KernelTimespec pause = {0, 3000};
                        (void)sys::raw::nanosleep(sys::as_timespec(&pause), nullptr);
                    }
                    if (!pp->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) continue;
                    batch[batchHead % kRunqSize].store(next, std::memory_order_relaxed);
                    return 1;
                }
            }
            return 0;
        }
        if (n > kRunqSize / 2) continue;  // read h and t inconsistently: again
        for (uint32_t i = 0; i < n; ++i) {
            G* gp = pp->runq[(h + i) % kRunqSize].load(std::memory_order_relaxed);
            batch[(batchHead + i) % kRunqSize].store(gp, std::memory_order_relaxed);
        }
        if (pp->runqhead.compare_exchange_strong(h, h + n, std::memory_order_acq_rel)) return n;
    }
}

}  // namespace

void runqput(P* pp, G* gp, bool next) {
    if (next) {
        // Only the owner makes runnext non-null; stealers only take it to
        // null. So an empty runnext stays empty until this store, and needs
        // no locked instruction (a channel handoff on one P saves one).
        if (pp->runnext.load(std::memory_order_relaxed) == nullptr) {
            pp->runnext.store(gp, std::memory_order_release);
            return;
        }
        G* old = pp->runnext.exchange(gp, std::memory_order_acq_rel);
        if (old == nullptr) return;
        gp = old;  // the displaced one goes to the tail
    }
    for (;;) {
        uint32_t h = pp->runqhead.load(std::memory_order_acquire);
        uint32_t t = pp->runqtail.load(std::memory_order_relaxed);
        if (t - h < kRunqSize) {
            pp->runq[t % kRunqSize].store(gp, std::memory_order_relaxed);
            pp->runqtail.store(t + 1, std::memory_order_release);
            return;
        }
        if (runqputslow(pp, gp, h, t)) return;
    }
}

G* runqget(P* pp, bool* inherit_time) {
    G* next = pp->runnext.load(std::memory_order_relaxed);
    if (next != nullptr && pp->runnext.compare_exchange_strong(next, nullptr, std::memory_order_acq_rel)) {
        *inherit_time = true;
        return next;
    }
    *inherit_time = false;
    for (;;) {
        uint32_t h = pp->runqhead.load(std::memory_order_acquire);
        uint32_t t = pp->runqtail.load(std::memory_order_relaxed);
        if (t == h) return nullptr;
        G* gp = pp->runq[h % kRunqSize].load(std::memory_order_relaxed);
        if (pp->runqhead.compare_exchange_strong(h, h + 1, std::memory_order_release)) return gp;
    }
}

uint32_t runqlen(P* pp) {
    const uint32_t h = pp->runqhead.load(std::memory_order_acquire);
    return pp->runqtail.load(std::memory_order_acquire) - h;
}

G* runqsteal(P* pp, P* p2, bool stealRunNextG) {
    uint32_t t = pp->runqtail.load(std::memory_order_relaxed);
    uint32_t n = runqgrab(p2, pp->runq, t, stealRunNextG);
    if (n == 0) return nullptr;
    --n;
    G* gp = pp->runq[(t + n) % kRunqSize].load(std::memory_order_relaxed);
    if (n == 0) return gp;
    uint32_t h = pp->runqhead.load(std::memory_order_acquire);
    if (t - h + n >= kRunqSize) sys::fatal("runqsteal: runq overflow");
    pp->runqtail.store(t + n, std::memory_order_release);
    return gp;
}

void globrunqput(G* gp) {
    sched.runq.push_back(gp);
    ++sched.runqsize;
}

void globrunqputhead(G* gp) {
    sched.runq.push_front(gp);
    ++sched.runqsize;
}

void globrunqputbatch(GQueue* batch, int32_t n) {
    while (G* gp = batch->pop()) sched.runq.push_back(gp);
    sched.runqsize += n;
}

G* globrunqget(P* pp, int32_t max) {
    if (sched.runqsize == 0) return nullptr;
    int32_t n = sched.runqsize / sched.gomaxprocs + 1;
    if (n > sched.runqsize) n = sched.runqsize;
    if (max > 0 && n > max) n = max;
    if (n > static_cast<int32_t>(kRunqSize / 2)) n = kRunqSize / 2;
    sched.runqsize -= n;
    G* gp = sched.runq.pop();
    for (--n; n > 0; --n) runqput(pp, sched.runq.pop(), false);
    return gp;
}

}  // namespace rawrt::sched
