// The clone, the child's side until execve, and how execve's errno comes
// back, after Go's forkExec and forkAndExecInChild1 (syscall/exec_linux.go)
// and glibc's posix_spawn (sysdeps/unix/sysv/linux/spawni.c).

#include "exec/fork_exec.hpp"

#include <atomic>

#include "sys/calls.hpp"
#include "sys/consts.hpp"
#include "sys/sighandlers.hpp"

namespace rawrt::exec {
namespace {

// The child's stack: it runs on the parent's G stack, in this frame, while
// the parent's thread waits for it (CLONE_VFORK). What the child does fits
// in a few hundred bytes.
constexpr size_t kChildStack = 8 * 1024;

// Whether the child of clone(CLONE_VM) writes into this process's memory.
// Natively it does, and execve's errno comes back in ChildArgs::err, as
// glibc's posix_spawn has it: CLONE_VFORK holds the parent until the child
// has exec'd or exited, so the field is final when clone returns. qemu-user
// runs that clone as a fork, the child writing into a copy: a parent that
// read ChildArgs::err there would take every failed execve for a running
// program. So a spawn uses the errno pipe (written by the child, closed by
// its exec) until one has found the child's ChildArgs::shared set in this
// process's memory. A child killed before it set it leaves the pipe on for
// good, which is slower but never wrong.
enum : int { kVmUnknown, kVmShared, kVmCopied };
std::atomic<int> child_vm{kVmUnknown};

struct ChildArgs {
    const char* path;
    const char* const* argv;
    const ProcAttr* attr;
    sys::SignalSet mask;  // the parent's, restored just before execve
    int err_fd;           // the errno pipe's write end (close-on-exec), or -1
    // Set by the child, in the parent's frame when the memory is shared
    // (child_vm); the syscalls around the stores keep them in order.
    int shared;  // 1 as soon as the child runs
    int err;     // execve's (or chdir's, dup3's) errno
};

// Go: the fd shuffle of forkAndExecInChild1. Sources below their target are
// moved out of the way first, so that no dup3 overwrites a source still
// needed.
long set_fds(const int (&in)[3]) {
    int fds[3] = {in[0], in[1], in[2]};
    int nextfd = 3;
    for (int fd : fds) nextfd = fd >= nextfd ? fd + 1 : nextfd;
    for (int i = 0; i < 3; ++i) {
        if (fds[i] >= 0 && fds[i] < i) {
            auto moved = sys::raw::dup3(fds[i], nextfd, sys::kO_CLOEXEC);
            if (!moved.ok()) return moved.raw();
            fds[i] = nextfd++;
        }
    }
    for (int i = 0; i < 3; ++i) {
        if (fds[i] < 0) continue;
        auto r = fds[i] == i ? sys::raw::fcntl(i, sys::kF_SETFD, 0)
                             : sys::Result<long>(sys::raw::dup3(fds[i], i, 0).raw());
        if (!r.ok()) return r.raw();
    }
    return 0;
}

// The child: raw syscalls only, no allocation, nothing that takes a lock.
int child_main(void* p) {
    auto* a = static_cast<ChildArgs*>(p);
    a->shared = 1;
    // Read here, after the clone copied the handler table: a handler another
    // thread put in before the clone was noted before it went in.
    reset_signal_handlers(sys::runtime_handlers());
    long r = set_fds(a->attr->fds);
    if (r == 0 && a->attr->dir != nullptr) r = sys::raw::chdir(a->attr->dir).raw();
    if (r == 0) {
        const sys::SignalSet* mask = a->attr->sigmask != nullptr ? a->attr->sigmask : &a->mask;
        (void)sys::raw::rt_sigprocmask(sys::kSIG_SETMASK, mask, nullptr);
        r = sys::raw::execve(a->path, const_cast<char* const*>(a->argv), const_cast<char* const*>(a->attr->envp)).raw();
    }
    a->err = static_cast<int>(-r);
    if (a->err_fd >= 0) (void)sys::raw::write(a->err_fd, &a->err, sizeof a->err);
    return 127;
}

}  // namespace

// A handler of the parent's must never run in the child, whose memory is
// the parent's until execve (Go: runtime_AfterForkInChild's
// clearSignalHandlers, which also resets only the runtime's own). A handler
// the program installed itself (with rt_sigaction, or libc's sigaction in a
// hosted program) is not reset, as Go leaves cgo's: a signal that reached
// the child between its unblocking and its execve would run it there.
void reset_signal_handlers(sys::SignalSet sigs) {
    for (int sig = 1; sig <= sys::kNSIG; ++sig) {
        if ((sigs & sys::signal_bit(sig)) == 0) continue;
        sys::KernelSigaction old{};
        if (!sys::raw::rt_sigaction(sig, nullptr, &old).ok()) continue;
        const auto handler = reinterpret_cast<uintptr_t>(old.handler);
        if (handler <= 1) continue;  // SIG_DFL, SIG_IGN
        sys::KernelSigaction dfl{};
        (void)sys::raw::rt_sigaction(sig, &dfl, nullptr);
    }
}

sys::Result<int> fork_exec(const char* path, const char* const* argv, const ProcAttr& attr, int* pidfd) {
    const int vm = child_vm.load(std::memory_order_relaxed);
    int errpipe[2] = {-1, -1};
    if (vm != kVmShared) {
        if (auto r = sys::raw::pipe2(errpipe, sys::kO_CLOEXEC); !r.ok()) return r.error();
    }
    ChildArgs args{path, argv, &attr, 0, errpipe[1], 0, 0};
    alignas(16) unsigned char stack[kChildStack];

    // Every signal blocked from before the clone until the child has reset
    // its handlers (Go: runtime_BeforeFork / AfterFork).
    const sys::SignalSet all = ~sys::SignalSet{0};
    (void)sys::raw::rt_sigprocmask(sys::kSIG_SETMASK, &all, &args.mask);
    int fd = -1;
    constexpr unsigned long kFlags = sys::kCLONE_VM | sys::kCLONE_VFORK | sys::kSIGCHLD;
    auto pid = sys::clone(kFlags | sys::kCLONE_PIDFD, stack + sizeof stack, &fd, nullptr, child_main, &args);
    if (!pid.ok() && pid.error() == sys::Errno(EINVAL)) {
        // No CLONE_PIDFD (a kernel before 5.2, or qemu-user's clone).
        fd = -1;
        pid = sys::clone(kFlags, stack + sizeof stack, &fd, nullptr, child_main, &args);
    }
    if (pid.ok() && fd < 0) {
        // The pidfd from pidfd_open, which names the right process as long
        // as the child is not reaped (the kernel opens it close-on-exec).
        auto opened = sys::raw::pidfd_open(pid.value(), 0);
        fd = opened.ok() ? opened.value() : -1;
    }
    (void)sys::raw::rt_sigprocmask(sys::kSIG_SETMASK, &args.mask, nullptr);
    if (errpipe[1] >= 0) (void)sys::raw::close(errpipe[1]);
    if (!pid.ok()) {
        if (errpipe[0] >= 0) (void)sys::raw::close(errpipe[0]);
        return pid.error();
    }
    if (vm == kVmUnknown) child_vm.store(args.shared != 0 ? kVmShared : kVmCopied, std::memory_order_relaxed);

    // The child has exec'd or set its errno and exited. Through the pipe:
    // its end closed with the exec (0 bytes), or the errno.
    int err = args.err;
    if (errpipe[0] >= 0) {
        err = 0;
        int piped = 0;
        auto n = sys::raw::read(errpipe[0], &piped, sizeof piped);
        (void)sys::raw::close(errpipe[0]);
        if (n.ok() && n.value() == sizeof piped) err = piped;
    }
    const bool failed = err != 0;
    if (fd < 0 || failed) {
        if (!failed) (void)sys::raw::kill(pid.value(), sys::kSIGKILL);  // running, but no pidfd to wait on
        sys::Siginfo info{};
        (void)sys::raw::waitid(sys::kP_PID, pid.value(), &info, sys::kWEXITED);  // exited, or about to
        if (fd >= 0) (void)sys::raw::close(fd);
        return failed ? sys::Errno(err) : sys::Errno(ENOSYS);
    }
    *pidfd = fd;
    return pid.value();
}

}  // namespace rawrt::exec
