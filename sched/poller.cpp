// The pollers behind the scheduler's seam (sched/poller.hpp), and the count
// of Gs parked in them (Go's netpollWaiters, runtime/netpoll.go).

#include "sched/poller.hpp"

#include <atomic>

#include "sched/layers_below.hpp"
#include "sched/proc.hpp"
#include "sched/trace.hpp"

namespace rawrt::sched {
namespace {

Poller* pollers[kMaxPollers];
std::atomic<int> npollers{0};  // entries of pollers that are set (release on install)
mutex pollers_lock;            // install against install and destroy
std::atomic<uint32_t> netpollWaiters{0};

}  // namespace

sys::Result<void> poller_install(Poller* p) {
    lock(&pollers_lock);
    const int n = npollers.load(std::memory_order_relaxed);
    sys::Result<void> r;
    if (n == kMaxPollers) {
        r = sys::Errno(EBUSY);
    } else if (n > 0 && (p->wake_fd < 0 || pollers[0]->watch == nullptr)) {
        r = sys::Errno(EINVAL);
    } else if (n > 0) {
        r = pollers[0]->watch(p->wake_fd);
    }
    if (r.ok()) {
        pollers[n] = p;
        npollers.store(n + 1, std::memory_order_release);
    }
    unlock(&pollers_lock);
    return r;
}

bool netpollinited() { return npollers.load(std::memory_order_acquire) != 0; }

int32_t netpoll(int64_t delay, GList* ready) {
    const int n = npollers.load(std::memory_order_acquire);
    if (n == 0) return 0;
    const int32_t before = ready->n;
    int32_t delta = 0;
    for (int i = 1; i < n; ++i) delta += pollers[i]->poll(0, ready);
    const bool block = delay != 0 && ready->empty();
    delta += pollers[0]->poll(block ? delay : 0, ready);
    // What woke the wait may be another poller's wake_fd.
    if (block)
        for (int i = 1; i < n; ++i) delta += pollers[i]->poll(0, ready);
    traceEvent(evNetpoll, block ? 1 : 0, static_cast<uint64_t>(ready->n - before));
    return delta;
}

int32_t netpoll_without_syscall(GList* ready) {
    const int n = npollers.load(std::memory_order_acquire);
    const int32_t before = ready->n;
    int32_t delta = 0;
    for (int i = 1; i < n; ++i) delta += pollers[i]->poll(0, ready);
    if (ready->n != before) traceEvent(evNetpoll, 0, static_cast<uint64_t>(ready->n - before));
    return delta;
}

void netpollBreak() {
    if (netpollinited()) pollers[0]->wake();
}

void netpoll_break_before(int64_t when) {
    const int64_t pollUntil = sched.pollUntil.load(std::memory_order_acquire);
    if (pollUntil == 0 || pollUntil > when) netpollBreak();
}

void netpollAdjustWaiters(int32_t delta) {
    if (delta != 0) netpollWaiters.fetch_add(static_cast<uint32_t>(delta));
}
bool netpollAnyWaiters() { return netpollWaiters.load() > 0; }
uint32_t netpoll_waiter_count() { return netpollWaiters.load(); }

void poller_thread_exit(M* mp) {
    const int n = npollers.load(std::memory_order_acquire);
    for (int i = 0; i < n; ++i)
        if (pollers[i]->thread_exit != nullptr) pollers[i]->thread_exit(mp);
}

void netpoll_destroy() {
    // The destroys run outside the lock: a poller's own lock is taken
    // before this one when it installs.
    Poller* gone[kMaxPollers];
    lock(&pollers_lock);
    const int n = npollers.load(std::memory_order_relaxed);
    for (int i = 0; i < n; ++i) gone[i] = pollers[i];
    npollers.store(0, std::memory_order_release);
    netpollWaiters.store(0);
    unlock(&pollers_lock);
    for (int i = n; i-- > 0;) gone[i]->destroy();
}

}  // namespace rawrt::sched
