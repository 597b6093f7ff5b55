// Typed syscall wrappers in two flavours, as in Go:
//
//   rawrt::sys::read(...)       Go's syscall.Syscall: tells the scheduler it
//                               may block (entersyscall / exitsyscall hooks).
//   rawrt::sys::raw::read(...)  Go's syscall.RawSyscall: never touches the
//                               scheduler. Cheaper, but a raw call that blocks
//                               holds its P for as long as the kernel holds it.
//
// Each returns a Result (the value or an Errno); nothing sets a global errno.
// Numbers come from the kernel's <asm/unistd.h> for the target architecture.
//
// The wrappers are generated from one table, sys/syscalls.tbl (mk/gen-syscalls
// writes sys/calls.inc), which gives each call its flavour in rawrt::sys::
// (Go's choice unless the table says why not): a call that never blocks is
// raw in both namespaces, one that may wait long hands its P off first
// (entersyscallblock). docs/syscalls.md lists them all.
#pragma once

#include <asm/unistd.h>

#include <cstddef>
#include <cstdint>

#include "sys/call_args.hpp"
#include "sys/consts.hpp"
#include "sys/result.hpp"
#include "sys/syscall.hpp"
#include "sys/types.hpp"

namespace rawrt::sys {

namespace raw {
#define RAWRT_SYSCALL_RAW ::rawrt::sys::raw_syscall
#define RAWRT_SYSCALL ::rawrt::sys::raw_syscall
#define RAWRT_SYSCALL_LONG ::rawrt::sys::raw_syscall
#define RAWRT_SYSCALL_WAIT(waits, ...) ((void)(waits), ::rawrt::sys::raw_syscall(__VA_ARGS__))
#include "sys/calls.inc"
#undef RAWRT_SYSCALL_WAIT
#undef RAWRT_SYSCALL_LONG
#undef RAWRT_SYSCALL
#undef RAWRT_SYSCALL_RAW
}  // namespace raw

#define RAWRT_SYSCALL_RAW ::rawrt::sys::raw_syscall
#define RAWRT_SYSCALL ::rawrt::sys::blocking_syscall
#define RAWRT_SYSCALL_LONG ::rawrt::sys::long_blocking_syscall
#define RAWRT_SYSCALL_WAIT(waits, ...) \
    ((waits) ? ::rawrt::sys::long_blocking_syscall(__VA_ARGS__) : ::rawrt::sys::blocking_syscall(__VA_ARGS__))
#include "sys/calls.inc"
#undef RAWRT_SYSCALL_WAIT
#undef RAWRT_SYSCALL_LONG
#undef RAWRT_SYSCALL
#undef RAWRT_SYSCALL_RAW

// Calls that end a thread or make one exist do not come in two flavours.

// Ends the calling thread only (Go: exit1 / exitThread).
[[noreturn]] void exit(int code);
// Ends the process (Go: exit).
[[noreturn]] void exit_group(int code);
// A function exit_group runs first, once (the tracer finishes its file
// there); nullptr removes it.
void set_exit_hook(void (*hook)());

// A new thread on stack_top running fn(arg), then exit with fn's result. With
// CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID, *tid holds the tid from before
// clone returns until the thread is gone, then 0 with a futex wake on it.
inline Result<int> clone(unsigned long flags, void* stack_top, int* tid, void* tls, int (*fn)(void*), void* arg) {
    return rawrt_clone(flags, stack_top, tid, tls, fn, arg);
}

namespace raw {
using ::rawrt::sys::clone;
using ::rawrt::sys::exit;
using ::rawrt::sys::exit_group;
}  // namespace raw

}  // namespace rawrt::sys
