// A freestanding program that spawns each of its arguments in turn with
// exec::fork_exec and prints what came of it, for tests/exec_errno_test.cpp:
// "OK" (the program ran; it is waited for) or the errno's name, one word a
// spawn, then the number of open descriptors before and after and whether
// any child is left ("fds 4 4 children 0").
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

int open_fds() {
    auto dir = sys::raw::openat(sys::kAT_FDCWD, "/proc/self/fd", sys::kO_RDONLY | sys::kO_CLOEXEC);
    if (!dir.ok()) return -1;
    alignas(8) char buf[4096];
    int n = -3;  // ".", ".." and the directory's own descriptor
    for (;;) {
        auto got = sys::raw::getdents64(dir.value(), buf, sizeof buf);
        if (!got.ok() || got.value() == 0) break;
        for (size_t at = 0; at < got.value(); at += reinterpret_cast<const sys::Dirent64*>(buf + at)->reclen) ++n;
    }
    (void)sys::raw::close(dir.value());
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    const int fds_before = open_fds();
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
    sys::fdprint(1, "fds ", fds_before, " ", open_fds(), " children ", children ? 1 : 0, "\n");
    return 0;
}
