// Tour section 3: the seed's decision tree, live. Four ways a G blocks, one
// after another, each followed by what the scheduler did about it, read from
// rawrt::stats() (deltas over the step) and from the G list:
//
//   (1) it parks on a channel, a Mutex, a timer: gopark, its M runs others;
//   (2) a short syscall: entersyscall leaves the P in Psyscall, exitsyscall
//       takes it back with plain loads and stores, no locked instruction;
//   (3) a long syscall with Gs queued behind it: sysmon retakes the P and
//       another M runs them while the first one sits in the kernel; back
//       with no P free, the G is queued and its M parks (the slow path);
//   (4) a call known to block: entersyscallblock hands the P off at once;
//       and a long foreign call (blocking_call, Go's cgocall), whose P is
//       released as for any syscall;
//   (5) the seed's case 4, a long-running G: it computes without calling
//       the runtime while a sleeping G's timer comes due; sysmon preempts
//       it with a signal after the quantum (sched/preempt.hpp);
//   (6) where rawrt leaves the seed's tree: a file read through the
//       io_uring ring (os/file.hpp) parks the G, not the M, as a socket
//       read does; without a ring, a FIFO's read parks on the netpoller,
//       as Go's os.File does with a FIFO it opens.
//
// Steps 3 to 6 first put a spinning G on every other P (holders): then the
// Gs queued behind the blocked one have nowhere to go but the P it leaves,
// and with 1 P or 64 the tour shows the same thing.
// docs/syscall-scheduling.md tells the protocol behind each line.

#include <atomic>
#include <cstdint>

#include <linux/fcntl.h>
#include <linux/futex.h>
#include <linux/unistd.h>

#include "arch/cpu_relax.hpp"
#include "examples/tour/parked.hpp"
#include "examples/tour/tour.hpp"
#include "os/file.hpp"
#include "sched/chan.hpp"
#include "sched/debug.hpp"
#include "sched/go.hpp"
#include "sched/runtime2.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sched/entersyscall.hpp"
#include "sched/time.hpp"
#include "sched/trace.hpp"
#include "sys/calls.hpp"
#include "sys/print.hpp"
#include "vdso/vdso.hpp"

namespace tour {
namespace {

namespace sys = rawrt::sys;
using sys::fdprint;

constexpr int kPerKind = 10;                     // step 1: Gs parked on each of the three
constexpr int64_t kSleepNs = 100'000'000;        // long enough to count them asleep, under qemu too
constexpr int kShortCalls = 1000;                // step 2
constexpr int kQueued = 8;                       // step 3: Gs behind the blocked reader
constexpr int64_t kWakeNs = 1'000'000;           // step 5: the sleeping G's timer
constexpr int64_t kLoopLimitNs = 2'000'000'000;  // step 5: the loop's end without preemption

int tid() { return sys::raw::gettid().value_or(-1); }

// One step's figures: counters from its start, and a look at the moment
// the G is blocked (taken by whichever G can see it then).
struct Step {
    rawrt::SchedStats start = rawrt::stats();
    int32_t ms = 0;          // Ms alive (sysmon's included)
    int32_t in_syscall = 0;  // Ms in a syscall
    int64_t parked = 0;      // Gs in Gwaiting

    void look() {
        const auto s = rawrt::stats();
        ms = s.threads;
        in_syscall = s.in_syscall;
        parked = count_parked().all;
    }

    void report(const char* tag) const {
        const auto end = rawrt::stats();
        fdprint(1, "    [", tag, "] Ms=", ms, " in_syscall=", in_syscall, " parked=", parked,
                " syscalls=", end.syscalls - start.syscalls, " fast=", end.exit_fast - start.exit_fast,
                " idle_p=", end.exit_idle_p - start.exit_idle_p, " slow=", end.exit_slow - start.exit_slow,
                " handoffs=", end.handoff_block - start.handoff_block,
                " blocking_calls=", end.blocking_calls - start.blocking_calls, " retakes=", end.retakes - start.retakes,
                " new_Ms=", end.threads_created - start.threads_created, "\n");
    }
};

// ------------------------------------------------------------ (1) park

void park_step() {
    fdprint(1, "(1) ", kPerKind,
            " Gs each wait on a channel, a Mutex, a timer: the scheduler parks them (gopark),\n"
            "    no M blocks\n");
    struct Shared {
        rawrt::Chan<int> values;
        rawrt::Mutex mu;
        rawrt::WaitGroup done;
    } sh;
    Step step;
    sh.mu.lock();
    sh.done.add(3 * kPerKind);
    Shared* s = &sh;
    for (int i = 0; i < kPerKind; ++i) {
        rawrt::go([s] {
            (void)s->values.recv();
            s->done.done();
        });
        rawrt::go([s] {
            s->mu.lock();
            s->mu.unlock();
            s->done.done();
        });
        rawrt::go([s] {
            rawrt::sleep(kSleepNs);
            s->done.done();
        });
    }
    Parked p;
    for (int round = 0; round < 100'000; ++round) {
        p = count_parked();
        if (p.chan == kPerKind && p.mutex == kPerKind && p.timer == kPerKind) break;
        rawrt::yield();
    }
    step.look();
    fdprint(1, "    parked: ", p.chan, " on a channel, ", p.mutex, " on a Mutex, ", p.timer,
            " on a timer; the main G runs on, and no M is in the kernel for them\n");
    for (int v = 1; v <= kPerKind; ++v) sh.values.send(v);
    sh.mu.unlock();
    sh.done.wait();  // the main G parks too, until the sleepers wake
    step.report("park");
}

// ------------------------------------------------------------ (2) short syscall

void short_step() {
    fdprint(1, "(2) a short syscall, getpid x", kShortCalls,
            ": entersyscall leaves the P in Psyscall, exitsyscall takes it back with a store\n");
    Step step;
    for (int i = 0; i < kShortCalls; ++i) {
        (void)sys::getpid();
        // Rescheduling now and then: sysmon retakes at once the P of a G in a
        // syscall that has run 10 ms without rescheduling.
        if (i % 100 == 99) rawrt::yield();
    }
    step.look();
    fdprint(1,
            "    each call is over long before sysmon looks twice (a retake here would mean this thread\n"
            "    was descheduled inside a getpid for a whole sysmon tick)\n");
    step.report("short");
}

// ------------------------------------------------------------ holding the other Ps

// A G spinning on every P but the caller's, so that nothing queued on the
// caller's P can be stolen: only a P taken from the blocked G runs it. The
// caller spins too, without yielding, so it keeps its own P meanwhile.
struct Holders {
    std::atomic<int> running{0};
    std::atomic<bool> release{false};
    rawrt::WaitGroup done;
    int n = 0;

    void start() {
        n = rawrt::sched::sched.gomaxprocs - 1;
        done.add(n);
        for (int i = 0; i < n; ++i)
            rawrt::go([this] {
                running.fetch_add(1);
                while (!release.load(std::memory_order_acquire)) rawrt::arch::cpu_relax();
                done.done();
            });
        // Idle Ps' spinning Ms steal them. Bounded: a scheduler that failed
        // to would show in the counters below rather than hang the tour.
        const int64_t deadline = rawrt::vdso::nanotime() + 10'000'000'000;
        while (running.load() < n && rawrt::vdso::nanotime() < deadline) rawrt::arch::cpu_relax();
        if (n > 0)
            fdprint(1, "(for steps 3 and 4, the other Ps each run a G that spins: ", running.load(), " of ", n,
                    ";\n what waits behind a blocked G can only run on the P that G leaves)\n");
    }

    void stop() {
        release.store(true, std::memory_order_release);
        done.wait();
    }
};

// ------------------------------------------------------------ (3) long syscall

void long_step() {
    fdprint(1, "(3) a long syscall, read on an empty pipe, ", kQueued,
            " Gs queued behind it: sysmon retakes the P, another M runs them\n");
    struct Shared {
        int fds[2] = {-1, -1};
        int reader_tid = 0;
        std::atomic<bool> read_done{false};
        std::atomic<int> ran{0}, during{0}, elsewhere{0};
        Step* step = nullptr;
    } sh;
    if (!sys::raw::pipe2(sh.fds, O_CLOEXEC).ok()) {
        fdprint(1, "    pipe2 failed\n");
        return;
    }
    Step step;
    sh.step = &step;
    sh.reader_tid = tid();
    Shared* s = &sh;
    for (int i = 0; i < kQueued; ++i)
        rawrt::go([s] {
            if (!s->read_done.load()) s->during.fetch_add(1);
            if (tid() != s->reader_tid) s->elsewhere.fetch_add(1);
            if (s->ran.fetch_add(1) + 1 != kQueued) return;
            // The last of them: look, then end the read (raw: a write to a
            // pipe with room does not block), and keep the P busy until the
            // reader is back: with no P free it returns by the slow path,
            // its M parks, and it runs on when this G yields.
            s->step->look();
            (void)sys::raw::write(s->fds[1], "x", 1);
            while (!s->read_done.load()) rawrt::yield();
        });
    char c;
    rawrt::trace::region_begin("scenario 3");  // what `make trace` draws
    (void)sys::read(sh.fds[0], &c, 1);
    sh.read_done.store(true);
    fdprint(1, "    queued Gs that ran while the read blocked: ", sh.during.load(), " of ", kQueued,
            "; on another thread than the reader's: ", sh.elsewhere.load(), "\n");
    rawrt::trace::region_end("scenario 3");
    step.report("long");
    (void)sys::raw::close(sh.fds[0]);
    (void)sys::raw::close(sh.fds[1]);
}

// ------------------------------------------------------------ (4) known to block

// A G queued behind a blocked one: it notes whether it ran while the wait
// was still on, looks at the step, then ends the wait (a raw FUTEX_WAKE on
// word). Steps (4) and (5) block on word in two different ways.
struct Waker {
    alignas(4) uint32_t word = 0;
    std::atomic<bool> wait_done{false};
    std::atomic<int> during{0};
    Step step;

    void start() {
        Waker* w = this;
        rawrt::go([w] {
            if (!w->wait_done.load()) w->during.fetch_add(1);
            w->step.look();
            __atomic_store_n(&w->word, 1, __ATOMIC_SEQ_CST);
            (void)sys::raw::futex(&w->word, FUTEX_WAKE_PRIVATE, 1);
        });
    }
    bool woken() const { return __atomic_load_n(&word, __ATOMIC_SEQ_CST) != 0; }
};

void block_step() {
    fdprint(1,
            "(4) a call known to block, FUTEX_WAIT with no timeout: entersyscallblock hands the P off\n"
            "    at once, before the call (Go does so for its own long waits)\n");
    Waker w;
    w.start();
    // At least once: even if the waker were first, the wait is where the
    // P goes (the kernel then answers EAGAIN at once).
    do (void)sys::futex(&w.word, FUTEX_WAIT_PRIVATE, 0);
    while (!w.woken());
    w.wait_done.store(true);
    fdprint(1, "    the waking G ran while the wait was in the kernel: ", w.during.load(), " (sysmon not involved)\n");
    w.step.report("block");
}

void foreign_step() {
    fdprint(1,
            "    a long foreign call, rawrt::blocking_call (Go's cgocall): its P is released as for a\n"
            "    syscall and, with a G queued behind it, retaken by sysmon\n");
    Waker w;
    w.start();
    // Stands for a C library call that takes a while: on the M's own stack,
    // with no scheduler call inside (the raw flavour, as C would make it).
    Waker* pw = &w;
    rawrt::blocking_call([pw] {
        while (!pw->woken()) (void)sys::raw::futex(&pw->word, FUTEX_WAIT_PRIVATE, 0);
    });
    w.wait_done.store(true);
    fdprint(1, "    the queued G ran while the call was in progress: ", w.during.load(), "\n");
    w.step.report("foreign");
}

// ------------------------------------------------------------ (5) preemption

void preempt_step() {
    const int64_t quantum = rawrt::sched::debug.forcepreempt_ns;
    fdprint(1, "(5) a long-running G (the seed's case 4): a G loops without calling the runtime while this\n",
            "    G sleeps ", kWakeNs / 1'000'000, " ms; after the quantum (", quantum / 1'000'000,
            " ms) sysmon asks the loop to yield and signals\n"
            "    its M (SIGURG), whose handler switches the G out where it is\n");
    struct Loop {
        std::atomic<bool> stop{false};
        std::atomic<uint64_t> iterations{0};
        rawrt::WaitGroup done;  // the loop's G is gone: loop may go too
    } loop;
    loop.done.add(1);
    Loop* l = &loop;
    const rawrt::SchedStats start = rawrt::stats();
    rawrt::go([l] {
        // A plain loop: no call at all but for a look at the clock every
        // 2^20 rounds, which ends it after kLoopLimitNs if nothing preempts
        // it (RAWRT_DEBUG=asyncpreempt=0).
        const int64_t until = rawrt::vdso::nanotime() + kLoopLimitNs;
        uint64_t n = 0;
        while (!l->stop.load(std::memory_order_relaxed)) {
            l->iterations.store(++n, std::memory_order_relaxed);
            if ((n & 0xfffff) == 0 && rawrt::vdso::nanotime() > until) break;
        }
        l->done.done();
    });
    const int64_t t0 = rawrt::vdso::nanotime();
    rawrt::sleep(kWakeNs);  // the loop has this P from here on
    const int64_t woke = rawrt::vdso::nanotime() - t0;
    const uint64_t seen = loop.iterations.load();
    const bool running = !loop.stop.exchange(true) && woke < kLoopLimitNs;
    const rawrt::SchedStats end = rawrt::stats();
    fdprint(1, "    the sleeping G ran again after ", woke / 1000, " us, the loop at ", seen,
            " iterations and still running: ", running ? "yes" : "no", "\n");
    fdprint(1, "    [preempt] requests=", end.preempts - start.preempts,
            " signals=", end.preempt_signals - start.preempt_signals, " preempted=", end.preempted - start.preempted,
            " refused=", end.preempt_refused - start.preempt_refused, "\n");
    loop.done.wait();  // the loop's G, switched out, sees stop once it runs again
}

// ------------------------------------------------------------ (6) a file

void file_step() {
    fdprint(1, "(6) a file read that waits (a FIFO nobody has written yet), through os::File: the G parks\n",
            "    and its M runs the next G, on the io_uring ring; without a ring (qemu-user, uring=0) on the\n"
            "    netpoller, as Go's os.File does with a FIFO it opens (a regular file's read would hold its M)\n");
    char path[64] = "/tmp/rawrt-tour-fifo-";
    {
        char digits[16];
        int n = 0;
        for (int pid = sys::raw::getpid().value_or(0); pid > 0 || n == 0; pid /= 10) digits[n++] = '0' + pid % 10;
        char* p = path + sizeof "/tmp/rawrt-tour-fifo-" - 1;
        while (n > 0) *p++ = digits[--n];
        *p = '\0';
    }
    (void)rawrt::os::remove(path);
    if (!sys::Result<void>(sys::raw_syscall(__NR_mknodat, AT_FDCWD, path, sys::kS_IFIFO | 0600, 0)).ok()) {
        fdprint(1, "    mknodat failed\n");
        return;
    }
    struct Shared {
        rawrt::os::File f;
        int reader_tid = 0;
        std::atomic<bool> read_done{false};
        std::atomic<int> same_thread{0}, during{0};
        Step step;
    } sh;
    if (!rawrt::os::File::open(path, O_RDWR, 0, &sh.f).ok()) {
        fdprint(1, "    open failed\n");
        (void)rawrt::os::remove(path);
        return;
    }
    sh.reader_tid = tid();
    Shared* s = &sh;
    rawrt::go([s] {
        if (!s->read_done.load()) s->during.fetch_add(1);
        if (tid() == s->reader_tid) s->same_thread.fetch_add(1);
        s->step.look();
        (void)sys::raw::write(s->f.fd(), "x", 1);
    });
    char c;
    (void)sh.f.read(&c, 1);
    sh.read_done.store(true);
    fdprint(1, "    through the ring: ", rawrt::os::uses_ring() ? "yes" : "no (the netpoller)",
            "; the writer ran while the read waited: ", sh.during.load(),
            "; on the reader's own thread: ", sh.same_thread.load(), "\n");
    sh.step.report("file");
    (void)sh.f.close();
    (void)rawrt::os::remove(path);
}

}  // namespace

void syscalls() {
    fdprint(1, "\n== 3. syscalls: the four ways a G blocks, one after another (the seed's decision tree) ==\n");
    fdprint(1, "Ps: ", rawrt::sched::sched.gomaxprocs,
            ". Each [step] line: Ms alive, Ms in a syscall and Gs parked\n"
            "while the G is blocked; then, from rawrt::stats() over the step: syscalls entered and how they\n"
            "ended (fast: took its own P back; idle_p: took an idle P; slow: no P, G queued, M parked),\n"
            "entersyscallblock handoffs, blocking_calls, sysmon retakes, Ms created\n");
    park_step();
    short_step();
    Holders holders;
    holders.start();
    long_step();
    block_step();
    foreign_step();
    preempt_step();
    file_step();
    holders.stop();
}

}  // namespace tour
