// select, after Go's runtime/select.go: poll the cases in a random order,
// take the first that can proceed; if none can, queue one sudog per case on
// every channel at once and park; the first channel to fire wins the G
// (selectDone), and the G then takes itself off the others.
//
// Locks are taken in channel-address order (so two selects over the same
// channels cannot deadlock) and the poll order is a fresh random
// permutation each time (so no ready case starves another).

#include "sched/chan.hpp"
#include "sched/proc.hpp"
#include "sched/rand.hpp"
#include "sys/fatal.hpp"

namespace rawrt::sched {

namespace {

uintptr_t sortkey(hchan* c) { return reinterpret_cast<uintptr_t>(c); }

void sellock(scase* scases, const uint16_t* lockorder, int n) {
    hchan* c = nullptr;
    for (int i = 0; i < n; ++i) {
        hchan* c0 = scases[lockorder[i]].c;
        if (c0 != c) {  // a channel in several cases is locked once
            c = c0;
            lock(&c->lock);
        }
    }
}

// Unlocks in reverse. Once the last lock is released, another M may ready
// this G, which then returns from selectgo: nothing of its frame (scases,
// the orders, the sudogs) may be touched after that.
void selunlock(scase* scases, const uint16_t* lockorder, int n) {
    for (int i = n - 1; i >= 0; --i) {
        hchan* c = scases[lockorder[i]].c;
        if (i > 0 && c == scases[lockorder[i - 1]].c) continue;  // unlocked on the next round
        unlock(&c->lock);
    }
}

// What send and recv call to unlock: the select's locks.
struct SelectLocks {
    scase* scases;
    const uint16_t* lockorder;
    int n;
};

void selunlock_fn(void* arg) {
    auto* l = static_cast<SelectLocks*>(arg);
    selunlock(l->scases, l->lockorder, l->n);
}

// Go: selparkcommit. On g0 once the G is saved; unlocks every channel in
// lock order, walking gp->waiting (built in that order). A sudog is read
// only while its own channel is still locked, so the G, if readied by a
// channel already unlocked, still waits in sellock and its frame is intact.
bool selparkcommit(G* gp, void*) {
    hchan* lastc = nullptr;
    for (Sudog* sg = gp->waiting; sg != nullptr; sg = sg->waitlink) {
        hchan* c = static_cast<hchan*>(sg->c);
        if (c != lastc && lastc != nullptr) unlock(&lastc->lock);
        lastc = c;
    }
    if (lastc != nullptr) unlock(&lastc->lock);
    return true;
}

// Sorts the cases by channel address, starting from the poll order so that
// cases on the same channel are permuted too. A heap sort: n log n time and
// constant stack, whatever the input (Go's choice).
void sort_lock_order(scase* scases, const uint16_t* pollorder, uint16_t* lockorder, int n) {
    for (int i = 0; i < n; ++i) {
        int j = i;
        hchan* c = scases[pollorder[i]].c;
        while (j > 0 && sortkey(scases[lockorder[(j - 1) / 2]].c) < sortkey(c)) {
            int k = (j - 1) / 2;
            lockorder[j] = lockorder[k];
            j = k;
        }
        lockorder[j] = pollorder[i];
    }
    for (int i = n - 1; i >= 0; --i) {
        uint16_t o = lockorder[i];
        hchan* c = scases[o].c;
        lockorder[i] = lockorder[0];
        int j = 0;
        for (;;) {
            int k = j * 2 + 1;
            if (k >= i) break;
            if (k + 1 < i && sortkey(scases[lockorder[k]].c) < sortkey(scases[lockorder[k + 1]].c)) ++k;
            if (sortkey(c) < sortkey(scases[lockorder[k]].c)) {
                lockorder[j] = lockorder[k];
                j = k;
                continue;
            }
            break;
        }
        lockorder[j] = o;
    }
}

}  // namespace

int selectgo(scase* scases, uint16_t* order0, int nsends, int nrecvs, bool block, bool* recvOK) {
    const int ncases = nsends + nrecvs;
    uint16_t* pollorder = order0;
    uint16_t* lockorder = order0 + ncases;
    *recvOK = false;

    // A random permutation of the cases that have a channel (Go's inside-
    // out Fisher-Yates); nil channels are never ready and are left out.
    int norder = 0;
    for (int i = 0; i < ncases; ++i) {
        if (scases[i].c == nullptr) continue;
        uint32_t j = cheaprandn(static_cast<uint32_t>(norder + 1));
        pollorder[norder] = pollorder[j];
        pollorder[j] = static_cast<uint16_t>(i);
        ++norder;
    }
    sort_lock_order(scases, pollorder, lockorder, norder);
    SelectLocks locks{scases, lockorder, norder};
    sellock(scases, lockorder, norder);

    // Pass 1: look for a case that can proceed now.
    int casi = -1;
    scase* cas = nullptr;
    hchan* c = nullptr;
    Sudog* sg = nullptr;
    for (int i = 0; i < norder; ++i) {
        casi = pollorder[i];
        cas = &scases[casi];
        c = cas->c;
        if (casi >= nsends) {
            if ((sg = c->sendq.dequeue()) != nullptr) goto recv;
            if (c->qcount.load(std::memory_order_relaxed) > 0) goto bufrecv;
            if (c->closed.load(std::memory_order_relaxed) != 0) goto rclose;
        } else {
            if (c->closed.load(std::memory_order_relaxed) != 0) goto sclose;
            if ((sg = c->recvq.dequeue()) != nullptr) goto send;
            if (c->qcount.load(std::memory_order_relaxed) < c->dataqsiz) goto bufsend;
        }
    }

    if (!block) {
        selunlock(scases, lockorder, norder);
        return -1;
    }

    {
        // Pass 2: queue on every channel, in lock order. The sudogs live in
        // this frame (Go's acquireSudog takes them from a per-P cache).
        G* gp = getg_for("select");
        if (gp->waiting != nullptr) sys::fatal("selectgo: gp->waiting != nullptr");
        auto* sgs = static_cast<Sudog*>(__builtin_alloca(sizeof(Sudog) * (norder > 0 ? norder : 1)));
        Sudog** nextp = &gp->waiting;
        for (int i = 0; i < norder; ++i) {
            int k = lockorder[i];
            Sudog* s = ::new (&sgs[i]) Sudog;
            s->g = gp;
            s->isSelect = true;
            s->elem = scases[k].elem;
            s->c = scases[k].c;
            *nextp = s;  // g's waiting list, in lock order
            nextp = &s->waitlink;
            if (k < nsends) scases[k].c->sendq.enqueue(s);
            else scases[k].c->recvq.enqueue(s);
        }

        // Wait for a channel to wake us (with no case at all: forever).
        gp->param = nullptr;
        gopark(selparkcommit, nullptr, norder > 0 ? "select" : "select (no cases)");

        sellock(scases, lockorder, norder);
        gp->selectDone.store(0, std::memory_order_relaxed);
        sg = static_cast<Sudog*>(gp->param);
        gp->param = nullptr;

        // Pass 3: leave the queues of the cases that lost (or they would
        // pile up on quiet channels) and find the one that won.
        casi = -1;
        cas = nullptr;
        bool caseSuccess = false;
        Sudog* sglist = gp->waiting;
        for (Sudog* s = gp->waiting; s != nullptr; s = s->waitlink) {
            s->isSelect = false;
            s->elem = nullptr;
        }
        gp->waiting = nullptr;
        for (int i = 0; i < norder; ++i) {
            int k = lockorder[i];
            if (sg == sglist) {
                // Already dequeued by the G that woke us.
                casi = k;
                cas = &scases[k];
                caseSuccess = sglist->success;
            } else if (k < nsends) {
                scases[k].c->sendq.dequeueSudoG(sglist);
            } else {
                scases[k].c->recvq.dequeueSudoG(sglist);
            }
            Sudog* next = sglist->waitlink;
            sglist->waitlink = nullptr;
            sglist->c = nullptr;
            sglist = next;
        }
        if (cas == nullptr) sys::fatal("selectgo: bad wakeup");
        if (casi < nsends) {
            if (!caseSuccess) goto sclose;  // woken by close
        } else {
            *recvOK = caseSuccess;
        }
        selunlock(scases, lockorder, norder);
        return casi;
    }

bufrecv:
    // Receive from the buffer.
    *recvOK = true;
    buf_take(c, cas->elem);
    selunlock(scases, lockorder, norder);
    return casi;

bufsend:
    // Send into the buffer.
    buf_put(c, cas->elem);
    selunlock(scases, lockorder, norder);
    return casi;

recv:
    // Receive from a parked sender.
    rawrt::sched::recv(c, sg, cas->elem, selunlock_fn, &locks);
    *recvOK = true;
    return casi;

rclose:
    // Read at the end of a closed channel.
    selunlock(scases, lockorder, norder);
    *recvOK = false;
    return casi;

send:
    // Send to a parked receiver.
    rawrt::sched::send(c, sg, cas->elem, selunlock_fn, &locks);
    return casi;

sclose:
    // Send on a closed channel.
    selunlock(scases, lockorder, norder);
    sys::fatal("send on closed channel");
}

}  // namespace rawrt::sched
