// exec/: child processes started without copying the parent (clone with
// CLONE_VM | CLONE_VFORK), their pipes in the netpoller, their end waited
// for on a pidfd, errors that leave nothing open. Every call runs on a G of
// a run; the checks come after the run returns.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>
#include <utility>

#include "exec/exec.hpp"
#include "exec/fork_exec.hpp"
#include "netpoll/signal_notify.hpp"
#include "sched/go.hpp"
#include "sys/calls.hpp"
#include "sys/sighandlers.hpp"
#include "tests/child_process.hpp"
#include "tests/proc_self.hpp"
#include "tests/temp_dir.hpp"

namespace {

namespace exec = rawrt::exec;
namespace sys = rawrt::sys;
using rawrt::test::count_entries;

// What a child wrote, read on a G: a fixed buffer (no glibc, hence no
// std::string, on a G).
struct Output {
    char bytes[512] = {};
    size_t size = 0;
    std::string str() const { return std::string(bytes, size); }
};

// Everything a child's pipe gives until its end, on a G.
void read_all(rawrt::fd::FD* fd, Output* out) {
    for (;;) {
        auto n = fd->read(out->bytes + out->size, sizeof out->bytes - out->size);
        if (!n.ok() || n.value() == 0) return;
        out->size += n.value();
    }
}

// The entries of a /proc directory, counted with rawrt's raw calls (on a G).
int count_on_g(const char* dir) {
    auto fd = sys::raw::openat(sys::kAT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!fd.ok()) return -1;
    alignas(8) char buf[4096];
    int n = 0;
    for (;;) {
        auto got = sys::raw::getdents64(fd.value(), buf, sizeof buf);
        if (!got.ok() || got.value() == 0) break;
        for (size_t at = 0; at < got.value(); at += reinterpret_cast<const sys::Dirent64*>(buf + at)->reclen) ++n;
    }
    (void)sys::raw::close(fd.value());
    return n;
}

// No child of this process is left, not even a zombie.
bool no_children() {
    siginfo_t info{};
    return ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == -1 && errno == ECHILD;
}

class Exec : public testing::Test {
protected:
    // qemu-user runs clone(CLONE_VM|CLONE_VFORK) as a fork of the whole
    // emulator, with the runtime's other threads gone from the child: a
    // lock of qemu's held by one of them at that moment is never released
    // there, and the child can hang before execve (seen in CI, in a
    // different test each time). Natively every case runs, and on aarch64
    // in an arm64 kernel under qemu-system (make test-aarch64-vm).
    void SetUp() override {
        if (rawrt::test::under_qemu())
            GTEST_SKIP() << "qemu-user forks for clone(CLONE_VM|CLONE_VFORK) from a threaded process: the child "
                            "can deadlock inside qemu; `make test-aarch64-vm` runs this case in an arm64 kernel";
        fds_before_ = count_entries("/proc/self/fd");
    }
    void TearDown() override {
        if (IsSkipped()) return;
        EXPECT_EQ(count_entries("/proc/self/fd"), fds_before_) << "a descriptor leaked";
        EXPECT_TRUE(no_children()) << "a child was left unreaped";
    }

private:
    int fds_before_ = 0;
};

TEST_F(Exec, RunsAProgramAndGetsItsExitCode) {
    exec::ProcessState t{}, f{};
    int rt = -1, rf = -1;
    auto r = rawrt::run({.procs = 1}, [&] {
        const char* tv[] = {"true", nullptr};
        const char* fv[] = {"false", nullptr};
        exec::Cmd ct("/bin/true", tv), cf("/bin/false", fv);
        rt = ct.run(&t).raw();
        rf = cf.run(&f).raw();
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(rt, 0);
    EXPECT_EQ(rf, 0);
    EXPECT_TRUE(t.exited());
    EXPECT_EQ(t.exit_code(), 0);
    EXPECT_EQ(f.exit_code(), 1);
    EXPECT_EQ(f.shell_status(), 1);
    EXPECT_GT(t.pid, 0);
}

TEST_F(Exec, PassesArgumentsEnvironmentAndDirectoryAndReadsAPipe) {
    Output out;
    exec::ProcessState st{};
    char real_tmp[4096];
    ASSERT_NE(::realpath("/tmp", real_tmp), nullptr);
    auto r = rawrt::run({.procs = 2}, [&] {
        const char* argv[] = {"sh", "-c", "echo \"$0|$1|$RAWRT_X|$(pwd)\"", "zero", "one", nullptr};
        const char* envp[] = {"RAWRT_X=ex", "PATH=/usr/bin:/bin", nullptr};
        exec::Cmd cmd("/bin/sh", argv);
        cmd.envp = envp;
        cmd.dir = "/tmp";
        cmd.stdio[1] = exec::Stdio::pipe();
        if (!cmd.start().ok()) return;
        read_all(cmd.pipe(1), &out);
        (void)cmd.wait(&st);
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(out.str(), std::string("zero|one|ex|") + real_tmp + "\n");
    EXPECT_EQ(st.exit_code(), 0);
}

TEST_F(Exec, WritesStdinAndReadsStdoutAndStderrThroughPipes) {
    Output out, err;
    auto r = rawrt::run({.procs = 2}, [&] {
        const char* argv[] = {"sh", "-c", "cat; echo oops >&2", nullptr};
        exec::Cmd cmd("/bin/sh", argv);
        for (auto& s : cmd.stdio) s = exec::Stdio::pipe();
        if (!cmd.start().ok()) return;
        (void)cmd.pipe(0)->write("hello", 5);
        (void)cmd.pipe(0)->close();  // end of its input
        rawrt::WaitGroup wg;
        wg.add(1);
        rawrt::go([&] {
            read_all(cmd.pipe(2), &err);
            wg.done();
        });
        read_all(cmd.pipe(1), &out);
        wg.wait();
        (void)cmd.wait();
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(out.str(), "hello");
    EXPECT_EQ(err.str(), "oops\n");
}

TEST_F(Exec, DevNullAndAnInheritedDescriptor) {
    Output out;
    auto r = rawrt::run({.procs = 1}, [&] {
        int p[2];
        if (!sys::raw::pipe2(p, O_CLOEXEC).ok()) return;
        const char* argv[] = {"sh", "-c", "read x; echo \"[$x]\"", nullptr};
        exec::Cmd cmd("/bin/sh", argv);
        cmd.stdio[0] = exec::Stdio::null();
        cmd.stdio[1] = exec::Stdio::from_fd(p[1]);  // the parent keeps its own copy
        exec::ProcessState st;
        (void)cmd.run(&st);
        (void)sys::raw::close(p[1]);
        auto n = sys::raw::read(p[0], out.bytes, sizeof out.bytes);
        if (n.ok()) out.size = n.value();
        (void)sys::raw::close(p[0]);
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(out.str(), "[]\n");
}

TEST_F(Exec, ABadProgramIsAnErrnoAndLeavesNothingOpen) {
    char no_exec[] = "/tmp/rawrt_exec_XXXXXX";
    const int fd = ::mkstemp(no_exec);
    ASSERT_GE(fd, 0);
    ::close(fd);
    ::chmod(no_exec, 0600);
    const char *missing = "", *directory = "", *denied = "EACCES", *bad_dir = "";
    const bool root = ::geteuid() == 0;  // root may open a 0600 file: the no-x case below covers it
    auto r = rawrt::run({.procs = 1}, [&] {
        const char* argv[] = {"x", nullptr};
        auto name = [&](const char* path, const char* dir) {
            exec::Cmd cmd(path, argv);
            cmd.dir = dir;
            for (auto& s : cmd.stdio) s = exec::Stdio::pipe();
            auto e = cmd.start();
            return e.ok() ? "OK" : e.error().name();
        };
        missing = name("/rawrt/no/such/program", nullptr);
        directory = name("/tmp", nullptr);
        if (!root) denied = name(no_exec, nullptr);
        bad_dir = name("/bin/true", "/rawrt/no/such/dir");
    });
    ::unlink(no_exec);
    ASSERT_TRUE(r.ok());
    EXPECT_STREQ(missing, "ENOENT");
    EXPECT_STREQ(directory, "EACCES");
    EXPECT_STREQ(denied, "EACCES");
    EXPECT_STREQ(bad_dir, "ENOENT");
}

TEST_F(Exec, RootCannotExecAFileWithNoExecuteBit) {
    char no_exec[] = "/tmp/rawrt_exec_XXXXXX";
    const int fd = ::mkstemp(no_exec);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, "#!/bin/sh\n", 10), 10);
    ::close(fd);
    ::chmod(no_exec, 0644);
    const char* e = "";
    auto r = rawrt::run({.procs = 1}, [&] {
        const char* argv[] = {"x", nullptr};
        exec::Cmd cmd(no_exec, argv);
        auto s = cmd.start();
        e = s.ok() ? "OK" : s.error().name();
    });
    ::unlink(no_exec);
    ASSERT_TRUE(r.ok());
    EXPECT_STREQ(e, "EACCES");
}

TEST_F(Exec, TheDescriptorLimitReachedMidSpawnLeavesNothingOpen) {
    rlimit old;
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
    constexpr int kRooms = 11;
    int results[kRooms] = {};  // 0 or the errno of each start()
    auto r = rawrt::run({.procs = 1}, [&] {
        // Room for a few of the descriptors a spawn with three pipes needs,
        // one more each time: every stage of start() meets EMFILE once.
        {
            // The poller exists before the limit is lowered: its own epoll
            // and eventfd are not what this test is about.
            const char* argv[] = {"true", nullptr};
            exec::Cmd warm("/bin/true", argv);
            warm.stdio[1] = exec::Stdio::pipe();
            (void)warm.run();
        }
        const int open_now = count_on_g("/proc/self/fd") - 3;  // ., .. and the directory's own fd
        for (int room = 0; room < kRooms; ++room) {
            rlimit64 lim{static_cast<uint64_t>(open_now + room), old.rlim_max};
            const rlimit64 back{old.rlim_cur, old.rlim_max};
            (void)sys::raw::prlimit64(0, RLIMIT_NOFILE, &lim, nullptr);
            const char* argv[] = {"true", nullptr};
            exec::Cmd cmd("/bin/true", argv);
            for (auto& s : cmd.stdio) s = exec::Stdio::pipe();
            auto e = cmd.start();
            (void)sys::raw::prlimit64(0, RLIMIT_NOFILE, &back, nullptr);
            results[room] = e.ok() ? 0 : e.error().code();
            if (e.ok()) (void)cmd.wait();
        }
    });
    ::setrlimit(RLIMIT_NOFILE, &old);
    ASSERT_TRUE(r.ok());
    std::string seen;
    for (int e : results) seen += std::to_string(e) + " ";
    EXPECT_NE(std::find(results, results + kRooms, EMFILE), results + kRooms) << seen;
    EXPECT_EQ(results[kRooms - 1], 0) << seen;
}

TEST_F(Exec, AKilledChildReportsItsSignal) {
    exec::ProcessState killed{}, termed{};
    int ended_signal = 0;
    auto r = rawrt::run({.procs = 1}, [&] {
        const char* argv[] = {"sleep", "100", nullptr};
        exec::Cmd a("/bin/sleep", argv), b("/bin/sleep", argv);
        if (!a.start().ok() || !b.start().ok()) return;
        (void)a.kill();
        (void)a.wait(&killed);
        (void)b.signal(SIGTERM);
        (void)b.wait(&termed);
        ended_signal = a.signal(SIGTERM).ok() ? 0 : ESRCH;  // waited for: no process to signal
    });
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(killed.exited());
    EXPECT_EQ(killed.signal(), SIGKILL);
    EXPECT_EQ(killed.exit_code(), -1);
    EXPECT_EQ(killed.shell_status(), 128 + SIGKILL);
    EXPECT_EQ(termed.signal(), SIGTERM);
    EXPECT_EQ(ended_signal, ESRCH);
}

// Many children at once, each waited for by its own G: they wait in the
// netpoller, so the threads stay few.
TEST_F(Exec, ManyChildrenAreWaitedForOnFewThreads) {
    const int n = rawrt::test::emulated() ? 10 : 100;
    std::atomic<int> ok{0};
    int most_threads = 0;
    const int threads_before = count_entries("/proc/self/task") - 2;
    auto r = rawrt::run({.procs = 2}, [&] {
        rawrt::WaitGroup started, done;
        started.add(n);
        done.add(n);
        for (int i = 0; i < n; ++i) {
            rawrt::go([&] {
                const char* argv[] = {"sleep", "0.3", nullptr};
                exec::Cmd cmd("/bin/sleep", argv);
                const bool s = cmd.start().ok();
                started.done();
                exec::ProcessState st;
                if (s && cmd.wait(&st).ok() && st.exit_code() == 0) ok.fetch_add(1);
                done.done();
            });
        }
        started.wait();
        most_threads = count_on_g("/proc/self/task") - 2;
        done.wait();
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(ok.load(), n);
    EXPECT_LE(most_threads - threads_before, 2 + 3) << "threads while " << n << " children ran";
}

// Each way execve fails, spawn after spawn, with every stdio a pipe: the
// same errno each time (the first spawn of the process reads it through the
// errno pipe, the later ones from the memory the child shares), nothing
// left open, no child left (TearDown).
TEST_F(Exec, EachFailedExecReportsItsErrnoSpawnAfterSpawn) {
    rawrt::test::TempDir dir;
    ASSERT_FALSE(dir.path().empty());
    const std::string garbage = dir / "garbage", no_exec = dir / "no_exec", file = dir / "file";
    for (const auto& [path, mode] : {std::pair{garbage, 0755}, {no_exec, 0644}, {file, 0644}}) {
        std::ofstream(path) << "no program\1\2\3";
        ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    }
    const std::string not_a_dir = file + "/x";
    const char* paths[] = {"/rawrt/no/such/program", garbage.c_str(), no_exec.c_str(), dir.path().c_str(),
                           not_a_dir.c_str()};
    constexpr int kRounds = 3;
    const char* names[kRounds][5] = {};
    auto r = rawrt::run({.procs = 1}, [&] {
        const char* argv[] = {"x", nullptr};
        for (auto& round : names) {
            for (int i = 0; i < 5; ++i) {
                exec::Cmd cmd(paths[i], argv);
                for (auto& s : cmd.stdio) s = exec::Stdio::pipe();
                auto e = cmd.start();
                round[i] = e.ok() ? "OK" : e.error().name();
                if (e.ok()) (void)cmd.wait();
            }
        }
    });
    ASSERT_TRUE(r.ok());
    for (const auto& round : names) {
        EXPECT_STREQ(round[0], "ENOENT");
        EXPECT_STREQ(round[1], "ENOEXEC");
        EXPECT_STREQ(round[2], "EACCES");
        EXPECT_STREQ(round[3], "EACCES");
        EXPECT_STREQ(round[4], "ENOTDIR");
    }
}

// After the first spawn, execve's errno comes back in the memory the child
// shares, not through a pipe: a spawn with the stdio inherited needs one
// descriptor, its pidfd, whether the program runs or execve fails.
TEST_F(Exec, ASpawnAfterTheFirstNeedsOneDescriptorOnly) {
    rlimit old;
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
    const char *ran = "", *missing = "";
    auto r = rawrt::run({.procs = 1}, [&] {
        const char* argv[] = {"x", nullptr};
        exec::Cmd warm("/bin/true", argv);
        (void)warm.run();
        // Every descriptor below the lowest free one is open: a limit just
        // above it leaves room for that one only.
        const int lowest = static_cast<int>(sys::raw::dup(0).value_or(-1));
        if (lowest < 0) return;
        (void)sys::raw::close(lowest);
        const rlimit64 one{static_cast<uint64_t>(lowest + 1), old.rlim_max}, back{old.rlim_cur, old.rlim_max};
        (void)sys::raw::prlimit64(0, RLIMIT_NOFILE, &one, nullptr);
        exec::Cmd a("/bin/true", argv), b("/rawrt/no/such/program", argv);
        auto eb = b.start();  // first: a's pidfd would take the room
        auto ea = a.start();
        (void)sys::raw::prlimit64(0, RLIMIT_NOFILE, &back, nullptr);
        ran = ea.ok() ? "OK" : ea.error().name();
        missing = eb.ok() ? "OK" : eb.error().name();
        if (ea.ok()) (void)a.wait();
    });
    ::setrlimit(RLIMIT_NOFILE, &old);
    ASSERT_TRUE(r.ok());
    EXPECT_STREQ(ran, "OK");
    EXPECT_STREQ(missing, "ENOENT");
}

// The child's first step: the runtime's handlers go back to SIG_DFL, an
// ignored signal stays ignored, a signal outside the set keeps its handler.
TEST(ExecChild, ResetsTheHandlersItIsGivenAndLeavesIgnoredSignalsIgnored) {
    struct sigaction handler{}, ignore{}, saved[3];
    handler.sa_handler = [](int) {};
    ignore.sa_handler = SIG_IGN;
    const int sigs[3] = {SIGUSR1, SIGUSR2, SIGWINCH};
    ASSERT_EQ(::sigaction(SIGUSR1, &handler, &saved[0]), 0);
    ASSERT_EQ(::sigaction(SIGUSR2, &ignore, &saved[1]), 0);
    ASSERT_EQ(::sigaction(SIGWINCH, &handler, &saved[2]), 0);
    exec::reset_signal_handlers(sys::signal_bit(SIGUSR1) | sys::signal_bit(SIGUSR2));
    struct sigaction now[3];
    for (int i = 0; i < 3; ++i) ::sigaction(sigs[i], &saved[i], &now[i]);
    EXPECT_EQ(now[0].sa_handler, SIG_DFL);
    EXPECT_EQ(now[1].sa_handler, SIG_IGN);
    EXPECT_EQ(now[2].sa_handler, handler.sa_handler);
}

// What the child is given to reset: every handler the runtime put in,
// its own (the faults', preemption's) and rawrt::signal::notify's.
TEST(ExecChild, KnowsEveryHandlerOfTheRuntimes) {
    auto r = rawrt::run({.procs = 1}, [] {
        if (rawrt::signal::notify({SIGUSR2}).ok()) rawrt::signal::stop();
    });
    ASSERT_TRUE(r.ok());
    const sys::SignalSet known = sys::runtime_handlers();
    for (int sig : {SIGSEGV, SIGBUS, SIGUSR2}) EXPECT_NE(known & sys::signal_bit(sig), 0u) << strsignal(sig);
    if (!rawrt::test::under_qemu()) {
        EXPECT_NE(known & sys::signal_bit(SIGURG), 0u) << "preemption's";
    }
}

TEST(ExecLookPath, FindsAProgramOnThePath) {
    char buf[256];
    ASSERT_TRUE(exec::look_path("sh", buf, sizeof buf).ok());
    EXPECT_EQ(::access(buf, X_OK), 0);
    EXPECT_EQ(std::string(exec::look_path("rawrt-no-such-program", buf, sizeof buf).error().name()), "ENOENT");
    EXPECT_EQ(std::string(exec::look_path("sh", buf, 3).error().name()), "ENAMETOOLONG");
}

}  // namespace
