// Channels, after Go's runtime/chan.go: same invariants, same names.
//
// At least one of c.sendq and c.recvq is empty, except for an unbuffered
// channel with a single G blocked on it for both sending and receiving
// through a select. For a buffered channel: qcount > 0 implies recvq is
// empty, and qcount < dataqsiz implies sendq is empty.
//
// Where rawrt differs: sudogs live on the blocked G's own stack, not in a
// per-P cache (the G is parked for exactly as long as its sudog is queued);
// a channel is freed explicitly (free_chan) instead of by a GC; elements that
// are not trivially copyable move through their constructors.

#include "sched/chan.hpp"

#include "sched/layers_below.hpp"
#include "sched/proc.hpp"
#include "sys/fatal.hpp"

namespace rawrt::sched {

namespace {

constexpr size_t kHchanSize = (sizeof(hchan) + 15) & ~size_t{15};
constexpr size_t kMaxAlloc = size_t{1} << 47;  // Go: maxAlloc on 64-bit Linux

// Go: full. Read without the lock by the non-blocking send's fast path.
bool full(hchan* c) {
    if (c->dataqsiz == 0) return std::atomic_ref<Sudog*>(c->recvq.first).load(std::memory_order_relaxed) == nullptr;
    return c->qcount.load(std::memory_order_relaxed) == c->dataqsiz;
}

// Go: empty. The same for the non-blocking receive.
bool empty(hchan* c) {
    if (c->dataqsiz == 0) return std::atomic_ref<Sudog*>(c->sendq.first).load(std::memory_order_acquire) == nullptr;
    return c->qcount.load(std::memory_order_acquire) == 0;
}

// Go: chanparkcommit. Runs on g0 once the G is saved: only now may a
// sender or receiver find its sudog and ready it.
bool chanparkcommit(G*, void* chanLock) {
    unlock(static_cast<spinmutex*>(chanLock));
    return true;
}

void unlock_chan(void* c) { unlock(&static_cast<hchan*>(c)->lock); }

// goready, after proving we are on a G: readying needs the caller's P.
void chan_ready(G* gp) {
    (void)getg_for("chan: waking a goroutine");
    goready(gp);
}

[[noreturn]] void block_forever(WaitReason reason) {
    gopark(nullptr, nullptr, reason);
    sys::fatal("unreachable: a G parked on a nil channel was woken");
}

}  // namespace

G* getg_for(const char* what) {
    G* gp = current_g();
    if (gp == nullptr) sys::fatal(what, ": not on a goroutine");
    return gp;
}

// The element type's own move and destroy are the program's code, run with
// the channel's lock held: not preempted meanwhile (acquirem).
void elem_move(hchan* c, void* dst, void* src) {
    M* mp = acquirem();
    c->elemtype->move_construct(dst, src);
    releasem(mp);
}
void elem_destroy(hchan* c, void* slot) {
    M* mp = acquirem();
    c->elemtype->destroy(slot);
    releasem(mp);
}

// Go: typedmemmove, for the element type: the small sizes a channel of
// scalars or pointers uses inline, a call otherwise.
void typedmemmove(hchan* c, void* dst, void* src) {
    if (c->elemtype != nullptr) return elem_move(c, dst, src);
    switch (c->elemsize) {
        case 1: __builtin_memcpy(dst, src, 1); break;
        case 2: __builtin_memcpy(dst, src, 2); break;
        case 4: __builtin_memcpy(dst, src, 4); break;
        case 8: __builtin_memcpy(dst, src, 8); break;
        case 16: __builtin_memcpy(dst, src, 16); break;
        default: __builtin_memcpy(dst, src, c->elemsize); break;
    }
}

void take_slot(hchan* c, void* ep, void* slot) {
    if (ep != nullptr) typedmemmove(c, ep, slot);
    if (c->elemtype != nullptr) elem_destroy(c, slot);
}

// ------------------------------------------------------------ waitq

void waitq::enqueue(Sudog* sgp) {
    sgp->next = nullptr;
    Sudog* x = last;
    if (x == nullptr) {
        sgp->prev = nullptr;
        std::atomic_ref<Sudog*>(first).store(sgp, std::memory_order_relaxed);
        last = sgp;
        return;
    }
    sgp->prev = x;
    x->next = sgp;
    last = sgp;
}

Sudog* waitq::dequeue() {
    for (;;) {
        Sudog* sgp = first;
        if (sgp == nullptr) return nullptr;
        Sudog* y = sgp->next;
        if (y == nullptr) {
            std::atomic_ref<Sudog*>(first).store(nullptr, std::memory_order_relaxed);
            last = nullptr;
        } else {
            y->prev = nullptr;
            std::atomic_ref<Sudog*>(first).store(y, std::memory_order_relaxed);
            sgp->next = nullptr;
        }
        // A select's G sits on several queues; between being woken by one
        // case and taking the locks to leave the others, it is still on
        // them. selectDone says someone already won it: skip this sudog.
        uint32_t expected = 0;
        if (sgp->isSelect && !sgp->g->selectDone.compare_exchange_strong(expected, 1, std::memory_order_acq_rel))
            continue;
        return sgp;
    }
}

void waitq::dequeueSudoG(Sudog* sgp) {
    Sudog* x = sgp->prev;
    Sudog* y = sgp->next;
    if (x != nullptr) {
        if (y != nullptr) {  // middle of the queue
            x->next = y;
            y->prev = x;
            sgp->next = nullptr;
            sgp->prev = nullptr;
            return;
        }
        x->next = nullptr;  // end of the queue
        last = x;
        sgp->prev = nullptr;
        return;
    }
    if (y != nullptr) {  // start of the queue
        y->prev = nullptr;
        std::atomic_ref<Sudog*>(first).store(y, std::memory_order_relaxed);
        sgp->next = nullptr;
        return;
    }
    // Alone in the queue, or already dequeued (by a dequeue that lost the
    // selectDone race): first tells which.
    if (first == sgp) {
        std::atomic_ref<Sudog*>(first).store(nullptr, std::memory_order_relaxed);
        last = nullptr;
    }
}

// ------------------------------------------------------------ make / free

hchan* makechan(size_t elemsize, size_t elem_align, size_t size, const ElemOps* elemtype) {
    if (elemsize >= (1u << 16)) sys::fatal("makechan: invalid channel element type");
    if (elemsize != 0 && size > (kMaxAlloc - kHchanSize) / elemsize) sys::fatal("makechan: size out of range");
    const size_t align = elem_align > 16 ? elem_align : 16;
    const size_t header = (kHchanSize + align - 1) & ~(align - 1);
    const size_t bytes = header + elemsize * size;
    // One allocation for the header and the buffer, as Go does for element
    // types without pointers. mallocgc returns zeroed memory.
    void* mem = align > 16 ? mallocgc_aligned(bytes, align, current_mcache()) : mallocgc(bytes, current_mcache());
    if (mem == nullptr) sys::fatal("makechan: out of memory (", bytes, " bytes)");
    hchan* c = ::new (mem) hchan;
    c->buf = static_cast<unsigned char*>(mem) + header;
    c->elemsize = static_cast<uint32_t>(elemsize);
    c->elemtype = elemtype;
    c->dataqsiz = size;
    return c;
}

void free_chan(hchan* c) {
    if (c == nullptr) return;
    if (c->elemtype != nullptr) {
        size_t i = c->recvx;
        for (size_t n = c->qcount.load(std::memory_order_relaxed); n > 0; --n) {
            elem_destroy(c, chanbuf(c, i));
            if (++i == c->dataqsiz) i = 0;
        }
    }
    c->~hchan();
    mfree(c, current_mcache());
}

// ------------------------------------------------------------ send

void buf_put(hchan* c, void* ep) {
    typedmemmove(c, chanbuf(c, c->sendx), ep);
    if (++c->sendx == c->dataqsiz) c->sendx = 0;
    c->qcount.store(c->qcount.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void buf_take(hchan* c, void* ep) {
    take_slot(c, ep, chanbuf(c, c->recvx));
    if (++c->recvx == c->dataqsiz) c->recvx = 0;
    c->qcount.store(c->qcount.load(std::memory_order_relaxed) - 1, std::memory_order_release);
}

namespace {

// The blocking half of chansend and chanrecv (c->lock held, released by the
// park): queues the G on q with a sudog on its own stack until a partner
// moves the value through ep, or closechan wakes it. True if a value moved.
// Inlined: a G resumed by gogo's jump returns through frames whose return
// addresses the CPU's return stack does not hold (it holds the parking G's),
// so every return level between gopark and the program costs a
// misprediction. One level fewer: ping-pong 61 -> 57 ns.
[[gnu::always_inline]] inline bool chanpark(hchan* c, waitq* q, void* ep, WaitReason reason) {
    G* gp = getg_for(reason);
    Sudog mysg;
    mysg.elem = ep;
    mysg.g = gp;
    mysg.isSelect = false;
    mysg.c = c;
    gp->waiting = &mysg;
    gp->param = nullptr;
    q->enqueue(&mysg);
    gopark(chanparkcommit, &c->lock, reason);

    if (gp->waiting != &mysg) sys::fatal(reason, ": G waiting list is corrupted");
    gp->waiting = nullptr;
    gp->param = nullptr;
    return mysg.success;
}

// The end of send and recv: the value has moved to or from sg's G; the
// locks go first, then the G is readied with its sudog marked a success.
void ready_partner(Sudog* sg, void (*unlockf)(void*), void* arg) {
    G* gp = sg->g;
    unlockf(arg);
    gp->param = sg;
    sg->success = true;
    chan_ready(gp);
}

}  // namespace

// Go: send. sg is a receiver, already dequeued, parked with its lock held
// by us: its value goes straight into its frame (Go's sendDirect).
void send(hchan* c, Sudog* sg, void* ep, void (*unlockf)(void*), void* arg) {
    if (sg->elem != nullptr) {
        typedmemmove(c, sg->elem, ep);
        sg->elem = nullptr;
    }
    ready_partner(sg, unlockf, arg);
}

bool chansend(hchan* c, void* ep, bool block) {
    if (c == nullptr) {
        if (!block) return false;
        block_forever("chan send (nil chan)");
    }

    // Fast path: a non-blocking send on an open, full channel fails without
    // the lock. closed is read after full: a channel that was closed and
    // then found full would have been full when it was still open, and that
    // is the moment the send is reported to have been attempted.
    if (!block && c->closed.load(std::memory_order_relaxed) == 0 && full(c)) return false;

    lock(&c->lock);
    if (c->closed.load(std::memory_order_relaxed) != 0) {
        unlock(&c->lock);
        sys::fatal("send on closed channel");
    }
    if (Sudog* sg = c->recvq.dequeue()) {
        // A receiver is waiting: hand the value over, bypassing the buffer.
        send(c, sg, ep, unlock_chan, c);
        return true;
    }
    const size_t qcount = c->qcount.load(std::memory_order_relaxed);
    if (qcount < c->dataqsiz) {
        buf_put(c, ep);
        unlock(&c->lock);
        return true;
    }
    if (!block) {
        unlock(&c->lock);
        return false;
    }

    // Block: a receiver will take the value from our frame, or close wakes us.
    const bool sent = chanpark(c, &c->sendq, ep, "chan send");
    // Woken by closechan: c may already be gone, so it is not looked at.
    if (!sent) sys::fatal("send on closed channel");
    return true;
}

// ------------------------------------------------------------ receive

// Go: recv. sg is a sender, already dequeued. Unbuffered: its value comes
// straight from its frame. Buffered (and so full): we take the head of the
// buffer and the sender's value goes to the tail, the same slot.
void recv(hchan* c, Sudog* sg, void* ep, void (*unlockf)(void*), void* arg) {
    if (c->dataqsiz == 0) {
        if (ep != nullptr) typedmemmove(c, ep, sg->elem);
    } else {
        unsigned char* qp = chanbuf(c, c->recvx);
        take_slot(c, ep, qp);
        typedmemmove(c, qp, sg->elem);
        if (++c->recvx == c->dataqsiz) c->recvx = 0;
        c->sendx = c->recvx;  // c->sendx = (c->sendx+1) % c->dataqsiz
    }
    sg->elem = nullptr;
    ready_partner(sg, unlockf, arg);
}

ChanRecvResult chanrecv(hchan* c, void* ep, bool block) {
    if (c == nullptr) {
        if (!block) return {false, false};
        block_forever("chan receive (nil chan)");
    }

    // Fast path: a non-blocking receive on an empty channel, without the
    // lock. Empty then open means it was empty while open; if it is closed,
    // emptiness is checked again, since a value may have arrived between
    // the two loads (a closed channel cannot receive more).
    if (!block && empty(c)) {
        if (c->closed.load(std::memory_order_acquire) == 0) return {false, false};
        if (empty(c)) return {true, false};
    }

    lock(&c->lock);
    const size_t qcount = c->qcount.load(std::memory_order_relaxed);
    if (c->closed.load(std::memory_order_relaxed) != 0) {
        if (qcount == 0) {
            unlock(&c->lock);
            return {true, false};
        }
        // Closed with values left: they are received first.
    } else if (Sudog* sg = c->sendq.dequeue()) {
        // A sender is waiting: the buffer, if any, is full.
        recv(c, sg, ep, unlock_chan, c);
        return {true, true};
    }
    if (qcount > 0) {
        buf_take(c, ep);
        unlock(&c->lock);
        return {true, true};
    }
    if (!block) {
        unlock(&c->lock);
        return {false, false};
    }

    // Block: a sender will put its value into ep, or close wakes us.
    return {true, chanpark(c, &c->recvq, ep, "chan receive")};
}

// ------------------------------------------------------------ close

void closechan(hchan* c) {
    if (c == nullptr) sys::fatal("close of nil channel");
    lock(&c->lock);
    if (c->closed.load(std::memory_order_relaxed) != 0) {
        unlock(&c->lock);
        sys::fatal("close of closed channel");
    }
    c->closed.store(1, std::memory_order_release);

    // Collect every blocked G under the lock, ready them after it: goready
    // may run a G (on another M) that frees the channel.
    GList glist;
    while (Sudog* sg = c->recvq.dequeue()) {
        sg->elem = nullptr;  // the receiver makes its own zero value
        G* gp = sg->g;
        gp->param = sg;
        sg->success = false;
        glist.push(gp);
    }
    while (Sudog* sg = c->sendq.dequeue()) {
        sg->elem = nullptr;
        G* gp = sg->g;
        gp->param = sg;
        sg->success = false;  // the sender dies: send on closed channel
        glist.push(gp);
    }
    unlock(&c->lock);
    while (G* gp = glist.pop()) {
        gp->schedlink = nullptr;
        chan_ready(gp);
    }
}

}  // namespace rawrt::sched
