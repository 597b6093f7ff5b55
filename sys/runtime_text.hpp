// Where the runtime's own code lies in the program: one range of addresses,
// so that a signal handler can tell in two compares whether it interrupted
// the runtime (sched/preempt.cpp never preempts there, as Go never preempts
// inside its runtime package).
//
// The build renames every code section of the library's objects (the
// Makefile's RT_TEXT rule) to .text.sorted.rawrt.1, and GNU ld sorts
// .text.sorted.* by name inside .text: the runtime's functions come out
// side by side, between the markers .text.sorted.rawrt.0 and .2 that
// runtime_text.cpp defines. The runtime's calls to memcpy, memmove, memset,
// memcmp and strlen go to its own copies (sys/memory.cpp), inside that
// range, even where a hosted program's libc provides the standard names.
//
// Not in the range: inline functions and templates of rawrt's headers that
// a program's own code instantiates (they are that program's code), and a
// program linked by another linker or with a linker script of its own that
// leaves .text.sorted.* out (runtime_text_valid() is then false, and
// preemption stays cooperative).
#pragma once

#include <cstdint>

namespace rawrt::sys {

extern "C" const char rawrt_text_start[];
extern "C" const char rawrt_text_end[];

inline bool in_runtime_text(uintptr_t pc) {
    return pc >= reinterpret_cast<uintptr_t>(rawrt_text_start) && pc < reinterpret_cast<uintptr_t>(rawrt_text_end);
}

// The markers enclose the runtime's C++ and assembly: the build renamed
// and the linker sorted them.
bool runtime_text_valid();

}  // namespace rawrt::sys
