// libFuzzer target for the vDSO parser (vdso/elf_image.cpp): the input bytes
// are an image, as if the kernel had mapped them at AT_SYSINFO_EHDR.
//
//   make fuzz FUZZ_SECONDS=60
//
// The bytes are copied into a new[] buffer of exactly their size: aligned as a
// mapped image's start would be (16 bytes at least), and ending where the
// input ends, so AddressSanitizer reports any read past it. A lookup that returns an
// address outside the image is a finding too. Whatever the fuzzer finds is
// kept in fuzz/regressions/, which tests/vdso_parser_test.cpp replays.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "fuzz/vdso_exercise.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    std::unique_ptr<unsigned char[]> image(new unsigned char[size]);
    std::memcpy(image.get(), data, size);
    rawrt::vdso::fuzz::Outcome outcome = rawrt::vdso::fuzz::exercise(image.get(), size);
    if (outcome.escaped != 0) __builtin_trap();
    return 0;
}
