// A PID 1 for containers, in the manner of tini and dumb-init:
//
//   build/<arch>/examples/init PROGRAM [ARGS...]
//
// starts PROGRAM as its child (exec/fork_exec.hpp: clone with CLONE_VM |
// CLONE_VFORK, a pidfd from CLONE_PIDFD), forwards SIGTERM, SIGINT, SIGHUP,
// SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to it through the pidfd, reaps
// every process re-parented to it, and exits with the child's status: its
// exit code, or 128 + the signal that killed it. Not PID 1, it makes itself
// a child subreaper (PR_SET_CHILD_SUBREAPER, tini's -s), so orphans of its
// child's tree come to it all the same.
//
// It runs on one thread with no scheduler: the signals are blocked and taken
// with rt_sigtimedwait, SIGCHLD among them, as tini does. That keeps the
// program a few KiB (the README has the size beside tini's); exec::Cmd is
// the way to run children from Gs, waiting on their pidfds in the netpoller.
#include "exec/fork_exec.hpp"
#include "sys/calls.hpp"
#include "sys/print.hpp"
#include "sys/process.hpp"

namespace sys = rawrt::sys;

namespace {

constexpr int kForwarded[] = {sys::kSIGTERM, sys::kSIGINT,  sys::kSIGHUP,  sys::kSIGQUIT,
                              sys::kSIGUSR1, sys::kSIGUSR2, sys::kSIGWINCH};

// A wait status (wait4's) as a shell's exit status.
int shell_status(int status) {
    const int sig = status & 0x7f;
    return sig == 0 ? (status >> 8) & 0xff : 128 + sig;
}

// Reaps every child that has ended; true, with *status, once the one with
// pid `child` is among them (Go: the loop of os/exec's users; tini:
// reap_zombies).
bool reap(int child, int* status) {
    bool done = false;
    for (;;) {
        int st = 0;
        auto r = sys::raw::wait4(-1, &st, sys::kWNOHANG);
        if (!r.ok() || r.value() == 0) return done;
        if (r.value() == child) {
            *status = st;
            done = true;
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        sys::eprint("usage: init PROGRAM [ARGS...]\n");
        return 2;
    }
    if (sys::raw::getpid().value_or(0) != 1) {
        if (auto r = sys::raw::prctl(sys::kPR_SET_CHILD_SUBREAPER, 1); !r.ok())
            sys::eprint("init: PR_SET_CHILD_SUBREAPER: ", r.error(), "\n");
    }

    // Blocked before the child exists, so none is lost; the child gets the
    // mask init started with.
    sys::SignalSet wanted = sys::signal_bit(sys::kSIGCHLD), original = 0;
    for (int sig : kForwarded) wanted |= sys::signal_bit(sig);
    (void)sys::raw::rt_sigprocmask(sys::kSIG_BLOCK, &wanted, &original);

    rawrt::exec::ProcAttr attr;
    attr.envp = sys::envp();
    attr.sigmask = &original;
    int pidfd = -1;
    auto child = rawrt::exec::fork_exec(argv[1], argv + 1, attr, &pidfd);
    if (!child.ok()) {
        sys::eprint("init: ", argv[1], ": ", child.error(), "\n");
        return child.error() == sys::Errno(ENOENT) ? 127 : 126;  // a shell's codes
    }

    int status = 0;
    for (;;) {
        sys::Siginfo info{};
        auto sig = sys::raw::rt_sigtimedwait(&wanted, &info, nullptr);
        if (!sig.ok()) continue;  // EINTR
        if (sig.value() == sys::kSIGCHLD) {
            if (reap(child.value(), &status)) break;
            continue;
        }
        (void)sys::raw::pidfd_send_signal(pidfd, sig.value(), nullptr, 0);
    }
    // The child is gone; orphans that ended with it are reaped, and as PID 1
    // the kernel ends the rest of the namespace when init exits.
    (void)reap(-1, &status);
    return shell_status(status);
}
