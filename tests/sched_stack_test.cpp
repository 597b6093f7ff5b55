// Goroutine stacks: carved from shared chunks, reused through the per-P
// cache and the global pool, held by a G only from its first run to its
// exit, each with a guard page that really faults; a G that runs into it is
// reported as a stack overflow (in a child process), a fault that is not an
// overflow still kills with SIGSEGV, and a host's own SIGSEGV handler still
// works around a run. A million parked Gs fit in
// 4.5 KiB of memory each without a VMA per stack.

#include <gtest/gtest.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "sched/proc.hpp"
#include "sched/signal_unix.hpp"
#include "sched/stack.hpp"
#include "sched/sync.hpp"
#include "sys/calls.hpp"
#include "tests/child_process.hpp"
#include "tests/proc_self.hpp"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

namespace {

using rawrt::sched::G;
using rawrt::sched::Stack;
using rawrt::sched::StackGuardKind;

// sched/signal_unix.cpp reads the fault address at this offset of the
// kernel's siginfo, which glibc's siginfo_t mirrors.
static_assert(offsetof(siginfo_t, si_addr) == 16);

using rawrt::test::under_qemu;

// The running kernel is at least major.minor (qemu-user reports the host's).
bool kernel_at_least(int major, int minor) {
    utsname u{};
    if (::uname(&u) != 0) return false;
    int ma = 0, mi = 0;
    if (std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
    return ma > major || (ma == major && mi >= minor);
}

using rawrt::test::count_lines;

// A "Name:   123 kB" field of /proc/self/status, in KiB (-1 if missing).
long status_kib(const std::string& name) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.compare(0, name.size() + 1, name + ":") == 0) return std::stol(line.substr(name.size() + 1));
    return -1;
}

// ------------------------------------------------------------ the pool

TEST(SchedStack, FreedStacksAreReusedAndDistinctOnesDoNotOverlap) {
    constexpr size_t kSize = 64 * 1024;
    std::vector<Stack> stacks;
    for (int i = 0; i < 40; ++i) stacks.push_back(rawrt::sched::stackalloc(kSize));
    std::set<uintptr_t> los;
    for (const Stack& s : stacks) {
        EXPECT_EQ(s.hi - s.lo, kSize);
        EXPECT_EQ(s.lo % 4096, 0u);
        los.insert(s.lo);
        // The whole stack is usable memory.
        auto* p = reinterpret_cast<volatile char*>(s.lo);
        p[0] = 1;
        p[kSize - 1] = 2;
    }
    ASSERT_EQ(los.size(), stacks.size());
    // Sorted by address, each stack ends at least a guard page before the next begins.
    uintptr_t prev_hi = 0;
    for (uintptr_t lo : los) {
        EXPECT_GE(lo, prev_hi + rawrt::sched::kStackGuardSize);
        prev_hi = lo + kSize;
    }
    // Freed, then asked for again: the same stacks come back (most recent first).
    rawrt::sched::stackfree(stacks[7]);
    rawrt::sched::stackfree(stacks[3]);
    EXPECT_EQ(rawrt::sched::stackalloc(kSize).lo, stacks[3].lo);
    EXPECT_EQ(rawrt::sched::stackalloc(kSize).lo, stacks[7].lo);
    // Another size is another class: it never gets one of these.
    Stack big = rawrt::sched::stackalloc(2 * kSize);
    EXPECT_EQ(big.hi - big.lo, 2 * kSize);
    EXPECT_EQ(los.count(big.lo), 0u);
    rawrt::sched::stack_free_all();
}

TEST(SchedStack, AGsStacksGoThroughItsPsCache) {
    constexpr int kStacks = 100;
    constexpr size_t kSize = 32 * 1024;
    std::vector<uintptr_t> first(kStacks), second(kStacks);
    uint32_t max_cached = 0;
    uint32_t never_handed_out = 0;  // left in the cache by the last refill
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::sched::P* pp = rawrt::sched::getm()->p;
        auto total = [pp] {
            uint32_t n = 0;
            for (const auto& list : pp->stackcache) n += list.n;
            return n;
        };
        // What the cache held of other sizes (the main G's stack came from
        // it): no G starts or ends meanwhile, so that part stays the same.
        const uint32_t others = total();
        auto cached = [&] { return total() - others; };
        Stack s[kStacks];
        for (int i = 0; i < kStacks; ++i) {
            s[i] = rawrt::sched::stackalloc(kSize);
            first[i] = s[i].lo;
            if (cached() > max_cached) max_cached = cached();
        }
        never_handed_out = cached();
        for (int i = 0; i < kStacks; ++i) {
            rawrt::sched::stackfree(s[i]);
            if (cached() > max_cached) max_cached = cached();
        }
        for (int i = 0; i < kStacks; ++i) second[i] = rawrt::sched::stackalloc(kSize).lo;
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    // The second round reused the first round's stacks (from the cache or
    // through the global pool) and carved no new one; the cache stayed bounded.
    const std::set<uintptr_t> first_set(first.begin(), first.end());
    const std::set<uintptr_t> second_set(second.begin(), second.end());
    EXPECT_EQ(first_set.size(), size_t{kStacks});
    EXPECT_EQ(second_set.size(), size_t{kStacks});
    size_t new_ones = 0;
    for (uintptr_t lo : second_set) new_ones += first_set.count(lo) == 0;
    EXPECT_LE(new_ones, never_handed_out);
    EXPECT_LE(max_cached, 32u);
    EXPECT_GT(max_cached, 0u);
}

// A G holds a stack only from its first run to its exit (stack_bind,
// stack_release): a burst of Gs started before any runs, each running to its
// end without parking, all run on the same stack or a few from the P's
// cache. A G that is parked keeps its own.
TEST(SchedStack, GsStartedInABurstShareAFewStacksWhileOneThatParksKeepsItsOwn) {
    constexpr int kGs = 10'000;
    std::vector<uintptr_t> lo(kGs);
    uintptr_t parked_lo = 0, parked_lo_after = 0;
    bool none_before_first_run = true;
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::Chan<int> wake;
        rawrt::WaitGroup parked_done;
        parked_done.add(1);
        rawrt::go([&] {
            parked_lo = rawrt::sched::getg()->stack.lo;
            (void)wake.recv();
            parked_lo_after = rawrt::sched::getg()->stack.lo;
            parked_done.done();
        });
        rawrt::yield();  // it runs and parks on wake
        rawrt::WaitGroup wg;
        wg.add(kGs);
        for (int i = 0; i < kGs; ++i) {
            rawrt::go([&, i] {
                lo[static_cast<size_t>(i)] = rawrt::sched::getg()->stack.lo;
                wg.done();
            });
            // On one P nothing runs until wait: the new G is queued without a stack.
            none_before_first_run = none_before_first_run && rawrt::sched::getm()->p->runnext.load()->stack.lo == 0;
        }
        wg.wait();
        wake.send(1);
        parked_done.wait();
    });
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_TRUE(none_before_first_run);
    const std::set<uintptr_t> distinct(lo.begin(), lo.end());
    EXPECT_EQ(distinct.count(0), 0u);
    EXPECT_LE(distinct.size(), 2u)
        << "each G ends before the next starts: its stack goes back to the cache for the next";
    EXPECT_NE(parked_lo, 0u);
    EXPECT_EQ(parked_lo_after, parked_lo);
    EXPECT_EQ(distinct.count(parked_lo), 0u) << "a parked G's stack was handed to another G";
}

// ------------------------------------------------------------ the guard

TEST(SchedStack, GuardsAreMadeTheCheapWayWhereTheKernelCan) {
    const StackGuardKind kind = rawrt::sched::stack_guard_kind();
    if (!under_qemu() && kernel_at_least(6, 13)) {
        EXPECT_EQ(kind, StackGuardKind::madvise) << "Linux 6.13+ has MADV_GUARD_INSTALL";
    } else if (!kernel_at_least(6, 13)) {
        EXPECT_EQ(kind, StackGuardKind::mprotect);
    } else {
        // qemu-user 7.2 answers 0 to MADV_GUARD_INSTALL without installing
        // anything: the probe must have seen through it.
        EXPECT_EQ(kind, StackGuardKind::mprotect);
    }
}

void write_below(Stack s) {
    auto* p = reinterpret_cast<volatile char*>(s.lo);
    p[0] = 1;  // the stack's lowest byte is fine
    std::fputs("lowest byte written\n", stderr);
    p[-1] = 1;  // the byte below it is the guard page
    std::fputs("guard page written\n", stderr);
    std::_Exit(0);
}

TEST(SchedStackDeathTest, TheGuardPageBelowAStackFaults) {
    EXPECT_EXIT(write_below(rawrt::sched::stackalloc(64 * 1024)), testing::KilledBySignal(SIGSEGV),
                "lowest byte written");
    // A stack that went through the free list keeps its guard.
    EXPECT_EXIT(
        {
            Stack a = rawrt::sched::stackalloc(16 * 1024);
            rawrt::sched::stackfree(a);
            Stack b = rawrt::sched::stackalloc(16 * 1024);
            if (b.lo != a.lo) std::_Exit(3);
            write_below(b);
        },
        testing::KilledBySignal(SIGSEGV), "lowest byte written");
}

// ------------------------------------------------------------ overflow

volatile int recursion_limit = 1 << 30;
// Opaque to the compiler, which would otherwise turn a write through a
// literal null into a trap instruction (SIGILL).
volatile int* volatile null_pointer = nullptr;

// Deep, non-tail, never inlined, with a frame well under a page: it walks
// down the stack page by page until it reaches the guard.
__attribute__((noinline)) int recurse(int depth) {
    volatile char frame[200];
    frame[0] = static_cast<char>(depth);
    if (depth == recursion_limit) return frame[0];
    int below = recurse(depth + 1);
    asm volatile("" ::: "memory");
    return below + frame[0];
}

TEST(SchedStackDeathTest, AGRunningOffItsStackIsReportedAsAStackOverflow) {
    // A spawned G (its stack from the P's cache): goroutine 2.
    EXPECT_EXIT(
        {
            auto r = rawrt::run({.procs = 1}, [] {
                std::atomic<bool> never{false};
                rawrt::go([] { recurse(0); });
                while (!never.load()) rawrt::yield();
            });
            std::_Exit(r.ok() ? 0 : 1);
        },
        testing::ExitedWithCode(2), "^fatal error: stack overflow in goroutine 2\n$");
    // The main G, with a smaller stack, on several Ps: goroutine 1.
    EXPECT_EXIT(
        {
            auto r = rawrt::run({.procs = 2, .stack_size = 16 * 1024}, [] { recurse(0); });
            std::_Exit(r.ok() ? 0 : 1);
        },
        testing::ExitedWithCode(2), "^fatal error: stack overflow in goroutine 1\n$");
}

TEST(SchedStackDeathTest, AFaultThatIsNotAnOverflowStillKillsWithSigsegv) {
    // Our handler exits with status 2 when it claims a fault: a death by
    // SIGSEGV means it handed this one back to the default disposition.
    EXPECT_EXIT(
        {
            auto r = rawrt::run({.procs = 1}, [] {
                rawrt::go([] { *null_pointer = 1; });
                for (;;) rawrt::yield();
            });
            std::_Exit(r.ok() ? 0 : 1);
        },
        testing::KilledBySignal(SIGSEGV), "");
}

// ------------------------------------------------------------ the host's handler

sigjmp_buf host_jump;
std::atomic<int> host_handler_calls{0};

void host_handler(int, siginfo_t*, void*) {
    host_handler_calls.fetch_add(1);
    siglongjmp(host_jump, 1);
}

TEST(SchedStack, AHostsOwnSigsegvHandlerKeepsWorkingDuringAndAfterARun) {
    struct sigaction act {};
    act.sa_sigaction = host_handler;
    act.sa_flags = SA_SIGINFO;
    struct sigaction saved {};
    ASSERT_EQ(::sigaction(SIGSEGV, &act, &saved), 0);
    host_handler_calls = 0;

    std::atomic<bool> run_started{false};
    std::atomic<bool> thread_done{false};
    bool survived_fault = false;
    void* handler_during_run = nullptr;
    // A plain glibc thread that faults while the run is going: the runtime's
    // handler must hand the fault to the host's.
    std::thread host_thread([&] {
        while (!run_started.load()) std::this_thread::yield();
        if (sigsetjmp(host_jump, 1) == 0) {
            *null_pointer = 1;
        } else {
            survived_fault = true;
        }
        thread_done = true;
    });
    auto r = rawrt::run({.procs = 1}, [&] {
        rawrt::sys::KernelSigaction now{};
        (void)rawrt::sys::raw::rt_sigaction(SIGSEGV, nullptr, &now);
        handler_during_run = now.handler;
        run_started = true;
        while (!thread_done.load()) rawrt::yield();
    });
    host_thread.join();
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_NE(handler_during_run, reinterpret_cast<void*>(host_handler)) << "the runtime's handler was installed";
    EXPECT_TRUE(survived_fault);
    EXPECT_EQ(host_handler_calls.load(), 1);

    struct sigaction after {};
    ASSERT_EQ(::sigaction(SIGSEGV, nullptr, &after), 0);
    EXPECT_EQ(after.sa_sigaction, host_handler) << "teardown put the host's handler back";
    ASSERT_EQ(::sigaction(SIGSEGV, &saved, nullptr), 0);
}

// CLOCK_MONOTONIC through rawrt (runtime threads do not call libc).
int64_t now_ns() {
    rawrt::sys::KernelTimespec ts{};
    (void)rawrt::sys::raw::clock_gettime(rawrt::sys::kCLOCK_MONOTONIC, rawrt::sys::as_timespec(&ts));
    return ts.tv_sec * 1'000'000'000 + ts.tv_nsec;
}

TEST(SchedStack, EveryMRunsWithItsOwnAlternateSignalStack) {
    constexpr int kMaxMs = 16;
    struct Seen {
        uintptr_t sp = 0;
        size_t size = 0;
        int flags = -1;
        uintptr_t gsignal_lo = 0, gsignal_hi = 0, g0_lo = 0, g0_hi = 0;
    };
    Seen seen[kMaxMs];
    std::atomic<bool> claimed[kMaxMs] = {};
    std::atomic<int> reported{0};
    stack_t before{};
    ASSERT_EQ(::sigaltstack(nullptr, &before), 0);
    std::atomic<int> done{0};
    constexpr int kGs = 8;
    // What the calling G's M has for a signal stack, once per M.
    auto record = [&] {
        rawrt::sched::M* mp = rawrt::sched::getm();
        if (mp->id >= kMaxMs || claimed[mp->id].exchange(true)) return;
        rawrt::sys::SignalStack ss{};
        (void)rawrt::sys::raw::sigaltstack(nullptr, &ss);
        seen[mp->id] = {reinterpret_cast<uintptr_t>(ss.sp),
                        ss.size,
                        ss.flags,
                        mp->gsignal.lo,
                        mp->gsignal.hi,
                        mp->g0->stack.lo,
                        mp->g0->stack.hi};
        reported.fetch_add(1);
    };
    auto r = rawrt::run({.procs = 2}, [&] {
        for (int k = 0; k < kGs; ++k)
            rawrt::go([&] {
                record();
                // Hold this P until a G has run on another M (one that
                // stole from here, or took the yielding main G from the
                // global queue), or 10 s have passed.
                const int64_t until = now_ns() + 10'000'000'000;
                while (reported.load() < 2 && now_ns() < until) {
                }
                done.fetch_add(1);
            });
        while (done.load() != kGs) {
            record();
            rawrt::yield();
        }
    });
    ASSERT_TRUE(r.ok());
    ASSERT_GE(reported.load(), 2) << "Gs ran on two Ms";
    const size_t want = std::max<size_t>(16 * 1024, ::getauxval(AT_MINSIGSTKSZ));
    std::set<uintptr_t> stacks;
    for (const Seen& s : seen) {
        if (s.flags == -1) continue;
        EXPECT_EQ(s.flags, 0) << "enabled, not in use";
        EXPECT_EQ(s.sp, s.gsignal_lo);
        EXPECT_EQ(s.size, s.gsignal_hi - s.gsignal_lo);
        EXPECT_GE(s.size, want);
        EXPECT_GT(s.size, ::getauxval(AT_MINSIGSTKSZ)) << "room for the handler beyond the kernel's frame";
        // Above g0's stack, so a g0 overflow reaches the guard, not the signal stack.
        EXPECT_GE(s.gsignal_lo, s.g0_hi);
        stacks.insert(s.sp);
    }
    EXPECT_EQ(stacks.size(), static_cast<size_t>(reported.load())) << "one signal stack per M";
    stack_t after{};
    ASSERT_EQ(::sigaltstack(nullptr, &after), 0);
    EXPECT_EQ(after.ss_sp, before.ss_sp) << "the caller's own signal stack is untouched";
    EXPECT_EQ(after.ss_flags, before.ss_flags);
}

// ------------------------------------------------------------ a million parked Gs

struct Parked {
    std::vector<G*> gs;
    std::atomic<size_t> n{0};
};

bool record_parked(G* gp, void* arg) {
    auto* parked = static_cast<Parked*>(arg);
    parked->gs[parked->n.fetch_add(1, std::memory_order_relaxed)] = gp;
    return true;
}

TEST(SchedStack, AMillionParkedGsFitInFourAndAHalfKibEach) {
    // mprotect'd guards (a kernel before 6.13, or qemu-user, which ignores
    // MADV_GUARD_INSTALL) cost two VMAs each, so vm.max_map_count allows
    // about 32 000 stacks.
    const size_t kGs = rawrt::sched::stack_guard_kind() == StackGuardKind::madvise ? 1000000 : 20000;
    Parked parked;
    parked.gs.assign(kGs, nullptr);  // touched now, outside the measurement
    std::atomic<size_t> finished{0};
    std::atomic<bool> all_parked{false}, measured{false};
    long rss_during = 0, pte_during = 0;
    int maps_during = 0;

    const int maps_before = count_lines("/proc/self/maps");
    const long rss_before = status_kib("VmRSS");
    const long pte_before = status_kib("VmPTE");
    // The measurement needs libc: a plain thread takes it while the Gs are parked.
    std::thread measure([&] {
        while (!all_parked.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        rss_during = status_kib("VmRSS");
        pte_during = status_kib("VmPTE");
        maps_during = count_lines("/proc/self/maps");
        measured = true;
    });
    auto r = rawrt::run({.procs = 1}, [&] {
        for (size_t i = 0; i < kGs; ++i)
            rawrt::go([&] {
                rawrt::sched::gopark(record_parked, &parked, "test: parked");
                finished.fetch_add(1, std::memory_order_relaxed);
            });
        while (parked.n.load() != kGs) rawrt::yield();
        all_parked = true;
        while (!measured.load()) rawrt::yield();
        // Every parked G resumes on its own stack and finishes.
        for (G* gp : parked.gs) rawrt::sched::goready(gp);
        while (finished.load() != kGs) rawrt::yield();
    });
    measure.join();
    ASSERT_TRUE(r.ok()) << r.error().name();
    EXPECT_EQ(finished.load(), kGs);

    const double rss_per_g = (rss_during - rss_before) * 1024.0 / kGs;
    const double pte_per_g = (pte_during - pte_before) * 1024.0 / kGs;
    RecordProperty("rss_bytes_per_g", std::to_string(rss_per_g));
    RecordProperty("page_table_bytes_per_g", std::to_string(pte_per_g));
    std::printf("    %zu parked Gs: %.0f bytes resident + %.0f bytes of page tables each; /proc/self/maps +%d lines\n",
                kGs, rss_per_g, pte_per_g, maps_during - maps_before);
    // Under qemu-user VmRSS is the emulator's, which also keeps a descriptor
    // for every guest page mapped (the whole chunks, used or not): 1 KiB
    // more per G is allowed there. Natively: one page, and its page table share.
    const double limit = (4.5 + (under_qemu() ? 1.0 : 0.0)) * 1024;
    EXPECT_LT(rss_per_g + pte_per_g, limit);
    if (rawrt::sched::stack_guard_kind() == StackGuardKind::madvise)
        EXPECT_LT(maps_during - maps_before, 300) << "guards installed by madvise cost no VMA";
    else EXPECT_LE(maps_during - maps_before, static_cast<int>(2 * kGs + 300));
    // Teardown unmapped every chunk: no G's stack page is mapped any more.
    unsigned char resident = 0;
    size_t still_mapped = 0;
    for (size_t i = 0; i < kGs; i += 997) {
        const auto page = reinterpret_cast<uintptr_t>(parked.gs[i]) & ~uintptr_t{4095};
        still_mapped += ::mincore(reinterpret_cast<void*>(page), 4096, &resident) == 0 || errno != ENOMEM;
    }
    EXPECT_EQ(still_mapped, 0u);
}

}  // namespace
