// exit (the calling thread) and exit_group (the whole process): raw
// syscalls, retried should the kernel ever return (Go: exitThread and exit,
// runtime/sys_linux_<arch>.s).

#include "sys/calls.hpp"

namespace rawrt::sys {

void exit(int code) {
    for (;;) (void)raw_syscall(__NR_exit, code);
}

void exit_group(int code) {
    for (;;) (void)raw_syscall(__NR_exit_group, code);
}

}  // namespace rawrt::sys
