// exit (the calling thread) and exit_group (the whole process, after its
// hook): raw syscalls, retried should the kernel ever return (Go:
// exitThread and exit, runtime/sys_linux_<arch>.s).

#include <atomic>

#include "sys/calls.hpp"

namespace rawrt::sys {
namespace {
std::atomic<void (*)()> exit_hook{nullptr};
}

void set_exit_hook(void (*hook)()) { exit_hook.store(hook, std::memory_order_release); }

void exit(int code) {
    for (;;) (void)raw_syscall(__NR_exit, code);
}

void exit_group(int code) {
    if (auto hook = exit_hook.exchange(nullptr, std::memory_order_acq_rel)) hook();
    for (;;) (void)raw_syscall(__NR_exit_group, code);
}

}  // namespace rawrt::sys
