// Syscall-aware scheduling: entersyscall/exitsyscall, retake by sysmon,
// entersyscallblock, the slow path, locked Gs, the thread limit and
// blocking_call. Every test asserts an outcome (who ran while a syscall was
// still in progress, what the counters say), never a duration: where a test
// needs "sysmon has had its chance", it waits for sysmon's pass counter, and
// a hosted watchdog thread ends any syscall the runtime failed to get past.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sched/entersyscall.hpp"
#include "sched/sysmon.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"
#include "tests/blocking_burst.hpp"
#include "tests/child_process.hpp"
#include "tests/eventually.hpp"
#include "tests/proc_self.hpp"
#include "vdso/vdso.hpp"

namespace {

using rawrt::test::eventually;
using rawrt::test::eventually_on_g;
using rawrt::test::emulated;

struct Pipe {
    int r = -1, w = -1;
    Pipe() {
        int fds[2];
        EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        r = fds[0];
        w = fds[1];
    }
    ~Pipe() {
        ::close(r);
        ::close(w);
    }
    void poke() const { EXPECT_EQ(::write(w, "x", 1), 1); }
};

uint64_t passes() { return rawrt::stats().sysmon_passes; }

// The seed's scenario 3, the heart of it: with one P, a G blocked in a read
// does not stop the G queued behind it; sysmon retakes the P.
TEST(SchedSyscall, AQueuedGRunsWhileTheOnlyPsGBlocksInASyscall) {
    Pipe p;
    std::atomic<bool> b_ran{false}, read_returned{false};
    bool b_ran_during_read = false;
    std::thread watchdog([&] {
        if (!eventually([&] { return read_returned.load(); })) p.poke();
    });
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            b_ran = true;
            (void)rawrt::sys::write(p.w, "x", 1);
            wg.done();
        });
        char c;
        EXPECT_TRUE(rawrt::sys::read(p.r, &c, 1).ok());
        b_ran_during_read = b_ran.load();
        read_returned = true;
        wg.wait();
    });
    watchdog.join();
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(b_ran_during_read);
    const auto s = rawrt::stats();
    EXPECT_GE(s.retakes, 1u);
    EXPECT_EQ(s.syscalls, s.exit_fast + s.exit_idle_p + s.exit_slow);
}

TEST(SchedSyscall, ShortSyscallsTakeTheFastPathAndNeverHandOff) {
    // Nothing queued and a P idle: only the retake threshold (set far out
    // here, with the preemption threshold) could take the P.
    constexpr int kCalls = 3000;
    auto r = rawrt::run({.procs = 2, .debug = "retake=100000000,preempt=100000000"}, [&] {
        for (int i = 0; i < kCalls; ++i) (void)rawrt::sys::getpid();
    });
    ASSERT_TRUE(r.ok());
    const auto s = rawrt::stats();
    EXPECT_EQ(s.syscalls, uint64_t{kCalls});
    EXPECT_EQ(s.exit_fast, uint64_t{kCalls});
    EXPECT_EQ(s.retakes, 0u);
    EXPECT_EQ(s.threads_created, 2);  // m0 and sysmon: no handoff ever needed another
}

TEST(SchedSyscall, NothingQueuedAndAnIdlePMeansNoRetakeBeforeTheThreshold) {
    Pipe p;
    std::atomic<bool> in_read{false};
    std::thread releaser([&] {
        // Let sysmon look at the P in its syscall a hundred times first.
        eventually([&] { return in_read.load(); });
        const uint64_t start = passes();
        eventually([&] { return rawrt::stats().in_syscall == 1 && passes() >= start + 100; });
        p.poke();
    });
    auto r = rawrt::run({.procs = 2, .debug = "retake=100000000,preempt=100000000"}, [&] {
        in_read = true;
        char c;
        EXPECT_TRUE(rawrt::sys::read(p.r, &c, 1).ok());
    });
    releaser.join();
    ASSERT_TRUE(r.ok());
    const auto s = rawrt::stats();
    EXPECT_EQ(s.retakes, 0u);
    EXPECT_EQ(s.exit_fast, s.syscalls);
}

TEST(SchedSyscall, PastTheThresholdASyscallsPIsRetakenEvenWithNothingQueued) {
    Pipe p;
    std::atomic<bool> in_read{false};
    std::thread releaser([&] {
        eventually([&] { return in_read.load(); });
        eventually([&] { return rawrt::stats().retakes >= 1; });
        p.poke();
    });
    auto r = rawrt::run({.procs = 2, .debug = "retake=1000"}, [&] {  // 1 ms
        in_read = true;
        char c;
        EXPECT_TRUE(rawrt::sys::read(p.r, &c, 1).ok());
    });
    releaser.join();
    ASSERT_TRUE(r.ok());
    const auto s = rawrt::stats();
    EXPECT_GE(s.retakes, 1u);
    EXPECT_LT(s.exit_fast, s.syscalls);  // the read came back to find its P gone
    EXPECT_EQ(s.syscalls, s.exit_fast + s.exit_idle_p + s.exit_slow);
}

TEST(SchedSyscall, AWaitWithNoDeadlineHandsThePOffAtOnce) {
    // sysmon as good as asleep: only entersyscallblock can let B run.
    alignas(4) static uint32_t word;
    word = 0;
    std::atomic<bool> woke{false};
    std::thread watchdog([&] {
        if (!eventually([&] { return woke.load(); })) {
            __atomic_store_n(&word, 2, __ATOMIC_SEQ_CST);
            ::syscall(SYS_futex, &word, FUTEX_WAKE, 1, nullptr, nullptr, 0);
        }
    });
    auto r = rawrt::run({.procs = 1, .debug = "sysmonmin=100000000,sysmon_prompt=0"}, [&] {
        rawrt::go([&] {
            __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
            (void)rawrt::sys::raw::futex(&word, FUTEX_WAKE, 1);
        });
        while (__atomic_load_n(&word, __ATOMIC_SEQ_CST) == 0) (void)rawrt::sys::futex(&word, FUTEX_WAIT, 0);
        woke = true;
    });
    watchdog.join();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(word, 1u) << "the watchdog had to end the wait";
    const auto s = rawrt::stats();
    EXPECT_GE(s.handoff_block, 1u);
    EXPECT_EQ(s.retakes, 0u);
}

// A syscall returns to find its P running someone else and no P idle: its
// G goes to the global queue and its M parks. With lock: the same M runs
// the G again afterwards.
void slow_path(bool locked) {
    Pipe p;
    std::atomic<bool> read_returned{false};
    int tid_before = 0, tid_after = 0;
    bool saw_slow_exit = false;
    std::thread watchdog([&] {
        if (!eventually([&] { return read_returned.load(); })) p.poke();
    });
    auto r = rawrt::run({.procs = 1}, [&] {
        if (locked) rawrt::lock_os_thread();
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            // Raw: B itself must not enter the scheduler's syscall path,
            // where sysmon could take the P from it in turn.
            (void)rawrt::sys::raw::write(p.w, "x", 1);
            // Keep the only P (no parking) until the reader has come back
            // without it.
            const int64_t end = rawrt::vdso::nanotime() + 30'000'000'000;
            while (rawrt::stats().exit_slow == 0 && rawrt::vdso::nanotime() < end) {
            }
            saw_slow_exit = rawrt::stats().exit_slow >= 1;
            wg.done();
        });
        tid_before = rawrt::sys::raw::gettid().value();
        char c;
        EXPECT_TRUE(rawrt::sys::read(p.r, &c, 1).ok());
        tid_after = rawrt::sys::raw::gettid().value();
        read_returned = true;
        wg.wait();
        if (locked) rawrt::unlock_os_thread();
    });
    watchdog.join();
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(saw_slow_exit);
    if (locked) {
        EXPECT_EQ(tid_before, tid_after);
    }
    const auto s = rawrt::stats();
    EXPECT_EQ(s.syscalls, s.exit_fast + s.exit_idle_p + s.exit_slow);
}

TEST(SchedSyscall, WithNoPToReturnToTheGIsQueuedAndItsMParks) { slow_path(false); }
TEST(SchedSyscall, ALockedGBackFromASlowSyscallStaysOnItsThread) { slow_path(true); }

TEST(SchedSyscall, ARawSyscallThatBlocksStallsItsP) {
    Pipe p;
    std::atomic<bool> b_ran{false}, in_read{false};
    bool b_ran_during_read = true;
    std::thread releaser([&] {
        eventually([&] { return in_read.load(); });
        const uint64_t start = passes();
        eventually([&] { return passes() >= start + 100; });
        p.poke();
    });
    // Retaking is what this is about, not preemption: under qemu-user a
    // preemption signal that lands while the read blocks has let b run (once
    // in several hundred runs, never natively), so asynchronous preemption
    // is off here.
    auto r = rawrt::run({.procs = 1, .debug = "asyncpreempt=0"}, [&] {
        rawrt::go([&] { b_ran = true; });
        in_read = true;
        char c;
        EXPECT_TRUE(rawrt::sys::raw::read(p.r, &c, 1).ok());  // Go's RawSyscall: no entersyscall
        b_ran_during_read = b_ran.load();
    });
    releaser.join();
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(b_ran_during_read);
    EXPECT_EQ(rawrt::stats().syscalls, 0u);
}

TEST(SchedSyscall, BlockingCallReleasesThePWhileItRuns) {
    std::atomic<bool> b_ran{false};
    bool b_ran_during_call = false;
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::go([&] { b_ran = true; });
        rawrt::blocking_call([&] {
            // A long foreign call: it waits (bounded) for B, which can only
            // run if the call's P went to another M.
            for (int i = 0; i < 300'000 && !b_ran.load(); ++i) {
                const rawrt::sys::KernelTimespec ts = {0, 100'000};
                (void)rawrt::sys::nanosleep(rawrt::sys::as_timespec(&ts), nullptr);
            }
            b_ran_during_call = b_ran.load();
        });
    });
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(b_ran_during_call);
    const auto s = rawrt::stats();
    EXPECT_EQ(s.blocking_calls, 1u);
    EXPECT_GE(s.retakes, 1u);
    // The nanosleeps inside ran as g0's: they are not syscalls of a G.
    EXPECT_EQ(s.syscalls, 1u);
}

TEST(SchedSyscall, SysmonSleepsWhileEveryPIsIdle) {
    // A hosted thread counts sysmon's passes over a window in which the
    // main G sleeps (every P idle) from start to end; a window the main G
    // woke up in does not count, and the main G sleeps again until one fits.
    std::atomic<bool> sampled{false};
    std::atomic<uint64_t> naps{0};  // odd while the main G sleeps
    uint64_t during = ~uint64_t{0};
    std::thread sampler([&] {
        while (!sampled) {
            // Sleeping deeply once every P is idle: the pass that an M's
            // brief wake (the sleep's wakep) may have caused is over.
            if (!eventually([&] {
                    return naps.load() % 2 == 1 && rawrt::stats().idle_procs == 2 &&
                           rawrt::sched::sysmon_deep(rawrt::sched::sysmon_state.load());
                }))
                break;
            const uint64_t nap = naps.load(), before = passes();
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            const uint64_t after = passes();
            if (naps.load() != nap) continue;
            during = after - before;
            sampled = true;
        }
    });
    auto r = rawrt::run({.procs = 2}, [&] {
        for (int i = 0; i < 50 && !sampled.load(); ++i) {
            naps.fetch_add(1);
            rawrt::sleep(1'000'000'000);
            naps.fetch_add(1);
        }
    });
    sampled = true;
    sampler.join();
    ASSERT_TRUE(r.ok());
    // Awake at its minimum period sysmon would make ~15 000 passes in
    // 300 ms; backed off without a deep sleep, about 30. Deeply asleep: none.
    EXPECT_EQ(during, 0u);
}

// A G that sleeps in a loop on one P: each timer wakes an idle M, which
// takes the P for it. sysmon sleeps until the earliest timer and then backs
// off, as Go's does; were it woken by every M that takes a P (or straight
// back into a sleep until the next timer), it would make a pass per sleep,
// at two futex calls each.
TEST(SchedSyscall, SysmonSleepsThroughALoopOfShortSleeps) {
    constexpr int kSleeps = 2000;
    uint64_t during = 0;
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::sleep(100'000);
        const uint64_t before = passes();
        for (int i = 0; i < kSleeps; ++i) rawrt::sleep(100'000);
        during = passes() - before;
    });
    ASSERT_TRUE(r.ok());
    // Backed off, sysmon makes about two passes per 10 ms of the loop.
    EXPECT_LT(during, kSleeps / 2u) << "sysmon passes in " << kSleeps << " sleeps";
}

// Beyond Go (rawrt's prompt wake): sysmon has backed off to a long
// sleep when a G blocks with another queued behind it. sysmon must come back
// for it: the retake must follow a wake, not the end of the long sleep.
TEST(SchedSyscall, ABackedOffSysmonIsWokenWhenWorkQueuesBehindASyscall) {
    Pipe p;
    std::atomic<bool> b_ran{false}, read_returned{false};
    bool b_ran_during_read = false, backed_off = false;
    uint64_t wakes_before = 0;
    std::thread watchdog([&] {
        if (!eventually([&] { return read_returned.load(); })) p.poke();
    });
    // Backed off, sysmon could sleep for an hour.
    auto r = rawrt::run({.procs = 1, .debug = "sysmonmax=3600000000,preempt=3600000000"}, [&] {
        // Keep the P busy (no deep sleep) until sysmon has backed off.
        const int64_t end = rawrt::vdso::nanotime() + 30'000'000'000;
        while (rawrt::stats().sysmon_delay_ns < 50'000'000 && rawrt::vdso::nanotime() < end) {
        }
        backed_off = rawrt::stats().sysmon_delay_ns >= 50'000'000;
        wakes_before = rawrt::stats().sysmon_wakes;
        rawrt::go([&] {
            b_ran = true;
            (void)rawrt::sys::write(p.w, "x", 1);
        });
        char c;
        EXPECT_TRUE(rawrt::sys::read(p.r, &c, 1).ok());
        b_ran_during_read = b_ran.load();
        read_returned = true;
    });
    watchdog.join();
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(backed_off);
    EXPECT_TRUE(b_ran_during_read);
    const auto s = rawrt::stats();
    EXPECT_GE(s.sysmon_wakes, wakes_before + 1);
    EXPECT_GE(s.retakes, 1u);
}

// Beyond Go, with sysmon warm: a G blocks with another queued behind it
// while sysmon naps. entersyscall wakes it (sysmon_prompt) and sysmon watches
// that syscall for a tick instead of sleeping one: the retake follows a
// wake. With prompts off, sysmon only finds the syscall on its passes.
// *wakes: sysmon's wakes between the last read's start and B's first instant
// (the P is busy all along, so none of them is a wake from a deep sleep).
// reads > 1: the later reads find the M that ran B idle, and the prompt may
// wake it on standby instead of sysmon (*standby: retakes made by such an M).
void warm_retake(const char* debug, int reads, uint64_t* wakes, bool* b_ran_during_read, uint64_t* standby = nullptr) {
    Pipe p;
    std::atomic<bool> b_ran{false}, done{false};
    std::thread watchdog([&] {
        while (!done.load())
            if (!eventually([&] { return done.load(); })) p.poke();
    });
    auto r = rawrt::run({.procs = 1, .debug = debug}, [&] {
        *b_ran_during_read = true;
        for (int i = 0; i < reads; ++i) {
            // A busy P and a few passes: sysmon runs, and naps between them.
            const uint64_t start = rawrt::stats().sysmon_passes;
            const int64_t end = rawrt::vdso::nanotime() + 30'000'000'000;
            while (rawrt::stats().sysmon_passes < start + 5 && rawrt::vdso::nanotime() < end) {
            }
            b_ran = false;
            const uint64_t before = rawrt::stats().sysmon_wakes;
            rawrt::go([&] {
                *wakes = rawrt::stats().sysmon_wakes - before;
                b_ran = true;
                (void)rawrt::sys::write(p.w, "x", 1);
            });
            char c;
            EXPECT_TRUE(rawrt::sys::read(p.r, &c, 1).ok());
            *b_ran_during_read = *b_ran_during_read && b_ran.load();
        }
        done = true;
    });
    watchdog.join();
    ASSERT_TRUE(r.ok());
    EXPECT_GE(rawrt::stats().retakes, static_cast<uint64_t>(reads));
    if (standby != nullptr) *standby = rawrt::stats().retake_standby;
}

TEST(SchedSyscall, ANappingSysmonIsWokenWhenWorkQueuesBehindASyscall) {
    uint64_t wakes = 0;
    bool b_ran = false;
    // sysmonidle: sysmon never backs off to its long sleep meanwhile. A read
    // that begins while sysmon is between two naps is found by its passes:
    // a few tries.
    for (int i = 0; i < 10 && wakes == 0; ++i) {
        warm_retake("sysmonidle=1000000000,preempt=3600000000", 1, &wakes, &b_ran);
        EXPECT_TRUE(b_ran);
    }
    EXPECT_EQ(wakes, 1u);
    warm_retake("sysmonidle=1000000000,preempt=3600000000,sysmon_prompt=0", 1, &wakes, &b_ran);
    EXPECT_TRUE(b_ran);
    EXPECT_EQ(wakes, 0u);
}

// A prompt wakes an idle M to stand by: the M watches the syscall and
// retakes the P for itself. The first read of a run has no idle M (sysmon
// watches, and the retake makes the M that runs B); the later ones do. A
// read that begins while sysmon's pass has just taken a P may find the
// standby slot taken: a few tries.
TEST(SchedSyscall, APromptedRetakeIsMadeByAnIdleMWokenAtThePrompt) {
    uint64_t wakes = 0, standby = 0;
    bool b_ran = false;
    for (int i = 0; i < 10 && standby == 0; ++i) {
        warm_retake("sysmonidle=1000000000,preempt=3600000000", 3, &wakes, &b_ran, &standby);
        EXPECT_TRUE(b_ran);
    }
    EXPECT_GE(standby, 1u);
    warm_retake("sysmonidle=1000000000,preempt=3600000000,sysmonstandby=0", 3, &wakes, &b_ran, &standby);
    EXPECT_TRUE(b_ran);
    EXPECT_EQ(standby, 0u);
}

// Prompts that keep finding short syscalls are turned off for a while: a G
// making short syscalls with another G queued behind it all along must not
// cost a futex wake per sysmon nap.
TEST(SchedSyscall, PromptsWastedOnShortSyscallsBackOff) {
    const int kCalls = emulated() ? 20'000 : 200'000;
    rawrt::SchedStats s;
    auto r = rawrt::run({.procs = 1, .debug = "preempt=3600000000"}, [&] {
        // Queued until the loop ends (unless a getpid that the host stalls
        // for a tick is retaken: then it runs, and later calls have nothing
        // queued behind them).
        rawrt::go([] {});
        for (int i = 0; i < kCalls; ++i) (void)rawrt::sys::getpid();
        s = rawrt::stats();
    });
    ASSERT_TRUE(r.ok());
    // Two wasted prompts in a row (sysmon.cpp's kPromptWastes), then
    // sysmonidle (50) passes without: at most two prompts in 50 passes, give
    // or take the passes around a run's start. (Not sysmon_wakes: a loaded
    // host that stalls a getpid past a tick gets it retaken, as in Go, and
    // the P left idle puts sysmon in a deep sleep that the next exit ends.)
    EXPECT_LE(s.sysmon_prompts * 20, s.sysmon_passes + 50)
        << s.sysmon_prompts << " prompts in " << s.sysmon_passes << " passes (" << s.retakes << " retakes)";
}

// Gs that each block in a long call of their own, all at once (the seed's
// workload C, with 20 ms calls): retaking each P a tick into its call, so
// that the next G blocks in turn, put nearly every call in flight at once,
// each on a thread of its own (workload C: 947 threads for 1000 calls of
// 50 ms). The pace (sysmon.hpp's retake_wait) retakes a tick later for each
// M already blocked per P, up to 500 µs: 48 calls in flight after about
// 6 ms, then at most 4 more a millisecond, about 100 by the time the first
// return. A loaded host makes fewer either way.
TEST(SchedSyscall, LongCallsAllAtOnceGetThreadsAtAPaceNotOneEach) {
    const int n = 400;
    std::atomic<int> done{0};
    rawrt::SchedStats s;
    auto r = rawrt::run({.procs = 2}, [&] {
        rawrt::WaitGroup wg;
        wg.add(n);
        for (int i = 0; i < n; ++i)
            rawrt::go([&] {
                rawrt::blocking_call([] {
                    const rawrt::sys::KernelTimespec ts = {0, 20'000'000};
                    (void)rawrt::sys::raw::nanosleep(rawrt::sys::as_timespec(&ts), nullptr);
                });
                done.fetch_add(1);
                wg.done();
            });
        wg.wait();
        s = rawrt::stats();
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(done.load(), n);
    EXPECT_EQ(s.syscalls, s.exit_fast + s.exit_idle_p + s.exit_slow);
    EXPECT_LE(s.threads_max, n / 2) << s.retakes << " retakes";
}

// Blocking calls that wait on each other must all get an M, whatever rule
// paces the retakes: n Gs each block in a read() (the Syscall flavour, not
// the poller) of a pipe that only the previous G of the chain writes to,
// once its own read has returned; the chain's first byte comes from a G
// that writes only when all n have started. So all n reads are in flight
// at once, each holding a thread, before any can return: a bound on Ms in
// syscalls that never gave way would deadlock here.
TEST(SchedSyscall, BlockedReadsThatWaitOnEachOtherAllComplete) {
    int n = emulated() ? 200 : 2000;
    rlimit rl{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &rl), 0);
    const rlim_t need = 2 * static_cast<rlim_t>(n) + 64;
    if (rl.rlim_cur < need) {
        rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    if (rl.rlim_cur < need) n = static_cast<int>((rl.rlim_cur - 64) / 2);
    ASSERT_GE(n, 100) << "too few descriptors for the chain";
    std::vector<Pipe> pipes(n);
    std::atomic<int> started{0}, passed{0};
    std::atomic<bool> done{false};
    std::thread watchdog([&] {
        // Stuck: one byte down every pipe lets the test end (and fail).
        if (!eventually([&] { return done.load(); }, std::chrono::seconds(120)))
            for (auto& p : pipes) p.poke();
    });
    rawrt::SchedStats s;
    auto r = rawrt::run({.procs = 2}, [&] {
        rawrt::WaitGroup wg;
        wg.add(n);
        rawrt::go([&] {
            while (started.load() < n) rawrt::yield();
            (void)rawrt::sys::write(pipes[0].w, "x", 1);
        });
        for (int i = 0; i < n; ++i)
            rawrt::go([&, i] {
                started.fetch_add(1);
                char c = 0;
                if (rawrt::sys::read(pipes[i].r, &c, 1).value_or(0) == 1 && c == 'x') passed.fetch_add(1);
                if (i + 1 < n) (void)rawrt::sys::write(pipes[i + 1].w, "x", 1);
                wg.done();
            });
        wg.wait();
        s = rawrt::stats();
        done = true;
    });
    watchdog.join();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(passed.load(), n) << "the watchdog had to unblock the chain";
    // Every read in flight at once, each on a thread of its own.
    EXPECT_GE(s.threads_max, n);
    EXPECT_EQ(s.syscalls, s.exit_fast + s.exit_idle_p + s.exit_slow);
}

TEST(SchedSyscall, LockOSThreadPinsAGToOneThreadThatRunsNothingElse) {
    constexpr int kLocked = 3, kOthers = 20, kRounds = 50;
    int locked_tids[kLocked][kRounds] = {};
    std::atomic<int> other_tids[kOthers * kRounds];
    auto r = rawrt::run({.procs = 2}, [&] {
        rawrt::WaitGroup others, locked, all_locked;
        rawrt::Chan<int> ch;
        others.add(kOthers);
        locked.add(kLocked);
        all_locked.add(kLocked);
        rawrt::Mutex hold;  // keeps the locked Gs alive until the others are done
        hold.lock();
        for (int i = 0; i < kLocked; ++i)
            rawrt::go([&, i] {
                rawrt::lock_os_thread();
                all_locked.done();
                for (int k = 0; k < kRounds; ++k) {
                    locked_tids[i][k] = rawrt::sys::raw::gettid().value();
                    if (k % 3 == 0) rawrt::yield();
                    else if (k % 3 == 1) rawrt::sleep(10'000);
                    else ch.send(k);
                }
                hold.lock();  // parked, still locked, while the others finish
                hold.unlock();
                rawrt::unlock_os_thread();
                locked.done();
            });
        // The others start once every locked G has its thread: before that,
        // those threads were anybody's.
        all_locked.wait();
        for (int i = 0; i < kOthers; ++i)
            rawrt::go([&, i] {
                for (int k = 0; k < kRounds; ++k) {
                    other_tids[i * kRounds + k] = rawrt::sys::raw::gettid().value();
                    rawrt::yield();
                }
                others.done();
            });
        for (int n = 0; n < kLocked * (kRounds / 3); ++n) (void)ch.recv();
        others.wait();
        hold.unlock();
        locked.wait();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    for (int i = 0; i < kLocked; ++i) {
        for (int k = 0; k < kRounds; ++k) ASSERT_EQ(locked_tids[i][k], locked_tids[i][0]) << i << " " << k;
        for (int j = 0; j < i; ++j) EXPECT_NE(locked_tids[i][0], locked_tids[j][0]);
        for (auto& t : other_tids) EXPECT_NE(t.load(), locked_tids[i][0]);
    }
}

TEST(SchedSyscall, ALockedGThatExitsTakesItsThreadWithIt) {
    int tid = 0;
    bool gone = false;
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            rawrt::lock_os_thread();
            tid = rawrt::sys::raw::gettid().value();
            wg.done();
        });
        wg.wait();
        const int pid = rawrt::sys::raw::getpid().value();
        gone = eventually_on_g([&] { return !rawrt::sys::raw::tgkill(pid, tid, 0).ok(); });
    });
    ASSERT_TRUE(r.ok());
    EXPECT_NE(tid, 0);
    EXPECT_TRUE(gone);
}

TEST(SchedSyscallDeathTest, TooManyThreadsIsAFatalThreadExhaustion) {
    EXPECT_EXIT(
        {
            Pipe p;
            (void)rawrt::run({.procs = 1, .max_threads = 5}, [&] {
                // Each G blocks in a read with another queued behind it:
                // every retake needs a new M.
                for (int i = 0; i < 20; ++i)
                    rawrt::go([&] {
                        char c;
                        (void)rawrt::sys::read(p.r, &c, 1);
                    });
                char c;
                (void)rawrt::sys::read(p.r, &c, 1);
            });
            ::_exit(0);
        },
        testing::ExitedWithCode(2), "fatal error: thread exhaustion: the program exceeds its 5-thread limit");
}

TEST(SchedSyscallDeathTest, SchedtracePrintsGosLine) {
    EXPECT_EXIT(
        {
            (void)rawrt::run({.procs = 2, .debug = "schedtrace=1,scheddetail=1"}, [] { rawrt::sleep(30'000'000); });
            ::_exit(0);
        },
        testing::ExitedWithCode(0),
        "SCHED [0-9]+ms: gomaxprocs=2 idleprocs=[0-9] threads=[0-9]+ spinningthreads=[0-9]+ needspinning=0 "
        "idlethreads=[0-9]+ runqueue=[0-9]+ \\[[0-9]+ [0-9]+\\]\n  P0: status=[0-9]");
}

TEST(SchedSyscallDeathTest, AnUnknownDebugSettingIsReportedAndIgnored) {
    EXPECT_EXIT(
        {
            auto r = rawrt::run({.procs = 1, .debug = "bogus=1,sysmonmin=x"}, [] {});
            ::_exit(r.ok() ? 0 : 1);
        },
        testing::ExitedWithCode(0), "unknown setting \"bogus\".*\n.*sysmonmin wants a number");
}

// The checked build's stress: short syscalls from many Gs on every P while
// sysmon runs at its shortest period and never backs off, so that
// exitsyscallfast races retake all the time. The books must balance exactly,
// and no P may ever have two owners (the checked build's acquirep and
// exitsyscall assert it). Both ways of settling the race: exitsyscall with
// a compiler barrier against sysmon's membarrier, and full fences on both
// sides (RAWRT_DEBUG=membarrier=0, as where the kernel lacks membarrier).
void short_syscalls_race_retake(const char* debug) {
    const int kGs = 64, kCalls = emulated() ? 4000 : 8000;
    std::atomic<long> made{0};
    auto r = rawrt::run({.procs = 4, .debug = debug}, [&] {
        rawrt::WaitGroup wg;
        wg.add(kGs);
        for (int i = 0; i < kGs; ++i)
            rawrt::go([&, i] {
                for (int k = 0; k < kCalls; ++k) {
                    (void)rawrt::sys::getpid();
                    made.fetch_add(1, std::memory_order_relaxed);
                    if ((k + i) % 64 == 0) rawrt::yield();
                }
                wg.done();
            });
        wg.wait();
    });
    ASSERT_TRUE(r.ok());
    const auto s = rawrt::stats();
    EXPECT_EQ(made.load(), long{kGs} * kCalls);
    EXPECT_EQ(s.syscalls, uint64_t(kGs) * kCalls);
    EXPECT_EQ(s.syscalls, s.exit_fast + s.exit_idle_p + s.exit_slow);
    EXPECT_GT(s.retakes, 0u);
}

TEST(SchedStressSyscall, ShortSyscallsRaceRetakeAndTheCountsBalance) {
    short_syscalls_race_retake("sysmonmin=1,sysmonidle=1000000000,retake=0");
}

TEST(SchedStressSyscall, ShortSyscallsRaceRetakeWithFullFencesOnBothSides) {
    short_syscalls_race_retake("sysmonmin=1,sysmonidle=1000000000,retake=0,membarrier=0");
}

// A burst of blocking syscalls makes Ms; once idle (mretire), the idle Ms
// beyond as many as there are Ps end: the threads come back down to
// procs + 2 (the idle pool, the main G's M, sysmon) and the process's tasks
// with them. A second burst makes them
// again. With mretire=0 (Go's way) the idle Ms stay. ticking: a G sleeps
// 1 ms at a time throughout (no poller: threadcount's workload E), whose
// timer must not keep the burst's Ms from ever being idle for long.
void burst_then_idle(const char* debug, bool retire, bool ticking = false) {
    constexpr int32_t kProcs = 2;
    constexpr int kGs = 24;
    int32_t peak = 0, second_peak = 0;
    bool down = false, down_again = false;
    int64_t tasks_down = 0;
    const int64_t tasks_before = rawrt::test::count_entries("/proc/self/task") - 2;  // . and ..
    auto burst = [] {
        rawrt::test::blocking_burst(kGs);
        return rawrt::stats().threads_max;
    };
    // Retiring: until the count is down, looked at every 100 ms (bounded: 10
    // s); a look every few microseconds would itself keep an M waking for
    // its timer. Not: 300 ms, six times the retiring run's mretire, and the
    // count must not have moved.
    auto settled = [retire] {
        auto down = [] { return rawrt::stats().threads <= kProcs + 2; };
        if (retire) return rawrt::test::eventually_on_g(down, 10'000'000'000, 100'000'000);
        rawrt::sleep(300'000'000);
        return down();
    };
    auto r = rawrt::run({.procs = kProcs, .debug = debug}, [&] {
        std::atomic<bool> stop{false};
        rawrt::WaitGroup ticker;
        if (ticking) {
            ticker.add(1);
            rawrt::go([&] {
                while (!stop.load()) rawrt::sleep(1'000'000);
                ticker.done();
            });
        }
        peak = burst();
        down = settled();
        // An M's thread is gone from /proc a little after the M ends (under
        // qemu-user, a while after): wait for the tasks too, bounded.
        (void)rawrt::test::eventually_on_g(
            [&] {
            tasks_down = rawrt::test::count_tasks_on_g();
            return !retire || tasks_down <= tasks_before + kProcs + 2;
            },
            5'000'000'000);
        second_peak = burst();
        down_again = settled();
        stop.store(true);
        ticker.wait();
    });
    ASSERT_TRUE(r.ok());
    EXPECT_GE(peak, 10) << "the burst made few Ms: nothing to retire";
    EXPECT_GE(second_peak, 10);
    if (retire) {
        EXPECT_TRUE(down) << "threads stayed above procs + 2";
        EXPECT_TRUE(down_again);
        EXPECT_LE(tasks_down, tasks_before + kProcs + 2);
    } else {
        EXPECT_FALSE(down) << "mretire=0 retired Ms";
        EXPECT_FALSE(down_again);
    }
}

TEST(SchedSyscall, ThreadsComeBackDownOnceABurstIsOver) { burst_then_idle("mretire=50", true); }
TEST(SchedSyscall, WithRetirementOffIdleMsStayAsInGo) { burst_then_idle("mretire=0", false); }
TEST(SchedSyscall, ThreadsComeBackDownBesideAGThatSleeps1msAtATime) { burst_then_idle("mretire=50", true, true); }

}  // namespace
