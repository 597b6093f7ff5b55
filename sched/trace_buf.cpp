// The tracer's recording half (Go: runtime/trace.go's traceBuf and
// traceReader): per-M buffers, the pool they come from, and the writer M
// that saves full ones to a scratch file until stop() has it write the JSON
// (sched/trace_json.cpp).
//
// An M records into its own buffer (M::tracebuf) with plain stores, and
// publishes each event with a release store of the count. A full buffer
// goes onto the writer's list under a leaf lock, once per buffer; the
// writer, an M without a P (as sysmon), is woken only when that list was
// empty. With the pool spent (tracebufs buffers in flight) events are
// dropped and counted, and the count reaches the file. Buffers carry the
// trace's generation: one left from an earlier trace is never taken for
// this one's, so stop() never has to reach into a running M.

#include <linux/fcntl.h>
#include <linux/memfd.h>
#include <linux/mman.h>

#include "arch/cputicks.hpp"
#include "sched/debug.hpp"
#include "sched/entersyscall.hpp"
#include "sched/proc.hpp"
#include "sched/trace_internal.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::sched {

std::atomic<uint32_t> trace_state{0};
TraceWriter tw;

namespace {

constexpr int64_t kWriterNap = 50'000'000;  // a full list wakes it sooner
constexpr size_t kMaxPath = 4096;           // PATH_MAX, with its NUL

// An event's stamp. x86_64: the TSC, which the kernel keeps in step across
// CPUs (the vDSO's own clock reads it here). aarch64: the vDSO clock itself:
// qemu-user, where the arm64 tests run, gives each thread a cntvct_el0 of
// its own (a G was stamped as starting on one M 170 µs before the syscall
// it came back from had ended on another), and on arm64 hardware the vDSO
// reads that same counter at little more cost.
inline uint64_t trace_clock() {
#if defined(__x86_64__)
    return arch::cputicks();
#else
    return static_cast<uint64_t>(vdso::nanotime());
#endif
}

// Under tw.lock. The pool first, then a new mapping while the cap allows.
TraceBuf* buf_get() {
    if (TraceBuf* b = tw.free) {
        tw.free = b->link;
        tw.nfree.fetch_sub(1, std::memory_order_relaxed);
        return b;
    }
    if (tw.allocated.load(std::memory_order_relaxed) >= tw.max_bufs) return nullptr;
    auto mem = sys::raw::mmap(nullptr, tw.buf_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!mem.ok()) return nullptr;
    auto* b = static_cast<TraceBuf*>(mem.value());
    b->bytes = tw.buf_bytes;
    b->all = tw.all;
    tw.all = b;
    tw.allocated.fetch_add(1, std::memory_order_relaxed);
    return b;
}

// A buffer made ready for the events of M mid (-1: the snapshot's).
void buf_reset(TraceBuf* b, int64_t mid, uint64_t seq, uint32_t gen, uint32_t dropped) {
    b->mid = mid;
    b->seq = seq;
    b->gen = gen;
    b->dropped = dropped;
    b->cap = static_cast<uint32_t>((b->bytes - sizeof(TraceBuf)) / sizeof(TraceEvent));
    b->n.store(0, std::memory_order_relaxed);
}

void buf_put(TraceBuf* b) {
    b->link = tw.free;
    tw.free = b;
    tw.nfree.fetch_add(1, std::memory_order_relaxed);
}

// Hands mp's buffer on (to the writer if it holds events of this trace,
// else back to the pool) and gives mp a fresh one, or none: its events
// are then counted as dropped until the writer returns one.
TraceBuf* next_buf(M* mp, TraceBuf* old, uint32_t state) {
    if (old == nullptr && tw.nfree.load(std::memory_order_relaxed) == 0 &&
        tw.allocated.load(std::memory_order_relaxed) >= tw.max_bufs)
        return nullptr;
    bool wake = false;
    lock(&tw.lock);
    if (old != nullptr) {
        if (old->gen == state && old->n.load(std::memory_order_relaxed) != 0) {
            wake = tw.full == nullptr;
            old->link = tw.full;
            tw.full = old;
        } else {
            buf_put(old);
        }
    }
    TraceBuf* b = buf_get();
    unlock(&tw.lock);
    mp->tracebuf.store(b, std::memory_order_release);
    if (wake && tw.wake.exchange(1, std::memory_order_acq_rel) == 0) futexwakeup(&tw.wake, 1);
    if (b == nullptr) return nullptr;
    buf_reset(b, mp->id, ++mp->trace_seq, state, mp->trace_dropped);
    mp->trace_dropped = 0;
    return b;
}

sys::Result<void> write_all(int fd, const void* p, size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
        auto r = sys::raw::write(fd, c, n);
        if (!r.ok()) {
            if (r.error() == sys::Errno(EINTR)) continue;
            return r.error();
        }
        if (r.value() == 0) return sys::Errno(EIO);
        c += r.value();
        n -= r.value();
    }
    return {};
}

// One buffer's events, [0, n), to the scratch file: its header (with that
// count), then the events. The first error sticks.
void save(const TraceBuf* b, uint32_t n) {
    if (tw.error != 0 || n == 0) return;
    TraceBuf h = {};
    h.mid = b->mid;
    h.seq = b->seq;
    h.gen = b->gen;
    h.dropped = b->dropped;
    h.n.store(n, std::memory_order_relaxed);
    auto r = write_all(tw.scratch_fd, &h, sizeof h);
    if (r.ok()) r = write_all(tw.scratch_fd, b->ev, n * sizeof(TraceEvent));
    if (r.ok()) tw.scratch_bytes += sizeof h + n * sizeof(TraceEvent);
    else tw.error = r.error().code();
}

// The full buffers so far, saved and returned to the pool; a buffer of an
// earlier trace (an M that exited after that trace's stop) only returns.
void drain() {
    lock(&tw.lock);
    TraceBuf* list = tw.full;
    tw.full = nullptr;
    unlock(&tw.lock);
    while (TraceBuf* b = list) {
        list = b->link;
        if (b->gen == tw.gen) save(b, b->n.load(std::memory_order_acquire));
        lock(&tw.lock);
        buf_put(b);
        unlock(&tw.lock);
    }
}

// At stop: what each M holds in its current buffer. The counts are read
// under sched.lock (the Ms stay put), the saving happens after it (writes
// to a file must not hold up the scheduler); a buffer an M exits with
// meanwhile is on the full list, which is drained after.
void collect() {
    constexpr int kMaxCollect = 1024;
    static const TraceBuf* bufs[kMaxCollect];
    static uint32_t counts[kMaxCollect];
    int k = 0;
    if (!tw.dying) lock(&sched.lock);
    tw.collected = true;
    for (M* mp = allm; mp != nullptr && k < kMaxCollect; mp = mp->alllink) {
        tw.dropped_unsaved += mp->trace_dropped;
        const TraceBuf* b = mp->tracebuf.load(std::memory_order_acquire);
        if (b == nullptr || b->gen != tw.gen) continue;
        bufs[k] = b;
        counts[k++] = b->n.load(std::memory_order_acquire);
    }
    if (!tw.dying) unlock(&sched.lock);
    for (int i = 0; i < k; ++i) save(bufs[i], counts[i]);
}

// The second reading of the vDSO clock beside the ticks, at least 2 ms
// after the first, so that even a short trace gets the ticks' rate to a
// few parts per million (the writer sleeps out the rest: nobody waits on
// it but stop).
void anchor_end() {
    constexpr int64_t kMinSpan = 2'000'000;
    const int64_t left = tw.start_ns + kMinSpan - vdso::nanotime();
    if (left > 0) {
        const sys::KernelTimespec pause = {0, left};
        (void)sys::raw::nanosleep(sys::as_timespec(&pause), nullptr);
    }
    tw.end_ns = vdso::nanotime();
    tw.end_tick = trace_clock();
}

// The writer M's body (an M without a P, as sysmon).
void trace_writer() {
    lock(&sched.lock);
    ++sched.nmsys;
    unlock(&sched.lock);
    tw.writer.store(getm(), std::memory_order_release);
    for (;;) {
        drain();
        if (tw.stopping.load(std::memory_order_acquire)) break;
        if (tw.wake.exchange(0, std::memory_order_acq_rel) == 0) futexsleep(&tw.wake, 0, kWriterNap);
    }
    collect();
    drain();
    anchor_end();
    if (tw.error == 0) {
        auto r = trace_write_json();
        if (!r.ok()) tw.error = r.error().code();
    }
    (void)sys::raw::close(tw.scratch_fd);
    (void)sys::raw::close(tw.out_fd);
    tw.writer.store(nullptr, std::memory_order_relaxed);
    const bool dying = tw.dying;
    if (!dying) {
        lock(&sched.lock);
        --sched.nmsys;
        unlock(&sched.lock);
    }
    tw.done.store(1, std::memory_order_release);
    futexwakeup(&tw.done, ~0u);
    // The process is ending (exit_group waits for this file): no mexit,
    // which takes sched.lock (a fatal error's caller may hold it) and
    // would have checkdead count this M gone while sysmon-like Ms remain.
    if (dying)
        for (;;) futexsleep(&tw.wake, tw.wake.load(std::memory_order_relaxed), -1);
}

void start_writer(void*) {
    lock(&sched.lock);
    const int64_t id = mReserveID();
    unlock(&sched.lock);
    newm(nullptr, false, id, trace_writer);
}

// One event into buf, published by the release store of its count (only
// buf's owner writes it).
void put(TraceBuf* buf, int16_t p, TraceEv type, uint32_t x, uint64_t a, uint64_t b, uint64_t c, uint8_t arg8) {
    const uint32_t n = buf->n.load(std::memory_order_relaxed);
    TraceEvent* e = &buf->ev[n];
    e->ts = static_cast<int64_t>(trace_clock());
    e->type = type;
    e->arg8 = arg8;
    e->p = p;
    e->x = x;
    e->a = a;
    e->b = b;
    e->c = c;
    buf->n.store(n + 1, std::memory_order_release);
}

// The Gs and Ps as the trace finds them: names for every G, and who runs
// and holds what, for the tracks to start from. A buffer of its own (M id
// -1: no track), straight to the writer: the caller may be no M at all (a
// run's start).
void snapshot() {
    lock(&tw.lock);
    TraceBuf* buf = buf_get();
    unlock(&tw.lock);
    if (buf == nullptr) return;
    buf_reset(buf, -1, 0, tw.gen, 0);
    lock(&sched.lock);
    for (G* gp = sched.allgs; gp != nullptr && buf->n.load(std::memory_order_relaxed) < buf->cap; gp = gp->alllink) {
        const uint32_t s = gp->atomicstatus.load(std::memory_order_relaxed);
        if (s == Gdead || s == Gidle) continue;
        const M* on = gp->m;
        put(buf, -1, evGoInfo, gp->site_line, static_cast<uint64_t>(gp->goid),
            reinterpret_cast<uintptr_t>(gp->site_file),
            on != nullptr && s == Grunning ? static_cast<uint64_t>(on->id) + 1 : 0, static_cast<uint8_t>(s));
    }
    for (int32_t i = 0; i < sched.gomaxprocs && buf->n.load(std::memory_order_relaxed) < buf->cap; ++i) {
        const P* pp = allp[i];
        if (pp->m != nullptr)
            put(buf, -1, evProcInfo, static_cast<uint32_t>(i), static_cast<uint64_t>(pp->m->id), 0, 0, 0);
    }
    unlock(&sched.lock);
    lock(&tw.lock);
    buf->link = tw.full;
    tw.full = buf;
    unlock(&tw.lock);
}

sys::Result<void> open_files(const char* path) {
    size_t len = 0;
    while (path[len] != '\0') ++len;
    if (len == 0) return sys::Errno(ENOENT);
    if (len >= kMaxPath) return sys::Errno(ENAMETOOLONG);
    auto out = sys::raw::openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (!out.ok()) return out.error();
    // The scratch file beside the output (a disk, not memory), unnamed; a
    // file system without O_TMPFILE gets a memfd.
    char dir[kMaxPath];
    size_t slash = len;
    while (slash > 0 && path[slash - 1] != '/') --slash;
    for (size_t i = 0; i < slash; ++i) dir[i] = path[i];
    if (slash == 0) dir[slash++] = '.';
    dir[slash] = '\0';
    auto scratch = sys::raw::openat(AT_FDCWD, dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (!scratch.ok()) scratch = sys::raw::memfd_create("rawrt-trace", MFD_CLOEXEC);
    if (!scratch.ok()) {
        (void)sys::raw::close(out.value());
        return scratch.error();
    }
    tw.out_fd = out.value();
    tw.scratch_fd = scratch.value();
    return {};
}

}  // namespace

sys::Result<void> trace_stop(bool dying) {
    uint32_t s = trace_state.load(std::memory_order_relaxed);
    if (!(s & 1) || !trace_state.compare_exchange_strong(s, s & ~1u, std::memory_order_acq_rel))
        return sys::Errno(EINVAL);
    tw.dying = dying;
    tw.stopping.store(true, std::memory_order_release);
    tw.wake.store(1, std::memory_order_release);
    futexwakeup(&tw.wake, 1);
    // A dying process waits 5 s at most: a fatal error may have left a lock
    // the writer needs held, and the process must end anyway.
    auto wait = [](void*) {
        for (int naps = 0; tw.done.load(std::memory_order_acquire) == 0; ++naps) {
            if (tw.dying && naps == 50) return;
            futexsleep(&tw.done, 0, tw.dying ? 100'000'000 : -1);
        }
    };
    if (current_g() != nullptr) blocking_call(wait, nullptr);
    else wait(nullptr);
    if (tw.done.load(std::memory_order_acquire) == 0) return sys::Errno(ETIMEDOUT);  // dying: left unfinished
    const int err = tw.error;
    tw.active.store(false, std::memory_order_release);
    if (err != 0) return sys::Errno(err);
    return {};
}

namespace {

// exit_group and fatal errors: the file is finished before the process goes.
void trace_at_exit() {
    if (!traceEnabled() || getm() == tw.writer.load(std::memory_order_acquire)) return;
    (void)trace_stop(true);
}

}  // namespace

sys::Result<void> trace_start(const char* path) {
    if (!kTraceCompiledIn) return sys::Errno(ENOSYS);  // nothing would record (sched/trace.hpp)
    if (path == nullptr) return sys::Errno(EFAULT);
    bool idle = false;
    if (!tw.active.compare_exchange_strong(idle, true, std::memory_order_acq_rel)) return sys::Errno(EBUSY);
    if (auto r = open_files(path); !r.ok()) {
        tw.active.store(false, std::memory_order_release);
        return r;
    }
    tw.buf_bytes = static_cast<size_t>(debug.tracebuf_bytes);
    tw.max_bufs = static_cast<int32_t>(debug.tracebufs);
    tw.stopping.store(false, std::memory_order_relaxed);
    tw.done.store(0, std::memory_order_relaxed);
    tw.wake.store(0, std::memory_order_relaxed);
    tw.error = 0;
    tw.dying = false;
    tw.collected = false;
    tw.scratch_bytes = 0;
    tw.dropped_unsaved = 0;
    tw.start_ns = vdso::nanotime();
    tw.start_tick = trace_clock();
    const uint32_t gen = (trace_state.load(std::memory_order_relaxed) | 1) + 2;
    tw.gen = gen;
    sys::set_exit_hook(trace_at_exit);
    // newm wants more stack than a small G has.
    M* mp = getm();
    if (current_g() != nullptr) rawrt_systemstack(reinterpret_cast<void*>(mp->g0->stack.hi), start_writer, nullptr);
    else start_writer(nullptr);
    trace_state.store(gen, std::memory_order_release);
    snapshot();
    return {};
}

void traceEvent_slow(TraceEv type, uint32_t x, uint64_t a, uint64_t b, uint64_t c, uint8_t arg8) {
    const sys::ThreadControlBlock* tcb = sys::current_runtime_tcb();
    if (tcb == nullptr || tcb->m == nullptr) return;  // not an M
    M* mp = static_cast<M*>(tcb->m);
    const uint32_t state = trace_state.load(std::memory_order_acquire);
    if (!(state & 1) || mp == tw.writer.load(std::memory_order_relaxed)) return;
    TraceBuf* buf = mp->tracebuf.load(std::memory_order_relaxed);
    if (buf == nullptr || buf->gen != state || buf->n.load(std::memory_order_relaxed) == buf->cap) {
        buf = next_buf(mp, buf, state);
        if (buf == nullptr) {
            ++mp->trace_dropped;
            return;
        }
    }
    put(buf, mp->p != nullptr ? static_cast<int16_t>(mp->p->id) : int16_t{-1}, type, x, a, b, c, arg8);
}

void trace_mexit(M* mp) {
    TraceBuf* b = mp->tracebuf.exchange(nullptr, std::memory_order_acq_rel);
    if (b == nullptr) return;
    lock(&tw.lock);
    if (!tw.collected && b->gen == tw.gen && b->n.load(std::memory_order_relaxed) != 0) {
        b->link = tw.full;  // the writer saves it
        tw.full = b;
    } else if (!tw.collected || !tw.active.load(std::memory_order_relaxed)) {
        buf_put(b);
    }
    // (Else collect has it and saves it now: it stays out of the pool until
    // trace_release.)
    unlock(&tw.lock);
}

sys::Result<void> trace_run_start(const char* path) {
    if (path == nullptr || path[0] == '\0') return {};
    return trace_start(path);
}

void trace_run_end() {
    if (traceEnabled()) (void)trace_stop(false);
    sys::set_exit_hook(nullptr);
}

void trace_release() {
    while (TraceBuf* b = tw.all) {
        tw.all = b->all;
        (void)sys::raw::munmap(b, b->bytes);
    }
    tw.free = tw.full = nullptr;
    tw.allocated.store(0, std::memory_order_relaxed);
    tw.nfree.store(0, std::memory_order_relaxed);
}

}  // namespace rawrt::sched

namespace rawrt::trace {

sys::Result<void> start(const char* path) {
    if (sched::getm() == nullptr) return sys::Errno(ENOTCONN);
    return sched::trace_start(path);
}

sys::Result<void> stop() {
    if (sched::getm() == nullptr && !sched::traceEnabled()) return sys::Errno(EINVAL);
    return sched::trace_stop(false);
}

bool enabled() { return sched::traceEnabled(); }

void region_begin(const char* name) {
    sched::traceEvent(sched::evRegionBegin, 0, 0, reinterpret_cast<uintptr_t>(name));
}
void region_end(const char* name) { sched::traceEvent(sched::evRegionEnd, 0, 0, reinterpret_cast<uintptr_t>(name)); }

}  // namespace rawrt::trace
