// The runtime's allocator against glibc's, the same shape in one run.
//
//   BM_alloc_small          mallocgc + mfree of 64 bytes through a P's cache
//   BM_alloc_small_glibc    glibc malloc + free of 64 bytes (its tcache path)
//   BM_alloc_small_calloc   glibc calloc + free of 64 bytes: zeroed, like mallocgc
//   BM_alloc_small_central  mallocgc + mfree of 64 bytes with no cache: the
//                           central lock, what a thread without a P pays
//
// mallocgc returns zeroed memory and glibc's malloc does not: the 64-byte
// clear is part of what BM_alloc_small measures.

#include <benchmark/benchmark.h>

#include <cstdlib>

#include "bench/ratio_reporter.hpp"
#include "mem/malloc.hpp"

namespace {

using rawrt::mem::mallocgc;
using rawrt::mem::mfree;

void BM_alloc_small(benchmark::State& state) {
    rawrt::mem::mcache* c = rawrt::mem::allocmcache();
    for (auto _ : state) {
        void* p = mallocgc(64, c);
        benchmark::DoNotOptimize(p);
        mfree(p, c);
    }
    rawrt::mem::freemcache(c);
}
BENCHMARK(BM_alloc_small);

void BM_alloc_small_glibc(benchmark::State& state) {
    for (auto _ : state) {
        void* p = std::malloc(64);
        benchmark::DoNotOptimize(p);
        std::free(p);
    }
}
BENCHMARK(BM_alloc_small_glibc);

void BM_alloc_small_calloc(benchmark::State& state) {
    for (auto _ : state) {
        void* p = std::calloc(1, 64);
        benchmark::DoNotOptimize(p);
        std::free(p);
    }
}
BENCHMARK(BM_alloc_small_calloc);

void BM_alloc_small_central(benchmark::State& state) {
    for (auto _ : state) {
        void* p = mallocgc(64, nullptr);
        benchmark::DoNotOptimize(p);
        mfree(p, nullptr);
    }
}
BENCHMARK(BM_alloc_small_central);

}  // namespace

// No target is set for these rows.
RAWRT_BENCH_RATIO("BM_alloc_small", "BM_alloc_small_glibc", "none set (mallocgc also zeroes)");
RAWRT_BENCH_RATIO("BM_alloc_small", "BM_alloc_small_calloc", "none set (both zero)");
