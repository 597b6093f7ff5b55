// rawrt::signal (netpoll/signal_notify.hpp), hosted: signals raised with
// tgkill on runtime threads and on a glibc thread reach wait(), whose G
// parks in the netpoller; bad input is refused; signals not notified, and
// notified ones after stop(), keep the dispositions they had; no descriptor
// is left behind. The freestanding side is tested through examples/echo and
// examples/http (tests/examples_net_test.cpp).
//
// Every wait() is bounded: a watchdog G calls stop() after 30 s, which
// makes the wait return EBADF, a failure rather than a hang. Everything the
// Gs see is recorded in plain memory and asserted after run() returns.

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <thread>

#include "netpoll/poll_desc.hpp"
#include "netpoll/signal_notify.hpp"
#include "sched/go.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"
#include "tests/eventually.hpp"
#include "tests/proc_self.hpp"

namespace {

namespace sig = rawrt::signal;
using rawrt::test::count_entries;
using rawrt::test::eventually;
using rawrt::test::eventually_on_g;

std::atomic<int> usr1_by_glibc{0}, usr2_by_glibc{0};
void count_usr1(int) { usr1_by_glibc.fetch_add(1); }
void count_usr2(int) { usr2_by_glibc.fetch_add(1); }

// The kernel's view of a signal's handler (raw rt_sigaction: callable on a
// runtime thread, where glibc must not run).
void* handler_of(int signo) {
    rawrt::sys::KernelSigaction old{};
    if (!rawrt::sys::raw::rt_sigaction(signo, nullptr, &old).ok()) return reinterpret_cast<void*>(-2);
    return old.handler;
}

// Raises signo on the calling thread (a runtime M when called from a G):
// the handler has run when tgkill returns.
bool raise_here(int signo) {
    const int pid = rawrt::sys::raw::getpid().value_or(-1);
    const int tid = rawrt::sys::raw::gettid().value_or(-1);
    return rawrt::sys::raw::tgkill(pid, tid, signo).ok();
}

// Raises signo on the process (kill), for any thread to take. A program's
// SIGURG sent to one M while a preemption request is pending there would
// merge with it (the kernel keeps one instance of a standard signal per
// thread) and be lost; sent to the process it is pending apart from every
// thread's own.
bool raise_in_process(int signo) {
    const int pid = rawrt::sys::raw::getpid().value_or(-1);
    return rawrt::sys::raw::kill(pid, signo).ok();
}

// The result of a wait: its signal, or minus its errno.
int waited() {
    auto r = sig::wait();
    return r.ok() ? r.value() : -r.error().code();
}

// Calls stop() if `done` is not set within 30 s: a wait() that would never
// return fails with EBADF instead of hanging the suite.
void watchdog(std::atomic<bool>* done) {
    rawrt::go([done] {
        if (!eventually_on_g([done] { return done->load(); })) sig::stop();
    });
}

// Counting glibc handlers for SIGUSR1 and SIGUSR2 around each test: what
// "the previous disposition" is, and a stray signal cannot kill the suite.
class SignalNotify : public testing::Test {
protected:
    void SetUp() override {
        usr1_by_glibc = 0;
        usr2_by_glibc = 0;
        struct sigaction sa {};
        sa.sa_handler = count_usr1;
        ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old_usr1_), 0);
        sa.sa_handler = count_usr2;
        ASSERT_EQ(::sigaction(SIGUSR2, &sa, &old_usr2_), 0);
        fds_before_ = count_entries("/proc/self/fd");
    }
    void TearDown() override {
        // Whatever a failed test left: nothing notified, no descriptor.
        (void)rawrt::run({.procs = 1}, [] { sig::stop(); });
        EXPECT_EQ(count_entries("/proc/self/fd"), fds_before_) << "a descriptor leaked";
        ::sigaction(SIGUSR1, &old_usr1_, nullptr);
        ::sigaction(SIGUSR2, &old_usr2_, nullptr);
    }

private:
    struct sigaction old_usr1_ {
    }, old_usr2_{};
    int fds_before_ = 0;
};

TEST_F(SignalNotify, WaitReturnsSignalsRaisedOnAnotherGsThreadInOrder) {
    for (int32_t procs : {1, 2}) {
        SCOPED_TRACE(procs);
        int notified = -1, first = 0, second = 0, after_stop = 0;
        bool raised = false;
        auto r = rawrt::run({.procs = procs}, [&] {
            std::atomic<bool> done{false};
            watchdog(&done);
            notified = sig::notify({SIGUSR1, SIGUSR2}).raw() == 0 ? 0 : 1;
            rawrt::go([&] { raised = raise_here(SIGUSR2) && raise_here(SIGUSR1); });
            first = waited();
            second = waited();
            done = true;
            sig::stop();
            after_stop = waited();
        });
        ASSERT_TRUE(r.ok()) << r.error().name();
        EXPECT_EQ(notified, 0);
        EXPECT_TRUE(raised);
        EXPECT_EQ(first, SIGUSR2);
        EXPECT_EQ(second, SIGUSR1);
        EXPECT_EQ(after_stop, -EBADF);
        EXPECT_EQ(usr1_by_glibc.load(), 0);  // caught by rawrt, not by the previous handler
        EXPECT_EQ(usr2_by_glibc.load(), 0);
    }
}

// SIGURG is also the runtime's preemption signal: notify(SIGURG) sees the
// SIGURGs others send, and none of the runtime's own, while Gs are being
// preempted (one P, two Gs looping: the signal switches them in turn).
TEST_F(SignalNotify, SigurgFromOthersArrivesPreemptionsDoNot) {
    int notified = -1, first = 0, second = 0, third = 0;
    uint64_t preempted = 0, between = 0;
    auto r = rawrt::run({.procs = 1, .preempt_us = 100}, [&] {
        std::atomic<bool> done{false}, stop_loops{false};
        watchdog(&done);
        notified = sig::notify({SIGURG}).raw() == 0 ? 0 : 1;
        rawrt::WaitGroup loops;
        loops.add(2);
        for (int i = 0; i < 2; ++i)
            rawrt::go([&] {
                while (!stop_loops.load(std::memory_order_relaxed)) {
                }
                loops.done();
            });
        rawrt::go([&] {
            // Preemptions go on until the loops have been switched a few
            // times; then one SIGURG of the program's own.
            while (rawrt::stats().preempted < 5) rawrt::yield();
            between = rawrt::stats().preempted;
            (void)raise_in_process(SIGURG);
        });
        first = waited();
        stop_loops = true;
        loops.wait();
        preempted = rawrt::stats().preempted;
        (void)raise_in_process(SIGURG);
        second = waited();
        done = true;
        // Nothing else is pending: a third wait ends only with stop(),
        // which must be over before the run ends (it holds notify's lock).
        rawrt::WaitGroup stopped;
        stopped.add(1);
        rawrt::go([&stopped] {
            rawrt::sleep(50'000'000);
            sig::stop();
            stopped.done();
        });
        third = waited();
        stopped.wait();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(notified, 0);
    EXPECT_GE(between, 5u);
    EXPECT_GE(preempted, between);
    EXPECT_EQ(first, SIGURG);
    EXPECT_EQ(second, SIGURG);
    EXPECT_EQ(third, -EBADF);  // none of the preemptions' SIGURGs was notified
}

// The waiting G is parked in the netpoller, its M free: with one P another
// G runs meanwhile and sees it there ("IO wait"), and no M sits in a syscall.
TEST_F(SignalNotify, TheWaitingGParksInThePollerNotItsM) {
    bool saw_parked = false, raised = false;
    int32_t in_syscall = -1;
    int got = 0;
    auto r = rawrt::run({.procs = 1}, [&] {
        std::atomic<bool> done{false};
        watchdog(&done);
        if (!sig::notify({SIGUSR1}).ok()) return;
        const uint32_t waiters_before = rawrt::sched::netpoll_waiter_count();
        rawrt::go([&] {
            saw_parked = eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == waiters_before + 1; });
            in_syscall = rawrt::stats().in_syscall;
            raised = raise_here(SIGUSR1);
        });
        got = waited();
        done = true;
        sig::stop();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(saw_parked);
    EXPECT_EQ(in_syscall, 0);
    EXPECT_TRUE(raised);
    EXPECT_EQ(got, SIGUSR1);
}

// A glibc thread that is no M of the runtime raises the signal on itself:
// the handler runs there (raw write only) and the G still gets it.
TEST_F(SignalNotify, ASignalOnAThreadOutsideTheRuntimeReachesTheG) {
    std::atomic<bool> armed{false}, fired{false}, finished{false};
    std::thread outsider([&] {
        if (eventually([&] { return armed.load() || finished.load(); }) && armed.load()) fired = ::raise(SIGUSR1) == 0;
    });
    int got = 0;
    auto r = rawrt::run({.procs = 2}, [&] {
        std::atomic<bool> done{false};
        watchdog(&done);
        if (!sig::notify({SIGUSR1}).ok()) return;
        armed = true;
        got = waited();
        done = true;
        sig::stop();
    });
    finished = true;
    outsider.join();
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(fired);
    EXPECT_EQ(got, SIGUSR1);
    EXPECT_EQ(usr1_by_glibc.load(), 0);
}

// Caught while nobody waits: kept in the pipe, returned one per wait.
TEST_F(SignalNotify, SignalsCaughtBeforeTheWaitAreKept) {
    std::array<int, 3> got{};
    auto r = rawrt::run({.procs = 1}, [&] {
        std::atomic<bool> done{false};
        watchdog(&done);
        if (!sig::notify({SIGUSR1, SIGUSR2}).ok()) return;
        for (int s : {SIGUSR1, SIGUSR1, SIGUSR2}) (void)raise_here(s);
        for (int& g : got) g = waited();
        done = true;
        sig::stop();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(got, (std::array<int, 3>{SIGUSR1, SIGUSR1, SIGUSR2}));
}

TEST_F(SignalNotify, RefusesWhatCannotBeCaughtAndChangesNothing) {
    // No std::vector: a G must not call glibc's malloc.
    std::array<int, 12> errors{};
    size_t n = 0;
    void* usr1_after = nullptr;
    int wait_before = 0;
    auto r = rawrt::run({.procs = 1}, [&] {
        wait_before = waited();  // nothing notified yet
        auto code = [](rawrt::sys::Result<void> res) { return res.ok() ? 0 : res.error().code(); };
        for (int bad : {0, -1, 65, SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE, SIGILL})
            errors[n++] = code(sig::notify({bad}));
        errors[n++] = code(sig::notify({SIGUSR1, SIGKILL}));  // all or nothing
        errors[n++] = code(sig::notify(nullptr, 1));
        const int one = SIGUSR1;
        errors[n++] = code(sig::notify(&one, 0));
        usr1_after = handler_of(SIGUSR1);
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(wait_before, -EBADF);
    EXPECT_EQ(n, errors.size());
    for (int e : errors) EXPECT_EQ(e, EINVAL);
    EXPECT_EQ(usr1_after, reinterpret_cast<void*>(&count_usr1));
}

// SIGUSR2 is never notified: its glibc handler stays and runs. SIGUSR1 is
// rawrt's until stop(), then its glibc handler is back (and runs again).
TEST_F(SignalNotify, OtherSignalsKeepTheirDispositionAndStopRestores) {
    void *usr1_during = nullptr, *usr2_during = nullptr, *usr1_after_stop = nullptr;
    int usr2_counted = -1, usr1_counted_during = -1, usr1_counted_after = -1, got = 0;
    auto r = rawrt::run({.procs = 2}, [&] {
        std::atomic<bool> done{false};
        watchdog(&done);
        if (!sig::notify({SIGUSR1}).ok()) return;
        usr1_during = handler_of(SIGUSR1);
        usr2_during = handler_of(SIGUSR2);
        (void)raise_here(SIGUSR2);
        usr2_counted = usr2_by_glibc.load();
        (void)raise_here(SIGUSR1);
        got = waited();
        usr1_counted_during = usr1_by_glibc.load();
        done = true;
        sig::stop();
        usr1_after_stop = handler_of(SIGUSR1);
        (void)raise_here(SIGUSR1);
        usr1_counted_after = usr1_by_glibc.load();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_NE(usr1_during, reinterpret_cast<void*>(&count_usr1));
    EXPECT_EQ(usr2_during, reinterpret_cast<void*>(&count_usr2));
    EXPECT_EQ(usr2_counted, 1);
    EXPECT_EQ(got, SIGUSR1);
    EXPECT_EQ(usr1_counted_during, 0);
    EXPECT_EQ(usr1_after_stop, reinterpret_cast<void*>(&count_usr1));
    EXPECT_EQ(usr1_counted_after, 1);
    struct sigaction now {};
    ASSERT_EQ(::sigaction(SIGUSR1, nullptr, &now), 0);
    EXPECT_EQ(now.sa_handler, &count_usr1);
}

// A second notify adds its signals to the first's (Go's Notify on one
// channel); stop() puts every one of them back.
TEST_F(SignalNotify, NotifyIsAdditive) {
    int a = 0, b = 0;
    bool both_ok = false;
    void *usr1_after = nullptr, *usr2_after = nullptr;
    auto r = rawrt::run({.procs = 1}, [&] {
        std::atomic<bool> done{false};
        watchdog(&done);
        both_ok = sig::notify({SIGUSR1}).ok() && sig::notify({SIGUSR2, SIGUSR1}).ok();
        (void)raise_here(SIGUSR2);
        (void)raise_here(SIGUSR1);
        a = waited();
        b = waited();
        done = true;
        sig::stop();
        usr1_after = handler_of(SIGUSR1);
        usr2_after = handler_of(SIGUSR2);
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(both_ok);
    EXPECT_EQ(a, SIGUSR2);
    EXPECT_EQ(b, SIGUSR1);
    EXPECT_EQ(usr1_after, reinterpret_cast<void*>(&count_usr1));
    EXPECT_EQ(usr2_after, reinterpret_cast<void*>(&count_usr2));
}

// A G parked in wait() when stop() runs wakes with EBADF.
TEST_F(SignalNotify, StopWakesAParkedWaiter) {
    int got = 0;
    bool parked = false;
    auto r = rawrt::run({.procs = 2}, [&] {
        if (!sig::notify({SIGUSR1}).ok()) return;
        const uint32_t waiters_before = rawrt::sched::netpoll_waiter_count();
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            got = waited();
            wg.done();
        });
        parked = eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == waiters_before + 1; });
        sig::stop();
        wg.wait();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(parked);
    EXPECT_EQ(got, -EBADF);
}

// Many notify/stop cycles, in several runs: descriptors and dispositions
// come back each time (TearDown counts /proc/self/fd).
TEST_F(SignalNotify, CyclesLeaveNothingBehind) {
    int delivered = 0, cycles = 0;
    for (int run = 0; run < 3; ++run) {
        auto r = rawrt::run({.procs = 2}, [&] {
            std::atomic<bool> done{false};
            watchdog(&done);
            for (int i = 0; i < 20; ++i) {
                if (!sig::notify({SIGUSR1}).ok()) break;
                (void)raise_here(SIGUSR1);
                delivered += waited() == SIGUSR1 ? 1 : 0;
                sig::stop();
                ++cycles;
            }
            done = true;
        });
        ASSERT_TRUE(r.ok()) << r.error().name();
    }
    EXPECT_EQ(cycles, 60);
    EXPECT_EQ(delivered, 60);
    EXPECT_EQ(usr1_by_glibc.load(), 0);
    struct sigaction now {};
    ASSERT_EQ(::sigaction(SIGUSR1, nullptr, &now), 0);
    EXPECT_EQ(now.sa_handler, &count_usr1);
}

}  // namespace
