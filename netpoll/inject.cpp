// The stop-gap poller (see inject.hpp): netpoll called from a G.

#include "netpoll/inject.hpp"

#include <atomic>

#include "netpoll/netpoll.hpp"
#include "netpoll/poll_desc.hpp"
#include "sched/go.hpp"
#include "sched/proc.hpp"
#include "sched/syscall.hpp"
#include "sys/fatal.hpp"

namespace rawrt::netpoll {
namespace {

std::atomic<bool> poller_stop{false};
std::atomic<bool> poller_running{false};

void require_g(const char* what) {
    sched::M* mp = sched::getm();
    if (mp == nullptr || mp->curg == nullptr || sched::getg() != mp->curg) sys::fatal(what, ": not on a G");
}

}  // namespace

void injectglist(sched::GList* list) {
    while (sched::G* gp = list->pop()) sched::ready(gp, false);
}

int netpoll_inject(int64_t delay_ns) {
    require_g("netpoll_inject");
    sched::GList list;
    int32_t delta;
    if (delay_ns != 0) {
        // Where Go's idle M blocks in netpoll it holds no P; the same here.
        sched::entersyscallblock();
        delta = netpoll(delay_ns, &list);
        sched::exitsyscall();
    } else {
        delta = netpoll(0, &list);
    }
    const int n = list.n;
    injectglist(&list);
    netpollAdjustWaiters(delta);
    return n;
}

sys::Result<void> start_poller() {
    require_g("start_poller");
    if (auto r = netpollGenericInit(); !r.ok()) return r;
    bool expected = false;
    if (!poller_running.compare_exchange_strong(expected, true)) sys::fatal("start_poller: a poller G is running already");
    poller_stop.store(false);
    rawrt::go([] {
        while (!poller_stop.load()) netpoll_inject(-1);
        poller_running.store(false);
    });
    return {};
}

void stop_poller() {
    require_g("stop_poller");
    if (!poller_running.load()) return;
    poller_stop.store(true);
    // Break until it has noticed: another blocking netpoll (the scheduler's,
    // once it polls) may consume a wakeup meant for the poller G.
    while (poller_running.load()) {
        netpollBreak();
        rawrt::yield();
    }
}

}  // namespace rawrt::netpoll
