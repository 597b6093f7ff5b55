// The two markers of sys/runtime_text.hpp. Empty sections: ld keeps them
// (in_runtime_text refers to their symbols) and sorts them around the
// renamed runtime code.

#include "sys/runtime_text.hpp"

asm(R"(
    .pushsection .text.sorted.rawrt.0, "ax"
    .globl rawrt_text_start
    .hidden rawrt_text_start
rawrt_text_start:
    .popsection
    .pushsection .text.sorted.rawrt.2, "ax"
    .globl rawrt_text_end
    .hidden rawrt_text_end
rawrt_text_end:
    .popsection
)");

namespace rawrt::sys {

bool runtime_text_valid() { return in_runtime_text(reinterpret_cast<uintptr_t>(&runtime_text_valid)); }

}  // namespace rawrt::sys
