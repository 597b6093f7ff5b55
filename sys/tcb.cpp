// A thread's control block (sys/tcb.hpp): its fields set, the thread
// pointer pointed at it, and the stack-protector canary taken from AT_RANDOM.

#include "sys/tcb.hpp"

#include <linux/auxvec.h>

#include "arch/arch.hpp"
#include "sys/fatal.hpp"
#include "sys/process.hpp"

namespace rawrt::sys {

void ThreadControlBlock::init(uintptr_t canary) {
    *this = ThreadControlBlock{};
    self = this;
    tag = reinterpret_cast<uintptr_t>(this) ^ RAWRT_TCB_MAGIC;
    stack_guard = canary;
}

void install_thread_control_block(ThreadControlBlock* tcb) {
    long r = rawrt_thread_pointer_set(tcb);
    if (r != 0) fatal("cannot install the thread control block (", Errno(static_cast<int>(-r)), ")");
}

uintptr_t random_canary() {
    uintptr_t canary = 0;
    if (auto* bytes = reinterpret_cast<const unsigned char*>(auxv_value(AT_RANDOM)))
        __builtin_memcpy(&canary, bytes + 8, sizeof canary);  // glibc uses the first 8
    // A zero low byte stops string overflows from forging the canary (glibc's trick).
    return canary & ~uintptr_t{0xff};
}

}  // namespace rawrt::sys
