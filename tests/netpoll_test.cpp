// The netpoller's first layer (netpoll/): epoll start-up, netpoll's three
// modes, netpollBreak, EINTR, the fdseq tag against stale events, the
// pollDesc semaphores and the deadline functions, and the fd layer (pipes
// and eventfds whose waits park the G) woken by the scheduler's own polls.
//
// The poller parts run on plain hosted threads (netpoll works on any
// thread). Everything that parks a G runs inside rawrt::run, records into
// plain memory and is asserted after run returns. Waits are bounded: on
// the way out a test closes its FDs, which wakes any G still parked, so a
// failure ends the test instead of hanging it.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "netpoll/fd.hpp"
#include "netpoll/netpoll.hpp"
#include "netpoll/poll_desc.hpp"
#include "sched/go.hpp"
#include "sched/proc.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"
#include "tests/child_process.hpp"
#include "tests/eventually.hpp"
#include "tests/proc_self.hpp"
#include "vdso/vdso.hpp"

namespace {

namespace np = rawrt::netpoll;
using rawrt::fd::FD;
using rawrt::test::eventually;
using rawrt::test::eventually_on_g;
using rawrt::test::emulated;
using rawrt::test::under_qemu;

// The state letter of a thread in /proc ('S': asleep in the kernel).
char thread_state(pid_t tid) {
    std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string line;
    std::getline(in, line);
    const auto close = line.rfind(')');
    return close == std::string::npos || close + 2 >= line.size() ? '?' : line[close + 2];
}

// Every test leaves the poller as it found it: not started.
class Netpoll : public ::testing::Test {
protected:
    void TearDown() override { rawrt::sched::netpoll_destroy(); }
};

// A hosted thread blocked in netpoll(-1) until it returns; records what it got.
struct BlockedPoller {
    std::atomic<pid_t> tid{0};
    std::atomic<bool> returned{false};
    std::atomic<int32_t> gs{-1};
    std::thread thread;

    void start() {
        thread = std::thread([this] {
            tid = static_cast<pid_t>(::syscall(SYS_gettid));
            rawrt::sched::GList list;
            (void)np::netpoll(-1, &list);
            gs = list.n;
            returned = true;
        });
    }
    // Waits until it sleeps in the kernel after entering a poll.
    bool asleep(uint64_t polls_before) {
        return eventually([&] {
            return tid.load() != 0 && np::netpoll_stats().polls > polls_before && thread_state(tid) == 'S';
        });
    }
    void join() {
        if (!eventually([&] { return returned.load(); })) {
            ADD_FAILURE() << "netpoll(-1) did not return after netpollBreak";
            while (!returned.load()) {  // do not leave the thread behind
                np::netpollBreak();
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
        thread.join();
    }
};

TEST_F(Netpoll, StartsOnFirstUseWithItsTwoDescriptors) {
    const int fds_before = rawrt::test::count_entries("/proc/self/fd");
    EXPECT_FALSE(np::netpollinited());
    rawrt::sched::GList list;
    EXPECT_EQ(np::netpoll(0, &list), 0);  // before start-up: nothing, at once
    EXPECT_EQ(np::netpoll(-1, &list), 0);
    ASSERT_TRUE(np::netpollGenericInit().ok());
    EXPECT_TRUE(np::netpollinited());
    ASSERT_TRUE(np::netpollGenericInit().ok());                              // once only
    EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds_before + 2);  // epoll fd + eventfd
    int probe = ::dup(0);
    EXPECT_FALSE(np::netpollIsPollDescriptor(probe));
    ::close(probe);
    int own = 0;
    for (int fd = 0; fd < 1024; ++fd) own += np::netpollIsPollDescriptor(fd);
    EXPECT_EQ(own, 2);
    // Both are close-on-exec.
    for (int fd = 0; fd < 1024; ++fd)
        if (np::netpollIsPollDescriptor(fd)) {
            EXPECT_EQ(::fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
        }
    rawrt::sched::netpoll_destroy();
    EXPECT_FALSE(np::netpollinited());
    EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds_before);
}

TEST_F(Netpoll, BreakWakesABlockingPollInAnotherThreadAndCoalesces) {
    ASSERT_TRUE(np::netpollGenericInit().ok());
    {
        BlockedPoller p;
        const auto before = np::netpoll_stats();
        p.start();
        ASSERT_TRUE(p.asleep(before.polls));
        EXPECT_FALSE(p.returned.load()) << "returned with nothing registered and no break";
        np::netpollBreak();
        p.join();
        EXPECT_EQ(p.gs.load(), 0);
        const auto after = np::netpoll_stats();
        EXPECT_EQ(after.breaks, before.breaks + 1);
        EXPECT_EQ(after.breaks_seen, before.breaks_seen + 1);
    }
    // Three breaks while nobody polls: one write, consumed by one blocking
    // poll; a non-blocking poll leaves it for that one.
    const auto before = np::netpoll_stats();
    np::netpollBreak();
    np::netpollBreak();
    np::netpollBreak();
    EXPECT_EQ(np::netpoll_stats().breaks, before.breaks + 1);
    rawrt::sched::GList list;
    (void)np::netpoll(0, &list);
    EXPECT_EQ(np::netpoll_stats().breaks_seen, before.breaks_seen);
    (void)np::netpoll(-1, &list);  // returns at once: the wakeup is pending
    EXPECT_EQ(np::netpoll_stats().breaks_seen, before.breaks_seen + 1);
    EXPECT_EQ(list.n, 0);
    // Consumed: the next blocking poll blocks again, and the next break
    // (not swallowed by the coalescing flag) wakes it.
    BlockedPoller p;
    const auto mid = np::netpoll_stats();
    p.start();
    ASSERT_TRUE(p.asleep(mid.polls));
    EXPECT_FALSE(p.returned.load());
    np::netpollBreak();
    p.join();
    EXPECT_EQ(np::netpoll_stats().breaks, mid.breaks + 1);
}

TEST_F(Netpoll, TimedPollsWaitAtLeastTheirDelayOnBothKernelPaths) {
    ASSERT_TRUE(np::netpollGenericInit().ok());
    for (bool pwait2 : {true, false}) {
        np::netpoll_allow_pwait2(pwait2);
        for (int64_t delay : {int64_t{1}, int64_t{300'000}, int64_t{2'500'000}}) {
            rawrt::sched::GList list;
            const int64_t t0 = rawrt::vdso::nanotime();
            (void)np::netpoll(delay, &list);
            const int64_t took = rawrt::vdso::nanotime() - t0;
            EXPECT_GE(took, delay) << "pwait2 allowed: " << pwait2;
            EXPECT_EQ(list.n, 0);
        }
        if (!pwait2) {
            EXPECT_FALSE(np::netpoll_stats().pwait2);
        }
    }
    np::netpoll_allow_pwait2(true);
    RecordProperty("epoll_pwait2", np::netpoll_stats().pwait2 ? "yes" : "no");
}

std::atomic<int> usr1_seen{0};
void on_usr1(int) { usr1_seen.fetch_add(1); }

TEST_F(Netpoll, ASignalDuringABlockingPollIsRetriedNotReturned) {
    ASSERT_TRUE(np::netpollGenericInit().ok());
    struct sigaction sa {
    }, old{};
    sa.sa_handler = on_usr1;  // no SA_RESTART: epoll_pwait fails with EINTR
    sigemptyset(&sa.sa_mask);
    ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
    BlockedPoller p;
    const auto before = np::netpoll_stats();
    p.start();
    ASSERT_TRUE(p.asleep(before.polls));
    const pthread_t handle = p.thread.native_handle();
    // Several signals, each sent once the poller sleeps again, so each one
    // cuts a wait short.
    const bool interrupted = eventually([&] {
        if (np::netpoll_stats().eintr >= before.eintr + 3) return true;
        if (thread_state(p.tid) == 'S') ::pthread_kill(handle, SIGUSR1);
        return false;
    });
    EXPECT_TRUE(interrupted) << "EINTRs seen: " << np::netpoll_stats().eintr - before.eintr;
    EXPECT_GE(usr1_seen.load(), 3);
    EXPECT_FALSE(p.returned.load()) << "netpoll(-1) returned on EINTR";
    np::netpollBreak();
    p.join();
    ::sigaction(SIGUSR1, &old, nullptr);
}

TEST_F(Netpoll, ATimedPollCutShortBySignalsStillWaitsItsDelay) {
    ASSERT_TRUE(np::netpollGenericInit().ok());
    struct sigaction sa {
    }, old{};
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
    constexpr int64_t kDelay = 200'000'000;
    std::atomic<pid_t> tid{0};
    std::atomic<bool> done{false};
    int64_t took = 0;
    const auto before = np::netpoll_stats();
    std::thread t([&] {
        tid = static_cast<pid_t>(::syscall(SYS_gettid));
        rawrt::sched::GList list;
        const int64_t t0 = rawrt::vdso::nanotime();
        (void)np::netpoll(kDelay, &list);
        took = rawrt::vdso::nanotime() - t0;
        done = true;
    });
    eventually([&] {
        if (done.load()) return true;
        if (tid.load() != 0 && thread_state(tid) == 'S') ::pthread_kill(t.native_handle(), SIGUSR1);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return false;
    });
    t.join();
    ::sigaction(SIGUSR1, &old, nullptr);
    EXPECT_GE(took, kDelay);
    EXPECT_GE(np::netpoll_stats().eintr, before.eintr + 1) << "no signal cut the wait short";
}

// Closing an io_uring ring queues task work that makes the closing
// thread's next interruptible wait fail with EINTR (nearly always; hence a
// few tries): a poll right after it must still wait its whole delay.
// (qemu-user 7.2 has no io_uring: there the ring cannot be made and only
// the waits are checked.)
TEST_F(Netpoll, ClosingAnIoUringRingDoesNotCutTheNextPollShort) {
    ASSERT_TRUE(np::netpollGenericInit().ok());
    constexpr int64_t kDelay = 2'000'000;
    bool have_io_uring = false;
    int interrupted = 0;
    for (int attempt = 0; attempt < 20 && interrupted == 0; ++attempt) {
        io_uring_params params{};
        auto ring = rawrt::sys::raw::io_uring_setup(8, &params);
        if (!ring.ok()) {
            EXPECT_TRUE(under_qemu()) << ring.error().name();
            EXPECT_EQ(ring.error(), rawrt::sys::Errno(ENOSYS));
        }
        have_io_uring = ring.ok();
        const auto before = np::netpoll_stats();
        if (ring.ok()) {
            ASSERT_TRUE(rawrt::sys::raw::close(ring.value()).ok());
        }
        rawrt::sched::GList list;
        const int64_t t0 = rawrt::vdso::nanotime();
        (void)np::netpoll(kDelay, &list);
        const int64_t took = rawrt::vdso::nanotime() - t0;
        EXPECT_GE(took, kDelay);
        interrupted += np::netpoll_stats().eintr > before.eintr;
        if (!have_io_uring) break;
    }
    if (have_io_uring) {
        EXPECT_EQ(interrupted, 1) << "no ring's close interrupted the poll after it";
    }
}

// --- pollDesc semaphores, on Gs

struct RawPipe {
    int r = -1, w = -1;
    RawPipe() {
        int fds[2];
        EXPECT_EQ(::pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
        r = fds[0];
        w = fds[1];
    }
    ~RawPipe() {
        if (r >= 0) ::close(r);
        if (w >= 0) ::close(w);
    }
};

// For the tests that poll by hand: sysmon's poll (every 10 ms when nobody
// else polls) would take their events.
constexpr const char* kNoSysmonPoll = "netpoll=3600000000";

TEST_F(Netpoll, PollWaitParksUntilNetpollReportsTheFdAndReadinessIsNotLost) {
    RawPipe p;
    auto opened = np::poll_runtime_pollOpen(p.r);
    ASSERT_TRUE(opened.ok()) << opened.error().name();
    np::pollDesc* pd = opened.value();
    int wait_result = -1;
    bool parked = false, woke_early = false, ready_kept = false;
    int32_t readied = -1;
    auto r = rawrt::run({.procs = 1, .debug = kNoSysmonPoll}, [&] {
        std::atomic<bool> back{false};
        rawrt::go([&] {
            wait_result = np::poll_runtime_pollWait(pd, np::kModeRead);
            back = true;
        });
        parked = eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });
        rawrt::sched::GList list;
        (void)np::netpoll(0, &list);  // nothing ready yet
        woke_early = list.n != 0 || back.load();
        (void)rawrt::sys::raw::write(p.w, "x", 1);
        const int32_t delta = np::netpoll(0, &list);
        readied = list.n;
        rawrt::sched::injectglist(&list);
        rawrt::sched::netpollAdjustWaiters(delta);
        eventually_on_g([&] { return back.load(); });
        // A notification with nobody waiting is kept (pdReady), and the
        // next wait consumes it without parking.
        char c;
        (void)rawrt::sys::raw::read(p.r, &c, 1);
        (void)rawrt::sys::raw::write(p.w, "y", 1);
        (void)np::netpoll(0, &list);
        ready_kept = pd->rg.load() == np::pdReady && np::poll_runtime_pollWait(pd, np::kModeRead) == np::pollNoError &&
                     pd->rg.load() == np::pdNil;
        np::poll_runtime_pollUnblock(pd);
        np::poll_runtime_pollClose(pd);
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(parked);
    EXPECT_FALSE(woke_early);
    EXPECT_EQ(readied, 1);
    EXPECT_EQ(wait_result, np::pollNoError);
    EXPECT_TRUE(ready_kept);
    EXPECT_EQ(rawrt::sched::netpoll_waiter_count(), 0u);
}

// The fd is closed behind the poller's back while its file lives on (a
// dup), so its registration outlives the number; the number is reused with
// the same (recycled) pollDesc. An event of the old registration must not
// wake the G waiting on the new one: the fdseq tag drops it.
TEST_F(Netpoll, AStaleEventAfterCloseAndFdReuseDoesNotWakeTheNewG) {
    RawPipe old_pipe, new_pipe;
    const int number = old_pipe.r;
    auto a = np::poll_runtime_pollOpen(number);
    ASSERT_TRUE(a.ok()) << a.error().name();
    np::pollDesc* pd_a = a.value();
    const uintptr_t tag_a = pd_a->fdseq.load();
    const int keep_alive = ::dup(number);  // the old pipe's read end lives on
    ASSERT_GE(keep_alive, 0);
    ::close(number);  // epoll keeps (old file, number) registered
    np::poll_runtime_pollUnblock(pd_a);
    np::poll_runtime_pollClose(pd_a);  // its EPOLL_CTL_DEL fails: the number is gone
    ASSERT_EQ(::dup3(new_pipe.r, number, O_CLOEXEC), number);
    ::close(new_pipe.r);
    new_pipe.r = number;
    old_pipe.r = keep_alive;
    auto b = np::poll_runtime_pollOpen(number);
    ASSERT_TRUE(b.ok()) << b.error().name();
    np::pollDesc* pd_b = b.value();
    ASSERT_EQ(pd_b, pd_a) << "the freed pollDesc is reused first";
    EXPECT_NE(pd_b->fdseq.load(), tag_a);

    bool parked = false, woken_by_stale = true, woken_by_real = false;
    int wait_result = -1;
    char got = 0;
    uint64_t stale = 0;
    auto r = rawrt::run({.procs = 1, .debug = kNoSysmonPoll}, [&] {
        std::atomic<bool> back{false};
        rawrt::go([&] {
            wait_result = np::poll_runtime_pollWait(pd_b, np::kModeRead);
            back = true;
            (void)rawrt::sys::raw::read(number, &got, 1);
        });
        parked = eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });
        const uint64_t stale0 = np::netpoll_stats().stale_events;
        (void)rawrt::sys::raw::write(old_pipe.w, "o", 1);  // the old registration fires
        rawrt::sched::GList list;
        (void)np::netpoll(0, &list);
        stale = np::netpoll_stats().stale_events - stale0;
        woken_by_stale = list.n != 0 || pd_b->rg.load() <= np::pdWait;
        (void)rawrt::sys::raw::write(new_pipe.w, "n", 1);
        const int32_t delta = np::netpoll(0, &list);
        woken_by_real = list.n == 1;
        rawrt::sched::injectglist(&list);
        rawrt::sched::netpollAdjustWaiters(delta);
        if (!eventually_on_g([&] { return back.load(); })) np::poll_runtime_pollUnblock(pd_b);
        if (!(pd_b->info() & np::pollClosing)) np::poll_runtime_pollUnblock(pd_b);
        np::poll_runtime_pollClose(pd_b);
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(parked);
    EXPECT_EQ(stale, 1u);
    EXPECT_FALSE(woken_by_stale);
    EXPECT_TRUE(woken_by_real);
    EXPECT_EQ(wait_result, np::pollNoError);
    EXPECT_EQ(got, 'n');
}

TEST_F(Netpoll, DeadlinesInThePastFailWaitsAndTheTimerHookIgnoresStaleFirings) {
    RawPipe p;
    auto opened = np::poll_runtime_pollOpen(p.r);
    ASSERT_TRUE(opened.ok());
    np::pollDesc* pd = opened.value();
    int past = -1, reset_while_passed = -1, reset_after = -1, fired = -1;
    bool stale_firing_ignored = false, second_parked = false;
    auto r = rawrt::run({.procs = 2}, [&] {
        // A G parked without a deadline; a deadline set in the past wakes it.
        std::atomic<int> back{0};
        rawrt::go([&] {
            past = np::poll_runtime_pollWait(pd, np::kModeRead);
            back = 1;
        });
        eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });
        np::poll_runtime_pollSetDeadline(pd, -1, np::kModeRead);
        eventually_on_g([&] { return back.load() == 1; });
        reset_while_passed = np::poll_runtime_pollReset(pd, np::kModeRead);
        // Moving it out again makes the fd usable.
        np::poll_runtime_pollSetDeadline(pd, 3'600'000'000'000, np::kModeRead);
        reset_after = np::poll_runtime_pollReset(pd, np::kModeRead);
        const uintptr_t seq = pd->rseq;
        rawrt::go([&] {
            fired = np::poll_runtime_pollWait(pd, np::kModeRead);
            back = 2;
        });
        second_parked = eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });
        np::netpollReadDeadline(pd, seq - 1);  // a timer armed for an older setting
        stale_firing_ignored = back.load() == 1 && rawrt::sched::netpoll_waiter_count() == 1;
        np::netpollReadDeadline(pd, seq);  // the current one: times the wait out
        eventually_on_g([&] { return back.load() == 2; });
        np::poll_runtime_pollUnblock(pd);
        np::poll_runtime_pollClose(pd);
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(past, np::pollErrTimeout);
    EXPECT_EQ(reset_while_passed, np::pollErrTimeout);
    EXPECT_EQ(reset_after, np::pollNoError);
    EXPECT_TRUE(second_parked);
    EXPECT_TRUE(stale_firing_ignored);
    EXPECT_EQ(fired, np::pollErrTimeout);
}

TEST_F(Netpoll, DestroyLeavesNoDescriptorOrMappingBehind) {
    const int fds_before = rawrt::test::count_entries("/proc/self/fd");
    const int maps_before = rawrt::test::count_lines("/proc/self/maps");
    {
        RawPipe p;
        auto pd = np::poll_runtime_pollOpen(p.r);  // maps a block of pollDescs
        ASSERT_TRUE(pd.ok());
        np::poll_runtime_pollUnblock(pd.value());
        np::poll_runtime_pollClose(pd.value());
    }
    rawrt::sched::netpoll_destroy();
    EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), fds_before);
    EXPECT_EQ(rawrt::test::count_lines("/proc/self/maps"), maps_before);
    // And it starts again afterwards.
    RawPipe p;
    auto pd = np::poll_runtime_pollOpen(p.r);
    ASSERT_TRUE(pd.ok());
    np::poll_runtime_pollUnblock(pd.value());
    np::poll_runtime_pollClose(pd.value());
}

// --- the fd layer: parked Gs are woken by the scheduler's own polls

template <class F>
rawrt::sys::Result<void> run_fd(int32_t procs, F&& body, const char* debug = nullptr) {
    return rawrt::run({.procs = procs, .debug = debug}, body);
}

TEST_F(Netpoll, FDReadParksUntilDataThenSeesEndOfFile) {
    for (int32_t procs : {1, 2}) {
        bool parked = false;
        int64_t first = -1, eof = -1;
        char buf[16] = {};
        auto r = run_fd(procs, [&] {
            FD rd, wr;
            if (!rawrt::fd::pipe(&rd, &wr).ok()) return;
            rawrt::WaitGroup wg;
            wg.add(1);
            rawrt::go([&] {
                auto n = rd.read(buf, sizeof buf);
                first = n.ok() ? static_cast<int64_t>(n.value()) : -n.error().code();
                auto m = rd.read(buf + 5, sizeof buf - 5);
                eof = m.ok() ? static_cast<int64_t>(m.value()) : -m.error().code();
                wg.done();
            });
            parked = eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });
            (void)wr.write("hello", 5);
            eventually_on_g([&] { return first != -1; });
            (void)wr.close();  // end of file for the reader, parked again by now or soon
            wg.wait();
            (void)rd.close();
        });
        ASSERT_TRUE(r.ok()) << r.error().name();
        EXPECT_TRUE(parked) << procs;
        EXPECT_EQ(first, 5) << procs;
        EXPECT_STREQ(buf, "hello");
        EXPECT_EQ(eof, 0) << procs;
    }
}

uint64_t fnv(const unsigned char* p, size_t n, uint64_t h = 1469598103934665603ull) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

TEST_F(Netpoll, FDWriterParksOnAFullPipeUntilTheReaderDrainsIt) {
    constexpr size_t kBytes = 4 << 20;
    static unsigned char out[kBytes];
    for (size_t i = 0; i < kBytes; ++i) out[i] = static_cast<unsigned char>(i * 7 + (i >> 12));
    const uint64_t want = fnv(out, kBytes);
    uint64_t got = 0;
    size_t received = 0;
    int64_t wrote = -1;
    bool writer_parked = false;
    auto r = run_fd(2, [&] {
        FD rd, wr;
        if (!rawrt::fd::pipe(&rd, &wr).ok()) return;
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            auto n = wr.write(out, kBytes);  // 64 KiB fit: it parks
            wrote = n.ok() ? static_cast<int64_t>(n.value()) : -n.error().code();
            (void)wr.close();
            wg.done();
        });
        writer_parked = eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });
        static unsigned char in[7919];  // odd-sized reads
        uint64_t h = 1469598103934665603ull;
        for (;;) {
            auto n = rd.read(in, sizeof in);
            if (!n.ok() || n.value() == 0) break;
            h = fnv(in, n.value(), h);
            received += n.value();
        }
        got = h;
        wg.wait();
        (void)rd.close();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(writer_parked);
    EXPECT_EQ(wrote, static_cast<int64_t>(kBytes));
    EXPECT_EQ(received, kBytes);
    EXPECT_EQ(got, want);
}

TEST_F(Netpoll, FDCloseWakesParkedReaderAndWriterWithEBADF) {
    int reader_err = 0, writer_err = 0, read_after = 0, close_again = 0;
    size_t written_before = 0;
    bool both_parked = false, close_ok = false;
    auto r = run_fd(2, [&] {
        FD rd, wr, rd2, wr2;
        if (!rawrt::fd::pipe(&rd, &wr).ok() || !rawrt::fd::pipe(&rd2, &wr2).ok()) return;
        rawrt::WaitGroup wg;
        wg.add(2);
        rawrt::go([&] {
            char c;
            auto n = rd.read(&c, 1);
            reader_err = n.ok() ? 0 : n.error().code();
            wg.done();
        });
        static char big[1 << 20];
        rawrt::go([&] {
            auto n = wr2.write(big, sizeof big, &written_before);
            writer_err = n.ok() ? 0 : n.error().code();
            wg.done();
        });
        both_parked = eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 2; });
        close_ok = rd.close().ok();
        close_ok = wr2.close().ok() && close_ok;
        wg.wait();
        char c;
        auto again = rd.read(&c, 1);
        read_after = again.ok() ? 0 : again.error().code();
        auto c2 = rd.close();
        close_again = c2.ok() ? 0 : c2.error().code();
        (void)wr.close();
        (void)rd2.close();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(both_parked);
    EXPECT_TRUE(close_ok);
    EXPECT_EQ(reader_err, EBADF);
    EXPECT_EQ(writer_err, EBADF);
    EXPECT_GT(written_before, 0u);
    EXPECT_LT(written_before, size_t{1} << 20);
    EXPECT_EQ(read_after, EBADF);
    EXPECT_EQ(close_again, EBADF);
    EXPECT_EQ(rawrt::sched::netpoll_waiter_count(), 0u);
}

TEST_F(Netpoll, FDPastDeadlineTimesOutAndLeavesTheFDUsable) {
    int parked_err = 0, at_once_err = 0;
    int64_t after = -1;
    auto r = run_fd(1, [&] {
        FD rd, wr;
        if (!rawrt::fd::pipe(&rd, &wr).ok()) return;
        std::atomic<bool> back{false};
        rawrt::go([&] {
            char c;
            auto n = rd.read(&c, 1);
            parked_err = n.ok() ? 0 : n.error().code();
            back = true;
        });
        eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });
        (void)rd.set_read_deadline(rawrt::vdso::nanotime() - 1);  // passed: wakes the reader
        eventually_on_g([&] { return back.load(); });
        char c;
        auto n = rd.read(&c, 1);
        at_once_err = n.ok() ? 0 : n.error().code();
        (void)rd.set_read_deadline(0);
        (void)wr.write("z", 1);
        auto m = rd.read(&c, 1);
        after = m.ok() ? static_cast<int64_t>(m.value()) : -m.error().code();
        (void)rd.close();
        (void)wr.close();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(parked_err, ETIMEDOUT);
    EXPECT_EQ(at_once_err, ETIMEDOUT);
    EXPECT_EQ(after, 1);
}

TEST_F(Netpoll, FDEventfdParksAReaderUntilItIsSignalled) {
    uint64_t got = 0;
    uint64_t sem[4] = {};
    bool parked = false;
    int bad_flags = 0;
    auto r = run_fd(2, [&] {
        FD ev;
        if (!rawrt::fd::eventfd(&ev).ok()) return;
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            (void)ev.read(&got, sizeof got);
            wg.done();
        });
        parked = eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });
        const uint64_t five = 5;
        (void)ev.write(&five, sizeof five);
        wg.wait();
        (void)ev.close();
        // EFD_SEMAPHORE: three reads of 1, then the fourth parks until a write.
        FD s;
        if (!rawrt::fd::eventfd(&s, 3, 1).ok()) return;
        wg.add(1);
        rawrt::go([&] {
            for (auto& v : sem) (void)s.read(&v, sizeof v);
            wg.done();
        });
        eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });
        const uint64_t one = 1;
        (void)s.write(&one, sizeof one);
        wg.wait();
        (void)s.close();
        FD bad;
        auto e = rawrt::fd::eventfd(&bad, 0, 0x800);
        bad_flags = e.ok() ? 0 : e.error().code();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(parked);
    EXPECT_EQ(got, 5u);
    for (uint64_t v : sem) EXPECT_EQ(v, 1u);
    EXPECT_EQ(bad_flags, EINVAL);
}

TEST_F(Netpoll, FDRejectsBadInputsAndKeepsRegularFilesInBlockingMode) {
    const int file = ::open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(file, 0);
    int bad_fd = 0, closed_number = 0, busy = 0, empty_read = 0, empty_write = 0, empty_close = 0, no_deadline = 0;
    bool file_ok = false, file_pollable = true;
    char magic[4] = {};
    auto r = run_fd(1, [&] {
        FD f;
        auto e = f.init(-1);
        bad_fd = e.ok() ? 0 : e.error().code();
        e = f.init(1000000);  // no such descriptor: epoll_ctl says so
        closed_number = e.ok() ? 0 : e.error().code();
        char c;
        auto rd = f.read(&c, 1);
        empty_read = rd.ok() ? 0 : rd.error().code();
        auto wr = f.write(&c, 1);
        empty_write = wr.ok() ? 0 : wr.error().code();
        auto cl = f.close();
        empty_close = cl.ok() ? 0 : cl.error().code();
        file_ok = f.init(file).ok();  // epoll refuses regular files: blocking mode
        file_pollable = f.pollable();
        e = f.init(file);
        busy = e.ok() ? 0 : e.error().code();
        (void)f.read(magic, sizeof magic);
        e = f.set_read_deadline(1);
        no_deadline = e.ok() ? 0 : e.error().code();
        (void)f.close();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(bad_fd, EBADF);
    EXPECT_EQ(closed_number, EBADF);
    EXPECT_EQ(empty_read, EBADF);
    EXPECT_EQ(empty_write, EBADF);
    EXPECT_EQ(empty_close, EBADF);
    EXPECT_TRUE(file_ok);
    EXPECT_FALSE(file_pollable);
    EXPECT_EQ(busy, EBUSY);
    EXPECT_EQ(std::memcmp(magic,
                          "\x7f"
                          "ELF",
                          4),
              0);
    EXPECT_EQ(no_deadline, ENOTSUP);
    EXPECT_EQ(::fcntl(file, F_GETFD), -1) << "close() closed it";
}

TEST_F(Netpoll, FDConcurrentReadersOfOnePipeTakeTurns) {
    constexpr int kReaders = 4;
    int got[kReaders] = {};
    auto r = run_fd(2, [&] {
        FD rd, wr;
        if (!rawrt::fd::pipe(&rd, &wr).ok()) return;
        rawrt::WaitGroup wg;
        wg.add(kReaders);
        for (int i = 0; i < kReaders; ++i)
            rawrt::go([&, i] {
                char c = 0;
                auto n = rd.read(&c, 1);
                got[i] = n.ok() && n.value() == 1 ? c : -1;
                wg.done();
            });
        eventually_on_g([&] { return rawrt::sched::netpoll_waiter_count() == 1; });  // one parked, the rest on the lock
        for (int i = 0; i < kReaders; ++i) {
            const char c = static_cast<char>('a' + i);
            (void)wr.write(&c, 1);
            rawrt::yield();
        }
        wg.wait();
        (void)rd.close();
        (void)wr.close();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    int mask = 0;
    for (int v : got) {
        EXPECT_GE(v, 'a');
        EXPECT_LT(v, 'a' + kReaders);
        if (v >= 'a' && v < 'a' + kReaders) mask |= 1 << (v - 'a');
    }
    EXPECT_EQ(mask, (1 << kReaders) - 1) << "each byte read exactly once";
}

// Many Gs, each parked reading its own pipe, cost no threads: the Ms stay
// at the Ps plus sysmon plus the poller G's M (and one spare for handoffs).
TEST_F(Netpoll, ManyGsParkedOnManyPipesWithFewThreads) {
    const int kPipes = emulated() ? 1000 : 2000;
    constexpr int32_t kProcs = 2;
    constexpr int kRounds = 2;
    // Two descriptors a pipe, and room for the test program's own.
    const rlim_t need = 2 * static_cast<rlim_t>(kPipes) + 100;
    if (rlimit lim{}; ::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < need)
        GTEST_SKIP() << "RLIMIT_NOFILE is " << lim.rlim_cur << ", " << kPipes << " pipes need " << need
                     << " descriptors (ulimit -n)";
    std::vector<int64_t> sums(kPipes, 0);
    int parked_max = 0;
    int32_t threads_while_parked = 0;
    bool all_parked = true;
    int pipe_error = 0;
    // Made here: a runtime thread must not call glibc's malloc. Closed
    // inside the run, whatever happens: an FD's pollDesc goes with the run.
    std::vector<FD> rds(kPipes), wrs(kPipes);
    auto close_all = [&] {
        for (int i = 0; i < kPipes; ++i) {
            (void)rds[i].close();
            (void)wrs[i].close();
        }
    };
    // sysmon on a long tick: on two noisy cores it would otherwise retake Ps
    // from Ms merely descheduled in a short read(2), and each retake may
    // start a thread. What is measured here is the poller's cost.
    auto r = run_fd(
        kProcs,
        [&] {
        for (int i = 0; i < kPipes; ++i)
            if (auto e = rawrt::fd::pipe(&rds[i], &wrs[i]); !e.ok()) {
                pipe_error = e.error().code();
                close_all();
                return;
            }
        for (int round = 0; round < kRounds; ++round) {
            rawrt::WaitGroup wg;
            wg.add(kPipes);
            for (int i = 0; i < kPipes; ++i)
                rawrt::go([&, i] {
                    int64_t v = 0;
                    auto n = rds[i].read(&v, sizeof v);
                    if (n.ok() && n.value() == sizeof v) sums[i] += v;
                    wg.done();
                });
            all_parked = eventually_on_g([&] {
                             return rawrt::sched::netpoll_waiter_count() == static_cast<uint32_t>(kPipes);
                         }) &&
                         all_parked;
            parked_max = std::max(parked_max, static_cast<int>(rawrt::sched::netpoll_waiter_count()));
            threads_while_parked = std::max(threads_while_parked, rawrt::stats().threads);
            // Wake them in a scattered order.
            for (int k = 0; k < kPipes; ++k) {
                const int i = static_cast<int>((static_cast<int64_t>(k) * 7919) % kPipes);
                const int64_t v = (round + 1) * 100000 + i;
                (void)wrs[i].write(&v, sizeof v);
            }
            wg.wait();
        }
        close_all();
        },
        "sysmonmin=50000,sysmonmax=50000");
    ASSERT_TRUE(r.ok()) << r.error().name();
    ASSERT_EQ(pipe_error, 0) << "making the pipes";
    EXPECT_TRUE(all_parked);
    EXPECT_EQ(parked_max, kPipes);
    int wrong = 0;
    for (int i = 0; i < kPipes; ++i) wrong += sums[i] != 100000 + i + 200000 + i;
    EXPECT_EQ(wrong, 0);
    const auto s = rawrt::stats();
    EXPECT_LE(threads_while_parked, kProcs + 3);
    EXPECT_LE(s.threads_max, kProcs + 3);
    RecordProperty("threads_max", s.threads_max);
}

}  // namespace
