// futexsleep, futexwakeup, getproccount and osyield on the raw syscalls,
// after Go's runtime/os_linux.go.

#include "locks/os_linux.hpp"

#include <linux/futex.h>

#include "sys/calls.hpp"
#include "sys/fatal.hpp"
#include "sys/types.hpp"

namespace rawrt::locks {

namespace {
std::atomic<uint64_t> futex_count{0};
}

uint64_t futex_calls() { return futex_count.load(std::memory_order_relaxed); }

void futexsleep(std::atomic<uint32_t>* addr, uint32_t val, int64_t ns) {
    static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
    futex_count.fetch_add(1, std::memory_order_relaxed);
    auto* word = reinterpret_cast<uint32_t*>(addr);
    // EAGAIN (the word already changed), EINTR and ETIMEDOUT all mean "look
    // at the word again", which every caller does.
    if (ns < 0) {
        (void)sys::raw::futex(word, FUTEX_WAIT_PRIVATE, val);
        return;
    }
    const sys::KernelTimespec ts = {ns / 1'000'000'000, ns % 1'000'000'000};
    (void)sys::raw::futex(word, FUTEX_WAIT_PRIVATE, val, sys::as_timespec(&ts));
}

void futexwakeup(std::atomic<uint32_t>* addr, uint32_t count) {
    futex_count.fetch_add(1, std::memory_order_relaxed);
    auto r = sys::raw::futex(reinterpret_cast<uint32_t*>(addr), FUTEX_WAKE_PRIVATE, count);
    if (!r.ok()) sys::fatal("futexwakeup addr=", static_cast<const void*>(addr), " returned ", r.error());
}

int32_t getproccount() {
    // Go asks for 1024 CPUs' worth of mask; so does this.
    uint64_t mask[1024 / 64] = {};
    auto r = sys::raw::sched_getaffinity(0, sizeof mask, mask);
    int32_t n = 0;
    // Counted by hand: __builtin_popcountll becomes a call to libgcc's
    // __popcountdi2 on x86_64 without -mpopcnt.
    if (r.ok())
        for (long i = 0; i < r.value() / 8; ++i)
            for (uint64_t w = mask[i]; w != 0; w &= w - 1) ++n;
    return n > 0 ? n : 1;
}

void osyield() { (void)sys::raw::sched_yield(); }

}  // namespace rawrt::locks
