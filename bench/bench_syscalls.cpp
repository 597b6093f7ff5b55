// What entering the kernel costs through each path, side by side in one run.
//
//   BM_getpid_stub        rawrt::sys::raw::getpid (Go's RawSyscall), on a G
//   BM_getpid_blocking    rawrt::sys::getpid (Go's Syscall), on a G: the
//                         scheduler running and its hooks installed, so every
//                         call goes through entersyscall/exitsyscall
//   BM_getpid_interleaved the two flavours alternating on one G: the
//                         enter+exit overhead without the noise between runs
//   BM_entersyscall_exitsyscall  the two hooks with no syscall between
//   BM_getpid_stub_thread      the raw stub on the plain benchmark thread
//   BM_getpid_stub_ret_thread  the same with the stub as it was: `syscall; ret`
//                              (arch/x86_64/syscall.S says why it now ends in
//                              pop and a notrack jmp; aarch64 keeps `ret`)
//   BM_getpid_blocking_unhooked  sys::getpid there, no run: the hook check alone
//   BM_getpid_inline      an inline-asm syscall: the floor
//   BM_getpid_glibc       glibc's syscall(SYS_getpid)
//   BM_clock_gettime_vdso     rawrt::vdso::clock_gettime(CLOCK_MONOTONIC)
//   BM_clock_gettime_glibc    glibc's clock_gettime (also through the vDSO)
//   BM_clock_gettime_syscall  rawrt::sys::raw::clock_gettime: the kernel entry it saves
//
// getpid is the classic null syscall: no caching in glibc since 2.25, no work
// in the kernel beyond the entry and exit.
//
// The enter+exit overhead is BM_getpid_blocking - BM_getpid_stub, so both
// are measured the same way: on a G inside rawrt::run (default procs, as Go's
// side runs at its default GOMAXPROCS), max_iterations calls timed with
// rawrt's vDSO clock and handed to the library as manual time (the State
// stays on the benchmark thread: runtime threads must not call libc, see
// bench_sched.cpp). Their only difference is the wrapper. The plain-thread
// rows keep the glibc and inline comparisons within one harness.

#include <benchmark/benchmark.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "bench/ratio_reporter.hpp"
#include "sched/go.hpp"
#include "sched/stats.hpp"
#include "sched/entersyscall.hpp"
#include "sys/calls.hpp"
#include "bench/on_g.hpp"
#include "vdso/vdso.hpp"

namespace {

using rawrt::bench::process_cpu_ns;

struct OnG {
    int64_t wall_ns = 0;
    int64_t cpu_ns = 0;
    bool ok = false;
    rawrt::SchedStats stats;
};

// `calls` getpids in a loop on the main G of a run.
template <bool kBlocking>
OnG time_getpid_on_g(int64_t calls) {
    OnG t;
    auto r = rawrt::run({}, [&] {
        const int64_t cpu0 = process_cpu_ns(), wall0 = rawrt::vdso::nanotime();
        for (int64_t i = 0; i < calls; ++i) {
            if constexpr (kBlocking) benchmark::DoNotOptimize(rawrt::sys::getpid().raw());
            else benchmark::DoNotOptimize(rawrt::sys::raw::getpid().raw());
        }
        t.wall_ns = rawrt::vdso::nanotime() - wall0;
        t.cpu_ns = process_cpu_ns() - cpu0;
    });
    t.ok = r.ok();
    t.stats = rawrt::stats();
    return t;
}

template <bool kBlocking>
void getpid_on_g(benchmark::State& state) {
    const int64_t n = state.max_iterations;
    const OnG t = time_getpid_on_g<kBlocking>(n);
    if (!t.ok || n <= 0) {
        state.SkipWithError("rawrt::run failed");
        return;
    }
    const double per_call = static_cast<double>(t.wall_ns) * 1e-9 / static_cast<double>(n);
    for (auto _ : state) state.SetIterationTime(per_call);
    state.counters["cpu_ns"] = static_cast<double>(t.cpu_ns) / static_cast<double>(n);
    if constexpr (kBlocking) {
        // Every call should leave by the fast path; the rest say how often
        // sysmon took the P anyway (its 10 ms rule: one G, no reschedule).
        const double entered = static_cast<double>(t.stats.syscalls);
        state.counters["fast_exits"] = entered > 0 ? static_cast<double>(t.stats.exit_fast) / entered : 0;
        state.counters["retakes"] = static_cast<double>(t.stats.retakes);
    }
}

void BM_getpid_stub(benchmark::State& state) { getpid_on_g<false>(state); }
BENCHMARK(BM_getpid_stub)->UseManualTime();

void BM_getpid_blocking(benchmark::State& state) { getpid_on_g<true>(state); }
BENCHMARK(BM_getpid_blocking)->UseManualTime();

// The overhead again, robust to this machine's noise: a getpid costs over a
// microsecond here and other tenants come and go, so two benchmarks run a
// second apart can differ by more than the 10 ns looked for. Here chunks of
// kChunk calls of each flavour alternate on the same G, and enter_exit_ns
// is the median over chunk pairs of (Syscall chunk - RawSyscall chunk) per
// call (enter_exit_mean_ns: the mean). The time column is the Syscall
// flavour's per call. Go's side: BM_go_getpid_interleaved.
constexpr int64_t kChunk = 256;

void BM_getpid_interleaved(benchmark::State& state) {
    const int64_t pairs = std::max<int64_t>(1, state.max_iterations / kChunk);
    std::vector<int64_t> diff(static_cast<size_t>(pairs));  // sized here: no allocation on a G
    int64_t blocking_ns = 0, raw_ns = 0;
    auto r = rawrt::run({}, [&] {
        for (int64_t p = 0; p < pairs; ++p) {
            const int64_t t0 = rawrt::vdso::nanotime();
            for (int64_t i = 0; i < kChunk; ++i) benchmark::DoNotOptimize(rawrt::sys::getpid().raw());
            const int64_t t1 = rawrt::vdso::nanotime();
            for (int64_t i = 0; i < kChunk; ++i) benchmark::DoNotOptimize(rawrt::sys::raw::getpid().raw());
            const int64_t t2 = rawrt::vdso::nanotime();
            blocking_ns += t1 - t0;
            raw_ns += t2 - t1;
            diff[static_cast<size_t>(p)] = (t1 - t0) - (t2 - t1);
        }
    });
    if (!r.ok()) {
        state.SkipWithError("rawrt::run failed");
        return;
    }
    const double calls = static_cast<double>(pairs * kChunk);
    const double per_call = static_cast<double>(blocking_ns) * 1e-9 / calls;
    for (auto _ : state) state.SetIterationTime(per_call);
    std::sort(diff.begin(), diff.end());
    state.counters["enter_exit_ns"] = static_cast<double>(diff[diff.size() / 2]) / static_cast<double>(kChunk);
    state.counters["enter_exit_mean_ns"] = static_cast<double>(blocking_ns - raw_ns) / calls;
    state.counters["raw_ns"] = static_cast<double>(raw_ns) / calls;
}
BENCHMARK(BM_getpid_interleaved)->UseManualTime();

// The hooks alone, no kernel entry between them: sched::entersyscall then
// sched::exitsyscall (what sys::getpid adds to the raw stub), `pairs` times
// on a G. On this VM a syscall's return leaves caches and TLB colder, which
// the two getpid rows above charge to the hooks; this row is their own cost.
// Go's side calls runtime.entersyscall/exitsyscall the same way
// (BM_go_entersyscall_exitsyscall).
void BM_entersyscall_exitsyscall(benchmark::State& state) {
    const int64_t pairs = state.max_iterations;
    int64_t wall_ns = 0, cpu_ns = 0;
    auto r = rawrt::run({}, [&] {
        const int64_t cpu0 = process_cpu_ns(), wall0 = rawrt::vdso::nanotime();
        for (int64_t i = 0; i < pairs; ++i) {
            rawrt::sched::entersyscall();
            benchmark::ClobberMemory();
            rawrt::sched::exitsyscall();
        }
        wall_ns = rawrt::vdso::nanotime() - wall0;
        cpu_ns = process_cpu_ns() - cpu0;
    });
    if (!r.ok() || pairs <= 0) {
        state.SkipWithError("rawrt::run failed");
        return;
    }
    const double per_pair = static_cast<double>(wall_ns) * 1e-9 / static_cast<double>(pairs);
    for (auto _ : state) state.SetIterationTime(per_pair);
    state.counters["cpu_ns"] = static_cast<double>(cpu_ns) / static_cast<double>(pairs);
}
BENCHMARK(BM_entersyscall_exitsyscall)->UseManualTime();

void BM_getpid_stub_thread(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(rawrt::sys::raw::getpid().raw());
}
BENCHMARK(BM_getpid_stub_thread);

// A copy of rawrt_syscall0 as it was, ending in ret, for the row above.
extern "C" long bench_syscall0_ret(long nr);
#if defined(__x86_64__)
asm(R"(
    .text
    .globl  bench_syscall0_ret
    .type   bench_syscall0_ret, @function
    .p2align 4
bench_syscall0_ret:
    endbr64
    mov     %rdi, %rax
    syscall
    ret
    .size   bench_syscall0_ret, .-bench_syscall0_ret
)");
#else
asm(R"(
    .text
    .globl  bench_syscall0_ret
    .type   bench_syscall0_ret, %function
    .p2align 4
bench_syscall0_ret:
    mov     x8, x0
    svc     #0
    ret
    .size   bench_syscall0_ret, .-bench_syscall0_ret
)");
#endif

void BM_getpid_stub_ret_thread(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(bench_syscall0_ret(__NR_getpid));
}
BENCHMARK(BM_getpid_stub_ret_thread);

void BM_getpid_blocking_unhooked(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(rawrt::sys::getpid().raw());
}
BENCHMARK(BM_getpid_blocking_unhooked);

long inline_getpid() {
    long ret;
#if defined(__x86_64__)
    asm volatile("syscall" : "=a"(ret) : "a"(long{__NR_getpid}) : "rcx", "r11", "memory");
#else
    register long x8 asm("x8") = __NR_getpid;
    register long x0 asm("x0");
    asm volatile("svc #0" : "=r"(x0) : "r"(x8) : "memory");
    ret = x0;
#endif
    return ret;
}

void BM_getpid_inline(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(inline_getpid());
}
BENCHMARK(BM_getpid_inline);

void BM_getpid_glibc(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(syscall(SYS_getpid));
}
BENCHMARK(BM_getpid_glibc);

void BM_clock_gettime_vdso(benchmark::State& state) {
    struct timespec ts;
    if (!rawrt::vdso::uses_vdso(rawrt::vdso::Function::clock_gettime))
        state.SkipWithError("no vDSO clock_gettime here");
    for (auto _ : state) {
        benchmark::DoNotOptimize(rawrt::vdso::clock_gettime(CLOCK_MONOTONIC, &ts).raw());
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_clock_gettime_vdso);

void BM_clock_gettime_glibc(benchmark::State& state) {
    struct timespec ts;
    for (auto _ : state) {
        benchmark::DoNotOptimize(clock_gettime(CLOCK_MONOTONIC, &ts));
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_clock_gettime_glibc);

void BM_clock_gettime_syscall(benchmark::State& state) {
    struct timespec ts;
    for (auto _ : state) {
        benchmark::DoNotOptimize(rawrt::sys::raw::clock_gettime(CLOCK_MONOTONIC, &ts).raw());
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_clock_gettime_syscall);

}  // namespace

RAWRT_BENCH_RATIO("BM_getpid_stub_thread", "BM_getpid_glibc", "<= 1");
RAWRT_BENCH_RATIO("BM_getpid_blocking", "BM_getpid_stub", "enter+exit: <= 10 ns over it (bench/go: <= 0.25x Go's)");
RAWRT_BENCH_RATIO("BM_getpid_stub", "BM_getpid_stub_thread", "~ 1 (the on-G harness)");
RAWRT_BENCH_RATIO("BM_getpid_blocking_unhooked", "BM_getpid_stub_thread", "~ 1 (hooks not installed)");
RAWRT_BENCH_RATIO("BM_getpid_inline", "BM_getpid_stub_thread", "the floor");
RAWRT_BENCH_RATIO("BM_getpid_stub_thread", "BM_getpid_inline", "<= 1.03 (the stub at the floor)");
RAWRT_BENCH_RATIO("BM_getpid_stub_ret_thread", "BM_getpid_inline", "none (the stub as it was: ret after syscall)");
RAWRT_BENCH_RATIO("BM_clock_gettime_vdso", "BM_clock_gettime_glibc", "<= 1.03");
RAWRT_BENCH_RATIO("BM_clock_gettime_vdso", "BM_clock_gettime_syscall", "<= 0.2 (5x faster)");
