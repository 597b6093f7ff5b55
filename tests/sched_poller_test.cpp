// The scheduler's poller seam (sched/poller.hpp) with more than one poller:
// a second poller, made here from an eventfd, installs behind the epoll one;
// an M blocked in epoll wakes for the second poller's Gs; install refuses
// what the seam cannot wait for; teardown destroys every poller.
#include <gtest/gtest.h>

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "netpoll/netpoll.hpp"
#include "sched/go.hpp"
#include "sched/poller.hpp"
#include "sched/proc.hpp"
#include "sys/calls.hpp"
#include "tests/eventually.hpp"

namespace {

namespace sched = rawrt::sched;
using rawrt::test::eventually;

// Code on a G calls rawrt's wrappers, never glibc's: an M's thread pointer
// is rawrt's, not glibc's thread block.
int make_eventfd() { return static_cast<int>(rawrt::sys::raw::eventfd2(0, EFD_CLOEXEC | EFD_NONBLOCK).value()); }

// A poller whose one G waits for its eventfd to be written: the shape of a
// ring of completions, whose wake_fd is readable when a completion is due.
struct EventfdPoller {
    static inline int efd = -1;
    static inline std::atomic<sched::G*> parked{nullptr};
    static inline std::atomic<int> polls{0}, blocking_polls{0}, destroys{0};

    static int32_t poll(int64_t delay, sched::GList* ready) {
        polls.fetch_add(1);
        if (delay != 0) blocking_polls.fetch_add(1);
        uint64_t count;
        if (!rawrt::sys::raw::read(efd, &count, sizeof count).ok()) return 0;
        sched::G* gp = parked.exchange(nullptr);
        if (gp == nullptr) return 0;
        ready->push(gp);
        return -1;
    }
    static void wake() {}
    static void destroy() {
        destroys.fetch_add(1);
        (void)rawrt::sys::raw::close(efd);
        efd = -1;
    }
    // Run by gopark on g0 once the G is saved, as netpollblockcommit is.
    static bool commit(sched::G* gp, void*) {
        parked.store(gp);
        sched::netpollAdjustWaiters(1);
        return true;
    }
    static sched::Poller* make() {
        efd = make_eventfd();
        polls = 0;
        blocking_polls = 0;
        static sched::Poller p;
        p = {poll, wake, nullptr, efd, destroy, nullptr};
        return &p;
    }
};

// A poller that never has anything, cannot watch another and has no
// wake_fd: the install tests change what they need of it.
constexpr sched::Poller kInert = {[](int64_t, sched::GList*) { return int32_t{0}; }, [] {}, nullptr, -1, [] {}, nullptr};

// One P and one G, parked in the second poller: the idle M blocks in epoll,
// the first poller, and a thread outside the run writes the eventfd. The
// M must wake for it through the wake_fd epoll watches, and the seam must
// then poll the second poller: the G runs, with no netpollBreak.
TEST(SchedPoller, AnMBlockedInTheFirstPollerWakesForTheSecondPollersG) {
    std::atomic<bool> armed{false}, resumed{false}, stop{false}, broke{false};
    std::thread writer([&] {
        eventually([&] { return stop.load() || (armed.load() && sched::sched.lastpoll.load() == 0); });
        if (stop.load()) return;
        const uint64_t one = 1;
        ASSERT_EQ(write(EventfdPoller::efd, &one, sizeof one), 8);
        if (!eventually([&] { return resumed.load(); })) {
            broke = true;  // the wake_fd went unwatched: unstick the run
            sched::netpollBreak();
        }
    });
    const int destroys_before = EventfdPoller::destroys.load();
    bool installed = false;
    auto r = rawrt::run({.procs = 1}, [&] {
        if (!rawrt::netpoll::netpollGenericInit().ok()) return;
        installed = sched::poller_install(EventfdPoller::make()).ok();
        if (!installed) return;
        armed = true;
        sched::gopark(EventfdPoller::commit, nullptr, "test poller");
        resumed = true;
    });
    stop = true;
    writer.join();
    ASSERT_TRUE(r.ok()) << r.error().name();
    ASSERT_TRUE(installed);
    EXPECT_TRUE(resumed);
    EXPECT_FALSE(broke) << "the G ran only after a netpollBreak";
    EXPECT_EQ(EventfdPoller::blocking_polls.load(), 0) << "only the first poller may block";
    EXPECT_GT(EventfdPoller::polls.load(), 0);
    EXPECT_EQ(EventfdPoller::destroys.load(), destroys_before + 1) << "the run's teardown destroys every poller";
    EXPECT_EQ(EventfdPoller::efd, -1);
    EXPECT_FALSE(sched::netpollinited());
    EXPECT_EQ(sched::netpoll_waiter_count(), 0u);
}

// What the seam cannot wait for, it refuses, and installs nothing.
TEST(SchedPoller, InstallRefusesAPollerItCouldNotWaitFor) {
    auto r = rawrt::run({.procs = 1}, [&] {
        // Before epoll: a first poller that cannot watch another.
        static sched::Poller first = kInert;
        ASSERT_TRUE(sched::poller_install(&first).ok());
        EXPECT_TRUE(sched::netpollinited());
        static sched::Poller second = kInert;
        second.wake_fd = 0;
        EXPECT_EQ(sched::poller_install(&second).error().code(), EINVAL) << "the first poller cannot watch";
        // epoll cannot be installed behind it either: netpollGenericInit
        // reports that, and leaves no fd behind.
        EXPECT_EQ(rawrt::netpoll::netpollGenericInit().error().code(), EINVAL);
        EXPECT_FALSE(rawrt::netpoll::netpollinited());
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_FALSE(sched::netpollinited());
}

TEST(SchedPoller, InstallRefusesALaterPollerWithoutAWakefdAndTheFifthOne) {
    auto r = rawrt::run({.procs = 1}, [&] {
        ASSERT_TRUE(rawrt::netpoll::netpollGenericInit().ok());
        static sched::Poller blind = kInert;
        EXPECT_EQ(sched::poller_install(&blind).error().code(), EINVAL);
        static int fds[sched::kMaxPollers];
        static sched::Poller more[sched::kMaxPollers];
        for (int i = 0; i < sched::kMaxPollers; ++i) {
            fds[i] = make_eventfd();
            more[i] = kInert;
            more[i].wake_fd = fds[i];
        }
        for (int i = 1; i < sched::kMaxPollers; ++i) EXPECT_TRUE(sched::poller_install(&more[i]).ok()) << i;
        EXPECT_EQ(sched::poller_install(&more[0]).error().code(), EBUSY);
        // A netpoll through all four finds nothing and changes no count.
        sched::GList list;
        EXPECT_EQ(sched::netpoll(0, &list), 0);
        EXPECT_TRUE(list.empty());
        for (int fd : fds) (void)rawrt::sys::raw::close(fd);
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
}

}  // namespace
