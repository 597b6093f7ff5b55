// The vDSO resolver (vdso/vdso.hpp), after Go's runtime/vdso_linux.go and
// vdso_linux_<arch>.go: the image found once through AT_SYSINFO_EHDR, a
// cached pointer per function, the syscall where there is no vDSO or it
// lacks the function.

#include "vdso/vdso.hpp"

#include <asm/unistd.h>
#include <linux/auxvec.h>

#include "arch/arch.hpp"
#include "sys/calls.hpp"
#include "sys/consts.hpp"
#include "sys/process.hpp"
#include "sys/syscall.hpp"
#include "vdso/elf_image.hpp"

namespace rawrt::vdso {
namespace {

using sys::as_timespec;
using sys::kCLOCK_MONOTONIC;
using sys::kCLOCK_REALTIME;
using sys::kCLOCK_REALTIME_COARSE;
using sys::KernelTimespec;

using GettimeofdayFn = int (*)(timeval* tv, void* tz);
using TimeFn = long (*)(long* out);
using GetcpuFn = long (*)(unsigned* cpu, unsigned* node, void* cache);

struct Wanted {
    Function function;
    const char* name;
};

// Go: vdsoLinuxVersion and vdsoSymbolKeys (vdso_linux_amd64.go, _arm64.go).
// The names are arch/<arch>/vdso.hpp's; nullptr: not in this architecture's vDSO.
constexpr Wanted kWanted[] = {
    {Function::clock_gettime, arch::kVdsoClockGettime},
    {Function::gettimeofday, arch::kVdsoGettimeofday},
    {Function::clock_getres, arch::kVdsoClockGetres},
    {Function::time, arch::kVdsoTime},
    {Function::getcpu, arch::kVdsoGetcpu},
};
constexpr VersionKey vdsoLinuxVersion = {arch::kVdsoVersion, elf_hash(arch::kVdsoVersion)};

// The kernel maps at least one page and pages are at least 4 KiB, so the
// ELF and program headers can be read there before the image's size is
// known. Real vDSOs are a few pages; a header claiming more than 1 MiB is
// not believed.
constexpr size_t kMinPageSize = 4096;
constexpr size_t kMaxImageSize = size_t{1} << 20;

// What the first call found. Several threads may find it at once; they all
// store the same values, and readers look only after kInitialized is set,
// which comes after active_function is filled in: a thread that sees the
// resolver initialized never sees the vDSO unused for want of a store.
std::atomic<uintptr_t> image_address{0};
std::atomic<size_t> image_size{0};
std::atomic<bool> image_valid{false};
std::atomic<uintptr_t> resolved_function[kFunctionCount];

constexpr unsigned kInitialized = 1;
constexpr unsigned kForced = 2;
std::atomic<unsigned> mode{0};

constexpr size_t slot(Function f) { return static_cast<size_t>(f); }

// Makes active_function agree with mode (resolved_function is all zero until
// resolution). Another thread may flip mode while this one stores: whoever
// stores last has re-read mode after its stores, and loops if it changed, so
// the final stores always match the final mode.
void refresh_active() {
    for (;;) {
        unsigned seen = mode.load();
        bool use_vdso = (seen & kForced) == 0;
        for (size_t i = 0; i < kFunctionCount; ++i)
            detail::active_function[i].store(use_vdso ? resolved_function[i].load(std::memory_order_relaxed) : 0);
        if (mode.load() == seen) return;
    }
}

// Go: vdsoauxv, for the AT_SYSINFO_EHDR entry.
void initialize() {
    uintptr_t base = sys::auxv_value(AT_SYSINFO_EHDR);
    uintptr_t found[kFunctionCount] = {};
    size_t size = 0;
    bool valid = false;
    if (base != 0) {
        const void* header = reinterpret_cast<const void*>(base);
        size = image_size_from_headers(header, kMinPageSize);
        if (size > kMaxImageSize) size = 0;
        ElfImage info;
        if (size != 0 && vdsoInitFromSysinfoEx(&info, header, size)) {
            valid = true;
            SymbolKey keys[kFunctionCount];
            size_t count = 0;
            for (const Wanted& w : kWanted)
                if (w.name != nullptr)
                    keys[count++] = {w.name, elf_hash(w.name), gnu_hash(w.name), &found[slot(w.function)]};
            vdsoParseSymbols(&info, vdsoFindVersion(&info, &vdsoLinuxVersion), keys, count);
        }
    }
    image_address.store(base, std::memory_order_relaxed);
    image_size.store(size, std::memory_order_relaxed);
    image_valid.store(valid, std::memory_order_relaxed);
    for (size_t i = 0; i < kFunctionCount; ++i) resolved_function[i].store(found[i], std::memory_order_relaxed);
    refresh_active();
    mode.fetch_or(kInitialized);  // publishes the stores above
}

void ensure_initialized() {
    if ((mode.load(std::memory_order_acquire) & kInitialized) == 0) initialize();
}

template <class Fn>
Fn current(Function f) {
    ensure_initialized();
    return reinterpret_cast<Fn>(detail::active_function[slot(f)].load(std::memory_order_relaxed));
}

int64_t clock_ns(int clock) {
    KernelTimespec ts;
    if (!vdso::clock_gettime(clock, as_timespec(&ts)).ok()) return 0;
    return ts.tv_sec * 1000000000 + ts.tv_nsec;
}

}  // namespace

namespace detail {

std::atomic<uintptr_t> active_function[kFunctionCount];

sys::Result<void> clock_gettime_slow(int clock, timespec* out) {
    if (ClockFn fn = current<ClockFn>(Function::clock_gettime)) return fn(clock, out);
    return sys::raw::clock_gettime(clock, out);
}

}  // namespace detail

int64_t nanotime() { return clock_ns(sys::kCLOCK_MONOTONIC); }
int64_t walltime() { return clock_ns(sys::kCLOCK_REALTIME); }

sys::Result<void> clock_getres(int clock, timespec* out) {
    if (auto fn = current<detail::ClockFn>(Function::clock_getres)) return fn(clock, out);
    return sys::raw::clock_getres(clock, out);
}

sys::Result<void> gettimeofday(timeval* tv, void* tz) {
    if (auto fn = current<GettimeofdayFn>(Function::gettimeofday)) return fn(tv, tz);
    return sys::raw_syscall(__NR_gettimeofday, tv, tz);
}

int64_t time() {
    if (auto fn = current<TimeFn>(Function::time)) return fn(nullptr);
    KernelTimespec ts;
    if (!vdso::clock_gettime(sys::kCLOCK_REALTIME_COARSE, as_timespec(&ts)).ok()) return -1;
    return ts.tv_sec;
}

sys::Result<void> getcpu(unsigned* cpu, unsigned* node) {
    if (auto fn = current<GetcpuFn>(Function::getcpu)) return fn(cpu, node, nullptr);
    return sys::raw_syscall(__NR_getcpu, cpu, node, nullptr);
}

void force_syscall_fallback(bool force) {
    if (force) mode.fetch_or(kForced);
    else mode.fetch_and(~kForced);
    ensure_initialized();
    refresh_active();
}

ImageInfo image() {
    ensure_initialized();
    uintptr_t base = image_address.load(std::memory_order_relaxed);
    return {base != 0, image_valid.load(std::memory_order_relaxed), reinterpret_cast<const void*>(base),
            image_size.load(std::memory_order_relaxed)};
}

SymbolTable symbols() {
    SymbolTable table{};
    for (const Wanted& w : kWanted)
        if (w.name != nullptr)
            table.entries[table.count++] = {w.function, w.name, arch::kVdsoVersion, address(w.function)};
    return table;
}

const void* address(Function function) {
    ensure_initialized();
    return reinterpret_cast<const void*>(resolved_function[slot(function)].load(std::memory_order_relaxed));
}

bool uses_vdso(Function function) { return current<const void*>(function) != nullptr; }

}  // namespace rawrt::vdso
