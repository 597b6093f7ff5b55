// STOP-GAP until the scheduler polls by itself (issue 5, step 2: findRunnable
// polling before it steals, an idle M blocking in netpoll, sysmon polling
// every 10 ms). Until then a G parked on an fd is woken only if some G calls
// netpoll for it: these helpers do that from a G. Once the scheduler polls,
// they become unnecessary (harmless, but redundant) and should go.
//
//   // a poller G that blocks in epoll with its P handed off:
//   rawrt::netpoll::start_poller();
//   ... Gs reading and writing rawrt::fd::FDs ...
//   rawrt::netpoll::stop_poller();     // before main returns
//
//   // or by hand, e.g. a G that loops:
//   while (busy) { rawrt::netpoll::netpoll_inject(0); rawrt::yield(); }
#pragma once

#include <cstdint>

#include "sched/runtime2.hpp"
#include "sys/result.hpp"

namespace rawrt::netpoll {

// Go: injectglist, simplified: readies every G of the list on the calling
// G's P (wakep starts Ms for idle Ps to steal them). Only on a G.
void injectglist(sched::GList* list);

// Polls once (netpoll(delay_ns), see netpoll.hpp) and readies what it found;
// returns how many Gs that was. With delay_ns != 0 the calling G enters a
// blocking syscall first (entersyscallblock: its P is handed off at once),
// so its M sleeps in epoll while the other Ms run. Only on a G.
int netpoll_inject(int64_t delay_ns);

// A G that runs netpoll_inject(-1) until stop_poller: parked Gs are readied
// as soon as their fd is. stop_poller sets it to stop, breaks its poll and
// waits until it has returned; call it before the main G returns (the run
// cannot end while an M is blocked in epoll). One poller at a time; both
// only on a G. start_poller starts the poller itself if needed, and fails
// as netpollGenericInit does (then there is no poller G).
sys::Result<void> start_poller();
void stop_poller();

}  // namespace rawrt::netpoll
