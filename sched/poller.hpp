// The scheduler's seam for whatever makes parked Gs ready from outside it:
// the epoll netpoller (netpoll/), and beside it a ring of completions. The
// scheduler knows this interface and nothing of what is behind it; a poller
// installs itself when it starts (the epoll one from netpollGenericInit).
// Go keeps one poller per OS in one package and calls it directly; these
// functions keep its names (runtime/netpoll.go, proc.go) for the calls
// findRunnable, sysmon and the timers make.
//
//   static Poller mine = {mypoll, mywake, nullptr, wake_fd, mydestroy, nullptr};
//   poller_install(&mine);            // once its fds exist
//   ... a G parks on it: netpollAdjustWaiters(1) as it commits ...
//   netpoll(0, &list);                // the scheduler: every poller, no wait
//
// Several pollers: the first one installed is the one a blocking netpoll
// waits in. Every later poller with something to reap shows it on its wake_fd,
// which the first one watches, so an M blocked there wakes for any poller's
// Gs; the others are then polled without blocking.
#pragma once

#include <cstdint>

#include "sched/runtime2.hpp"
#include "sys/result.hpp"

namespace rawrt::sched {

struct Poller {
    // Collects the Gs made ready into *ready (through schedlink) and returns
    // the change to netpollWaiters that readying them implies. delay_ns < 0:
    // block until something is ready or wake(); 0: never block; > 0: block
    // at most that long. Only the first poller is asked to block; a later
    // one's poll(0) makes no syscall when it has nothing to reap.
    int32_t (*poll)(int64_t delay_ns, GList* ready);
    // Makes a blocked poll return, or the next blocking one return at once.
    // Any thread. Only the first poller's is called.
    void (*wake)();
    // The first poller: adds fd to what a blocking poll waits on; fd
    // readable makes it return as a wake() would. nullptr: this poller
    // cannot wait for another.
    sys::Result<void> (*watch)(int fd);
    // Readable while this poller has something to reap; -1 if it has no
    // such fd (it can only be the first).
    int wake_fd;
    // Teardown, when every M is gone: closes its fds, frees what it holds.
    void (*destroy)();
    // mp's thread ends mid-run (mexit), on that thread: a poller that keeps
    // something per thread lets it go. nullptr: nothing to do.
    void (*thread_exit)(M* mp);
};

// Adds p behind the seam; from then on the scheduler polls it. Errors:
// EBUSY with kMaxPollers installed; EINVAL for a later poller without a
// wake_fd, or when the first poller cannot watch; what watch said. p stays
// out then. Any thread; p must outlive the run.
constexpr int kMaxPollers = 4;
sys::Result<void> poller_install(Poller* p);

// Go: netpollinited. Some poller is installed (one load).
bool netpollinited();
// Go: netpoll. Every poller's ready Gs; delay as Poller::poll, the wait
// made in the first poller only and not at all when another had Gs.
int32_t netpoll(int64_t delay_ns, GList* ready);
// findRunnable's look before stealing (Go's netpoll(0) there): every
// poller but the first, without blocking. A later poller tells from its own
// memory whether it has anything (its poll(0) makes no syscall when it has
// nothing); the first poller's poll is a kernel entry, and an M that finds
// nothing to steal makes it anyway, blocking, or leaves it to the M
// already blocked there.
int32_t netpoll_without_syscall(GList* ready);
// Go: netpollBreak. Wakes the M blocked in netpoll, if any.
void netpollBreak();
// Go: wakeNetPoller's first half: the M blocked in netpoll sleeps until
// sched.pollUntil (0: until woken); break it if that is after when, so it
// sees the earlier deadline.
void netpoll_break_before(int64_t when);

// Go: netpollWaiters. Gs parked in some poller: a poller counts one up as
// a G commits to parking, and the scheduler blocks in netpoll only while
// some wait (or a timer is due). netpoll's result goes back here once the
// Gs it returned are queued.
void netpollAdjustWaiters(int32_t delta);
bool netpollAnyWaiters();
uint32_t netpoll_waiter_count();

// mexit's: every poller's thread_exit, for the calling M.
void poller_thread_exit(M* mp);

// Teardown (every M joined): destroys every poller, the last installed
// first, and forgets them; the next run installs afresh.
void netpoll_destroy();

}  // namespace rawrt::sched
