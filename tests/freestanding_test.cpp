// The freestanding programs as real programs: static, no interpreter, no
// shared library, nothing undefined; run as children (under qemu on aarch64)
// with their output and exit status asserted.

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

#include "tests/child_process.hpp"

namespace {

using rawrt::test::build_path;
using rawrt::test::number_after;
using rawrt::test::run_command;
using rawrt::test::run_program;

class FreestandingBinary : public testing::TestWithParam<const char*> {
protected:
    std::string path() const { return build_path(std::string("examples/") + GetParam()); }
};

TEST_P(FreestandingBinary, HasNoInterpreterAndNoSharedLibraries) {
    auto headers = run_command("readelf -lW " + path());
    ASSERT_EQ(headers.exit_status, 0) << headers.output;
    EXPECT_NE(headers.output.find("LOAD"), std::string::npos) << headers.output;
    EXPECT_EQ(headers.output.find("INTERP"), std::string::npos) << headers.output;
    EXPECT_EQ(headers.output.find("DYNAMIC"), std::string::npos) << headers.output;
    auto dynamic = run_command("readelf -dW " + path());
    EXPECT_EQ(dynamic.output.find("NEEDED"), std::string::npos) << dynamic.output;
}

TEST_P(FreestandingBinary, HasNoUndefinedSymbol) {
    auto symbols = run_command(std::string(RAWRT_TEST_NM) + " " + path());
    ASSERT_EQ(symbols.exit_status, 0) << symbols.output;
    EXPECT_NE(symbols.output.find(" T _start"), std::string::npos) << "symbol table missing";
    auto undefined = run_command(std::string(RAWRT_TEST_NM) + " -u " + path());
    EXPECT_EQ(undefined.exit_status, 0);
    EXPECT_EQ(undefined.output, "");
}

TEST_P(FreestandingBinary, CarriesTheBranchProtectionNote) {
    auto notes = run_command("readelf -nW " + path());
#if defined(__x86_64__)
    EXPECT_NE(notes.output.find("x86 feature: IBT"), std::string::npos) << notes.output;
#else
    EXPECT_NE(notes.output.find("AArch64 feature: BTI"), std::string::npos) << notes.output;
#endif
}

INSTANTIATE_TEST_SUITE_P(Examples, FreestandingBinary,
                         testing::Values("hello", "tour", "retake", "fastpath", "threadcount", "lockstarve", "echo",
                                         "http", "dnsq", "init"));

TEST(Hello, PrintsItsLineAndExitsZero) {
    auto hello = run_program(build_path("examples/hello"));
    EXPECT_EQ(hello.exit_status, 0);
    EXPECT_EQ(hello.output, "hello from rawrt\n");
}

TEST(Hello, ExitsOneWhenStdoutIsClosed) {
    // The write fails with EBADF; main turns that into status 1.
    // The group gets stderr folded into the pipe before stdout is closed.
    std::string runner = rawrt::test::runner();
    auto hello = run_command("{ " + runner + " " + build_path("examples/hello") + " >&-; }");
    EXPECT_EQ(hello.exit_status, 1) << hello.output;
}

#if defined(__x86_64__)
TEST(Hello, IsAtMostSixteenKiB) {
    auto size = run_command("stat -c %s " + build_path("examples/hello"));
    ASSERT_EQ(size.exit_status, 0);
    EXPECT_LE(std::stol(size.output), 16 * 1024);
}
#endif

TEST(Tour, PrintsItsFoundationSection) {
    auto tour = run_program(build_path("examples/tour"));
    EXPECT_EQ(tour.exit_status, 0) << tour.output;
    EXPECT_NE(tour.output.find("architecture: " RAWRT_TEST_ARCH), std::string::npos) << tour.output;
    EXPECT_NE(tour.output.find("vDSO:"), std::string::npos) << tour.output;
    EXPECT_NE(tour.output.find("getpid via stub"), std::string::npos) << tour.output;
    EXPECT_NE(tour.output.find("clock_gettime via syscall"), std::string::npos) << tour.output;
}

// The seed's scenario 1, run by the tour with 1 and with 2 Ps: Gs blocked on
// a channel, a Mutex and timers are parked, not holding threads, while a
// worker G keeps running; every one of them finishes once released.
class TourScheduler : public testing::TestWithParam<int> {};

TEST_P(TourScheduler, BlockedGsParkWhileTheWorkerRuns) {
    const int procs = GetParam();
    // timeout: a scheduler that let a parked G hold its M would hang here.
    auto tour = run_command("RAWRT_MAXPROCS=" + std::to_string(procs) + " timeout 300 " + rawrt::test::runner() + " " +
                            build_path("examples/tour"));
    const std::string& out = tour.output;
    ASSERT_EQ(tour.exit_status, 0) << out;
    ASSERT_LT(out.find("== 1."), out.find("== 2. scheduler")) << out;
    auto num = [&](const char* label) {
        auto v = number_after(out, label);
        EXPECT_TRUE(v.has_value()) << "no number after \"" << label << "\" in:\n" << out;
        return v.value_or(-1);
    };
    EXPECT_EQ(num("Ps:"), procs) << out;
    const long long per_kind = num("Gs per kind:");
    ASSERT_GT(per_kind, 0) << out;

    // All of them were parked at once, each on what it blocked on.
    EXPECT_EQ(num("parked on a channel:"), per_kind) << out;
    EXPECT_EQ(num("parked on a mutex:"), per_kind) << out;
    EXPECT_EQ(num("parked on a timer:"), per_kind) << out;
    EXPECT_EQ(num("Gs parked in all:"), 3 * per_kind) << out;

    // The worker made progress while the main G waited for the sleepers,
    // which the channel and mutex Gs spent parked too.
    EXPECT_GT(num("worker progress while they were parked:"), 0) << out;
    EXPECT_EQ(num("woke from a timer:"), per_kind) << out;
    EXPECT_EQ(num("still parked on a channel:"), per_kind) << out;
    EXPECT_EQ(num(", on a mutex:"), per_kind) << out;

    // Released, every one of them finished: each value went to one receiver.
    EXPECT_EQ(num("received on the channel:"), per_kind) << out;
    EXPECT_EQ(num("(sum"), per_kind * (per_kind + 1) / 2) << out;
    EXPECT_EQ(num("took the mutex in turn:"), per_kind) << out;
    EXPECT_EQ(num("Gs still parked:"), 0) << out;

    // Threads did not grow with the parked Gs: at most one more M per P
    // (and a monitor thread, as Go's sysmon) than before they started.
    // Under qemu-user the counts include the emulator's own threads, which
    // stay constant.
    const long long before = num("OS threads before:");
    const long long parked = num("OS threads while parked:");
    const long long after = num("OS threads after:");
    EXPECT_GE(before, 1) << out;
    EXPECT_GE(parked, before) << out;
    EXPECT_LE(parked, before + procs + 1) << out;
    EXPECT_LE(after, before + procs + 1) << out;
}

INSTANTIATE_TEST_SUITE_P(Procs, TourScheduler, testing::Values(1, 2));

// The tour's section 3, the seed's decision tree, with 1 and with 2 Ps:
// each way a G blocks, checked through the counters the tour prints for it
// (rawrt::stats() deltas, and a look taken while the G was blocked).
// Counts only; steps 3 and 4 hold every other P with a spinning G, so what
// waits behind the blocked G can run only once its P is handed off.
class TourSyscalls : public testing::TestWithParam<int> {};

TEST_P(TourSyscalls, EachWayOfBlockingShowsItsHandoff) {
    const int procs = GetParam();
    auto tour = run_command("RAWRT_MAXPROCS=" + std::to_string(procs) + " timeout 300 " + rawrt::test::runner() + " " +
                            build_path("examples/tour"));
    ASSERT_EQ(tour.exit_status, 0) << tour.output;
    const size_t at = tour.output.find("== 3. syscalls");
    ASSERT_NE(at, std::string::npos) << tour.output;
    ASSERT_LT(tour.output.find("== 2."), at) << tour.output;
    const std::string out = tour.output.substr(at);
    auto num = [&](const std::string& text, const std::string& label) {
        auto v = number_after(text, label);
        EXPECT_TRUE(v.has_value()) << "no number after \"" << label << "\" in:\n" << out;
        return v.value_or(-1);
    };
    // The rest of the line from `marker` on; step("long"): the "[long]
    // key=N ..." line of that step.
    auto line = [&](const std::string& marker) {
        const size_t from = out.find(marker);
        EXPECT_NE(from, std::string::npos) << "no \"" << marker << "\" in:\n" << out;
        if (from == std::string::npos) return std::string();
        return out.substr(from, out.find('\n', from) - from);
    };
    auto step = [&](const std::string& tag) { return line("[" + tag + "]"); };
    EXPECT_EQ(num(out, "Ps:"), procs) << out;

    // (1) Parked on a channel, a Mutex, a timer: no M went into the kernel
    // for them, nothing was handed off.
    const long long per_kind = num(out, "(1)");
    ASSERT_GT(per_kind, 0) << out;
    const std::string parked = line("parked:");
    EXPECT_EQ(num(parked, "parked:"), per_kind) << out;        // on a channel
    EXPECT_EQ(num(parked, "on a channel,"), per_kind) << out;  // on a Mutex
    EXPECT_EQ(num(parked, "on a Mutex,"), per_kind) << out;    // on a timer
    const std::string park = step("park");
    EXPECT_EQ(num(park, "parked="), 3 * per_kind) << out;
    EXPECT_EQ(num(park, "in_syscall="), 0) << out;
    EXPECT_EQ(num(park, "syscalls="), 0) << out;
    EXPECT_EQ(num(park, "handoffs="), 0) << out;
    EXPECT_EQ(num(park, "retakes="), 0) << out;

    // (2) Short syscalls: each came back on the fast path. Every exit that
    // was not fast is a retake (the thread descheduled inside a getpid for
    // a whole sysmon tick): with 1 P rare; with 2, one P is idle, and then
    // only a syscall of 10 ms is retaken.
    const long long calls = num(out, "getpid x");
    ASSERT_GT(calls, 0) << out;
    const std::string short_calls = step("short");
    EXPECT_EQ(num(short_calls, "syscalls="), calls) << out;
    EXPECT_EQ(num(short_calls, "fast=") + num(short_calls, "retakes="), calls) << out;
    if (procs == 1) {
        EXPECT_LE(num(short_calls, "retakes="), calls / 20) << out;
    } else {
        EXPECT_EQ(num(short_calls, "retakes="), 0) << out;
    }
    EXPECT_EQ(num(short_calls, "handoffs="), 0) << out;
    EXPECT_EQ(num(short_calls, "in_syscall="), 0) << out;

    // Steps 3 and 4 ran with every other P held.
    if (procs > 1) {
        EXPECT_EQ(num(out, "run a G that spins:"), procs - 1) << out;
    }

    // (3) A long read with Gs queued: sysmon took the P while the read was
    // still in the kernel, and another thread ran every queued G.
    const long long queued = num(out, "read on an empty pipe,");
    ASSERT_GT(queued, 0) << out;
    EXPECT_EQ(num(out, "ran while the read blocked:"), queued) << out;
    EXPECT_EQ(num(out, "on another thread than the reader's:"), queued) << out;
    const std::string long_call = step("long");
    EXPECT_EQ(num(long_call, "syscalls="), 1) << out;
    EXPECT_GE(num(long_call, "retakes="), 1) << out;
    EXPECT_EQ(num(long_call, "fast="), 0) << out;  // it came back to find its P gone
    EXPECT_EQ(num(long_call, "handoffs="), 0) << out;
    EXPECT_EQ(num(long_call, "in_syscall="), 1) << out;

    // (4) A wait known to block: the P left before the call, no retake
    // needed (the P never sat in Psyscall, so no fast exit either).
    EXPECT_EQ(num(out, "ran while the wait was in the kernel:"), 1) << out;
    const std::string block = step("block");
    EXPECT_GE(num(block, "handoffs="), 1) << out;
    EXPECT_EQ(num(block, "handoffs="), num(block, "syscalls=")) << out;
    EXPECT_EQ(num(block, "retakes="), 0) << out;
    EXPECT_EQ(num(block, "fast="), 0) << out;
    EXPECT_EQ(num(block, "in_syscall="), 1) << out;

    // blocking_call: released as for a syscall, and retaken by sysmon.
    EXPECT_EQ(num(out, "ran while the call was in progress:"), 1) << out;
    const std::string foreign = step("foreign");
    EXPECT_EQ(num(foreign, "blocking_calls="), 1) << out;
    EXPECT_EQ(num(foreign, "syscalls="), 1) << out;
    EXPECT_GE(num(foreign, "retakes="), 1) << out;
    EXPECT_EQ(num(foreign, "fast="), 0) << out;
    EXPECT_EQ(num(foreign, "handoffs="), 0) << out;

    // (5) The seed's case 4: the loop never called the runtime, yet the
    // sleeping G ran while it still looped, because a signal switched it out.
    EXPECT_NE(line("still running:").find("yes"), std::string::npos) << out;
    const std::string preempt = step("preempt");
    EXPECT_GE(num(preempt, "signals="), 1) << out;
    EXPECT_GE(num(preempt, "preempted="), 1) << out;
    EXPECT_LE(num(preempt, "preempted="), num(preempt, "signals=")) << out;

    // (6) A file read that waits: the writer ran on the reader's own
    // thread, nobody in a syscall, through the ring and, without a ring
    // (qemu-user), on the netpoller. Only the fallback's open went through
    // the scheduler.
    EXPECT_EQ(num(out, "the writer ran while the read waited:"), 1) << out;
    EXPECT_EQ(num(out, "on the reader's own thread:"), 1) << out;
    const std::string file = step("file");
    EXPECT_EQ(num(file, "in_syscall="), 0) << out;
    if (line("through the ring:").find("yes") != std::string::npos) {
        EXPECT_EQ(num(file, "syscalls="), 0) << out;
    } else {
        EXPECT_TRUE(rawrt::test::under_qemu()) << "no io_uring natively:\n" << out;
        EXPECT_EQ(num(file, "syscalls="), 1) << out;
    }
}

INSTANTIATE_TEST_SUITE_P(Procs, TourSyscalls, testing::Values(1, 2));

}  // namespace
