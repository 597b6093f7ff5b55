// The epoll poller, after Go's runtime/netpoll_epoll.go.

#include "netpoll/netpoll.hpp"

#include <linux/eventpoll.h>

#include <atomic>

#include "netpoll/poll_desc.hpp"
#include "locks/lock_futex.hpp"
#include "sys/calls.hpp"
#include "sys/counter.hpp"
#include "sys/fatal.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::netpoll {
namespace {

// Go: 128 events per epoll_wait.
constexpr int kMaxEvents = 128;

// The eventfd's registration carries 0, and a watched poller's wake_fd 1: a
// tagged pollDesc pointer is neither.
constexpr uint64_t kBreakData = 0;
constexpr uint64_t kWatchData = 1;

int epfd = -1;            // Go: epfd
int netpollEventFd = -1;  // Go: netpollEventFd
std::atomic<uint32_t> netpollInited{0};
locks::mutex netpollInitLock;
// Go: netpollWakeSig. 1 while a wakeup is written and not yet consumed.
std::atomic<uint32_t> netpollWakeSig{0};

// epoll_pwait2: 0 untried, 1 works, -1 the kernel lacks it (ENOSYS).
std::atomic<int> pwait2_state{0};
std::atomic<bool> pwait2_allowed{true};

struct Counters {
    std::atomic<uint64_t> polls{0}, blocking_polls{0}, eintr{0}, events{0}, stale_events{0}, gs_ready{0}, breaks{0},
        breaks_seen{0}, reads_would_block{0}, reads_waited_first{0};
};
Counters counters;

// Go: netpollinit (with netpollGenericInit's lock held). Undoes what it did
// on failure, so the caller can report the error and a later call retry.
sys::Result<void> netpollinit() {
    auto ep = sys::raw::epoll_create1(EPOLL_CLOEXEC);
    if (!ep.ok()) return ep.error();
    auto efd = sys::raw::eventfd2(0, sys::kEFD_CLOEXEC | sys::kEFD_NONBLOCK);
    if (!efd.ok()) {
        (void)sys::raw::close(ep.value());
        return efd.error();
    }
    // Level-triggered: the eventfd stays readable until a blocking netpoll
    // consumes it, so a break written just before the wait is not lost.
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data = kBreakData;
    if (auto r = sys::raw::epoll_ctl(ep.value(), EPOLL_CTL_ADD, efd.value(), &ev); !r.ok()) {
        (void)sys::raw::close(efd.value());
        (void)sys::raw::close(ep.value());
        return r.error();
    }
    epfd = ep.value();
    netpollEventFd = efd.value();
    return {};
}

// One epoll wait: blocking (delay < 0), polling (0), or for delay ns.
sys::Result<int> epollwait(epoll_event* events, int64_t delay) {
    if (delay < 0) return sys::raw::epoll_pwait(epfd, events, kMaxEvents, -1);
    if (delay == 0) return sys::raw::epoll_pwait(epfd, events, kMaxEvents, 0);
    if (pwait2_allowed.load(std::memory_order_relaxed) && pwait2_state.load(std::memory_order_relaxed) >= 0) {
        sys::KernelTimespec ts{delay / 1'000'000'000, delay % 1'000'000'000};
        auto r = sys::raw::epoll_pwait2(epfd, events, kMaxEvents, sys::as_timespec(&ts));
        if (r.ok() || r.error() != sys::Errno(ENOSYS)) {
            if (pwait2_state.load(std::memory_order_relaxed) == 0) pwait2_state.store(1, std::memory_order_relaxed);
            return r;
        }
        pwait2_state.store(-1, std::memory_order_relaxed);
    }
    // Whole milliseconds, rounded up so a short timer is never missed
    // (Go's cap: 1e9 ms, some 11 days; the caller polls again then).
    const int64_t ms = delay >= 1'000'000'000'000'000 ? 1'000'000'000 : (delay + 999'999) / 1'000'000;
    return sys::raw::epoll_pwait(epfd, events, kMaxEvents, static_cast<int>(ms));
}

void close_fds() {
    (void)sys::raw::close(netpollEventFd);
    (void)sys::raw::close(epfd);
    netpollEventFd = -1;
    epfd = -1;
}

// Another poller's wake_fd: a blocking netpoll returns when it is readable
// (edge-triggered: the other poller is polled after every blocking wait,
// and each new completion raises a new edge).
sys::Result<void> watch(int fd) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLET;
    ev.data = kWatchData;
    return sys::raw::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

void destroy() {
    locks::lock(&netpollInitLock);
    if (netpollInited.load(std::memory_order_relaxed) != 0) {
        close_fds();
        netpollWakeSig.store(0);
        pollcache_release();
        netpollInited.store(0, std::memory_order_release);
    }
    locks::unlock(&netpollInitLock);
}

sched::Poller epoll_poller = {netpoll, netpollBreak, watch, -1, destroy, nullptr};

}  // namespace

sys::Result<void> netpollGenericInit() {
    if (netpollInited.load(std::memory_order_acquire) != 0) return {};
    locks::lock(&netpollInitLock);
    sys::Result<void> r;
    if (netpollInited.load(std::memory_order_relaxed) == 0) {
        r = netpollinit();
        if (r.ok()) {
            r = sched::poller_install(&epoll_poller);
            if (r.ok()) netpollInited.store(1, std::memory_order_release);
            else close_fds();
        }
    }
    locks::unlock(&netpollInitLock);
    return r;
}

bool netpollinited() { return netpollInited.load(std::memory_order_acquire) != 0; }

bool netpollIsPollDescriptor(int fd) { return netpollinited() && (fd == epfd || fd == netpollEventFd); }

sys::Result<void> netpollopen(int fd, pollDesc* pd) {
    epoll_event ev{};
    // EPOLLPRI, which Go does not ask for: urgent data ends a TCP read
    // early, and pollDesc::short_read_inconclusive must learn of it.
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI | EPOLLET;
    ev.data = taggedPointerPack(pd, pd->fdseq.load());
    return sys::raw::epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

sys::Result<void> netpollclose(int fd) {
    epoll_event ev{};  // ignored by DEL, but kernels before 2.6.9 wanted one
    return sys::raw::epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

void netpollBreak() {
    if (!netpollinited()) return;
    // A wakeup already in flight will do for this one too.
    uint32_t expected = 0;
    if (!netpollWakeSig.compare_exchange_strong(expected, 1)) return;
    const uint64_t one = 1;
    for (;;) {
        auto r = sys::raw::write(netpollEventFd, &one, sizeof one);
        if (r.ok()) {
            sys::counter_add(counters.breaks);
            return;
        }
        if (r.error() == sys::Errno(EINTR)) continue;
        // The counter is full: the poller has plenty of wakeups to read.
        if (r.error() == sys::Errno(EAGAIN)) return;
        sys::fatal("runtime: netpollBreak write failed with ", r.error());
    }
}

int32_t netpoll(int64_t delay, sched::GList* toRun) {
    if (!netpollinited()) return 0;
    epoll_event events[kMaxEvents];
    // Only a timed wait that a signal cuts short needs the clock, to go on
    // with what is left of its delay.
    const int64_t start = delay > 0 ? vdso::nanotime() : 0;
    int64_t wait = delay;
    int n;
    for (;;) {
        sys::counter_add(counters.polls);
        if (delay != 0) sys::counter_add(counters.blocking_polls);
        auto r = epollwait(events, wait);
        if (r.ok()) {
            n = r.value();
            break;
        }
        if (r.error() != sys::Errno(EINTR))
            sys::fatal("runtime: netpoll: epoll_pwait on fd ", epfd, " failed with ", r.error());
        sys::counter_add(counters.eintr);
        if (delay > 0) {
            wait = delay - (vdso::nanotime() - start);
            if (wait <= 0) return 0;
        }
    }

    int32_t delta = 0;
    int32_t readied = 0;
    for (int i = 0; i < n; ++i) {
        const uint32_t ev = events[i].events;
        const uint64_t data = events[i].data;
        if (ev == 0) continue;
        if (data == kWatchData) continue;  // the seam polls the other pollers next
        if (data == kBreakData) {
            if (ev != EPOLLIN) sys::fatal("runtime: netpoll: eventfd ready for something unexpected: ", sys::Hex{ev});
            // A non-blocking poll leaves the wakeup for the blocking one it
            // was meant for.
            if (delay != 0) {
                uint64_t value;
                (void)sys::raw::read(netpollEventFd, &value, sizeof value);
                netpollWakeSig.store(0);
                sys::counter_add(counters.breaks_seen);
            }
            continue;
        }
        sys::counter_add(counters.events);
        int32_t mode = 0;
        if ((ev & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) mode += kModeRead;
        if ((ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0) mode += kModeWrite;
        if (mode == 0) continue;
        pollDesc* pd = taggedPointerPointer(data);
        const uintptr_t tag = taggedPointerTag(data);
        // pd is type-stable memory, so reading it is safe even if its fd
        // was closed since the kernel queued the event; the tag says whether
        // the event is for the registration pd holds now.
        if (pd->fdseq.load() != tag) {
            sys::counter_add(counters.stale_events);
            continue;
        }
        pd->setEventErr(ev == EPOLLERR, tag);
        if ((ev & (EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) pd->short_read_inconclusive.store(true);
        const int32_t before = toRun->n;
        delta += netpollready(toRun, pd, mode);
        readied += toRun->n - before;
    }
    if (readied != 0) sys::counter_add(counters.gs_ready, static_cast<uint64_t>(readied));
    return delta;
}

NetpollStats netpoll_stats() {
    NetpollStats s;
    s.polls = counters.polls.load(std::memory_order_relaxed);
    s.blocking_polls = counters.blocking_polls.load(std::memory_order_relaxed);
    s.eintr = counters.eintr.load(std::memory_order_relaxed);
    s.events = counters.events.load(std::memory_order_relaxed);
    s.stale_events = counters.stale_events.load(std::memory_order_relaxed);
    s.gs_ready = counters.gs_ready.load(std::memory_order_relaxed);
    s.breaks = counters.breaks.load(std::memory_order_relaxed);
    s.breaks_seen = counters.breaks_seen.load(std::memory_order_relaxed);
    s.reads_would_block = counters.reads_would_block.load(std::memory_order_relaxed);
    s.reads_waited_first = counters.reads_waited_first.load(std::memory_order_relaxed);
    s.pwait2 = pwait2_state.load(std::memory_order_relaxed) > 0 && pwait2_allowed.load(std::memory_order_relaxed);
    return s;
}

void netpoll_count_read_wait(bool before_syscall) {
    sys::counter_add(before_syscall ? counters.reads_waited_first : counters.reads_would_block);
}

void netpoll_allow_pwait2(bool allow) { pwait2_allowed.store(allow, std::memory_order_relaxed); }

}  // namespace rawrt::netpoll
