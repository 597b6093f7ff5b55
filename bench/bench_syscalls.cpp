// What entering the kernel costs through each path, side by side in one run.
//
//   BM_getpid_stub        rawrt::sys::raw::getpid (Go's RawSyscall)
//   BM_getpid_blocking    rawrt::sys::getpid (Go's Syscall) with no hooks installed
//   BM_getpid_inline      an inline-asm syscall: the floor
//   BM_getpid_glibc       glibc's syscall(SYS_getpid)
//   BM_clock_gettime_vdso     rawrt::vdso::clock_gettime(CLOCK_MONOTONIC)
//   BM_clock_gettime_glibc    glibc's clock_gettime (also through the vDSO)
//   BM_clock_gettime_syscall  rawrt::sys::raw::clock_gettime: the kernel entry it saves
//
// getpid is the classic null syscall: no caching in glibc since 2.25, no work
// in the kernel beyond the entry and exit.

#include <benchmark/benchmark.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench/ratio_reporter.hpp"
#include "sys/calls.hpp"
#include "vdso/vdso.hpp"

namespace {

void BM_getpid_stub(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(rawrt::sys::raw::getpid().raw());
}
BENCHMARK(BM_getpid_stub);

void BM_getpid_blocking(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(rawrt::sys::getpid().raw());
}
BENCHMARK(BM_getpid_blocking);

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

RAWRT_BENCH_RATIO("BM_getpid_stub", "BM_getpid_glibc", "<= 1");
RAWRT_BENCH_RATIO("BM_getpid_blocking", "BM_getpid_stub", "~ 1 (hooks not installed)");
RAWRT_BENCH_RATIO("BM_getpid_inline", "BM_getpid_stub", "the floor");
RAWRT_BENCH_RATIO("BM_clock_gettime_vdso", "BM_clock_gettime_glibc", "<= 1.03");
RAWRT_BENCH_RATIO("BM_clock_gettime_vdso", "BM_clock_gettime_syscall", "<= 0.2 (5x faster)");
