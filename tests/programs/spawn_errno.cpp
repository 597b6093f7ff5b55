// A freestanding program that spawns each of its arguments in turn with
// exec::fork_exec and prints what came of it, for tests/exec_errno_test.cpp:
// "OK" (the program ran; it is waited for) or the errno's name, one word a
// spawn, then the lowest free descriptor before and after and whether any
// child is left ("fds 3 3 children 0").
//
// One thread, no scheduler (as examples/init): under qemu-user, which forks
// for clone(CLONE_VM | CLONE_VFORK), the child of a threaded process could
// deadlock inside qemu. The first spawn of a process reads execve's errno
// through the pipe; the later ones from the memory the child shares, where
// it does share it: both ways are on the line.

#include "exec/fork_exec.hpp"
#include "sys/calls.hpp"
#include "sys/print.hpp"
#include "sys/process.hpp"

namespace sys = rawrt::sys;

namespace {

// The lowest free descriptor: a spawn that left one open (its pipe, its
// pidfd) would have taken it.
int lowest_free_fd() {
    const int fd = static_cast<int>(sys::raw::dup(0).value_or(-1));
    if (fd >= 0) (void)sys::raw::close(fd);
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    const int fds_before = lowest_free_fd();
    for (int i = 1; i < argc; ++i) {
        const char* child_argv[] = {argv[i], nullptr};
        rawrt::exec::ProcAttr attr;
        attr.envp = sys::envp();
        int pidfd = -1;
        auto pid = rawrt::exec::fork_exec(argv[i], child_argv, attr, &pidfd);
        if (!pid.ok()) {
            sys::fdprint(1, pid.error(), " ");
            continue;
        }
        sys::Siginfo info{};
        (void)sys::raw::waitid(sys::kP_PID, pid.value(), &info, sys::kWEXITED);
        (void)sys::raw::close(pidfd);
        sys::fdprint(1, "OK ");
    }
    sys::Siginfo info{};
    const bool children = sys::raw::waitid(sys::kP_ALL, 0, &info, sys::kWEXITED | sys::kWNOHANG).ok();
    sys::fdprint(1, "fds ", fds_before, " ", lowest_free_fd(), " children ", children ? 1 : 0, "\n");
    return 0;
}
