// The two markers of sys/runtime_text.hpp. Empty sections: ld keeps them
// (in_runtime_text refers to their symbols) and sorts them around the
// renamed runtime code.

#include "sys/runtime_text.hpp"

#include "arch/arch.hpp"

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

bool runtime_text_valid() {
    // This function (C++), and routines of two .S files (the assembly,
    // which the build renames too), all inside.
    return in_runtime_text(reinterpret_cast<uintptr_t>(&runtime_text_valid)) &&
           in_runtime_text(reinterpret_cast<uintptr_t>(&rawrt_syscall0)) &&
           in_runtime_text(reinterpret_cast<uintptr_t>(&rawrt_mcall));
}

}  // namespace rawrt::sys
