// The seeds' experiments (examples/retake, fastpath, threadcount,
// lockstarve) run as real programs, under qemu on aarch64: each must exit 0
// and print the counts that prove its point. Never a duration: the
// latencies and speeds they print are for people to read.

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "tests/child_process.hpp"
#include "tests/temp_dir.hpp"

namespace {

using rawrt::test::build_path;
using rawrt::test::ChildResult;
using rawrt::test::run_command;

using rawrt::test::number_after;
using rawrt::test::emulated;

// Runs examples/<name_and_args> with `env` set and RAWRT_DEBUG cleared (the
// test's own environment must not change the program's behaviour). The
// timeout turns a scheduler that never ran the queued Gs into a failure
// instead of a hang.
ChildResult run_example(const std::string& env, const std::string& name_and_args) {
    return run_command("env -u RAWRT_DEBUG " + env + " timeout 300 " + rawrt::test::runner() + " " +
                       build_path("examples/" + name_and_args));
}

// The line of `text` that starts with `prefix` (without its newline), or "".
std::string line_starting(const std::string& text, const std::string& prefix) {
    size_t at = 0;
    while (at < text.size()) {
        const size_t end = text.find('\n', at);
        const std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
        if (line.compare(0, prefix.size(), prefix) == 0) return line;
        if (end == std::string::npos) break;
        at = end + 1;
    }
    return "";
}

// "N/M" right after `label`.
std::optional<std::pair<long long, long long>> fraction_after(const std::string& text, const std::string& label) {
    const size_t at = text.find(label);
    if (at == std::string::npos) return std::nullopt;
    const char* start = text.c_str() + at + label.size();
    char* slash = nullptr;
    const long long n = std::strtoll(start, &slash, 10);
    if (slash == start || *slash != '/') return std::nullopt;
    char* end = nullptr;
    const long long m = std::strtoll(slash + 1, &end, 10);
    if (end == slash + 1) return std::nullopt;
    return std::make_pair(n, m);
}

// Asserting helpers: a missing number fails the test and reads as -1.
long long num(const std::string& text, const std::string& label, const std::string& whole) {
    auto v = number_after(text, label);
    EXPECT_TRUE(v.has_value()) << "no number after \"" << label << "\" in:\n" << whole;
    return v.value_or(-1);
}

std::pair<long long, long long> frac(const std::string& text, const std::string& label, const std::string& whole) {
    auto v = fraction_after(text, label);
    EXPECT_TRUE(v.has_value()) << "no N/M after \"" << label << "\" in:\n" << whole;
    return v.value_or(std::make_pair(-1LL, -2LL));
}

// --- retake: scenario 3

TEST(ExampleRetake, TheQueuedGsRunWhileTheOnlyPsGBlocksInRead) {
    const int warm = emulated() ? 20 : 40, backedoff = emulated() ? 4 : 8;
    auto r = run_example("RAWRT_MAXPROCS=1", "retake " + std::to_string(warm) + " " + std::to_string(backedoff));
    const std::string& out = r.output;
    ASSERT_EQ(r.exit_status, 0) << out;
    const struct {
        std::string label;
        int trials;
    } cases[] = {{"warm", warm}, {"backed off", backedoff}, {"backed off, sysmon_prompt=0 (Go's way)", backedoff}};
    for (const auto& c : cases) {
        SCOPED_TRACE(c.label);
        // Every trial: each queued G ran while the read was still blocked,
        // which with one P only a retake makes possible.
        EXPECT_EQ(frac(out, c.label + ": other Gs ran while the read blocked:", out),
                  std::make_pair(1LL * c.trials, 1LL * c.trials));
        const std::string counts = line_starting(out, c.label + ": retakes ");
        EXPECT_EQ(num(counts, ": retakes", out), c.trials);  // one per read, none elsewhere
        EXPECT_EQ(num(counts, "syscalls", out), c.trials);
        EXPECT_EQ(num(counts, "exits fast", out), 0);  // every read came back to find its P gone
        EXPECT_EQ(num(counts, "idle P", out) + num(counts, "slow", out), c.trials);
    }
    // sysmon had backed off to its longest sleep before each backed-off read.
    for (const char* label :
         {"backed off: sysmon backed off to", "backed off, sysmon_prompt=0 (Go's way): sysmon backed off to"}) {
        const std::string line = line_starting(out, label);
        EXPECT_EQ(frac(line, "before the read:", out), std::make_pair(1LL * backedoff, 1LL * backedoff)) << label;
    }
    // rawrt's addition: each of them is watched from the read's start, by an
    // idle M woken then (which retakes the P itself) or by sysmon, woken.
    const std::string prompted = line_starting(out, "backed off: retakes ");
    EXPECT_GE(num(prompted, "by an M woken at the read", out) + num(prompted, "sysmon woken early", out), backedoff)
        << out;
}

TEST(ExampleRetake, WithMoreThanOnePItRunsItselfWithOneOrSaysWhy) {
    // Natively it re-executes itself with RAWRT_MAXPROCS=1; under qemu-user
    // (no binfmt_misc here) the exec fails and it says what to do.
    auto r = run_example("RAWRT_MAXPROCS=2", "retake 2 1");
    if (r.exit_status == 0) {
        EXPECT_EQ(frac(r.output, "warm: other Gs ran while the read blocked:", r.output), std::make_pair(2LL, 2LL));
    } else {
        EXPECT_EQ(r.exit_status, 2) << r.output;
        EXPECT_NE(r.output.find("run it with RAWRT_MAXPROCS=1"), std::string::npos) << r.output;
    }
    if (!emulated()) {
        EXPECT_EQ(r.exit_status, 0) << r.output;
    }
}

// --- fastpath: short syscalls never hand off

TEST(ExampleFastpath, EveryGetpidTakesTheFastPath) {
    const long long calls = emulated() ? 20'000 : 200'000;
    // Two Ps, so one is idle: nothing waits behind the syscalls. The retake
    // and preemption thresholds are set far out: on a loaded machine a
    // thread descheduled for 10 ms in the middle of a getpid would
    // otherwise be retaken, as Go would too.
    auto r = run_example("RAWRT_MAXPROCS=2 RAWRT_DEBUG=retake=100000000,preempt=100000000",
                         "fastpath " + std::to_string(calls));
    const std::string& out = r.output;
    ASSERT_EQ(r.exit_status, 0) << out;
    EXPECT_EQ(num(out, "syscalls entered:", out), calls);
    EXPECT_EQ(num(out, "exit_fast (its own P back):", out), calls);
    EXPECT_EQ(num(out, "exit_idle_p (P gone, took an idle one):", out), 0);
    EXPECT_EQ(num(out, "exit_slow (no P: G queued, M parked):", out), 0);
    EXPECT_EQ(num(out, "retakes:", out), 0);
    EXPECT_EQ(num(out, "handoffs by entersyscallblock:", out), 0);
}

// --- threadcount: the seed's workloads A-E

constexpr int kProcs = 2;
const std::string kTwoPs = "RAWRT_MAXPROCS=" + std::to_string(kProcs);

TEST(ExampleThreadcount, ParkedGsCostNoThreads) {
    const int n = emulated() ? 500 : 2000;
    auto r = run_example(kTwoPs, "threadcount A " + std::to_string(n));
    const std::string& out = r.output;
    ASSERT_EQ(r.exit_status, 0) << out;
    EXPECT_NE(out.find("A  " + std::to_string(n) + " Gs parked"), std::string::npos) << out;
    // An M per P and sysmon: the parked Gs hold none.
    const std::string line = line_starting(out, "A: ");
    EXPECT_GE(num(line, "threads at peak:", out), 2);
    EXPECT_LE(num(line, "threads at peak:", out), kProcs + 3) << out;
    EXPECT_LE(num(line, "threads_max:", out), kProcs + 3) << out;
}

TEST(ExampleThreadcount, ShortFileReadsAreSyscallsTheBooksBalance) {
    const int n = emulated() ? 300 : 2000;
    auto r = run_example(kTwoPs + " RAWRT_DEBUG=uring=0", "threadcount B " + std::to_string(n));
    const std::string& out = r.output;
    ASSERT_EQ(r.exit_status, 0) << out;
    // Without the ring, os::read_file's openat, read and the read that
    // finds the end, each through the scheduler (close is raw).
    const std::string counts = line_starting(out, "    syscalls ");
    const long long syscalls = num(counts, "syscalls", out);
    EXPECT_EQ(syscalls, 3LL * n) << out;
    EXPECT_EQ(num(counts, "fast", out) + num(counts, "idle P", out) + num(counts, "slow", out), syscalls) << out;
    EXPECT_EQ(num(out, "bytes read:", out), 10240LL * n) << out;
}

TEST(ExampleThreadcount, EachForeignCallInFlightHoldsAThreadUnlessBounded) {
    const int n = emulated() ? 200 : 1000;
    auto r = run_example(kTwoPs, "threadcount C " + std::to_string(n));
    const std::string& out = r.output;
    ASSERT_EQ(r.exit_status, 0) << out;
    const std::string bounded_calls = line_starting(out,
                                                    "C  " + std::to_string(n) + " foreign calls of 50 ms, at most 32");
    const std::string unbounded_calls = line_starting(out, "C  " + std::to_string(n) +
                                                               " foreign calls of 50 ms (blocking_call)");
    const long long bounded_in_flight = num(bounded_calls, "most in flight at once:", out);
    const long long unbounded_in_flight = num(unbounded_calls, "most in flight at once:", out);
    EXPECT_GE(bounded_in_flight, 1);
    EXPECT_LE(bounded_in_flight, 32);
    EXPECT_GT(unbounded_in_flight, 32) << out;

    const std::string bounded = line_starting(out, "C bounded by 32: ");
    const std::string unbounded = line_starting(out, "C unbounded: ");
    // The bounded half runs first, in a fresh process: its threads_max is
    // its own. Each call in flight held an M (sysmon has one more).
    EXPECT_GE(num(bounded, "threads_max:", out), bounded_in_flight + 1) << out;
    EXPECT_LE(num(bounded, "threads at peak:", out), 32 + kProcs + 10) << out;
    EXPECT_GE(num(unbounded, "threads_max:", out), unbounded_in_flight + 1) << out;
    EXPECT_GT(num(unbounded, "threads at peak:", out), num(bounded, "threads at peak:", out)) << out;
    // Both halves: every call went through blocking_call.
    const size_t second = out.find("C unbounded: ");
    ASSERT_NE(second, std::string::npos) << out;
    EXPECT_EQ(num(line_starting(out, "    syscalls "), "blocking calls", out), n) << out;
    EXPECT_EQ(num(line_starting(out.substr(second), "    syscalls "), "blocking calls", out), n) << out;
}

TEST(ExampleThreadcount, EveryLockedGHoldsItsOwnThread) {
    auto r = run_example(kTwoPs, "threadcount D 100");
    const std::string& out = r.output;
    ASSERT_EQ(r.exit_status, 0) << out;
    EXPECT_NE(out.find("D  100 Gs locked to their threads"), std::string::npos) << out;
    // 100 locked Ms asleep at once, and sysmon.
    EXPECT_GE(num(line_starting(out, "D: "), "threads_max:", out), 101) << out;
}

TEST(ExampleThreadcount, BurstsOfSyscallsBalanceTheBooks) {
    const int n = emulated() ? 32 : 64;
    auto r = run_example(kTwoPs, "threadcount E " + std::to_string(n));
    const std::string& out = r.output;
    ASSERT_EQ(r.exit_status, 0) << out;
    const std::string counts = line_starting(out, "    syscalls ");
    const long long syscalls = num(counts, "syscalls", out);
    EXPECT_EQ(syscalls, 3LL * n) << out;  // three bursts of n
    EXPECT_EQ(num(counts, "fast", out) + num(counts, "idle P", out) + num(counts, "slow", out), syscalls) << out;
}

// --json (what bench/go/threadbench reads): stdout is one JSON object per
// workload and nothing else; the lines for people go to stderr, dropped
// here. Ms are never ended in C, so the settled counts hold every M the
// calls needed: one per call in flight, and sysmon.
TEST(ExampleThreadcount, JsonPrintsOneObjectPerWorkloadOnStdout) {
    const int n = 100;
    auto r = run_command("{ env -u RAWRT_DEBUG " + kTwoPs + " timeout 300 " + rawrt::test::runner() + " " +
                         build_path("examples/threadcount") + " --json C " + std::to_string(n) + " 2>/dev/null; }");
    const std::string& out = r.output;
    ASSERT_EQ(r.exit_status, 0) << out;
    const std::string bounded = line_starting(out, "{\"runtime\":\"rawrt\",\"workload\":\"C_bounded\",");
    const std::string unbounded = line_starting(out, "{\"runtime\":\"rawrt\",\"workload\":\"C_unbounded\",");
    EXPECT_EQ(bounded.size() + unbounded.size() + 2, out.size()) << "more than two lines:\n" << out;
    for (const std::string& line : {bounded, unbounded}) {
        ASSERT_FALSE(line.empty()) << out;
        EXPECT_EQ(line.back(), '}') << line;
        EXPECT_EQ(num(line, "\"n\":", out), n);
        EXPECT_EQ(num(line, "\"procs\":", out), kProcs);
        const long long in_flight = num(line, "\"in_flight_max\":", out);
        EXPECT_GE(in_flight, 1) << line;
        EXPECT_GE(num(line, "\"settled_threads\":", out), in_flight + 1) << line;
        EXPECT_GE(num(line, "\"settled_os_threads\":", out), num(line, "\"settled_threads\":", out)) << line;
        EXPECT_GE(num(line, "\"peak_os_threads\":", out), 2) << line;
    }
    EXPECT_LE(num(bounded, "\"in_flight_max\":", out), 32) << bounded;
}

TEST(ExampleThreadcount, AllWorkloadsRunInOneProcess) {
    auto r = run_example(kTwoPs, "threadcount all 64");
    const std::string& out = r.output;
    ASSERT_EQ(r.exit_status, 0) << out;
    for (const char* line : {"A: ", "B: ", "C bounded by 32: ", "E: ", "F: ", "D: ", "C unbounded: "})
        EXPECT_NE(line_starting(out, line), "") << line << " missing in:\n" << out;
}

// A JSON object of names and numbers or strings, as threadcount prints it,
// parsed: its fields, or nothing when the text is not one such object.
std::optional<std::map<std::string, std::string>> flat_json(const std::string& text) {
    std::map<std::string, std::string> fields;
    size_t at = 0;
    const auto quoted = [&](std::string* out) {
        if (at >= text.size() || text[at] != '"') return false;
        const size_t end = text.find('"', at + 1);
        if (end == std::string::npos) return false;
        *out = text.substr(at + 1, end - at - 1);
        at = end + 1;
        return true;
    };
    if (text.empty() || text[at++] != '{') return std::nullopt;
    for (;;) {
        std::string name, value;
        if (!quoted(&name) || at >= text.size() || text[at++] != ':') return std::nullopt;
        if (!quoted(&value)) {
            const size_t start = at;
            if (at < text.size() && text[at] == '-') ++at;
            while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
            if (at == start || text[at - 1] == '-') return std::nullopt;
            value = text.substr(start, at - start);
        }
        if (!fields.emplace(name, value).second) return std::nullopt;
        if (at < text.size() && text[at] == ',') {
            ++at;
            continue;
        }
        if (at + 1 == text.size() && text[at] == '}') return fields;
        return std::nullopt;
    }
}

// B and F through rawrt::os, with the ring (/Ring: where there is one) and
// with the blocking syscalls (/Fallback: RAWRT_DEBUG=uring=0), counted:
// every read got the whole file, every synced file is there with its
// 4 KiB, the scheduler heard of the syscalls only without the ring, the
// JSON line parses, and the program's scratch directory, under a TMPDIR
// of the test's own, is gone.
class ExampleThreadcountFiles : public testing::TestWithParam<bool> {};

TEST_P(ExampleThreadcountFiles, EveryReadWholeEveryFileSyncedNothingLeft) {
    const bool ring = GetParam();
    rawrt::test::TempDir tmp("rawrt_threadcount");
    ASSERT_FALSE(tmp.path().empty());
    const std::string env = kTwoPs + " TMPDIR=" + tmp.path() + (ring ? "" : " RAWRT_DEBUG=uring=0");
    const long long nb = emulated() ? 200 : 1000, nf = emulated() ? 50 : 300;
    for (const auto& [letter, n] : {std::pair{std::string("B"), nb}, std::pair{std::string("F"), nf}}) {
        SCOPED_TRACE(letter);
        auto r = run_example(env, "threadcount --json " + letter + " " + std::to_string(n));
        const std::string& out = r.output;
        ASSERT_EQ(r.exit_status, 0) << out;
        const std::string line = line_starting(out, "{");
        const auto json = flat_json(line);
        ASSERT_TRUE(json.has_value()) << "not a JSON object: " << line;
        const auto field = [&](const char* name) {
            const auto it = json->find(name);
            EXPECT_NE(it, json->end()) << name << " missing in " << line;
            return it == json->end() ? -1LL : std::stoll(it->second);
        };
        EXPECT_EQ(json->at("runtime"), "rawrt");
        EXPECT_EQ(json->at("workload"), letter);
        EXPECT_EQ(field("n"), n);
        EXPECT_EQ(field("procs"), kProcs);
        const long long used_ring = field("ring");
        if (!ring) {
            EXPECT_EQ(used_ring, 0) << line;
        }
        if (ring && used_ring == 0 && letter == "B")
            std::printf("[ note ] %s: no io_uring ring here; /Ring ran the fallback\n", RAWRT_TEST_ARCH);
        // Through the ring the scheduler hears of no syscall (reads of
        // cached data are raw); without it, B's openat and two reads and
        // F's openat, write and fsync, each round (close is raw).
        const long long syscalls = num(line_starting(out, "    syscalls "), "syscalls", out);
        if (letter == "B") {
            EXPECT_EQ(field("bytes_read"), 10240 * n);
            EXPECT_EQ(field("reads_whole"), n);
            EXPECT_EQ(syscalls, used_ring ? 0 : 3 * n) << out;
        } else {
            EXPECT_EQ(field("errors"), 0);
            EXPECT_EQ(field("files_synced"), n);
            EXPECT_GT(field("files_per_s"), 0);
            EXPECT_EQ(syscalls, used_ring ? 0 : 4 * 3 * n) << out;
        }
        EXPECT_EQ(field("removed"), 1);
        EXPECT_TRUE(std::filesystem::is_empty(tmp.path())) << "left in " << tmp.path() << " after " << letter;
    }
}

INSTANTIATE_TEST_SUITE_P(Ways, ExampleThreadcountFiles, testing::Values(true, false),
                         [](const testing::TestParamInfo<bool>& i) { return i.param ? "Ring" : "Fallback"; });

// --- lockstarve: every P's G locked and in a slow syscall

class ExampleLockstarve : public testing::TestWithParam<int> {};

TEST_P(ExampleLockstarve, TheOtherGsRunWhileEveryLockedGIsBlocked) {
    const int procs = GetParam();
    auto r = run_example("RAWRT_MAXPROCS=" + std::to_string(procs), "lockstarve 100");
    const std::string& out = r.output;
    ASSERT_EQ(r.exit_status, 0) << out;
    EXPECT_EQ(num(out, "locked Gs:", out), procs);
    EXPECT_EQ(frac(out, "other Gs that started while every locked G was in its read:", out),
              std::make_pair(100LL, 100LL));
    EXPECT_EQ(frac(out, "other Gs that finished while every locked G was in its read:", out),
              std::make_pair(100LL, 100LL));
    EXPECT_EQ(frac(out, "locked Gs in read when the last had finished:", out),
              std::make_pair(1LL * procs, 1LL * procs));
    // The locked Ms kept their threads (in the kernel), and at least one
    // more M ran the others; sysmon is one more.
    const std::string blocked = line_starting(out, "while blocked:");
    EXPECT_EQ(num(blocked, "in a syscall", out), procs) << out;
    EXPECT_GE(num(blocked, "threads", out), procs + 2) << out;
    EXPECT_GE(num(blocked, "retakes", out), 1) << out;
    EXPECT_EQ(frac(out, "locked Gs back on their own threads:", out), std::make_pair(1LL * procs, 1LL * procs));
}

INSTANTIATE_TEST_SUITE_P(Procs, ExampleLockstarve, testing::Values(1, 2));

}  // namespace
