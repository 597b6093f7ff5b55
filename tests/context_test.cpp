// The assembly context switch (arch/<arch>/context_switch.S, context_start.S,
// gogo.S, mcall.S, systemstack.S) and make_context (sched/context.cpp).
//
// Register preservation is checked from inside one inline-asm block
// (run_probe): it loads chosen values into every callee-saved register, calls
// the routine under test, and stores what the registers hold when the call
// returns. The compiler never sees those values, so it cannot keep a copy of
// them elsewhere and make a broken switch look correct. The other side of each
// switch runs its own probe with different values, so any register the
// assembly forgot to restore comes back holding the other side's value.
//
// Code running on a context's own stack records into plain structs; the
// GoogleTest assertions run on the test's stack afterwards (an ASSERT_ would
// return from the context's function, which is itself a fatal error).

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "arch/arch.hpp"
#include "arch/offsets.hpp"
#include "sched/context.hpp"

namespace {

using rawrt::sched::Context;
using rawrt::sched::make_context;

// --- a stack for a context, or for mcall / systemstack to move to

class Stack {
public:
    explicit Stack(size_t size = 64 * 1024) : size_(size) {
        // A guard page below, so an overflow faults instead of corrupting the heap.
        const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
        mapping_size_ = size_ + page;
        void* p = ::mmap(nullptr, mapping_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1,
                         0);
        if (p == MAP_FAILED) std::abort();
        ::mprotect(p, page, PROT_NONE);
        mapping_ = static_cast<unsigned char*>(p);
        base_ = mapping_ + page;
    }
    ~Stack() { ::munmap(mapping_, mapping_size_); }
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    void* base() const { return base_; }
    size_t size() const { return size_; }
    void* top() const { return base_ + size_; }
    bool contains(uintptr_t address) const {
        const auto b = reinterpret_cast<uintptr_t>(base_);
        return address >= b && address < b + size_;
    }
    bool contains(const void* p) const { return contains(reinterpret_cast<uintptr_t>(p)); }
    // A stack pointer may equal the top: a leaf function on aarch64 pushes nothing.
    bool holds_sp(uintptr_t sp) const {
        const auto b = reinterpret_cast<uintptr_t>(base_);
        return sp > b && sp <= b + size_;
    }

private:
    size_t size_;
    size_t mapping_size_;
    unsigned char* mapping_;
    unsigned char* base_;
};

// The stack pointer of the caller: the address of the frame it runs in.
[[gnu::always_inline]] inline uintptr_t current_sp() {
    uintptr_t sp;
#if defined(__x86_64__)
    asm volatile("mov %%rsp, %0" : "=r"(sp));
#else
    asm volatile("mov %0, sp" : "=r"(sp));
#endif
    return sp;
}

// Where a function runs: the address of a 16-byte-aligned local and its frame
// address. With a correctly aligned sp at entry both are multiples of 16
// (x86_64: rbp = entry rsp - 8, with entry rsp % 16 == 8; aarch64: x29 = sp);
// the compiler only trusts the ABI here, it does not realign for 16.
struct EntryRecord {
    uintptr_t local = 0;
    uintptr_t frame = 0;
    bool aligned() const { return local % 16 == 0 && frame % 16 == 0; }
};

[[gnu::noinline]] void record_entry(EntryRecord* record) {
    alignas(16) volatile unsigned char local[16];
    local[0] = 1;
    record->local = reinterpret_cast<uintptr_t>(&local[0]);
    record->frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
}

// --- the callee-saved register probe

#if defined(__x86_64__)
constexpr int kCalleeSaved = 6;  // rbx, rbp, r12, r13, r14, r15
const char* const kRegisterNames[kCalleeSaved] = {"rbx", "rbp", "r12", "r13", "r14", "r15"};
#elif defined(__aarch64__)
constexpr int kCalleeSaved = 19;  // x19..x28, x29 (fp), d8..d15
const char* const kRegisterNames[kCalleeSaved] = {"x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28",
                                                  "x29", "d8",  "d9",  "d10", "d11", "d12", "d13", "d14", "d15"};
#endif

// One call fn(args[0..3]) made from assembly with in[] in the callee-saved
// registers; out[] receives what they hold when fn returns.
struct Probe {
    uintptr_t fn = 0;
    uintptr_t args[4] = {};
    uint64_t in[kCalleeSaved] = {};
    uint64_t out[kCalleeSaved] = {};
};
constexpr size_t kProbeFn = offsetof(Probe, fn);
constexpr size_t kProbeArgs = offsetof(Probe, args);
constexpr size_t kProbeIn = offsetof(Probe, in);
constexpr size_t kProbeOut = offsetof(Probe, out);
static_assert(kProbeFn == 0 && kProbeArgs == 8 && kProbeIn == 40);
static_assert(kProbeOut == kProbeIn + 8 * kCalleeSaved);

[[gnu::noinline]] void run_probe(Probe* probe) {
#if defined(__x86_64__)
    asm volatile(
        "mov    %%rsp, %%rax\n\t"
        "lea    -128(%%rsp), %%rsp\n\t"  // past the red zone: the call pushes
        "and    $-16, %%rsp\n\t"
        "push   %%rax\n\t"      // the old rsp
        "push   %%rbp\n\t"      // rbp cannot be a clobber: saved by hand
        "push   %%rdi\n\t"      // the probe
        "sub    $8, %%rsp\n\t"  // rsp % 16 == 0 at the call
        "mov    %c[in]+0(%%rdi), %%rbx\n\t"
        "mov    %c[in]+8(%%rdi), %%rbp\n\t"
        "mov    %c[in]+16(%%rdi), %%r12\n\t"
        "mov    %c[in]+24(%%rdi), %%r13\n\t"
        "mov    %c[in]+32(%%rdi), %%r14\n\t"
        "mov    %c[in]+40(%%rdi), %%r15\n\t"
        "mov    %c[fn](%%rdi), %%rax\n\t"
        "mov    %c[args]+8(%%rdi), %%rsi\n\t"
        "mov    %c[args]+16(%%rdi), %%rdx\n\t"
        "mov    %c[args]+24(%%rdi), %%rcx\n\t"
        "mov    %c[args]+0(%%rdi), %%rdi\n\t"
        "call   *%%rax\n\t"
        "add    $8, %%rsp\n\t"
        "pop    %%rdi\n\t"
        "mov    %%rbx, %c[out]+0(%%rdi)\n\t"
        "mov    %%rbp, %c[out]+8(%%rdi)\n\t"
        "mov    %%r12, %c[out]+16(%%rdi)\n\t"
        "mov    %%r13, %c[out]+24(%%rdi)\n\t"
        "mov    %%r14, %c[out]+32(%%rdi)\n\t"
        "mov    %%r15, %c[out]+40(%%rdi)\n\t"
        "pop    %%rbp\n\t"
        "pop    %%rsp\n\t"
        : "+D"(probe)
        : [fn] "i"(kProbeFn), [args] "i"(kProbeArgs), [in] "i"(kProbeIn), [out] "i"(kProbeOut)
        : "rax", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "rbx", "r12", "r13", "r14", "r15", "xmm0", "xmm1",
          "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
          "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)", "memory", "cc");
#elif defined(__aarch64__)
    register Probe* x0 asm("x0") = probe;
    asm volatile(
        "stp    x29, x30, [sp, #-32]!\n\t"  // x29 cannot be a clobber: saved by hand
        "str    x0, [sp, #16]\n\t"          // the probe
        "ldp    x19, x20, [x0, #%c[in]+0]\n\t"
        "ldp    x21, x22, [x0, #%c[in]+16]\n\t"
        "ldp    x23, x24, [x0, #%c[in]+32]\n\t"
        "ldp    x25, x26, [x0, #%c[in]+48]\n\t"
        "ldp    x27, x28, [x0, #%c[in]+64]\n\t"
        "ldr    x29, [x0, #%c[in]+80]\n\t"
        "ldp    d8, d9, [x0, #%c[in]+88]\n\t"
        "ldp    d10, d11, [x0, #%c[in]+104]\n\t"
        "ldp    d12, d13, [x0, #%c[in]+120]\n\t"
        "ldp    d14, d15, [x0, #%c[in]+136]\n\t"
        "ldr    x9, [x0, #%c[fn]]\n\t"
        "ldp    x2, x3, [x0, #%c[args]+16]\n\t"
        "ldp    x0, x1, [x0, #%c[args]+0]\n\t"
        "blr    x9\n\t"
        "ldr    x9, [sp, #16]\n\t"
        "stp    x19, x20, [x9, #%c[out]+0]\n\t"
        "stp    x21, x22, [x9, #%c[out]+16]\n\t"
        "stp    x23, x24, [x9, #%c[out]+32]\n\t"
        "stp    x25, x26, [x9, #%c[out]+48]\n\t"
        "stp    x27, x28, [x9, #%c[out]+64]\n\t"
        "str    x29, [x9, #%c[out]+80]\n\t"
        "stp    d8, d9, [x9, #%c[out]+88]\n\t"
        "stp    d10, d11, [x9, #%c[out]+104]\n\t"
        "stp    d12, d13, [x9, #%c[out]+120]\n\t"
        "stp    d14, d15, [x9, #%c[out]+136]\n\t"
        "ldp    x29, x30, [sp], #32\n\t"
        : "+r"(x0)
        : [fn] "i"(kProbeFn), [args] "i"(kProbeArgs), [in] "i"(kProbeIn), [out] "i"(kProbeOut)
        : "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17",
          "x18", "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x30", "v0", "v1", "v2", "v3",
          "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19",
          "v20", "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "memory", "cc");
#endif
}

template <class Fn>
Probe make_probe(unsigned side, Fn* fn, uintptr_t a0 = 0, uintptr_t a1 = 0, uintptr_t a2 = 0, uintptr_t a3 = 0) {
    Probe probe;
    probe.fn = reinterpret_cast<uintptr_t>(fn);
    probe.args[0] = a0;
    probe.args[1] = a1;
    probe.args[2] = a2;
    probe.args[3] = a3;
    // Distinct per register and per side, none of them a plausible pointer.
    for (int i = 0; i < kCalleeSaved; ++i)
        probe.in[i] = 0xc5a1000000000000ull | (uint64_t{side} << 24) | (uint64_t(i + 1) * 0x10101);
    return probe;
}

template <class T>
uintptr_t word(T* p) {
    return reinterpret_cast<uintptr_t>(p);
}

// Registers whose value did not survive, or "" when all did.
std::string lost_registers(const Probe& probe) {
    std::string lost;
    for (int i = 0; i < kCalleeSaved; ++i)
        if (probe.out[i] != probe.in[i]) lost += std::string(lost.empty() ? "" : " ") + kRegisterNames[i];
    return lost;
}

// --- ping-pong

struct PingPong {
    Context main{};
    Context partner{};
    long rounds = 0;
    long ball = 0;  // main writes i, the partner answers i + 1
    long partner_hits = 0;
    long mismatches = 0;
};

void ping_pong_partner(void* arg) {
    auto* s = static_cast<PingPong*>(arg);
    for (;;) {
        ++s->partner_hits;
        s->ball += 1;
        rawrt_context_switch(&s->partner, &s->main);
    }
}

TEST(ContextSwitch, PingPongManyTimes) {
    Stack stack;
    PingPong s;
    make_context(&s.partner, stack.base(), stack.size(), ping_pong_partner, &s);
    const long kRounds = 100000;
    for (long i = 0; i < kRounds; ++i) {
        s.ball = 2 * i;
        rawrt_context_switch(&s.main, &s.partner);
        if (s.ball != 2 * i + 1) ++s.mismatches;
    }
    EXPECT_EQ(s.partner_hits, kRounds);
    EXPECT_EQ(s.mismatches, 0);
    // The partner is suspended inside its own stack, not on ours.
    EXPECT_TRUE(stack.contains(s.partner.sp));
}

// Three contexts passing a token around a ring: each switch saves into one
// context and loads another, never the pair it was saved with.
struct Ring {
    Context main{};
    Context node[3]{};
    int order[30] = {};
    int steps = 0;
};
struct RingNode {
    Ring* ring;
    int index;
};

void ring_node(void* arg) {
    auto* n = static_cast<RingNode*>(arg);
    Ring* r = n->ring;
    for (;;) {
        r->order[r->steps++] = n->index;
        Context* next = r->steps == 30 ? &r->main : &r->node[(n->index + 1) % 3];
        rawrt_context_switch(&r->node[n->index], next);
    }
}

TEST(ContextSwitch, RingOfThree) {
    Stack stacks[3];
    Ring r;
    RingNode nodes[3] = {{&r, 0}, {&r, 1}, {&r, 2}};
    for (int i = 0; i < 3; ++i) make_context(&r.node[i], stacks[i].base(), stacks[i].size(), ring_node, &nodes[i]);
    rawrt_context_switch(&r.main, &r.node[0]);
    ASSERT_EQ(r.steps, 30);
    for (int i = 0; i < 30; ++i) EXPECT_EQ(r.order[i], i % 3) << "step " << i;
}

TEST(ContextSwitch, SaveEqualToLoadResumesTheCallerAtOnce) {
    Context self{};
    const uintptr_t sp = current_sp();
    rawrt_context_switch(&self, &self);
    EXPECT_EQ(current_sp(), sp);
    // The frame it saved is on our stack, just below where we are.
    EXPECT_LT(word(self.sp), sp);
    EXPECT_GE(word(self.sp), sp - 4096);
}

// --- callee-saved registers across every kind of suspension

enum class Resume { kSwitch, kGogo };

struct RegisterSwap {
    Context main{};
    Context other{};
    Resume resume = Resume::kSwitch;
    int rounds = 0;
    Probe other_probes[4];
    int other_done = 0;
};

// The far side: its own values in every callee-saved register, then back to
// main (by a switch, so the far side's own registers are checked too when
// main resumes it, or by gogo, which saves nothing and ends this context).
void register_clobberer(void* arg) {
    auto* s = static_cast<RegisterSwap*>(arg);
    for (;;) {
        Probe& p = s->other_probes[s->other_done];
        if (s->resume == Resume::kGogo) {
            p = make_probe(2, &rawrt_gogo, word(&s->main));
        } else {
            p = make_probe(2 + s->other_done, &rawrt_context_switch, word(&s->other), word(&s->main));
        }
        run_probe(&p);  // returns only when main switches here again
        ++s->other_done;
    }
}

TEST(ContextRegisters, CalleeSavedSurviveASwitch) {
    Stack stack;
    RegisterSwap s;
    make_context(&s.other, stack.base(), stack.size(), register_clobberer, &s);
    for (int round = 0; round < 4; ++round) {
        Probe p = make_probe(100 + round, &rawrt_context_switch, word(&s.main), word(&s.other));
        run_probe(&p);
        EXPECT_EQ(lost_registers(p), "") << "main side, round " << round;
        // The other side's probe of the previous round has returned by now.
        EXPECT_EQ(s.other_done, round);
        if (round > 0) {
            EXPECT_EQ(lost_registers(s.other_probes[round - 1]), "") << "other side, round " << round - 1;
        }
    }
    // The probe really ran with the values given (a probe that never loaded
    // them would "preserve" the compiler's own).
    Probe plain = make_probe(7, &rawrt_context_switch, word(&s.main), word(&s.main));
    run_probe(&plain);
    EXPECT_EQ(lost_registers(plain), "");
    EXPECT_EQ(plain.out[0], plain.in[0]);
}

TEST(ContextRegisters, CalleeSavedSurviveGogoBack) {
    Stack stack;
    RegisterSwap s;
    s.resume = Resume::kGogo;
    for (int round = 0; round < 3; ++round) {
        // gogo ends the other context: start a fresh one on the same stack.
        s.other_done = 0;
        make_context(&s.other, stack.base(), stack.size(), register_clobberer, &s);
        const void* first_frame = s.other.sp;
        Probe p = make_probe(200 + round, &rawrt_context_switch, word(&s.main), word(&s.other));
        run_probe(&p);
        EXPECT_EQ(lost_registers(p), "") << "round " << round;
        // gogo saved nothing: the other context still names its first frame.
        EXPECT_EQ(s.other.sp, first_frame);
        EXPECT_EQ(s.other_done, 0);
    }
}

// --- floating-point control state

#if defined(__x86_64__)
uint32_t read_mxcsr() {
    uint32_t v;
    asm volatile("stmxcsr %0" : "=m"(v));
    return v;
}
void write_mxcsr(uint32_t v) { asm volatile("ldmxcsr %0" : : "m"(v)); }
uint16_t read_fpcw() {
    uint16_t v;
    asm volatile("fnstcw %0" : "=m"(v));
    return v;
}
void write_fpcw(uint16_t v) { asm volatile("fldcw %0" : : "m"(v)); }

constexpr uint32_t kMxcsrRoundingMask = 0x6000, kMxcsrTowardZero = 0x6000;
constexpr uint16_t kFpcwRoundingMask = 0x0c00, kFpcwTowardZero = 0x0c00;
constexpr uint32_t kMxcsrFlags = 0x3f;  // sticky exception flags: not control state

// The test's own thread must leave with the state it came with.
struct FpStateGuard {
    uint32_t mxcsr = read_mxcsr();
    uint16_t fpcw = read_fpcw();
    ~FpStateGuard() {
        write_mxcsr(mxcsr);
        write_fpcw(fpcw);
    }
};

struct FpSwap {
    Context main{};
    Context other{};
    uint32_t other_mxcsr[5] = {};
    uint16_t other_fpcw[5] = {};
    int other_seen = 0;
};

void toward_zero_context(void* arg) {
    auto* s = static_cast<FpSwap*>(arg);
    write_mxcsr((read_mxcsr() & ~kMxcsrRoundingMask) | kMxcsrTowardZero);
    write_fpcw(static_cast<uint16_t>((read_fpcw() & ~kFpcwRoundingMask) | kFpcwTowardZero));
    for (;;) {
        rawrt_context_switch(&s->other, &s->main);
        s->other_mxcsr[s->other_seen] = read_mxcsr();
        s->other_fpcw[s->other_seen] = read_fpcw();
        ++s->other_seen;
    }
}

TEST(ContextFloatingPoint, RoundingModeTravelsWithItsContext) {
    FpStateGuard guard;
    Stack stack;
    FpSwap s;
    make_context(&s.other, stack.base(), stack.size(), toward_zero_context, &s);
    for (int round = 0; round < 5; ++round) {
        rawrt_context_switch(&s.main, &s.other);
        // Back here: round to nearest, whatever the other context set.
        EXPECT_EQ(read_mxcsr() & ~kMxcsrFlags, guard.mxcsr & ~kMxcsrFlags) << "round " << round;
        EXPECT_EQ(read_fpcw(), guard.fpcw) << "round " << round;
        EXPECT_EQ(read_mxcsr() & kMxcsrRoundingMask, 0u);
        // And rounding really is to nearest here: 1 + 3/4 ulp rounds up.
        volatile double one = 1.0, bit = 0x1.8p-53;
        EXPECT_EQ(one + bit, 1.0 + 0x1p-52);
    }
    ASSERT_EQ(s.other_seen, 4);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(s.other_mxcsr[i] & kMxcsrRoundingMask, kMxcsrTowardZero) << "resume " << i;
        EXPECT_EQ(s.other_fpcw[i] & kFpcwRoundingMask, kFpcwTowardZero) << "resume " << i;
    }
}

void toward_zero_then_gogo(void* arg) {
    auto* s = static_cast<FpSwap*>(arg);
    write_mxcsr((read_mxcsr() & ~kMxcsrRoundingMask) | kMxcsrTowardZero);
    write_fpcw(static_cast<uint16_t>((read_fpcw() & ~kFpcwRoundingMask) | kFpcwTowardZero));
    s->other_seen = 1;
    rawrt_gogo(&s->main);
}

TEST(ContextFloatingPoint, GogoRestoresTheResumedEnvironment) {
    FpStateGuard guard;
    Stack stack;
    FpSwap s;
    make_context(&s.other, stack.base(), stack.size(), toward_zero_then_gogo, &s);
    rawrt_context_switch(&s.main, &s.other);
    const uint32_t mxcsr = read_mxcsr();
    const uint16_t fpcw = read_fpcw();
    EXPECT_EQ(s.other_seen, 1);
    EXPECT_EQ(mxcsr & ~kMxcsrFlags, guard.mxcsr & ~kMxcsrFlags);
    EXPECT_EQ(fpcw, guard.fpcw);
}

struct McallFp {
    Context g{};
    uint32_t g0_mxcsr = 0;
    uint16_t g0_fpcw = 0;
};

void nearest_on_g0(void* g) {
    auto* s = static_cast<McallFp*>(g);
    s->g0_mxcsr = read_mxcsr();
    s->g0_fpcw = read_fpcw();
    write_mxcsr(read_mxcsr() & ~kMxcsrRoundingMask);
    write_fpcw(static_cast<uint16_t>(read_fpcw() & ~kFpcwRoundingMask));
    rawrt_gogo(&s->g);
}

TEST(ContextFloatingPoint, McallSavesTheCallersEnvironment) {
    FpStateGuard guard;
    Stack g0;
    McallFp s;
    const uint32_t mine = (guard.mxcsr & ~kMxcsrFlags) | kMxcsrTowardZero;
    const uint16_t mine_fpcw = guard.fpcw | kFpcwTowardZero;
    write_mxcsr(mine);
    write_fpcw(mine_fpcw);
    rawrt_mcall(&s.g, g0.top(), nearest_on_g0, &s);
    const uint32_t back = read_mxcsr();
    const uint16_t back_fpcw = read_fpcw();
    write_mxcsr(guard.mxcsr);
    write_fpcw(guard.fpcw);
    // fn ran with the caller's environment, changed it, and the caller got its own back.
    EXPECT_EQ(s.g0_mxcsr & ~kMxcsrFlags, mine);
    EXPECT_EQ(s.g0_fpcw, mine_fpcw);
    EXPECT_EQ(back & ~kMxcsrFlags, mine);
    EXPECT_EQ(back_fpcw, mine_fpcw);
}

struct FreshFp {
    Context main{};
    Context fresh{};
    uint32_t mxcsr = 0;
    uint16_t fpcw = 0;
};

void record_fp_at_start(void* arg) {
    auto* s = static_cast<FreshFp*>(arg);
    s->mxcsr = read_mxcsr();
    s->fpcw = read_fpcw();
    rawrt_context_switch(&s->fresh, &s->main);
    for (;;) rawrt_context_switch(&s->fresh, &s->main);
}

TEST(ContextFloatingPoint, FreshContextStartsWithTheDefaultEnvironment) {
    FpStateGuard guard;
    // Everything non-default the creator can set: rounding, flush-to-zero,
    // an unmasked exception, x87 rounding and precision.
    const uint32_t odd_mxcsr = (0x1f80 | kMxcsrTowardZero | 0x8000) & ~0x0200u;  // FTZ, ZE unmasked
    const uint16_t odd_fpcw = (0x037f | kFpcwTowardZero) & ~0x0300;              // 24-bit precision
    write_mxcsr(odd_mxcsr);
    write_fpcw(odd_fpcw);
    Stack stack;
    FreshFp s;
    make_context(&s.fresh, stack.base(), stack.size(), record_fp_at_start, &s);
    rawrt_context_switch(&s.main, &s.fresh);
    const uint32_t back_mxcsr = read_mxcsr();
    const uint16_t back_fpcw = read_fpcw();
    write_mxcsr(guard.mxcsr);
    write_fpcw(guard.fpcw);
    EXPECT_EQ(s.mxcsr, uint32_t{RAWRT_CONTEXT_DEFAULT_MXCSR});
    EXPECT_EQ(s.fpcw, uint16_t{RAWRT_CONTEXT_DEFAULT_FPCW});
    EXPECT_EQ(RAWRT_CONTEXT_DEFAULT_MXCSR, 0x1f80);
    EXPECT_EQ(RAWRT_CONTEXT_DEFAULT_FPCW, 0x037f);
    // The creator got its own state back.
    EXPECT_EQ(back_mxcsr & ~kMxcsrFlags, odd_mxcsr);
    EXPECT_EQ(back_fpcw, odd_fpcw);
}

#elif defined(__aarch64__)
// AAPCS64 does not make FPCR callee-saved, and context_switch.S documents that
// it is not switched: every context on a thread shares one rounding mode.
// These tests hold the assembly to that contract.
uint64_t read_fpcr() {
    uint64_t v;
    asm volatile("mrs %0, fpcr" : "=r"(v));
    return v;
}
void write_fpcr(uint64_t v) { asm volatile("msr fpcr, %0" : : "r"(v)); }
constexpr uint64_t kFpcrRoundingMask = 3u << 22, kFpcrTowardZero = 3u << 22;

struct FpStateGuard {
    uint64_t fpcr = read_fpcr();
    ~FpStateGuard() { write_fpcr(fpcr); }
};

struct FpSwap {
    Context main{};
    Context other{};
    uint64_t other_fpcr[5] = {};
    int other_seen = 0;
};

void toward_zero_context(void* arg) {
    auto* s = static_cast<FpSwap*>(arg);
    for (;;) {
        s->other_fpcr[s->other_seen++] = read_fpcr();
        write_fpcr((read_fpcr() & ~kFpcrRoundingMask) | kFpcrTowardZero);
        rawrt_context_switch(&s->other, &s->main);
    }
}

TEST(ContextFloatingPoint, RoundingModeTravelsWithItsContext) {
    // On aarch64 it does not: the mode set on one side is seen on the other.
    FpStateGuard guard;
    Stack stack;
    FpSwap s;
    make_context(&s.other, stack.base(), stack.size(), toward_zero_context, &s);
    for (int round = 0; round < 5; ++round) {
        write_fpcr(guard.fpcr & ~kFpcrRoundingMask);  // to nearest
        rawrt_context_switch(&s.main, &s.other);
        EXPECT_EQ(read_fpcr() & kFpcrRoundingMask, kFpcrTowardZero) << "round " << round;
        // And rounding really is toward zero here: 1 + 3/4 ulp rounds down.
        volatile double one = 1.0, bit = 0x1.8p-53;
        EXPECT_EQ(one + bit, 1.0) << "round " << round;
    }
    write_fpcr(guard.fpcr);
    ASSERT_EQ(s.other_seen, 5);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(s.other_fpcr[i] & kFpcrRoundingMask, 0u) << "resume " << i;
}

void toward_zero_then_gogo(void* arg) {
    auto* s = static_cast<FpSwap*>(arg);
    s->other_fpcr[0] = read_fpcr();
    write_fpcr((read_fpcr() & ~kFpcrRoundingMask) | kFpcrTowardZero);
    s->other_seen = 1;
    rawrt_gogo(&s->main);
}

TEST(ContextFloatingPoint, GogoRestoresTheResumedEnvironment) {
    // On aarch64 gogo leaves FPCR alone, as a switch does.
    FpStateGuard guard;
    Stack stack;
    FpSwap s;
    make_context(&s.other, stack.base(), stack.size(), toward_zero_then_gogo, &s);
    write_fpcr(guard.fpcr & ~kFpcrRoundingMask);
    rawrt_context_switch(&s.main, &s.other);
    const uint64_t fpcr = read_fpcr();
    write_fpcr(guard.fpcr);
    EXPECT_EQ(s.other_seen, 1);
    EXPECT_EQ(s.other_fpcr[0] & kFpcrRoundingMask, 0u);
    EXPECT_EQ(fpcr & kFpcrRoundingMask, kFpcrTowardZero);
}

struct McallFp {
    Context g{};
    uint64_t g0_fpcr = 0;
};

void nearest_on_g0(void* g) {
    auto* s = static_cast<McallFp*>(g);
    s->g0_fpcr = read_fpcr();
    write_fpcr(read_fpcr() & ~kFpcrRoundingMask);
    rawrt_gogo(&s->g);
}

TEST(ContextFloatingPoint, McallSavesTheCallersEnvironment) {
    // On aarch64 it does not: what fn sets on g0 is what the caller sees.
    FpStateGuard guard;
    Stack g0;
    McallFp s;
    write_fpcr((guard.fpcr & ~kFpcrRoundingMask) | kFpcrTowardZero);
    rawrt_mcall(&s.g, g0.top(), nearest_on_g0, &s);
    const uint64_t back = read_fpcr();
    write_fpcr(guard.fpcr);
    EXPECT_EQ(s.g0_fpcr & kFpcrRoundingMask, kFpcrTowardZero);
    EXPECT_EQ(back & kFpcrRoundingMask, 0u);
}

struct FreshFp {
    Context main{};
    Context fresh{};
    uint64_t fpcr = 0;
};

void record_fp_at_start(void* arg) {
    auto* s = static_cast<FreshFp*>(arg);
    s->fpcr = read_fpcr();
    for (;;) rawrt_context_switch(&s->fresh, &s->main);
}

TEST(ContextFloatingPoint, FreshContextStartsWithTheDefaultEnvironment) {
    // On aarch64 the "default" is the thread's current FPCR.
    FpStateGuard guard;
    Stack stack;
    FreshFp s;
    make_context(&s.fresh, stack.base(), stack.size(), record_fp_at_start, &s);
    write_fpcr((guard.fpcr & ~kFpcrRoundingMask) | kFpcrTowardZero);
    rawrt_context_switch(&s.main, &s.fresh);
    write_fpcr(guard.fpcr);
    EXPECT_EQ(s.fpcr, (guard.fpcr & ~kFpcrRoundingMask) | kFpcrTowardZero);
}
#endif

// --- where a fresh context starts

struct StartRecord {
    Context main{};
    Context fresh{};
    EntryRecord entry;
    void* arg_seen = nullptr;
    uintptr_t sp_at_start = 0;
};

void record_start(void* arg) {
    auto* s = static_cast<StartRecord*>(arg);
    s->arg_seen = arg;
    s->sp_at_start = current_sp();
    record_entry(&s->entry);
    for (;;) rawrt_context_switch(&s->fresh, &s->main);
}

TEST(ContextStart, FunctionGetsItsArgumentOnAnAlignedStack) {
    // Every alignment of the top the caller might hand over.
    for (size_t misalign : {0, 1, 8, 12, 15}) {
        Stack stack;
        StartRecord s;
        make_context(&s.fresh, stack.base(), stack.size() - misalign, record_start, &s);
        EXPECT_EQ(word(s.fresh.sp) % 16, 0u);
        rawrt_context_switch(&s.main, &s.fresh);
        EXPECT_EQ(s.arg_seen, &s) << "misalign " << misalign;
        EXPECT_TRUE(s.entry.aligned()) << std::hex << s.entry.local << " " << s.entry.frame << " misalign " << misalign;
        EXPECT_TRUE(stack.contains(s.entry.local)) << "misalign " << misalign;
        EXPECT_TRUE(stack.holds_sp(s.sp_at_start)) << "misalign " << misalign;
    }
}

TEST(ContextStart, MakeContextTouchesOnlyTheFirstFrame) {
    Stack stack;
    auto* bytes = static_cast<unsigned char*>(stack.base());
    std::memset(bytes, 0xa5, stack.size());
    Context c{};
    make_context(&c, stack.base(), stack.size(), record_start, nullptr);
    const size_t frame_offset = static_cast<size_t>(static_cast<unsigned char*>(c.sp) - bytes);
    EXPECT_EQ(frame_offset, stack.size() - RAWRT_CONTEXT_FRAME_SIZE);
    for (size_t i = 0; i < frame_offset; ++i)
        if (bytes[i] != 0xa5) ADD_FAILURE() << "byte " << i << " below the first frame changed";
}

// --- gogo

struct GogoState {
    Context main{};
    Context a{};
    Context b{};
    std::vector<int> trace;
};

void gogo_b(void* arg) {
    auto* s = static_cast<GogoState*>(arg);
    s->trace.push_back(2);
    rawrt_gogo(&s->main);
}

void gogo_a(void* arg) {
    auto* s = static_cast<GogoState*>(arg);
    s->trace.push_back(1);
    rawrt_gogo(&s->b);       // a fresh context, started without saving this one
    s->trace.push_back(-1);  // never
    for (;;) rawrt_context_switch(&s->a, &s->main);
}

TEST(ContextGogo, ResumesWithoutSaving) {
    Stack stack_a, stack_b;
    GogoState s;
    make_context(&s.a, stack_a.base(), stack_a.size(), gogo_a, &s);
    make_context(&s.b, stack_b.base(), stack_b.size(), gogo_b, &s);
    const void* a_first = s.a.sp;
    const void* b_first = s.b.sp;
    rawrt_context_switch(&s.main, &s.a);
    EXPECT_EQ(s.trace, (std::vector<int>{1, 2}));
    // Neither a nor b was written: gogo saves nothing, and a switch only
    // writes the context it saves into (main).
    EXPECT_EQ(s.a.sp, a_first);
    EXPECT_EQ(s.b.sp, b_first);
}

// --- mcall

struct McallState {
    Stack* g0 = nullptr;
    Context g{};       // the "G" that calls mcall
    Context helper{};  // another context that resumes g later
    void* g_seen = nullptr;
    EntryRecord on_g0;
    uintptr_t g0_sp = 0;
    std::vector<int> trace;
};

void mcall_resumes_with_gogo(void* g) {
    auto* s = static_cast<McallState*>(g);
    s->g_seen = g;
    s->g0_sp = current_sp();
    record_entry(&s->on_g0);
    s->trace.push_back(1);
    rawrt_gogo(&s->g);
}

TEST(ContextMcall, RunsFnOnTheG0StackAndGogoReturnsFromIt) {
    Stack g0;
    McallState s;
    s.g0 = &g0;
    const uintptr_t sp_before = current_sp();
    rawrt_mcall(&s.g, g0.top(), mcall_resumes_with_gogo, &s);
    s.trace.push_back(2);
    EXPECT_EQ(current_sp(), sp_before);
    EXPECT_EQ(s.trace, (std::vector<int>{1, 2}));
    EXPECT_EQ(s.g_seen, &s);
    EXPECT_TRUE(g0.holds_sp(s.g0_sp)) << std::hex << s.g0_sp;
    EXPECT_TRUE(g0.contains(s.on_g0.local));
    EXPECT_TRUE(s.on_g0.aligned()) << std::hex << s.on_g0.local << " " << s.on_g0.frame;
    // The saved frame is on our stack, below where we are.
    EXPECT_LT(word(s.g.sp), sp_before);
}

TEST(ContextMcall, RoundsTheG0TopDownTo16Bytes) {
    Stack g0;
    for (size_t misalign : {1, 7, 8, 15}) {
        McallState s;
        const uintptr_t top = word(g0.top()) - misalign;
        rawrt_mcall(&s.g, reinterpret_cast<void*>(top), mcall_resumes_with_gogo, &s);
        EXPECT_TRUE(s.on_g0.aligned()) << std::hex << s.on_g0.local << " " << s.on_g0.frame << " misalign " << misalign;
        EXPECT_LT(s.g0_sp, top & ~uintptr_t{15});
        EXPECT_TRUE(g0.holds_sp(s.g0_sp));
    }
}

void helper_resumes_g(void* arg) {
    auto* s = static_cast<McallState*>(arg);
    for (;;) {
        s->trace.push_back(2);
        rawrt_context_switch(&s->helper, &s->g);  // g's rawrt_mcall returns
    }
}

void mcall_starts_helper(void* g) {
    auto* s = static_cast<McallState*>(g);
    s->trace.push_back(1);
    rawrt_gogo(&s->helper);  // as the scheduler would: run something else
}

TEST(ContextMcall, SavedContextResumesLaterFromAnotherContext) {
    Stack g0, helper_stack;
    McallState s;
    make_context(&s.helper, helper_stack.base(), helper_stack.size(), helper_resumes_g, &s);
    for (int round = 0; round < 3; ++round) {
        s.trace.clear();
        // The first round starts the helper; later ones resume it in its loop.
        rawrt_mcall(&s.g, g0.top(), mcall_starts_helper, &s);
        s.trace.push_back(3);
        EXPECT_EQ(s.trace, (std::vector<int>{1, 2, 3})) << "round " << round;
    }
}

struct McallRegisters {
    Context g{};
    Probe g0_probe;
};

void mcall_clobbers_then_gogo(void* g) {
    auto* s = static_cast<McallRegisters*>(g);
    s->g0_probe = make_probe(9, &rawrt_gogo, word(&s->g));
    run_probe(&s->g0_probe);  // never returns
}

TEST(ContextMcall, CalleeSavedSurvive) {
    Stack g0;
    McallRegisters s;
    for (int round = 0; round < 3; ++round) {
        Probe p = make_probe(300 + round, &rawrt_mcall, word(&s.g), word(g0.top()), word(&mcall_clobbers_then_gogo),
                             word(&s));
        run_probe(&p);
        EXPECT_EQ(lost_registers(p), "") << "round " << round;
    }
}

// --- systemstack

struct SystemstackState {
    const Stack* stack = nullptr;
    void* arg_seen = nullptr;
    uintptr_t sp_inside = 0;
    EntryRecord entry;
    int calls = 0;
};

void on_system_stack(void* arg) {
    auto* s = static_cast<SystemstackState*>(arg);
    s->arg_seen = arg;
    s->sp_inside = current_sp();
    record_entry(&s->entry);
    ++s->calls;
}

TEST(ContextSystemstack, RunsFnOnTheOtherStackAndComesBack) {
    Stack sys;
    SystemstackState s;
    s.stack = &sys;
    const uintptr_t sp_before = current_sp();
    rawrt_systemstack(sys.top(), on_system_stack, &s);
    EXPECT_EQ(current_sp(), sp_before);
    EXPECT_EQ(s.calls, 1);
    EXPECT_EQ(s.arg_seen, &s);
    EXPECT_TRUE(sys.holds_sp(s.sp_inside)) << std::hex << s.sp_inside;
    EXPECT_TRUE(sys.contains(s.entry.local));
    EXPECT_TRUE(s.entry.aligned()) << std::hex << s.entry.local << " " << s.entry.frame;
    // A top that is not 16-byte aligned is rounded down.
    rawrt_systemstack(static_cast<char*>(sys.top()) - 7, on_system_stack, &s);
    EXPECT_EQ(s.calls, 2);
    EXPECT_TRUE(s.entry.aligned()) << std::hex << s.entry.local << " " << s.entry.frame;
    EXPECT_LT(s.sp_inside, word(sys.top()) - 7);
}

TEST(ContextSystemstack, CalleeSavedSurvive) {
    Stack sys;
    SystemstackState s;
    Probe p = make_probe(400, &rawrt_systemstack, word(sys.top()), word(&on_system_stack), word(&s));
    run_probe(&p);
    EXPECT_EQ(s.calls, 1);
    EXPECT_EQ(lost_registers(p), "");
}

// A context that uses systemstack, whose fn uses systemstack again.
struct NestedState {
    Context main{};
    Context ctx{};
    Stack* ctx_stack = nullptr;
    Stack* sys1 = nullptr;
    Stack* sys2 = nullptr;
    uintptr_t sp_ctx_before = 0, sp_ctx_after = 0, sp_sys1 = 0, sp_sys1_after = 0, sp_sys2 = 0;
    Probe probe;
};

void nested_inner(void* arg) { static_cast<NestedState*>(arg)->sp_sys2 = current_sp(); }

void nested_outer(void* arg) {
    auto* s = static_cast<NestedState*>(arg);
    s->sp_sys1 = current_sp();
    rawrt_systemstack(s->sys2->top(), nested_inner, s);
    s->sp_sys1_after = current_sp();
}

void nested_context(void* arg) {
    auto* s = static_cast<NestedState*>(arg);
    s->sp_ctx_before = current_sp();
    s->probe = make_probe(500, &rawrt_systemstack, word(s->sys1->top()), word(&nested_outer), word(s));
    run_probe(&s->probe);
    s->sp_ctx_after = current_sp();
    for (;;) rawrt_context_switch(&s->ctx, &s->main);
}

TEST(ContextSystemstack, NestedInsideAContext) {
    Stack ctx_stack, sys1, sys2;
    NestedState s;
    s.ctx_stack = &ctx_stack;
    s.sys1 = &sys1;
    s.sys2 = &sys2;
    make_context(&s.ctx, ctx_stack.base(), ctx_stack.size(), nested_context, &s);
    rawrt_context_switch(&s.main, &s.ctx);
    EXPECT_TRUE(ctx_stack.holds_sp(s.sp_ctx_before));
    EXPECT_EQ(s.sp_ctx_after, s.sp_ctx_before);
    EXPECT_TRUE(sys1.holds_sp(s.sp_sys1));
    EXPECT_EQ(s.sp_sys1_after, s.sp_sys1);
    EXPECT_TRUE(sys2.holds_sp(s.sp_sys2));
    EXPECT_EQ(lost_registers(s.probe), "");
}

// --- the fatal paths: each in a forked child, status 2 and Go's wording

void returns_at_once(void*) {}

TEST(ContextDeathTest, FunctionReturningFromAContextIsFatal) {
    EXPECT_EXIT(
        {
            Stack stack;
            Context main{};
            Context c{};
            make_context(&c, stack.base(), stack.size(), returns_at_once, nullptr);
            rawrt_context_switch(&main, &c);
            std::_Exit(0);  // not reached if the trampoline does its job
        },
        testing::ExitedWithCode(2), "fatal error: a context's function returned");
}

TEST(ContextDeathTest, McallFunctionReturningIsFatal) {
    EXPECT_EXIT(
        {
            Stack g0;
            Context g{};
            rawrt_mcall(&g, g0.top(), returns_at_once, nullptr);
            std::_Exit(0);
        },
        testing::ExitedWithCode(2), "fatal error: mcall function returned");
}

TEST(ContextDeathTest, TooSmallStackIsFatal) {
    alignas(16) static unsigned char small[rawrt::sched::kMinContextStack];
    EXPECT_EXIT(
        {
            Context c{};
            make_context(&c, small, sizeof small - 16, returns_at_once, nullptr);
            std::_Exit(0);
        },
        testing::ExitedWithCode(2), "fatal error: make_context: a stack of [0-9]+ bytes is too small");
    // The least accepted size is accepted.
    Context c{};
    make_context(&c, small, sizeof small, returns_at_once, nullptr);
    EXPECT_NE(c.sp, nullptr);
}

}  // namespace
