// Reading the clocks without entering the kernel: the functions the kernel
// exports in its vDSO, found once (Go: vdsoauxv), called through cached
// pointers, with the plain syscall as the fallback when there is no vDSO
// (qemu-user, some hardened sandboxes) or it lacks a function.
//
//   int64_t t0 = rawrt::vdso::nanotime();               // CLOCK_MONOTONIC, ns
//   timespec ts;
//   rawrt::vdso::clock_gettime(CLOCK_REALTIME, &ts);    // any clock, Result<void>
//
// The first call resolves the symbols; after that clock_gettime is one load
// of a function pointer, a test for null and an indirect call. Resolution is
// lock-free and idempotent: threads that race on the first call each compute
// the same answer and store it, nobody waits (so a signal handler that reads
// the clock cannot deadlock against the thread it interrupted).
//
// What is looked up, per architecture (Go's vdso_linux_amd64.go / _arm64.go):
//   x86_64   __vdso_clock_gettime, __vdso_gettimeofday, __vdso_clock_getres,
//            __vdso_time, __vdso_getcpu                   at LINUX_2.6
//   aarch64  __kernel_clock_gettime, __kernel_gettimeofday,
//            __kernel_clock_getres                        at LINUX_2.6.39
//            (arm64's vDSO has no time or getcpu: those always use the fallback)
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sys/result.hpp"
#include "sys/types.hpp"

struct timeval;

namespace rawrt::vdso {

enum class Function : uint8_t { clock_gettime, gettimeofday, clock_getres, time, getcpu };
inline constexpr size_t kFunctionCount = 5;

namespace detail {
using ClockFn = int (*)(int clock, timespec* out);
// Per Function, the vDSO entry point calls go to; 0 until the first call has
// resolved them, and when there is none or the fallback is forced.
extern std::atomic<uintptr_t> active_function[kFunctionCount];
sys::Result<void> clock_gettime_slow(int clock, timespec* out);
}  // namespace detail

// clock_gettime(2): through the vDSO when it has the function, else the raw
// syscall. Errors are the kernel's (EINVAL for an unknown clock).
inline sys::Result<void> clock_gettime(int clock, timespec* out) {
    uintptr_t fn =
        detail::active_function[static_cast<size_t>(Function::clock_gettime)].load(std::memory_order_relaxed);
    if (fn != 0) [[likely]]
        return reinterpret_cast<detail::ClockFn>(fn)(clock, out);
    return detail::clock_gettime_slow(clock, out);
}

// Go: nanotime. CLOCK_MONOTONIC in nanoseconds.
int64_t nanotime();
// Go: walltime (as one number). CLOCK_REALTIME in nanoseconds since the epoch.
int64_t walltime();

sys::Result<void> clock_getres(int clock, timespec* out);
// tz is the obsolete struct timezone*; pass nullptr.
sys::Result<void> gettimeofday(timeval* tv, void* tz);
// time(2): whole seconds since the epoch. Where the vDSO has no time() it is
// read from CLOCK_REALTIME_COARSE, as glibc does, so it never runs ahead of
// what time() reports elsewhere.
int64_t time();
// getcpu(2); either pointer may be null.
sys::Result<void> getcpu(unsigned* cpu, unsigned* node);

// For tests: route every call to the syscall even though the vDSO has the
// function (true), or back to the vDSO (false). Safe at any time, from any
// thread; calls already inside the vDSO finish there.
void force_syscall_fallback(bool force);

// --- introspection (the tour, tests)

struct ImageInfo {
    bool present;         // the kernel passed AT_SYSINFO_EHDR
    bool valid;           // and it parsed as an ELF image for this architecture
    const void* address;  // AT_SYSINFO_EHDR, or nullptr
    size_t size;          // bytes, as the image's headers describe it
};
ImageInfo image();

struct Symbol {
    Function function;
    const char* name;     // e.g. "__vdso_clock_gettime"
    const char* version;  // e.g. "LINUX_2.6"
    const void* address;  // nullptr when not resolved
};

// The symbols this architecture looks for, in a fixed order.
struct SymbolTable {
    Symbol entries[kFunctionCount];
    size_t count;
    const Symbol* begin() const { return entries; }
    const Symbol* end() const { return entries + count; }
};
SymbolTable symbols();

// Where the vDSO's `function` is, or nullptr (unresolved, no vDSO, or none on
// this architecture). Not affected by force_syscall_fallback.
const void* address(Function function);
// Whether calls to `function` currently go to the vDSO.
bool uses_vdso(Function function);

}  // namespace rawrt::vdso
