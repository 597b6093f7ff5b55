// The io_uring ring behind the poller seam (netpoll/uring.hpp). Go has no
// counterpart (golang/go#31908); the park and wake protocol is its pollDesc's
// (runtime/netpoll.go's netpollblock), on one word per operation.

#include "netpoll/uring.hpp"

#include <atomic>

#include <linux/io_uring.h>
#include <linux/mman.h>

#include "locks/lock_futex.hpp"
#include "netpoll/netpoll.hpp"
#include "sched/debug.hpp"
#include "sched/poller.hpp"
#include "sched/proc.hpp"
#include "sched/trace.hpp"
#include "sys/calls.hpp"
#include "sys/counter.hpp"
#include "sys/fatal.hpp"

namespace rawrt::netpoll::uring {
namespace {

using sched::G;
using sched::GList;

// An operation's word, as a pollDesc's rg: kOpPending until the completion
// or the G's park, whichever comes first; a G* while it is parked.
constexpr uintptr_t kOpPending = 0;
constexpr uintptr_t kOpDone = 1;
constexpr uintptr_t kOpWait = 2;

struct Op {
    std::atomic<uintptr_t> state{kOpPending};
    int32_t res = 0;
};

constexpr uint32_t kDefaultEntries = 256;

struct Ring {
    int fd = -1;
    int event_fd = -1;
    uint32_t entries = 0;
    uint32_t features = 0;
    // The mappings, for teardown.
    void* sq_map = nullptr;
    size_t sq_map_size = 0;
    void* cq_map = nullptr;
    size_t cq_map_size = 0;
    io_uring_sqe* sqes = nullptr;
    size_t sqes_size = 0;
    // The shared rings' words.
    uint32_t* sq_tail = nullptr;
    uint32_t sq_mask = 0;
    uint32_t* sq_flags = nullptr;
    uint32_t* cq_head = nullptr;
    uint32_t* cq_tail = nullptr;
    uint32_t cq_mask = 0;
    io_uring_cqe* cqes = nullptr;
    // Operations submitted and not yet reaped (teardown waits for them).
    std::atomic<int64_t> inflight{0};
    // The opcodes this kernel has (IORING_REGISTER_PROBE), a bit each.
    uint64_t ops[4] = {};
};

Ring ring;
locks::mutex init_lock;
locks::mutex sq_lock;  // SQE slots, the SQ tail, the submitting io_uring_enter
locks::mutex cq_lock;  // the CQ head
// 0 not tried, 1 ready, -errno failed in run failed_run.
std::atomic<int> state{0};
uint64_t failed_run = 0;

// io-wq keeps its workers per submitting thread, each thread up to the
// limit IOWQ_MAX_WORKERS sets for all of them. The cap
// (RAWRT_DEBUG=uringworkers) is the process's: it is cut into per-thread
// shares once, at setup, and a thread submits only with a share in hand;
// an M that finds none free takes the blocking path instead (kNotSubmitted).
// Lowering the limit later would not do: a worker the kernel started under
// a higher one stays until it has been idle for 5 s.
struct Workers {
    std::atomic<int32_t> threads{0};  // Ms alive that have submitted in this run
    int32_t shares = 0;
    uint32_t each = 0;  // the limit registered, per thread
} workers;

struct Counters {
    std::atomic<uint64_t> submitted{0};
    std::atomic<uint64_t> inline_done{0};
    std::atomic<uint64_t> parked{0};
    std::atomic<uint64_t> reaped{0};
    std::atomic<uint64_t> overflows{0};
    std::atomic<uint64_t> no_share{0};
    std::atomic<uint64_t> kernel_cancels{0};
    std::atomic<uint64_t> ring_fd_registrations{0};
    std::atomic<int32_t> ring_fds{0};  // threads alive with the ring's fd registered
} counters;

template <class T>
T* at(void* base, uint32_t offset) {
    return reinterpret_cast<T*>(static_cast<char*>(base) + offset);
}

uint32_t load_acquire(const uint32_t* p) { return std::atomic_ref<const uint32_t>(*p).load(std::memory_order_acquire); }
void store_release(uint32_t* p, uint32_t v) { std::atomic_ref<uint32_t>(*p).store(v, std::memory_order_release); }

// The operation is complete: its G, if parked, joins *ready.
void complete(Op* op, int32_t res, GList* ready, int32_t* delta) {
    op->res = res;
    const uintptr_t old = op->state.exchange(kOpDone, std::memory_order_acq_rel);
    // From here on op may be gone (its G ran on): only old is ours.
    if (old > kOpWait) {
        ready->push(reinterpret_cast<G*>(old));
        --*delta;
    }
}

// Takes every CQE there is; with the CQ overflowed (the kernel kept what did
// not fit, IORING_FEAT_NODROP), flushes the backlog in and goes on.
int32_t reap(GList* ready) {
    int32_t delta = 0;
    locks::lock(&cq_lock);
    for (;;) {
        uint32_t head = *ring.cq_head;
        const uint32_t tail = load_acquire(ring.cq_tail);
        uint64_t n = 0;
        for (; head != tail; ++head) {
            const io_uring_cqe& cqe = ring.cqes[head & ring.cq_mask];
            if (cqe.user_data == 0) continue;  // a linked timeout's own, or a cancel's
            ++n;
            complete(reinterpret_cast<Op*>(cqe.user_data), cqe.res, ready, &delta);
        }
        store_release(ring.cq_head, head);
        if (n != 0) {
            ring.inflight.fetch_sub(static_cast<int64_t>(n), std::memory_order_relaxed);
            sys::counter_add(counters.reaped, n);
            sched::traceEvent(sched::evUringReap, 0, n);
        }
        if ((load_acquire(ring.sq_flags) & IORING_SQ_CQ_OVERFLOW) == 0) break;
        sys::counter_add(counters.overflows);
        (void)sys::raw::io_uring_enter(ring.fd, 0, 0, IORING_ENTER_GETEVENTS, nullptr, 0);
    }
    locks::unlock(&cq_lock);
    return delta;
}

bool cq_has_work() {
    return *ring.cq_head != load_acquire(ring.cq_tail) || (load_acquire(ring.sq_flags) & IORING_SQ_CQ_OVERFLOW) != 0;
}

// Poller::poll. The ring never blocks a poll: the epoll poller blocks, and
// the ring's eventfd wakes it.
int32_t poll(int64_t /*delay_ns*/, GList* ready) { return cq_has_work() ? reap(ready) : 0; }

void destroy();

void thread_exit(sched::M* mp);

sched::Poller uring_poller = {poll, nullptr, nullptr, -1, destroy, thread_exit};

void unmap_all() {
    if (ring.sqes != nullptr) (void)sys::raw::munmap(ring.sqes, ring.sqes_size);
    if (ring.cq_map != nullptr && ring.cq_map != ring.sq_map) (void)sys::raw::munmap(ring.cq_map, ring.cq_map_size);
    if (ring.sq_map != nullptr) (void)sys::raw::munmap(ring.sq_map, ring.sq_map_size);
    if (ring.event_fd >= 0) (void)sys::raw::close(ring.event_fd);
    if (ring.fd >= 0) (void)sys::raw::close(ring.fd);
    ring.~Ring();
    ::new (&ring) Ring;
}

// The shares: one for each P and two more (the Ms that run Gs are the Ps'
// and the ones on their way in or out of a syscall), as many as the cap
// allows, the cap shared out among them. Both of io-wq's classes get that
// limit (bounded: regular files and block devices; unbounded: the rest).
sys::Result<void> share_workers() {
    const int64_t want = sched::debug.uring_workers;
    const int64_t cap = want > 0 ? want : 1;
    const int64_t ms = int64_t{sched::sched.gomaxprocs} + 2;
    workers.threads.store(0, std::memory_order_relaxed);
    workers.shares = static_cast<int32_t>(cap < ms ? cap : ms);
    workers.each = static_cast<uint32_t>(cap / workers.shares);
    uint32_t limits[2] = {workers.each, workers.each};
    if (auto r = sys::raw::io_uring_register(ring.fd, IORING_REGISTER_IOWQ_MAX_WORKERS, limits, 2); !r.ok())
        return r.error();
    return {};
}

// Registers the ring's fd with the calling thread (IORING_REGISTER_RING_FDS,
// kernel 5.18), in a slot the kernel picks: its io_uring_enter then names the
// ring by the slot, and the kernel neither looks the fd up in the table
// every thread shares nor counts a reference on the file for each call. A
// kernel without it (EINVAL), or a thread whose slots the program took for
// rings of its own (EBUSY), goes on with the fd.
void register_ring_fd(sched::M* mp) {
    mp->poller_slot = -1;
    if (!sched::debug.uring_regfd) return;
    io_uring_rsrc_update reg{};
    reg.offset = ~0u;  // any free slot
    reg.data = static_cast<uint64_t>(ring.fd);
    auto r = sys::raw::io_uring_register(ring.fd, IORING_REGISTER_RING_FDS, &reg, 1);
    if (!r.ok() || r.value() != 1) return;
    mp->poller_slot = static_cast<int32_t>(reg.offset);
    sys::counter_add(counters.ring_fd_registrations);
    counters.ring_fds.fetch_add(1, std::memory_order_relaxed);
}

// Whether the calling M may submit: it has a share, or takes a free one,
// and with it registers the ring's fd.
sched::M* take_share() {
    sched::M* mp = sched::getm();
    const uint64_t run = sched::run_generation();
    if (mp->poller_mark == run) return mp;
    int32_t n = workers.threads.load(std::memory_order_relaxed);
    do {
        if (n == workers.shares) return nullptr;
    } while (!workers.threads.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    mp->poller_mark = run;
    register_ring_fd(mp);
    return mp;
}

// Poller::thread_exit: a submitter's io-wq ends with its thread, and its
// share is free again. So does its registration of the ring's fd: the
// kernel drops a thread's registered rings as the thread exits, so no
// syscall is needed to undo it, only the count.
void thread_exit(sched::M* mp) {
    if (mp->poller_mark != sched::run_generation()) return;
    mp->poller_mark = 0;
    if (mp->poller_slot >= 0) {
        mp->poller_slot = -1;
        counters.ring_fds.fetch_sub(1, std::memory_order_relaxed);
    }
    workers.threads.fetch_sub(1, std::memory_order_relaxed);
}

sys::Result<void*> map(size_t size, uint64_t offset) {
    return sys::raw::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring.fd,
                          static_cast<long>(offset));
}

sys::Result<void> setup() {
    if (!sched::debug.uring) return sys::Errno(ENOTSUP);
    if (auto r = netpollGenericInit(); !r.ok()) return r;  // the first poller, which waits for ours
    counters.~Counters();
    ::new (&counters) Counters;
    io_uring_params p{};
    p.flags = IORING_SETUP_CLAMP;
    const int64_t want = sched::debug.uring_entries;
    auto fd = sys::raw::io_uring_setup(want > 0 ? static_cast<unsigned>(want) : kDefaultEntries, &p);
    if (!fd.ok()) return fd.error();
    ring.fd = fd.value();
    ring.entries = p.sq_entries;
    ring.features = p.features;
    ring.sq_map_size = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
    ring.cq_map_size = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    const bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
    if (single && ring.cq_map_size > ring.sq_map_size) ring.sq_map_size = ring.cq_map_size;
    auto sq = map(ring.sq_map_size, IORING_OFF_SQ_RING);
    if (!sq.ok()) return sq.error();
    ring.sq_map = sq.value();
    if (single) {
        ring.cq_map = ring.sq_map;
    } else {
        auto cq = map(ring.cq_map_size, IORING_OFF_CQ_RING);
        if (!cq.ok()) return cq.error();
        ring.cq_map = cq.value();
    }
    ring.sqes_size = p.sq_entries * sizeof(io_uring_sqe);
    auto sqes = map(ring.sqes_size, IORING_OFF_SQES);
    if (!sqes.ok()) return sqes.error();
    ring.sqes = static_cast<io_uring_sqe*>(sqes.value());
    ring.sq_tail = at<uint32_t>(ring.sq_map, p.sq_off.tail);
    ring.sq_mask = *at<uint32_t>(ring.sq_map, p.sq_off.ring_mask);
    ring.sq_flags = at<uint32_t>(ring.sq_map, p.sq_off.flags);
    // SQ slot i always holds SQE i.
    uint32_t* array = at<uint32_t>(ring.sq_map, p.sq_off.array);
    for (uint32_t i = 0; i < p.sq_entries; ++i) array[i] = i;
    ring.cq_head = at<uint32_t>(ring.cq_map, p.cq_off.head);
    ring.cq_tail = at<uint32_t>(ring.cq_map, p.cq_off.tail);
    ring.cq_mask = *at<uint32_t>(ring.cq_map, p.cq_off.ring_mask);
    ring.cqes = at<io_uring_cqe>(ring.cq_map, p.cq_off.cqes);

    if (auto r = share_workers(); !r.ok()) return r;

    // struct io_uring_probe and its 256 ops, flat (its ops[] is flexible).
    alignas(io_uring_probe) unsigned char probe[sizeof(io_uring_probe) + 256 * sizeof(io_uring_probe_op)] = {};
    if (auto r = sys::raw::io_uring_register(ring.fd, IORING_REGISTER_PROBE, probe, 256); !r.ok()) return r.error();
    const auto* head = reinterpret_cast<const io_uring_probe*>(probe);
    const auto* ops = reinterpret_cast<const io_uring_probe_op*>(probe + sizeof(io_uring_probe));
    for (uint32_t i = 0; i < head->ops_len && i < 256; ++i)
        if ((ops[i].flags & IO_URING_OP_SUPPORTED) != 0) ring.ops[i / 64] |= uint64_t{1} << (i % 64);

    auto efd = sys::raw::eventfd2(0, sys::kEFD_CLOEXEC | sys::kEFD_NONBLOCK);
    if (!efd.ok()) return efd.error();
    ring.event_fd = efd.value();
    if (auto r = sys::raw::io_uring_register(ring.fd, IORING_REGISTER_EVENTFD, &ring.event_fd, 1); !r.ok())
        return r.error();
    uring_poller.wake_fd = ring.event_fd;
    return sched::poller_install(&uring_poller);
}

// Teardown, every M gone: cancels what is still in flight and waits for
// every completion, so that the kernel writes into no G's stack or buffer
// once they are unmapped; then the ring goes.
void destroy() {
    if (state.load(std::memory_order_acquire) != 1) return;
    while (ring.inflight.load(std::memory_order_relaxed) > 0) {
        locks::lock(&sq_lock);
        const uint32_t tail = *ring.sq_tail;
        io_uring_sqe* sqe = &ring.sqes[tail & ring.sq_mask];
        *sqe = io_uring_sqe{};
        sqe->opcode = IORING_OP_ASYNC_CANCEL;
        sqe->cancel_flags = IORING_ASYNC_CANCEL_ANY;
        sqe->fd = -1;
        store_release(ring.sq_tail, tail + 1);
        (void)sys::raw::io_uring_enter(ring.fd, 1, 1, IORING_ENTER_GETEVENTS, nullptr, 0);
        locks::unlock(&sq_lock);
        GList dropped;  // their Gs never run again: the run is over
        (void)reap(&dropped);
    }
    unmap_all();
    state.store(0, std::memory_order_release);
}

// Go: netpollblockcommit, for an Op.
bool commit(G* gp, void* word) {
    uintptr_t expected = kOpWait;
    const bool committed =
        static_cast<std::atomic<uintptr_t>*>(word)->compare_exchange_strong(expected, reinterpret_cast<uintptr_t>(gp));
    if (committed) sched::netpollAdjustWaiters(1);
    return committed;
}

// Queues the SQEs and has the kernel take them, never waiting for any to
// complete; mp holds a share. A full CQ (the kernel refuses new work until
// it is reaped) is reaped here.
void submit(sched::M* mp, const io_uring_sqe* sqes, uint32_t n) {
    const bool slot = mp->poller_slot >= 0;
    const int fd = slot ? mp->poller_slot : ring.fd;
    const unsigned flags = slot ? IORING_ENTER_REGISTERED_RING : 0;
    locks::lock(&sq_lock);
    const uint32_t tail = *ring.sq_tail;
    for (uint32_t i = 0; i < n; ++i) ring.sqes[(tail + i) & ring.sq_mask] = sqes[i];
    store_release(ring.sq_tail, tail + n);
    ring.inflight.fetch_add(1, std::memory_order_relaxed);
    uint32_t left = n;
    while (left != 0) {
        auto r = sys::raw::io_uring_enter(fd, left, 0, flags, nullptr, 0);
        if (r.ok()) {
            left -= static_cast<uint32_t>(r.value());
            continue;
        }
        if (r.error() != sys::Errno(EBUSY) && r.error() != sys::Errno(EAGAIN) && r.error() != sys::Errno(EINTR))
            sys::fatal("io_uring_enter: ", r.error());
        GList ready;
        const int32_t delta = reap(&ready);
        sched::injectglist(&ready);
        sched::netpollAdjustWaiters(delta);
        locks::osyield();
    }
    locks::unlock(&sq_lock);
    sys::counter_add(counters.submitted);
}

}  // namespace

sys::Result<void> uring_init() {
    int s = state.load(std::memory_order_acquire);
    if (s != 1 && (s == 0 || failed_run != sched::run_generation())) {
        locks::lock(&init_lock);
        s = state.load(std::memory_order_relaxed);
        if (s != 1 && (s == 0 || failed_run != sched::run_generation())) {
            auto r = setup();
            if (!r.ok()) unmap_all();
            s = r.ok() ? 1 : -r.error().code();
            failed_run = sched::run_generation();
            state.store(s, std::memory_order_release);
        }
        locks::unlock(&init_lock);
    }
    if (s == 1) return {};
    return sys::Errno(-s);
}

long submit_and_wait(const io_uring_sqe& sqe, int64_t deadline_ns) {
    sched::M* mp = take_share();
    if (mp == nullptr) {
        sys::counter_add(counters.no_share);
        return kNotSubmitted;
    }
    Op op;
    io_uring_sqe sqes[2] = {sqe, {}};
    sqes[0].user_data = reinterpret_cast<uint64_t>(&op);
    uint32_t n = 1;
    __kernel_timespec ts{};
    if (deadline_ns > 0) {
        sqes[0].flags |= IOSQE_IO_LINK;
        ts.tv_sec = deadline_ns / 1'000'000'000;
        ts.tv_nsec = deadline_ns % 1'000'000'000;
        sqes[1].opcode = IORING_OP_LINK_TIMEOUT;
        sqes[1].fd = -1;
        sqes[1].addr = reinterpret_cast<uint64_t>(&ts);
        sqes[1].len = 1;
        sqes[1].timeout_flags = IORING_TIMEOUT_ABS;
        n = 2;
    }
    if (sched::G* gp = sched::current_g())
        sched::traceEvent(sched::evUringSubmit, deadline_ns > 0, sqe.opcode, static_cast<uint64_t>(gp->goid));
    submit(mp, sqes, n);
    // What completed inline is in the CQ already: reap it (and whatever
    // else is there) rather than park for it.
    if (cq_has_work()) {
        GList ready;
        const int32_t delta = reap(&ready);
        sched::injectglist(&ready);
        sched::netpollAdjustWaiters(delta);
    }
    uintptr_t expected = kOpPending;
    if (op.state.compare_exchange_strong(expected, kOpWait, std::memory_order_acq_rel)) {
        sys::counter_add(counters.parked);
        sched::gopark(commit, &op.state, "IO wait (io_uring)");
    } else {
        sys::counter_add(counters.inline_done);
    }
    // Done: the completion stored kOpDone after res (acquire through the
    // exchange that made the word kOpDone, or the failed commit).
    while (op.state.load(std::memory_order_acquire) != kOpDone) locks::osyield();
    return op.res;
}

bool supports(uint8_t opcode) { return (ring.ops[opcode / 64] >> (opcode % 64) & 1) != 0; }

void note_kernel_cancel() { sys::counter_add(counters.kernel_cancels); }

UringStats uring_stats() {
    UringStats s;
    s.submitted = counters.submitted.load();
    s.inline_done = counters.inline_done.load();
    s.parked = counters.parked.load();
    s.reaped = counters.reaped.load();
    s.overflows = counters.overflows.load();
    s.active = state.load() == 1;
    s.entries = ring.entries;
    s.no_share = counters.no_share.load();
    s.kernel_cancels = counters.kernel_cancels.load();
    s.submitters = workers.threads.load();
    s.shares = workers.shares;
    s.workers_each = workers.each;
    s.ring_fd_registrations = counters.ring_fd_registrations.load();
    s.ring_fds = counters.ring_fds.load();
    s.features = ring.features;
    return s;
}

}  // namespace rawrt::netpoll::uring
