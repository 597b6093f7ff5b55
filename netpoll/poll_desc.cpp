// pollDesc and its semaphores, after Go's runtime/netpoll.go (same names).

#include "netpoll/poll_desc.hpp"

#include <linux/mman.h>

#include <limits>
#include <new>

#include "netpoll/netpoll.hpp"
#include "sched/proc.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::netpoll {
namespace {

using sched::G;


// Each mapping starts with this header; the pollDescs follow it.
struct PollBlock {
    PollBlock* next;
};
// Go maps 4 KiB at a time; 64 KiB (about 500 descriptors) keeps the number
// of mappings small for 10 000 connections.
constexpr size_t kPollBlockSize = 64 * 1024;

// Go: pollCache.
struct PollCache {
    locks::mutex lock;
    pollDesc* first = nullptr;
    PollBlock* blocks = nullptr;
};
PollCache pollcache;

// Go: netpollcheckerr. Lock-free: reads what publishInfo published.
PollError netpollcheckerr(pollDesc* pd, int32_t mode) {
    const uint32_t info = pd->info();
    if ((info & pollClosing) != 0) return pollErrClosing;
    if ((mode == kModeRead && (info & pollExpiredReadDeadline) != 0) ||
        (mode == kModeWrite && (info & pollExpiredWriteDeadline) != 0))
        return pollErrTimeout;
    // An error event is reported to readers only: a write finds the precise
    // error itself when it retries the syscall.
    if (mode == kModeRead && (info & pollEventErr) != 0) return pollErrNotPollable;
    return pollNoError;
}

std::atomic<uintptr_t>& semaphore(pollDesc* pd, int32_t mode) { return mode == kModeWrite ? pd->wg : pd->rg; }

// Go: netpollblockcommit, run by park_m on g0 once gp is saved: the G is
// parked only if nobody changed pdWait meanwhile (else it runs on at once).
bool netpollblockcommit(G* gp, void* gpp) {
    uintptr_t expected = pdWait;
    const bool committed =
        static_cast<std::atomic<uintptr_t>*>(gpp)->compare_exchange_strong(expected, reinterpret_cast<uintptr_t>(gp));
    if (committed) sched::netpollAdjustWaiters(1);
    return committed;
}

// Go: netpollblock. True if I/O is ready, false on close or deadline (or
// when a deadline fired and was reset meanwhile: the caller re-checks).
bool netpollblock(pollDesc* pd, int32_t mode, bool waitio) {
    std::atomic<uintptr_t>& gpp = semaphore(pd, mode);
    for (;;) {
        uintptr_t expected = pdReady;
        if (gpp.compare_exchange_strong(expected, pdNil)) return true;  // consume a notification
        expected = pdNil;
        if (gpp.compare_exchange_strong(expected, pdWait)) break;
        const uintptr_t v = gpp.load();
        if (v != pdReady && v != pdNil) sys::fatal("runtime: double wait");
    }
    // Re-checked after pdWait is visible: close and deadlines store their
    // state first and look at rg/wg second, so one of the two sides sees
    // the other.
    if (waitio || netpollcheckerr(pd, mode) == pollNoError) sched::gopark(netpollblockcommit, &gpp, "IO wait");
    // A notification may have come between the wakeup and here: keep it.
    const uintptr_t old = gpp.exchange(pdNil);
    if (old > pdWait) sys::fatal("runtime: corrupted polldesc");
    return old == pdReady;
}

// Go: netpollgoready. Needs a P to put gp on.
void netpollgoready(G* gp) {
    sched::M* mp = sched::getm();
    if (mp == nullptr || mp->p == nullptr) sys::fatal("netpoll: a G to ready, but no P to ready it on");
    sched::goready(gp);
}

void require_g(const char* what) {
    sched::G* gp = sched::current_g();
    if (gp == nullptr || sched::getg() != gp) sys::fatal(what, ": not on a G");
}

// Go: netpolldeadlineimpl.
void netpolldeadlineimpl(pollDesc* pd, uintptr_t seq, bool read, bool write) {
    locks::lock(&pd->lock);
    if (seq != (read ? pd->rseq : pd->wseq)) {  // changed or reused since the timer was armed
        locks::unlock(&pd->lock);
        return;
    }
    int32_t delta = 0;
    G* rg = nullptr;
    G* wg = nullptr;
    if (read) {
        if (pd->rd <= 0 || pd->rt.f == nullptr) sys::fatal("runtime: inconsistent read deadline");
        pd->rd = -1;
        pd->rt.f = nullptr;
        pd->publishInfo();
        rg = netpollunblock(pd, kModeRead, false, &delta);
    }
    if (write) {
        if (pd->wd <= 0 || (pd->wt.f == nullptr && !read)) sys::fatal("runtime: inconsistent write deadline");
        pd->wd = -1;
        pd->wt.f = nullptr;
        pd->publishInfo();
        wg = netpollunblock(pd, kModeWrite, false, &delta);
    }
    locks::unlock(&pd->lock);
    if (rg != nullptr) netpollgoready(rg);
    if (wg != nullptr) netpollgoready(wg);
    sched::netpollAdjustWaiters(delta);
}

void deadlineRead(void* pd, uintptr_t seq) { netpollReadDeadline(static_cast<pollDesc*>(pd), seq); }
void deadlineWrite(void* pd, uintptr_t seq) { netpollWriteDeadline(static_cast<pollDesc*>(pd), seq); }
void deadlineBoth(void* pd, uintptr_t seq) { netpollDeadline(static_cast<pollDesc*>(pd), seq); }

// Go: timer.modify / timer.stop on pd.rt and pd.wt, under pd->lock.
void arm(sched::Timer* t, int64_t when, void (*f)(void*, uintptr_t), pollDesc* pd, uintptr_t seq) {
    (void)sched::deltimer(t);
    t->when = when;
    t->f = f;
    t->arg = pd;
    t->seq = seq;
    sched::addtimer(t);
}

void disarm(sched::Timer* t) {
    if (t->f == nullptr) return;
    (void)sched::deltimer(t);
    t->f = nullptr;
}

}  // namespace

uint64_t taggedPointerPack(pollDesc* pd, uintptr_t tag) {
    const uint64_t tp = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(pd)) << (64 - kTaggedPointerAddrBits) |
                        static_cast<uint64_t>(tag & kTagMask);
    if (taggedPointerPointer(tp) != pd) sys::fatal("runtime: taggedPointerPack: pointer does not fit: ", pd);
    return tp;
}

void pollDesc::publishInfo() {
    uint32_t info = 0;
    if (closing) info |= pollClosing;
    if (rd < 0) info |= pollExpiredReadDeadline;
    if (wd < 0) info |= pollExpiredWriteDeadline;
    info |= static_cast<uint32_t>(fdseq.load() & pollFDSeqMask) << pollFDSeqShift;
    // The event error bit is netpoll's to set, without the lock: keep it.
    uint32_t x = atomicInfo.load();
    while (!atomicInfo.compare_exchange_weak(x, (x & pollEventErr) | info)) {
    }
}

// Go: setEventErr. seq != 0: only if pd still belongs to that registration.
void pollDesc::setEventErr(bool b, uintptr_t seq) {
    const uint32_t mseq = static_cast<uint32_t>(seq & pollFDSeqMask);
    uint32_t x = atomicInfo.load();
    for (;;) {
        if (seq != 0 && ((x >> pollFDSeqShift) & pollFDSeqMask) != mseq) return;
        if (((x & pollEventErr) != 0) == b) return;
        if (atomicInfo.compare_exchange_weak(x, x ^ pollEventErr)) return;
    }
}

sys::Result<pollDesc*> poll_runtime_pollOpen(int fd) {
    if (auto init = netpollGenericInit(); !init.ok()) return init.error();
    pollDesc* pd = pollcache_alloc();
    if (pd == nullptr) return sys::Errno(ENOMEM);
    locks::lock(&pd->lock);
    const uintptr_t wg = pd->wg.load();
    if (wg != pdNil && wg != pdReady) sys::fatal("runtime: blocked write on free polldesc");
    const uintptr_t rg = pd->rg.load();
    if (rg != pdNil && rg != pdReady) sys::fatal("runtime: blocked read on free polldesc");
    pd->fd = fd;
    if (pd->fdseq.load() == 0) pd->fdseq.store(1);  // 0 means "any" to setEventErr
    pd->closing = false;
    pd->setEventErr(false, 0);
    ++pd->rseq;
    pd->rg.store(pdNil);
    pd->short_read_inconclusive.store(false);
    pd->rd = 0;
    ++pd->wseq;
    pd->wg.store(pdNil);
    pd->wd = 0;
    pd->publishInfo();
    locks::unlock(&pd->lock);

    if (auto r = netpollopen(fd, pd); !r.ok()) {
        pollcache_free(pd);
        return r.error();
    }
    return sys::Result<pollDesc*>(reinterpret_cast<long>(pd));
}

void poll_runtime_pollClose(pollDesc* pd) {
    if (!pd->closing) sys::fatal("runtime: close polldesc w/o unblock");
    const uintptr_t wg = pd->wg.load();
    if (wg != pdNil && wg != pdReady) sys::fatal("runtime: blocked write on closing polldesc");
    const uintptr_t rg = pd->rg.load();
    if (rg != pdNil && rg != pdReady) sys::fatal("runtime: blocked read on closing polldesc");
    // The fd is still open here: unregistering cannot fail for a reason
    // that would leave an event to come (and if the caller closed the fd
    // behind the poller's back, fdseq still drops its events).
    (void)netpollclose(pd->fd);
    pollcache_free(pd);
}

PollError poll_runtime_pollReset(pollDesc* pd, int32_t mode) {
    const PollError e = netpollcheckerr(pd, mode);
    if (e != pollNoError) return e;
    if (mode == kModeRead) pd->rg.store(pdNil);
    else if (mode == kModeWrite) pd->wg.store(pdNil);
    return pollNoError;
}

PollError poll_runtime_pollWait(pollDesc* pd, int32_t mode) {
    PollError e = netpollcheckerr(pd, mode);
    if (e != pollNoError) return e;
    require_g("poll_runtime_pollWait");
    while (!netpollblock(pd, mode, false)) {
        e = netpollcheckerr(pd, mode);
        if (e != pollNoError) return e;
        // A deadline fired and was reset before this G ran: wait again.
    }
    return pollNoError;
}

void poll_runtime_pollUnblock(pollDesc* pd) {
    locks::lock(&pd->lock);
    if (pd->closing) sys::fatal("runtime: unblock on closing polldesc");
    pd->closing = true;
    ++pd->rseq;
    ++pd->wseq;
    pd->publishInfo();  // a seq_cst store: ordered before the loads of rg/wg below
    int32_t delta = 0;
    G* rg = netpollunblock(pd, kModeRead, false, &delta);
    G* wg = netpollunblock(pd, kModeWrite, false, &delta);
    disarm(&pd->rt);
    disarm(&pd->wt);
    locks::unlock(&pd->lock);
    if (rg != nullptr) netpollgoready(rg);
    if (wg != nullptr) netpollgoready(wg);
    sched::netpollAdjustWaiters(delta);
}

void poll_runtime_pollSetDeadline(pollDesc* pd, int64_t d, int32_t mode) {
    locks::lock(&pd->lock);
    if (pd->closing) {
        locks::unlock(&pd->lock);
        return;
    }
    const int64_t rd0 = pd->rd, wd0 = pd->wd;
    const bool combo0 = rd0 > 0 && rd0 == wd0;
    if (d > 0) {
        d += vdso::nanotime();
        if (d <= 0) d = std::numeric_limits<int64_t>::max();  // overflow: as good as never
    }
    if (mode == kModeRead || mode == kModeReadWrite) pd->rd = d;
    if (mode == kModeWrite || mode == kModeReadWrite) pd->wd = d;
    const bool combo = pd->rd > 0 && pd->rd == pd->wd;

    // One timer per side, one for both when the deadlines are equal
    // (combo). Bumping a seq makes a timer already firing for the old
    // setting do nothing.
    if (pd->rt.f == nullptr) {
        if (pd->rd > 0) arm(&pd->rt, pd->rd, combo ? deadlineBoth : deadlineRead, pd, pd->rseq);
    } else if (pd->rd != rd0 || combo != combo0) {
        ++pd->rseq;
        if (pd->rd > 0) arm(&pd->rt, pd->rd, combo ? deadlineBoth : deadlineRead, pd, pd->rseq);
        else disarm(&pd->rt);
    }
    if (pd->wt.f == nullptr) {
        if (pd->wd > 0 && !combo) arm(&pd->wt, pd->wd, deadlineWrite, pd, pd->wseq);
    } else if (pd->wd != wd0 || combo != combo0) {
        ++pd->wseq;
        if (pd->wd > 0 && !combo) arm(&pd->wt, pd->wd, deadlineWrite, pd, pd->wseq);
        else disarm(&pd->wt);
    }
    pd->publishInfo();

    // A deadline set in the past: whoever waits gives up now.
    int32_t delta = 0;
    G* rg = nullptr;
    G* wg = nullptr;
    if (pd->rd < 0) rg = netpollunblock(pd, kModeRead, false, &delta);
    if (pd->wd < 0) wg = netpollunblock(pd, kModeWrite, false, &delta);
    locks::unlock(&pd->lock);
    if (rg != nullptr) netpollgoready(rg);
    if (wg != nullptr) netpollgoready(wg);
    sched::netpollAdjustWaiters(delta);
}

void netpollReadDeadline(pollDesc* pd, uintptr_t seq) { netpolldeadlineimpl(pd, seq, true, false); }
void netpollWriteDeadline(pollDesc* pd, uintptr_t seq) { netpolldeadlineimpl(pd, seq, false, true); }
void netpollDeadline(pollDesc* pd, uintptr_t seq) { netpolldeadlineimpl(pd, seq, true, true); }

int32_t netpollready(sched::GList* toRun, pollDesc* pd, int32_t mode) {
    int32_t delta = 0;
    G* rg = nullptr;
    G* wg = nullptr;
    if (mode == kModeRead || mode == kModeReadWrite) rg = netpollunblock(pd, kModeRead, true, &delta);
    if (mode == kModeWrite || mode == kModeReadWrite) wg = netpollunblock(pd, kModeWrite, true, &delta);
    if (rg != nullptr) toRun->push(rg);
    if (wg != nullptr) toRun->push(wg);
    return delta;
}

G* netpollunblock(pollDesc* pd, int32_t mode, bool ioready, int32_t* delta) {
    std::atomic<uintptr_t>& gpp = semaphore(pd, mode);
    for (;;) {
        uintptr_t old = gpp.load();
        if (old == pdReady) return nullptr;
        // Only I/O leaves a notification behind: pollWait checks for close
        // and deadlines itself before it waits.
        if (old == pdNil && !ioready) return nullptr;
        if (gpp.compare_exchange_strong(old, ioready ? pdReady : pdNil)) {
            if (old == pdWait) return nullptr;  // not parked yet: its commit will fail
            if (old != pdNil) *delta -= 1;
            return reinterpret_cast<G*>(old);
        }
    }
}

pollDesc* pollcache_alloc() {
    locks::lock(&pollcache.lock);
    if (pollcache.first == nullptr) {
        auto mem = sys::raw::mmap(nullptr, kPollBlockSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (!mem.ok()) {
            locks::unlock(&pollcache.lock);
            return nullptr;
        }
        auto* block = static_cast<PollBlock*>(mem.value());
        block->next = pollcache.blocks;
        pollcache.blocks = block;
        const uintptr_t base = reinterpret_cast<uintptr_t>(block);
        const uintptr_t first = (base + sizeof(PollBlock) + alignof(pollDesc) - 1) & ~(alignof(pollDesc) - 1);
        const size_t n = (base + kPollBlockSize - first) / sizeof(pollDesc);
        // Pushed last first, so that they are handed out in address order.
        for (size_t i = n; i-- > 0;) {
            auto* pd = ::new (reinterpret_cast<void*>(first + i * sizeof(pollDesc))) pollDesc;
            pd->link = pollcache.first;
            pollcache.first = pd;
        }
    }
    pollDesc* pd = pollcache.first;
    pollcache.first = pd->link;
    locks::unlock(&pollcache.lock);
    return pd;
}

void pollcache_free(pollDesc* pd) {
    // A netpoll that already holds an event for pd's old registration
    // compares that event's tag with fdseq and drops it.
    locks::lock(&pd->lock);
    pd->fdseq.store((pd->fdseq.load() + 1) & kTagMask);
    pd->publishInfo();
    locks::unlock(&pd->lock);

    locks::lock(&pollcache.lock);
    pd->link = pollcache.first;
    pollcache.first = pd;
    locks::unlock(&pollcache.lock);
}

void pollcache_release() {
    locks::lock(&pollcache.lock);
    for (PollBlock* b = pollcache.blocks; b != nullptr;) {
        PollBlock* next = b->next;
        (void)sys::raw::munmap(b, kPollBlockSize);
        b = next;
    }
    pollcache.blocks = nullptr;
    pollcache.first = nullptr;
    locks::unlock(&pollcache.lock);
}

}  // namespace rawrt::netpoll
