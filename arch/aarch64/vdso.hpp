// What the C++ must know of arm64's vDSO (Go: vdso_linux_arm64.go): the
// e_machine of its image, the version its symbols are defined at, and the
// name of each function vdso/vdso.cpp looks up there; nullptr where it has
// none, so that function always takes the syscall.
#pragma once

// The e_machine, named as in <linux/elf.h>, which the macro's user includes:
// this header must not, since hosted code that includes it may include
// glibc's <elf.h> too, whose typedefs clash with the UAPI header's.
#define RAWRT_ELF_MACHINE EM_AARCH64

namespace rawrt::arch {

inline constexpr const char* kVdsoVersion = "LINUX_2.6.39";
inline constexpr const char* kVdsoClockGettime = "__kernel_clock_gettime";
inline constexpr const char* kVdsoGettimeofday = "__kernel_gettimeofday";
inline constexpr const char* kVdsoClockGetres = "__kernel_clock_getres";
inline constexpr const char* kVdsoTime = nullptr;
inline constexpr const char* kVdsoGetcpu = nullptr;

}  // namespace rawrt::arch
