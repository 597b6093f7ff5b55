// Tour section 1: how rawrt enters the kernel, and how it avoids entering it.

#include "examples/tour/tour.hpp"
#include "sys/calls.hpp"
#include "sys/print.hpp"
#include "vdso/vdso.hpp"

namespace tour {
namespace {

using rawrt::sys::fdprint;
using rawrt::sys::Padded;
using rawrt::sys::as_timespec;

const char* architecture() {
#if defined(__x86_64__)
    return "x86_64";
#else
    return "aarch64";
#endif
}

void show_vdso() {
    auto image = rawrt::vdso::image();
    if (!image.present) {
        fdprint(1, "vDSO: none (AT_SYSINFO_EHDR absent, as under qemu-user): clocks use the syscall\n");
        return;
    }
    fdprint(1, "vDSO: ", image.valid ? "found" : "present but unreadable", " at ", image.address, ", ", image.size,
            " bytes\n");
    for (const auto& s : rawrt::vdso::symbols())
        fdprint(1, "  ", s.name, "@", s.version, s.address ? " -> " : " not found", s.address ? s.address : "", "\n");
}

void show_costs() {
    constexpr int kCalls = 20000;
    rawrt::sys::KernelTimespec ts;
    auto now = rawrt::vdso::nanotime;
    int64_t stub = ns_per_call(
        now, [] { (void)rawrt::sys::raw::getpid(); }, kCalls);
    int64_t blocking = ns_per_call(
        now, [] { (void)rawrt::sys::getpid(); }, kCalls);
    int64_t vdso = ns_per_call(
        now, [&] { (void)rawrt::vdso::clock_gettime(rawrt::sys::kCLOCK_MONOTONIC, as_timespec(&ts)); }, kCalls);
    int64_t syscall = ns_per_call(
        now, [&] { (void)rawrt::sys::raw::clock_gettime(rawrt::sys::kCLOCK_MONOTONIC, as_timespec(&ts)); }, kCalls);
    fdprint(1, "costs, ns per call (best of 5 rounds of ", kCalls, "):\n");
    fdprint(1, "  getpid via stub (raw, Go's RawSyscall)          ", Padded{stub, 6}, "\n");
    fdprint(1, "  getpid via blocking wrapper (Go's Syscall)      ", Padded{blocking, 6},
            "   + entersyscall/exitsyscall: the tour runs as the main G\n");
    fdprint(1, "  clock_gettime via ",
            rawrt::vdso::uses_vdso(rawrt::vdso::Function::clock_gettime) ? "vDSO                        "
                                                                         : "vDSO (absent: syscall)      ",
            Padded{vdso, 6}, "\n");
    fdprint(1, "  clock_gettime via syscall                       ", Padded{syscall, 6}, "\n");
}

}  // namespace

void foundation() {
    fdprint(1, "\n== 1. foundation: syscall stubs and the vDSO ==\n");
    fdprint(1, "architecture: ", architecture(), "\n");
    show_vdso();
    show_costs();
}

}  // namespace tour
