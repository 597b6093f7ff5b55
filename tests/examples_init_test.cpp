// examples/init, the container init: the child's status as its own (128 + N
// for a signal), each of the seven signals forwarded, orphans reaped (as a
// subreaper, and as PID 1 of a PID namespace where the kernel allows one).
// Under qemu-user init runs emulated and its children natively.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/child_process.hpp"

namespace {

using rawrt::test::build_path;
using rawrt::test::run_program;

std::string init_path() { return build_path("examples/init"); }

// A shell command line's single-quoted form.
std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

TEST(ExampleInit, ExitsWithTheChildsExitCode) {
    auto r = run_program(init_path() + " /bin/sh -c 'exit 3'");
    EXPECT_EQ(r.exit_status, 3) << r.output;
}

TEST(ExampleInit, AChildKilledBySignalNGives128PlusN) {
    auto r = run_program(init_path() + " /bin/sh -c 'kill -9 $$'");
    EXPECT_EQ(r.exit_status, 128 + SIGKILL) << r.output;
    r = run_program(init_path() + " /bin/sh -c 'kill -TERM $$'");
    EXPECT_EQ(r.exit_status, 128 + SIGTERM) << r.output;
}

TEST(ExampleInit, AMissingProgramIs127WithItsError) {
    auto r = run_program(init_path() + " /rawrt/no/such/program");
    EXPECT_EQ(r.exit_status, 127);
    EXPECT_NE(r.output.find("ENOENT"), std::string::npos) << r.output;
    r = run_program(init_path());
    EXPECT_EQ(r.exit_status, 2);
}

// Starts init with a shell that traps every forwarded signal (exiting 100 +
// its number) and says "ready"; sends init `sig`; returns init's status.
int forward_one(int sig) {
    std::string script;
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH})
        script += "trap 'exit " + std::to_string(100 + s) + "' " + std::to_string(s) + "; ";
    script += "echo ready; i=0; while [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; exit 1";
    std::vector<std::string> words;
    std::istringstream runner(rawrt::test::runner());
    for (std::string w; runner >> w;) words.push_back(w);
    for (std::string w : {init_path(), std::string("/bin/sh"), std::string("-c"), script}) words.push_back(w);
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    int out[2];
    if (::pipe(out) != 0) return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    pid_t pid = -1;
    const int spawned = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);  // qemu from PATH
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (spawned != 0) return -2;
    char buf[6] = {};
    const bool ready = ::read(out[0], buf, 6) == 6;
    ::close(out[0]);
    if (ready) ::kill(pid, sig);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

TEST(ExampleInit, ForwardsEachSignalToTheChild) {
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) {
        SCOPED_TRACE(strsignal(sig));
        EXPECT_EQ(forward_one(sig), 100 + sig);
    }
}

// The child leaves a grandchild behind (its parent, a subshell, exits at
// once) and waits until /proc no longer shows it: gone, not a zombie, means
// init reaped it. It exits 0 then, 1 if the orphan lingered for 10 s.
const char* kOrphanScript =
    "p=$(sh -c 'sleep 0.1 & echo $!'); i=0; "
    "while [ $i -lt 200 ]; do [ -e /proc/$p ] || exit 0; sleep 0.05; i=$((i+1)); done; exit 1";

TEST(ExampleInit, ReapsAnOrphanAsASubreaper) {
    auto r = run_program(init_path() + " /bin/sh -c " + quoted(kOrphanScript));
    EXPECT_EQ(r.exit_status, 0) << "the orphan was not reaped: " << r.output;
}

TEST(ExampleInit, ReapsAnOrphanAsPid1OfAPidNamespace) {
    if (rawrt::test::run_command("unshare --pid --fork --mount-proc true").exit_status != 0)
        GTEST_SKIP() << "the kernel (or the sandbox) allows no PID namespace here";
    auto r = rawrt::test::run_command("unshare --pid --fork --mount-proc " + rawrt::test::runner() + " " +
                                      init_path() + " /bin/sh -c " +
                                      quoted(std::string("[ $PPID = 1 ] || exit 9; ") + kOrphanScript));
    EXPECT_EQ(r.exit_status, 0) << r.output;
}

}  // namespace
