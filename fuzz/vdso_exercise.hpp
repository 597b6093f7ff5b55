// What the fuzzer does with one input, kept apart so that the regression
// replay in tests/vdso_parser_test.cpp runs exactly the same calls on every
// file of fuzz/regressions/.
//
// The input is taken as an image of either architecture and every entry
// point of the parser runs on it, asking for every name and version the
// resolver asks for on x86_64 and aarch64. Besides "no fault", it checks the
// one promise a caller relies on: whatever is found lies inside the image.
#pragma once

#include <cstddef>
#include <cstdint>

#include "vdso/elf_image.hpp"

namespace rawrt::vdso::fuzz {

inline constexpr const char* kNames[] = {
    "__vdso_clock_gettime", "__vdso_gettimeofday",    "__vdso_clock_getres",   "__vdso_time",
    "__vdso_getcpu",        "__kernel_clock_gettime", "__kernel_gettimeofday", "__kernel_clock_getres",
};
inline constexpr size_t kNameCount = sizeof kNames / sizeof kNames[0];
inline constexpr const char* kVersions[] = {"LINUX_2.6", "LINUX_2.6.39"};
inline constexpr Elf64_Half kMachines[] = {EM_X86_64, EM_AARCH64};

struct Outcome {
    bool parsed = false;   // vdsoInitFromSysinfoEx accepted it for some machine
    unsigned found = 0;    // symbols found, over every machine, version and name
    unsigned escaped = 0;  // of those, how many pointed outside the image
};

inline Outcome exercise(const unsigned char* data, size_t size) {
    Outcome outcome;
    auto record = [&](uintptr_t address) {
        if (address == 0) return;
        ++outcome.found;
        uintptr_t begin = reinterpret_cast<uintptr_t>(data);
        if (address < begin || address - begin >= size) ++outcome.escaped;
    };
    for (Elf64_Half machine : kMachines) {
        (void)image_size_from_headers(data, size, machine);
        ElfImage info;
        if (!vdsoInitFromSysinfoEx(&info, data, size, machine)) continue;
        outcome.parsed = true;
        for (const char* version : kVersions) {
            VersionKey ver{version, elf_hash(version)};
            uintptr_t found[kNameCount] = {};
            SymbolKey keys[kNameCount];
            for (size_t i = 0; i < kNameCount; ++i)
                keys[i] = {kNames[i], elf_hash(kNames[i]), gnu_hash(kNames[i]), &found[i]};
            vdsoParseSymbols(&info, vdsoFindVersion(&info, &ver), keys, kNameCount);
            for (uintptr_t address : found) record(address);
        }
        // Unversioned, through the one-symbol form.
        for (const char* name : kNames) record(reinterpret_cast<uintptr_t>(lookup(&info, name, nullptr)));
    }
    return outcome;
}

}  // namespace rawrt::vdso::fuzz
