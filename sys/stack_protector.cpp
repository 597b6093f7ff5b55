// Support for code built with -fstack-protector, which a freestanding program
// may be. x86_64 reads its canary from the TCB (%fs:0x28, set by
// ThreadControlBlock::init); aarch64 GCC reads the global __stack_chk_guard.
// Both call __stack_chk_fail on a smashed canary. A hosted program takes
// libc's definitions of these, linked before librawrt.a.

#include <cstdint>

#include "sys/fatal.hpp"
#include "sys/tcb.hpp"

extern "C" {
uintptr_t __stack_chk_guard = 0;

[[noreturn]] void __stack_chk_fail() { rawrt::sys::fatal("stack smashing detected"); }
}

namespace rawrt::sys {

void init_stack_protector() { __stack_chk_guard = random_canary(); }

}  // namespace rawrt::sys
