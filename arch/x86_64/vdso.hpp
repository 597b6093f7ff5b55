// What the C++ must know of x86_64's vDSO (Go: vdso_linux_amd64.go): the
// e_machine of its image, the version its symbols are defined at, and the
// name of each function vdso/vdso.cpp looks up there.
#pragma once

// The e_machine, named as in <linux/elf.h>, which the macro's user includes:
// this header must not, since hosted code that includes it may include
// glibc's <elf.h> too, whose typedefs clash with the UAPI header's.
#define RAWRT_ELF_MACHINE EM_X86_64

namespace rawrt::arch {

inline constexpr const char* kVdsoVersion = "LINUX_2.6";
inline constexpr const char* kVdsoClockGettime = "__vdso_clock_gettime";
inline constexpr const char* kVdsoGettimeofday = "__vdso_gettimeofday";
inline constexpr const char* kVdsoClockGetres = "__vdso_clock_getres";
inline constexpr const char* kVdsoTime = "__vdso_time";
inline constexpr const char* kVdsoGetcpu = "__vdso_getcpu";

}  // namespace rawrt::arch
