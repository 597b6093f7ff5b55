// Child processes in the shape of Go's os/exec: a Cmd names a program, its
// arguments, environment and working directory and what its stdin, stdout
// and stderr are; start() runs it (exec/fork_exec.hpp: no copy of the
// parent's memory), wait() parks the calling G on the child's pidfd in the
// netpoller until it ends, signal() reaches it through the pidfd, so a pid
// the kernel has reused is never hit.
//
//   const char* argv[] = {"/bin/echo", "hi", nullptr};
//   rawrt::exec::Cmd cmd("/bin/echo", argv);
//   cmd.stdio[1] = rawrt::exec::Stdio::pipe();
//   if (auto e = cmd.start(); !e.ok()) ...;          // ENOENT, EACCES, ...
//   char buf[16];
//   auto n = cmd.pipe(1)->read(buf, sizeof buf);    // parks this G, not its M
//   rawrt::exec::ProcessState st;
//   auto w = cmd.wait(&st);                         // parks on the pidfd
//   st.exit_code() == 0
//
// Only on a G (the pipes and the wait use the netpoller). No thread ever
// blocks in wait4, and no SIGCHLD handler is involved: other waiters for
// other children are not disturbed (a wait4(-1) elsewhere could still reap
// this child first; wait() then returns ECHILD).
#pragma once

#include "netpoll/fd.hpp"
#include "sys/result.hpp"

namespace rawrt::exec {

// What one of the child's fds 0, 1, 2 is (Go: Cmd.Stdin/Stdout/Stderr).
struct Stdio {
    enum Kind { kInherit, kNull, kPipe, kFd };
    Kind kind = kInherit;
    int fd = -1;  // kFd: a descriptor of the parent's, duplicated into the child

    static Stdio inherit() { return {}; }
    static Stdio null() { return {kNull, -1}; }  // /dev/null
    static Stdio pipe() { return {kPipe, -1}; }  // a pipe; the parent's end is Cmd::pipe(n)
    static Stdio from_fd(int fd) { return {kFd, fd}; }
};

// How the child ended (Go: os.ProcessState).
struct ProcessState {
    int code = 0;    // siginfo's si_code: kCLD_EXITED, kCLD_KILLED or kCLD_DUMPED
    int status = 0;  // the exit code, or the signal's number
    int pid = 0;

    bool exited() const;       // Go: Exited
    int exit_code() const;     // Go: ExitCode: the code, or -1 when killed
    int signal() const;        // the signal that ended it, or 0
    int shell_status() const;  // the code, or 128 + the signal (a shell's $?)
};

class Cmd {
public:
    // argv: null-terminated, argv[0] the program's name for itself. path is
    // used as it is (no search of $PATH: look_path does that).
    Cmd(const char* path, const char* const* argv) : path_(path), argv_(argv) {}
    ~Cmd();
    Cmd(const Cmd&) = delete;
    Cmd& operator=(const Cmd&) = delete;

    const char* const* envp = nullptr;  // null-terminated; null: this process's
    const char* dir = nullptr;          // null: this process's working directory
    Stdio stdio[3];                     // fd 0, 1, 2

    // Go: Cmd.Start. Errors: EBUSY (started already), EINVAL (a kFd stdio
    // with a negative fd, or no argv), execve's (ENOENT, EACCES, ENOEXEC,
    // ENOTDIR; EACCES for a directory), chdir's, open's of /dev/null,
    // pipe2's and clone's (EMFILE, EAGAIN); nothing stays open then.
    sys::Result<void> start();
    // Go: Cmd.Wait. Parks the G until the child ends, reaps it, and closes
    // the pidfd (and the parent's pipe ends). ECHILD: not started, waited
    // already, or reaped by someone else.
    // How it ended goes to *state (if given).
    sys::Result<void> wait(ProcessState* state = nullptr);
    // Go: Cmd.Run: start, then wait.
    sys::Result<void> run(ProcessState* state = nullptr);
    // Go: Process.Signal, through pidfd_send_signal. ESRCH: it has ended
    // (not yet reaped: it is still there, a zombie, and ESRCH all the same).
    sys::Result<void> signal(int sig);
    // Go: Process.Kill.
    sys::Result<void> kill();

    // The parent's end of a kPipe stdio (n = 0: write to its stdin; 1, 2:
    // read its output), non-blocking in the netpoller; null otherwise.
    fd::FD* pipe(int n) { return n >= 0 && n < 3 && pipes_[n].sysfd() >= 0 ? &pipes_[n] : nullptr; }
    int pid() const { return pid_; }

private:
    const char* path_;
    const char* const* argv_;
    int pid_ = 0;
    fd::FD pidfd_;
    fd::FD pipes_[3];
    bool started_ = false;
};

// Go: exec.LookPath. The first file of $PATH's directories (or of path
// itself when it holds a '/') that is an executable regular file, written
// into buf. ENOENT: none; ENAMETOOLONG: buf is too small.
sys::Result<void> look_path(const char* file, char* buf, size_t size);

}  // namespace rawrt::exec
