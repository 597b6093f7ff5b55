// The io_uring ring's bound on the kernel's io-wq workers (netpoll/uring.cpp):
// io-wq keeps workers per submitting thread, so the cap
// (RAWRT_DEBUG=uringworkers) is shared out among the threads that submit,
// and an M without a share takes the blocking path. Counts only: the tasks
// of the process, the ring's own counters. Where there is no ring
// (aarch64 under qemu-user) the cases say so and skip.
#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <linux/io_uring.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "netpoll/uring.hpp"
#include "os/file.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sys/calls.hpp"
#include "tests/proc_self.hpp"
#include "tests/temp_dir.hpp"

namespace {

namespace os = rawrt::os;
namespace uring = rawrt::netpoll::uring;

using rawrt::test::read_file;
using rawrt::test::TempDir;

constexpr const char* kNoRing = "no io_uring ring here (qemu-user has none): no io-wq to bound";

// The ring fds the calling thread has registered, as the kernel sees them:
// io_uring_enter with nothing to do succeeds through a slot that holds a
// ring, and fails (EBADF) through an empty one.
int registered_ring_slots() {
    int n = 0;
    for (int slot = 0; slot < 16; ++slot)
        n += rawrt::sys::raw::io_uring_enter(slot, 0, 0, IORING_ENTER_REGISTERED_RING).ok() ? 1 : 0;
    return n;
}

// The most tasks the process has while it runs, and the most of them that
// are io-wq workers (named iou-wrk-<tid>), read every millisecond by a
// thread of its own (glibc is fine there).
class TaskPeak {
public:
    TaskPeak()
        : watcher_([this] {
              while (!done_.load()) {
                  look();
                  std::this_thread::sleep_for(std::chrono::milliseconds(1));
              }
          }) {}
    // The tasks at the peak, less this test's two threads: the one that
    // called run, and the watcher.
    int stop() {
        done_.store(true);
        watcher_.join();
        return tasks_ - 2;
    }
    int workers() const { return workers_; }

private:
    void look() {
        int tasks = 0, workers = 0;
        if (DIR* d = ::opendir("/proc/self/task")) {
            while (dirent* e = ::readdir(d)) {
                if (e->d_name[0] == '.') continue;
                ++tasks;
                workers += read_file(std::string("/proc/self/task/") + e->d_name + "/comm").rfind("iou-wrk", 0) == 0;
            }
            ::closedir(d);
        }
        if (tasks > tasks_) tasks_ = tasks;
        if (workers > workers_) workers_ = workers;
    }

    std::atomic<bool> done_{false};
    int tasks_ = 0;
    int workers_ = 0;
    std::thread watcher_;
};

// The fsync storm of the issue, smaller: every G creates its own file,
// writes 4 KiB, syncs and closes it, in rounds; fsync always goes to io-wq.
// Every file is read back afterwards on the host side.
struct Storm {
    static constexpr int kGs = 500;
    static constexpr int kRounds = 2;
    TempDir dir;
    std::vector<std::string> names;
    std::atomic<int> errors{0};
    std::atomic<int> first_error{0};  // the step (thousands) and errno of a failure

    Storm() {
        for (int i = 0; i < kGs; ++i) names.push_back(dir / ("f" + std::to_string(i)));
    }
    static char byte(int i, int k) { return static_cast<char>(i * 13 + k); }
    void run_on_g() {
        for (int round = 0; round < kRounds; ++round) {
            rawrt::WaitGroup wg;
            wg.add(kGs);
            for (int i = 0; i < kGs; ++i)
                rawrt::go([this, &wg, i] {
                    char data[4096];
                    for (int k = 0; k < 4096; ++k) data[k] = byte(i, k);
                    os::File f;
                    int step = 0;
                    rawrt::sys::Errno err;
                    auto check = [&](auto r) {
                        ++step;
                        if (!r.ok()) err = r.error();
                        return r.ok();
                    };
                    if (!check(os::File::create(names[i].c_str(), &f)) || !check(f.write(data, sizeof data)) ||
                        !check(f.sync()) || !check(f.close())) {
                        errors.fetch_add(1);
                        first_error.store(step * 1000 + err.code());  // 1 create, 2 write, 3 sync, 4 close
                    }
                    wg.done();
                });
            wg.wait();
        }
    }
    int intact() const {
        int n = 0;
        for (int i = 0; i < kGs; ++i) {
            std::string want(4096, '\0');
            for (int k = 0; k < 4096; ++k) want[k] = byte(i, k);
            n += read_file(names[i]) == want ? 1 : 0;
        }
        return n;
    }
};

// io-wq workers within the cap however many Ms submitted, and with a cap
// of at least procs + 2 (every M that runs Gs has a share) procs + 3 Ms at
// most beside them: the Ps', sysmon, one or two on their way in or out of
// idle. Below that, an M without a share blocks in the syscall, its P
// handed off as for any blocking syscall, and the Ms are not bounded here.
void expect_storm_within_bound(int32_t procs, int cap) {
    Storm storm;
    uring::UringStats st;
    const std::string debug = "uringworkers=" + std::to_string(cap);
    TaskPeak peak;
    auto r = rawrt::run({.procs = procs, .debug = debug.c_str()}, [&] {
        storm.run_on_g();
        st = uring::uring_stats();
    });
    const int tasks = peak.stop();
    ASSERT_TRUE(r.ok()) << r.error().code();
    if (!st.active) GTEST_SKIP() << kNoRing;
    EXPECT_EQ(storm.errors.load(), 0) << "step and errno of one: " << storm.first_error.load();
    EXPECT_EQ(storm.intact(), Storm::kGs);
    EXPECT_LE(st.submitters, st.shares);
    EXPECT_LE(static_cast<int>(st.workers_each) * st.shares, cap);
    EXPECT_LE(peak.workers(), cap) << "io-wq workers at the peak of the storm";
    if (cap >= procs + 2) {
        EXPECT_LE(tasks, procs + 3 + cap) << "tasks at the peak of the storm (Ms and io-wq workers), cap " << cap;
    }
}

TEST(UringWorkers, FsyncStormStaysWithinProcsPlusThreePlusTheCap) { expect_storm_within_bound(2, 4); }

TEST(UringWorkers, FsyncStormStaysWithinATinyCap) { expect_storm_within_bound(2, 1); }

// 16: RAWRT_DEBUG's default, 4 shares of 4 on 2 Ps; 3 shares of 5 on 1.
TEST(UringWorkers, FsyncStormOnOnePStaysWithinTheDefaultCap) { expect_storm_within_bound(1, 16); }

// Writes text to path from a G locked to a thread of its own, then says so
// on done.
void locked_write(const char* path, const char* text, bool* ok, rawrt::WaitGroup* done) {
    rawrt::go([=] {
        rawrt::lock_os_thread();
        *ok = os::write_file(path, text, std::strlen(text), 0600).ok();
        rawrt::unlock_os_thread();
        done->done();
    });
}

// With a cap of 1 there is one share: a second M that wants to submit
// takes the blocking path, with the same result.
TEST(UringWorkers, AnMWithoutAShareTakesTheBlockingPath) {
    TempDir dir;
    const std::string a = dir / "a", b = dir / "b";
    uring::UringStats st;
    bool ok_a = false, ok_b = false;
    auto r = rawrt::run({.procs = 2, .debug = "uringworkers=1"}, [&] {
        // Each G locked to a thread of its own, the first still holding
        // its thread (and its share) while the second writes.
        rawrt::WaitGroup first_done, second_done;
        first_done.add(1);
        second_done.add(1);
        rawrt::go([&] {
            rawrt::lock_os_thread();
            ok_a = os::write_file(a.c_str(), "first", 5, 0600).ok();
            first_done.done();
            second_done.wait();
            rawrt::unlock_os_thread();
        });
        first_done.wait();
        locked_write(b.c_str(), "second", &ok_b, &second_done);
        second_done.wait();
        st = uring::uring_stats();
    });
    ASSERT_TRUE(r.ok()) << r.error().code();
    if (!st.active) GTEST_SKIP() << kNoRing;
    EXPECT_TRUE(ok_a);
    EXPECT_TRUE(ok_b);
    EXPECT_EQ(st.shares, 1);
    EXPECT_EQ(st.submitters, 1);
    EXPECT_GE(st.no_share, 1u) << "the second thread's operations went through the ring";
    EXPECT_EQ(read_file(a), "first");
    EXPECT_EQ(read_file(b), "second");
}

// A G that exits locked to its thread ends that thread (mexit): its io-wq
// goes with it, and so does its share, which the next M takes. Each thread
// registers the ring's fd as it takes its share, and the registration is
// undone as the thread ends.
TEST(UringWorkers, AShareComesBackWhenItsThreadEnds) {
    TempDir dir;
    const std::string a = dir / "a", b = dir / "b";
    uring::UringStats between, after;
    bool ok_a = false, ok_b = false;
    int slots_a = -1;
    auto r = rawrt::run({.procs = 2, .debug = "uringworkers=1"}, [&] {
        rawrt::WaitGroup first_done;
        first_done.add(1);
        rawrt::go([&] {
            rawrt::lock_os_thread();
            ok_a = os::write_file(a.c_str(), "first", 5, 0600).ok();
            slots_a = registered_ring_slots();
            first_done.done();
            // Exits still locked: the thread ends with the G.
        });
        first_done.wait();
        // The locked thread's end is not awaitable from here: wait until
        // the share is back, or long enough to show it never comes.
        for (int i = 0; i < 2000 && uring::uring_stats().submitters != 0; ++i) rawrt::sleep(1'000'000);
        between = uring::uring_stats();
        rawrt::WaitGroup second_done;
        second_done.add(1);
        locked_write(b.c_str(), "second", &ok_b, &second_done);
        second_done.wait();
        after = uring::uring_stats();
    });
    ASSERT_TRUE(r.ok()) << r.error().code();
    if (!after.active) GTEST_SKIP() << kNoRing;
    EXPECT_TRUE(ok_a);
    EXPECT_TRUE(ok_b);
    EXPECT_EQ(between.submitters, 0) << "the ended thread kept its share";
    EXPECT_EQ(after.submitters, 1);
    EXPECT_EQ(after.no_share, 0u);
    EXPECT_GT(after.submitted, between.submitted);
    EXPECT_EQ(slots_a, 1) << "the kernel's registered rings on the first thread";
    EXPECT_EQ(between.ring_fd_registrations, 1u);
    EXPECT_EQ(between.ring_fds, 0) << "the ended thread's registration was not undone";
    EXPECT_EQ(after.ring_fd_registrations, 2u);
    EXPECT_EQ(after.ring_fds, 1);
}

// RAWRT_DEBUG=uringregfd=0: no thread registers the ring's fd, and the
// ring works through the fd alone.
TEST(UringWorkers, NoRegisteredRingFdWhenDebugSaysSo) {
    TempDir dir;
    const std::string a = dir / "a";
    uring::UringStats st;
    bool ok = false;
    int slots = -1;
    auto r = rawrt::run({.procs = 2, .debug = "uringregfd=0"}, [&] {
        rawrt::lock_os_thread();
        ok = os::write_file(a.c_str(), "first", 5, 0600).ok();
        slots = registered_ring_slots();
        st = uring::uring_stats();
        rawrt::unlock_os_thread();
    });
    ASSERT_TRUE(r.ok()) << r.error().code();
    if (!st.active) GTEST_SKIP() << kNoRing;
    EXPECT_TRUE(ok);
    EXPECT_GE(st.submitted, 1u);
    EXPECT_EQ(st.ring_fd_registrations, 0u);
    EXPECT_EQ(slots, 0);
    EXPECT_EQ(read_file(a), "first");
}

}  // namespace
