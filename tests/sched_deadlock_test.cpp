// Deadlock detection in a freestanding program (Go's checkdead): when no G can
// ever run again, the process prints exactly Go's message on stderr and exits
// with status 2. tests/programs/deadlock is run as a child (under qemu on
// aarch64), its stdout and stderr captured apart.

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/child_process.hpp"

namespace {

using rawrt::test::build_path;
using rawrt::test::run_command;

struct Outcome {
    std::string out;
    std::string err;
    int exit_status = -1;
    int signal = 0;
};

// Runs tests/programs/deadlock with one argument; stderr goes to a file.
Outcome run_deadlock(const std::string& how) {
    char err_path[] = "/tmp/rawrt_deadlock_stderr_XXXXXX";
    const int fd = ::mkstemp(err_path);
    if (fd < 0) return {};
    ::close(fd);
    const std::string runner = rawrt::test::runner();
    // The subshell's stderr goes to the file, its stdout to run_command's pipe.
    auto child = run_command("( " + (runner.empty() ? "" : runner + " ") + build_path("tests/programs/deadlock") + " " +
                             how + " 2>" + err_path + " )");
    Outcome o;
    o.out = child.output;
    o.exit_status = child.exit_status;
    o.signal = child.signal;
    std::ifstream in(err_path);
    std::ostringstream text;
    text << in.rdbuf();
    o.err = text.str();
    ::unlink(err_path);
    return o;
}

constexpr const char* kDeadlock = "fatal error: all goroutines are asleep - deadlock!\n";

TEST(SchedDeadlock, MainBlockedOnAChannelReceiveIsFatal) {
    Outcome o = run_deadlock("chan");
    EXPECT_EQ(o.out, "main blocks on a channel receive\n");
    EXPECT_EQ(o.err, kDeadlock);
    EXPECT_EQ(o.exit_status, 2) << "signal " << o.signal;
}

TEST(SchedDeadlock, EveryGBlockedOnAMutexIsFatal) {
    Outcome o = run_deadlock("mutex");
    EXPECT_EQ(o.out, "main blocks on a mutex\n");
    EXPECT_EQ(o.err, kDeadlock);
    EXPECT_EQ(o.exit_status, 2) << "signal " << o.signal;
}

TEST(SchedDeadlock, AnEmptySelectIsFatal) {
    Outcome o = run_deadlock("select");
    EXPECT_EQ(o.out, "main blocks in an empty select\n");
    EXPECT_EQ(o.err, kDeadlock);
    EXPECT_EQ(o.exit_status, 2) << "signal " << o.signal;
}

// The control: a sleeping main has a timer that will wake it.
TEST(SchedDeadlock, ASleepingMainIsNotADeadlock) {
    Outcome o = run_deadlock("sleep");
    EXPECT_EQ(o.out, "main sleeps\n");
    EXPECT_EQ(o.err, "");
    EXPECT_EQ(o.exit_status, 0) << "signal " << o.signal;
}

}  // namespace
