// Tour section 2: the seed's scenario 1, live. A G that blocks on a channel,
// a Mutex or a timer is parked (gopark): its M drops it and runs the next
// runnable G, so hundreds of blocked Gs cost no thread and the work beside
// them goes on. With RAWRT_MAXPROCS=1 there is one P, so one M at a time
// runs Gs: every step the worker makes while the others wait is a step that
// M took instead of sitting in the kernel for one of them.

#include <atomic>
#include <cstdint>

#include <linux/fcntl.h>

#include "examples/common/process.hpp"
#include "examples/tour/parked.hpp"
#include "examples/tour/tour.hpp"
#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "sched/runtime2.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"
#include "sys/print.hpp"

namespace tour {
namespace {

using rawrt::sys::fdprint;
using rawrt::sys::Padded;
using examples::os_threads;

constexpr int kPerKind = 100;  // Gs blocked on each of the three
// Long enough that the sleepers are still asleep when they are counted,
// even under qemu; the main G waits for them, so nothing else depends on it.
constexpr int64_t kSleepNs = 300'000'000;

// Everything the Gs share; they capture only a pointer to it (a G's closure
// holds at most rawrt::sched::kClosureBytes).
struct Scenario {
    rawrt::Chan<int64_t> values;  // unbuffered: every receiver parks until a send
    rawrt::Mutex mu;              // held by the main G while the lockers queue
    rawrt::WaitGroup blocked;     // the channel and mutex Gs
    rawrt::WaitGroup sleepers;    // the timer Gs
    rawrt::WaitGroup worker_done;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> steps{0};
    std::atomic<int64_t> received{0};
    std::atomic<int64_t> sum{0};
    int64_t locked = 0;  // under mu
    std::atomic<int64_t> woke{0};
};

void start_gs(Scenario* s) {
    s->worker_done.add(1);
    rawrt::go([s] {
        // Counts and yields (Go's runtime.Gosched): a G that never blocks,
        // standing for all the work an M should keep doing.
        while (!s->stop.load(std::memory_order_relaxed)) {
            s->steps.fetch_add(1, std::memory_order_relaxed);
            rawrt::yield();
        }
        s->worker_done.done();
    });
    s->blocked.add(2 * kPerKind);
    for (int i = 0; i < kPerKind; ++i)
        rawrt::go([s] {
            auto r = s->values.recv();
            s->received.fetch_add(r.ok ? 1 : 0, std::memory_order_relaxed);
            s->sum.fetch_add(r.value, std::memory_order_relaxed);
            s->blocked.done();
        });
    for (int i = 0; i < kPerKind; ++i)
        rawrt::go([s] {
            s->mu.lock();
            ++s->locked;
            s->mu.unlock();
            s->blocked.done();
        });
    // Last, so their timers start as late as possible before the count.
    s->sleepers.add(kPerKind);
    for (int i = 0; i < kPerKind; ++i)
        rawrt::go([s] {
            rawrt::sleep(kSleepNs);
            s->woke.fetch_add(1, std::memory_order_relaxed);
            s->sleepers.done();
        });
}

// Yields until every G has reached its wait (on more than one P they start
// in parallel); bounded, so a broken scheduler shows as a short count
// rather than a hang.
Parked wait_until_parked() {
    Parked p;
    for (int round = 0; round < 100'000; ++round) {
        p = count_parked();
        if (p.chan == kPerKind && p.mutex == kPerKind && p.timer == kPerKind) break;
        rawrt::yield();
    }
    return p;
}

}  // namespace

void scheduler() {
    fdprint(1, "\n== 2. scheduler: a blocked G parks, its M runs the others (the seed's scenario 1) ==\n");
    const int64_t threads_before = os_threads();
    fdprint(1, "Ps: ", rawrt::sched::sched.gomaxprocs, " (RAWRT_MAXPROCS, else the CPUs)\n");
    fdprint(1, "OS threads before: ", threads_before, "\n");

    Scenario s;
    s.mu.lock();
    start_gs(&s);
    fdprint(1, "started: 1 worker G that counts and yields, and Gs per kind: ", kPerKind,
            " (receive on a channel, lock a held Mutex, sleep ", kSleepNs / 1'000'000, " ms)\n");

    const Parked parked = wait_until_parked();
    const uint64_t steps_at_park = s.steps.load(std::memory_order_relaxed);
    const int64_t threads_parked = os_threads();
    fdprint(1, "Gs in status Gwaiting, by wait reason (as Go's goroutine dump shows them):\n");
    fdprint(1, "  parked on a channel: ", Padded{parked.chan, 4}, "   [chan receive]\n");
    fdprint(1, "  parked on a mutex:   ", Padded{parked.mutex, 4}, "   [semacquire]\n");
    fdprint(1, "  parked on a timer:   ", Padded{parked.timer, 4}, "   [sleep]\n");
    fdprint(1, "  Gs parked in all:    ", Padded{parked.all, 4}, "\n");
    fdprint(1, "  OS threads while parked: ", threads_parked, " (a thread per blocked G would take ", parked.all,
            " more)\n");

    // The main G parks too, until the last sleeper's timer fires: meanwhile
    // the channel and mutex Gs stay parked (only this G releases them), and
    // the worker has the Ms to itself.
    s.sleepers.wait();
    const uint64_t steps_after = s.steps.load(std::memory_order_relaxed);
    const Parked still = count_parked();
    fdprint(1, "the main G parked on a WaitGroup until every sleeper woke:\n");
    fdprint(1, "  worker progress while they were parked: ", steps_after - steps_at_park, " steps\n");
    fdprint(1, "  woke from a timer: ", s.woke.load(), "\n");
    fdprint(1, "  still parked on a channel: ", still.chan, ", on a mutex: ", still.mutex, "\n");

    // Each send hands its value straight to a parked receiver and readies
    // it; the unlock hands the Mutex to the first locker, and so down the line.
    for (int64_t v = 1; v <= kPerKind; ++v) s.values.send(v);
    s.mu.unlock();
    s.blocked.wait();
    s.stop.store(true, std::memory_order_relaxed);
    s.worker_done.wait();

    const Parked after = count_parked();
    constexpr int64_t kSum = int64_t{kPerKind} * (kPerKind + 1) / 2;
    fdprint(1, "released: values 1..", kPerKind, " sent, the Mutex unlocked:\n");
    fdprint(1, "  received on the channel: ", s.received.load(), " (sum ", s.sum.load(), ", expected ", kSum,
            ": each value reached exactly one G)\n");
    fdprint(1, "  took the mutex in turn: ", s.locked, "\n");
    fdprint(1, "  worker steps in all: ", s.steps.load(), "\n");
    fdprint(1, "  Gs still parked: ", after.all, "\n");
    fdprint(1, "  OS threads after: ", os_threads(), "\n");
}

}  // namespace tour
