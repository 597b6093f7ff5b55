// Starting /bin/true and waiting for it:
//
//   BM_spawn_wait           rawrt::exec::Cmd::run on a G (clone with CLONE_VM |
//                           CLONE_VFORK, the wait parked on the pidfd)
//   BM_spawn_wait_glibc     glibc's posix_spawn + waitpid on the benchmark thread
//   BM_spawn_wait_floor     the least a spawner can do: clone(CLONE_VM | CLONE_VFORK),
//                           execve at once in the child (no signal handling), a
//                           blocking waitid (docs/processes.md, what a spawn costs)
//   BM_spawn_100_threads    100 Gs each start /bin/sleep 0.3 and wait for it, 2 Ps:
//                           counter threads_peak, the most tasks in /proc/self/task
//                           meanwhile (this program's two own threads not counted)
//
// Go's exec.Command("/bin/true").Run() is bench/go's spawn_wait. The time per
// spawn is manual wall time (counter cpu_ns: the process's CPU time per spawn).
#include <benchmark/benchmark.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "bench/on_g.hpp"
#include "bench/task_peak.hpp"
#include "exec/exec.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"

namespace {

using rawrt::bench::Stopwatch;
using rawrt::bench::TaskPeak;
using rawrt::bench::Timing;

Timing spawn_on_g(int64_t n) {
    Timing t;
    bool all = true;
    auto r = rawrt::run({.procs = 1}, [&] {
        const char* argv[] = {"true", nullptr};
        Stopwatch w;
        w.start();
        for (int64_t i = 0; i < n; ++i) {
            rawrt::exec::Cmd cmd("/bin/true", argv);
            rawrt::exec::ProcessState st;
            all &= cmd.run(&st).ok() && st.exit_code() == 0;
        }
        w.stop(t, n);
    });
    t.ok = r.ok() && all;
    return t;
}

void BM_spawn_wait(benchmark::State& state) {
    const Timing t = spawn_on_g(state.max_iterations);
    if (!t.ok) {
        state.SkipWithError("a spawn failed");
        return;
    }
    for (auto _ : state) state.SetIterationTime(static_cast<double>(t.wall_ns) / 1e9 / t.operations);
    state.counters["cpu_ns"] = static_cast<double>(t.cpu_ns) / t.operations;
}
BENCHMARK(BM_spawn_wait)->UseManualTime()->Unit(benchmark::kMicrosecond)->MinTime(0.5);

void BM_spawn_wait_glibc(benchmark::State& state) {
    char* argv[] = {const_cast<char*>("true"), nullptr};
    for (auto _ : state) {
        pid_t pid;
        int status = -1;
        if (::posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ) != 0 ||
            ::waitpid(pid, &status, 0) != pid || status != 0) {
            state.SkipWithError("posix_spawn failed");
            return;
        }
    }
}
BENCHMARK(BM_spawn_wait_glibc)->Unit(benchmark::kMicrosecond)->MinTime(0.5);

// The floor's child: nothing before execve, and the raw exit if it fails
// (it shares the parent's memory: no libc exit handlers).
int floor_child(void*) {
    static char arg0[] = "true";
    static char* argv[] = {arg0, nullptr};
    ::syscall(SYS_execve, "/bin/true", argv, environ);
    ::syscall(SYS_exit, 127);
    return 127;
}

void BM_spawn_wait_floor(benchmark::State& state) {
    alignas(16) static char stack[16 * 1024];
    for (auto _ : state) {
        const int pid = ::clone(floor_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, nullptr);
        siginfo_t info{};
        if (pid < 0 || ::waitid(P_PID, pid, &info, WEXITED) != 0 || info.si_status != 0) {
            state.SkipWithError("clone failed");
            return;
        }
    }
}
BENCHMARK(BM_spawn_wait_floor)->Unit(benchmark::kMicrosecond)->MinTime(0.5);

void BM_spawn_100_threads(benchmark::State& state) {
    constexpr int kChildren = 100;
    std::atomic<int> ok{0};
    TaskPeak peak;
    Timing t;
    auto r = rawrt::run({.procs = 2}, [&] {
        Stopwatch w;
        w.start();
        rawrt::WaitGroup wg;
        wg.add(kChildren);
        for (int i = 0; i < kChildren; ++i)
            rawrt::go([&] {
                const char* argv[] = {"sleep", "0.3", nullptr};
                rawrt::exec::Cmd cmd("/bin/sleep", argv);
                rawrt::exec::ProcessState st;
                if (cmd.run(&st).ok() && st.exit_code() == 0) ok.fetch_add(1);
                wg.done();
            });
        wg.wait();
        w.stop(t, 1);
    });
    const int threads_peak = peak.stop();
    if (!r.ok() || ok.load() != kChildren) {
        state.SkipWithError("a child failed");
        return;
    }
    for (auto _ : state) state.SetIterationTime(static_cast<double>(t.wall_ns) / 1e9);
    state.counters["threads_peak"] = threads_peak;
}
BENCHMARK(BM_spawn_100_threads)->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
