// The execution tracer (sched/trace.hpp): the trace of known scenarios holds
// what happened, in order, and every file it leaves is complete and valid,
// however the program ends. tests/trace_check.py reads the files.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "sched/trace.hpp"
#include "sys/calls.hpp"
#include "tests/child_process.hpp"
#include "tests/temp_dir.hpp"

namespace {

using rawrt::test::ChildResult;
using rawrt::test::read_file;
using rawrt::test::run_command;

std::string trace_path(const char* name) {
    return std::string(RAWRT_TEST_BUILD_DIR) + "/tests/trace_" + name + ".json";
}

ChildResult checker(const std::string& args) {
    return run_command("python3 " RAWRT_TEST_SOURCE_DIR "/tests/trace_check.py " + args);
}

// tests/trace_check.py with args (a command and the file) exits 0.
void expect_checked(const std::string& args) {
    const ChildResult c = checker(args);
    EXPECT_EQ(c.exit_status, 0) << args << ": " << c.output;
}

// Seed scenario 3: G blocks in read with Gs queued behind it on the one P;
// sysmon (or the standby M) retakes the P, a new M runs the queued Gs, and
// the G comes back by the slow path: the last queued G keeps the P busy,
// yielding, until the reader has run again.
TEST(Trace, SeedScenarioThreeInOrder) {
    const std::string path = trace_path("scenario3");
    int64_t reader = 0;
    auto r = rawrt::run({.procs = 1, .trace = path.c_str()}, [&] {
        int fds[2];
        ASSERT_TRUE(rawrt::sys::raw::pipe2(fds, 0).ok());
        std::atomic<bool> read_done{false};
        std::atomic<int> ran{0};
        reader = rawrt::goid();
        for (int i = 0; i < 4; ++i)
            rawrt::go([&, i] {
                ran.fetch_add(1);
                if (i != 3) return;
                (void)rawrt::sys::raw::write(fds[1], "x", 1);
                while (!read_done.load()) rawrt::yield();
            });
        char c;
        (void)rawrt::sys::read(fds[0], &c, 1);
        read_done.store(true);
        (void)rawrt::sys::raw::close(fds[0]);
        (void)rawrt::sys::raw::close(fds[1]);
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    expect_checked("check " + path);
    expect_checked("scenario3 " + path + " " + std::to_string(reader));
}

// A G that runs on one M, then on another, shows a flow between the two.
// The way it surely moves: a syscall long enough for its P to be retaken
// while a G waits for that P; the G comes back with no P, its M parks, and
// it runs on the M that took the P over.
TEST(Trace, AGThatMovesToAnotherMShowsAFlow) {
    const std::string path = trace_path("migrate");
    int64_t mover = 0;
    int before = 0, after = 0;
    auto r = rawrt::run({.procs = 1, .trace = path.c_str()}, [&] {
        mover = rawrt::goid();
        std::atomic<bool> back{false};
        rawrt::go([&] {
            while (!back.load()) rawrt::yield();
        });
        before = static_cast<int>(rawrt::sys::raw::gettid().value());
        const rawrt::sys::KernelTimespec pause = {0, 5'000'000};
        (void)rawrt::sys::nanosleep(rawrt::sys::as_timespec(&pause), nullptr);
        back.store(true);
        after = static_cast<int>(rawrt::sys::raw::gettid().value());
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    ASSERT_NE(before, after) << "the G came back on its own thread";
    expect_checked("check " + path);
    expect_checked("migrate " + path + " " + std::to_string(mover));
}

// One tiny buffer for the whole process: most events find none, and every
// one of those is counted, in the file's total and on the tracks.
TEST(Trace, DroppedEventsAreCountedWhenTheBuffersOverflow) {
    const std::string path = trace_path("dropped");
    auto r = rawrt::run({.procs = 1, .debug = "tracebuf=1024,tracebufs=1", .trace = path.c_str()}, [&] {
        for (int i = 0; i < 20000; ++i) rawrt::yield();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    expect_checked("check " + path);
    auto dropped = checker("dropped " + path);
    ASSERT_EQ(dropped.exit_status, 0) << dropped.output;
    long total = 0, shown = 0;
    ASSERT_EQ(sscanf(dropped.output.c_str(), "%ld %ld", &total, &shown), 2) << dropped.output;
    EXPECT_GT(total, 1000);  // 20000 yields make two events each
    EXPECT_EQ(shown, total);
}

TEST(Trace, StartAndStopMidRunLeaveValidFiles) {
    const std::string first = trace_path("mid1"), second = trace_path("mid2");
    auto r = rawrt::run({.procs = 2}, [&] {
        EXPECT_EQ(rawrt::trace::stop().error(), rawrt::sys::Errno(EINVAL));
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {  // alive across both traces: named by the snapshot
            rawrt::sleep(20'000'000);
            wg.done();
        });
        for (const std::string* path : {&first, &second}) {
            ASSERT_TRUE(rawrt::trace::start(path->c_str()).ok());
            EXPECT_TRUE(rawrt::trace::enabled());
            EXPECT_EQ(rawrt::trace::start(path->c_str()).error(), rawrt::sys::Errno(EBUSY));
            for (int i = 0; i < 100; ++i) {
                rawrt::go([] { (void)rawrt::sys::getpid(); });
                rawrt::yield();
            }
            EXPECT_TRUE(rawrt::trace::stop().ok());
            EXPECT_FALSE(rawrt::trace::enabled());
        }
        EXPECT_EQ(rawrt::trace::start("/nonexistent-dir/t.json").error(), rawrt::sys::Errno(ENOENT));
        wg.wait();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    for (const std::string* path : {&first, &second}) {
        expect_checked("check " + *path);
        EXPECT_NE(read_file(*path).find("\"getpid()\""), std::string::npos) << *path;
    }
    EXPECT_EQ(rawrt::trace::start(first.c_str()).error(), rawrt::sys::Errno(ENOTCONN));
}

// However a program ends, its trace is complete: main returns, a G calls
// exit_group, a G dies of a fatal error.
TEST(Trace, EveryWayAProgramEndsLeavesACompleteFile) {
    const struct {
        const char* how;
        int status;
    } ends[] = {{"return", 0}, {"exit", 7}, {"fatal", 2}};
    for (const auto& end : ends) {
        const std::string path = trace_path(end.how);
        ::unlink(path.c_str());
        auto run = run_command("RAWRT_TRACE=" + path + " " + rawrt::test::runner() + " " +
                               rawrt::test::build_path("tests/programs/trace_end") + " " + end.how);
        EXPECT_EQ(run.exit_status, end.status) << end.how << ": " << run.output;
        expect_checked("check " + path);  // (the path names the way it ended)
        // The Gs' sleeps and syscalls are in it, not only the start.
        const std::string text = read_file(path);
        EXPECT_NE(text.find("\"reason\":\"sleep\""), std::string::npos) << end.how;
        EXPECT_NE(text.find("\"getpid()\""), std::string::npos) << end.how;
    }
}

}  // namespace
