// The bare context switch, rawrt's against Boost.Context's, the same shape in
// one run: the benchmark's thread and one partner context bounce control back
// and forth. One iteration is a round trip, two switches; items/s counts
// switches.
//
//   BM_switch_asm     rawrt_context_switch (arch/<arch>/context_switch.S)
//   BM_switch_boost   boost::context::detail::jump_fcontext, the reference
//
// Both save and restore the same state on x86_64 (the six callee-saved
// registers, MXCSR and the x87 control word). The target: asm <= boost.

#include <benchmark/benchmark.h>
#include <boost/context/detail/fcontext.hpp>

#include <cstddef>
#include <memory>

#include "arch/arch.hpp"
#include "bench/ratio_reporter.hpp"
#include "sched/context.hpp"

namespace {

constexpr size_t kStackSize = 64 * 1024;

struct AsmPair {
    rawrt::sched::Context main{};
    rawrt::sched::Context partner{};
};

void asm_partner(void* arg) {
    auto* pair = static_cast<AsmPair*>(arg);
    for (;;) rawrt_context_switch(&pair->partner, &pair->main);
}

void BM_switch_asm(benchmark::State& state) {
    auto stack = std::make_unique<unsigned char[]>(kStackSize);
    AsmPair pair;
    rawrt::sched::make_context(&pair.partner, stack.get(), kStackSize, asm_partner, &pair);
    for (auto _ : state) rawrt_context_switch(&pair.main, &pair.partner);
    state.SetItemsProcessed(2 * state.iterations());
    // The partner stays suspended in its loop; its stack goes away with it.
}
BENCHMARK(BM_switch_asm);

namespace fctx = boost::context::detail;

void boost_partner(fctx::transfer_t from) {
    for (;;) from = fctx::jump_fcontext(from.fctx, nullptr);
}

void BM_switch_boost(benchmark::State& state) {
    auto stack = std::make_unique<unsigned char[]>(kStackSize);
    // make_fcontext takes the top of the stack: stacks grow down.
    fctx::fcontext_t partner = fctx::make_fcontext(stack.get() + kStackSize, kStackSize, boost_partner);
    for (auto _ : state) partner = fctx::jump_fcontext(partner, nullptr).fctx;
    state.SetItemsProcessed(2 * state.iterations());
}
BENCHMARK(BM_switch_boost);

}  // namespace

RAWRT_BENCH_RATIO("BM_switch_asm", "BM_switch_boost", "<= 1");
