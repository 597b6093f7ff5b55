// The epoll poller, after Go's runtime/netpoll_epoll.go (same names). One
// epoll instance for the process, made on first use and installed behind the
// scheduler's seam (sched/poller.hpp), with every pollable fd registered
// once, edge-triggered, for both directions; an eventfd in the same set lets
// any thread break a blocked netpoll. The scheduler reaches it through the
// seam: sched::netpoll, sched::netpollBreak, sched::netpoll_destroy (which
// closes the fds and unmaps every pollDesc).
//
//   netpollGenericInit();          // poll_runtime_pollOpen does it for you
//   sched::GList ready;
//   int32_t delta = netpoll(0, &ready);    // what is ready now, never blocks
//   sched::netpollAdjustWaiters(delta);    // once the Gs are queued
//   ... ready each G (sched::ready) ...
//
//   netpoll(-1, &ready);   // block until an fd is ready or netpollBreak()
//   netpoll(ns, &ready);   // at most ns nanoseconds (epoll_pwait2, 5.11+;
//                          // else whole milliseconds, rounded up)
//
// Everything here makes raw syscalls only (sys::raw): netpoll runs on the
// scheduler's own paths (g0, an M with no P, sysmon) where entersyscall has
// no meaning. netpoll and netpollBreak work from any thread, runtime M or
// not; readying the Gs that netpoll returns needs a P.
#pragma once

#include <cstdint>

#include "sched/poller.hpp"
#include "sched/runtime2.hpp"
#include "sys/result.hpp"

namespace rawrt::netpoll {

struct pollDesc;

// Go: netpollGenericInit. Makes the epoll instance and the break eventfd the
// first time and installs the poller behind the scheduler's seam; later
// calls cost one load. Errors: what epoll_create1, eventfd2, epoll_ctl or
// sched::poller_install said (EMFILE, ENFILE, ENOMEM, EBUSY); nothing is
// left behind then, and the next call tries again.
sys::Result<void> netpollGenericInit();
// Go: netpollinited. Whether the poller exists (cheap: one load).
bool netpollinited();
// Go: netpollIsPollDescriptor. fd is the poller's own epoll fd or eventfd.
bool netpollIsPollDescriptor(int fd);

// Go: netpollopen. Registers fd for EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET with
// pd and pd's current fdseq packed into the event data.
sys::Result<void> netpollopen(int fd, pollDesc* pd);
// Go: netpollclose. Unregisters fd (call it before the fd is closed).
sys::Result<void> netpollclose(int fd);

// Go: netpoll. delay_ns < 0: block until something is ready or
// netpollBreak; 0: poll without blocking; > 0: block at most that long.
// Collects the Gs made runnable into *ready (through schedlink) and returns
// the change to netpollWaiters that readying them implies: the caller
// applies it (netpollAdjustWaiters) once they are queued. Returns at once
// with nothing before the poller is started. EINTR (a signal, or the task
// work that closing an io_uring ring queues) is retried, with what is left
// of the delay. A blocking call that returns may have found nothing: a
// break, or the delay ran out.
int32_t netpoll(int64_t delay_ns, sched::GList* ready);

// Go: netpollBreak. Wakes a netpoll blocked in another thread (or makes the
// next blocking one return at once). Coalesced: while one wakeup is pending
// (netpollWakeSig), further calls do nothing. A no-op before the poller is
// started. Any thread.
void netpollBreak();

// Counters since the process started (relaxed: a moment's reading).
struct NetpollStats {
    uint64_t polls = 0;           // epoll waits entered (EINTR retries included)
    uint64_t blocking_polls = 0;  // of which with delay != 0
    uint64_t eintr = 0;           // waits that came back with EINTR and were retried
    uint64_t events = 0;          // fd events seen (the eventfd's not counted)
    uint64_t stale_events = 0;    // events dropped: their fdseq tag was out of date
    uint64_t gs_ready = 0;        // Gs netpoll returned
    uint64_t breaks = 0;          // netpollBreak calls that wrote to the eventfd
    uint64_t breaks_seen = 0;     // blocking polls that consumed the eventfd
    // fd::FD reads that waited for the poller: after a syscall said EAGAIN,
    // or before any syscall, a short TCP read having emptied the queue.
    uint64_t reads_would_block = 0;
    uint64_t reads_waited_first = 0;
    bool pwait2 = false;  // epoll_pwait2 is in use (known after a timed poll)
};
NetpollStats netpoll_stats();
// fd::FD's half of the two read counters above.
void netpoll_count_read_wait(bool before_syscall);

// For tests: false makes timed polls take the millisecond epoll_pwait path
// even where epoll_pwait2 exists (true restores the default: try pwait2).
void netpoll_allow_pwait2(bool allow);

}  // namespace rawrt::netpoll
