// Cmd: a child process's descriptors, start, wait on its pidfd and signals,
// after Go's os/exec (exec.go) and os (exec_unix.go, pidfd_linux.go).

#include "exec/exec.hpp"

#include <linux/stat.h>

#include "exec/fork_exec.hpp"
#include "sys/calls.hpp"
#include "sys/consts.hpp"
#include "sys/process.hpp"

namespace rawrt::exec {
namespace {

// Closes what start() opened for the child once the child has its copies.
void close_all(int (&fds)[3]) {
    for (int& fd : fds) {
        if (fd >= 0) (void)sys::raw::close(fd);
        fd = -1;
    }
}

struct WaitState {
    sys::Siginfo info;
    long err;
};

// Go: the pidfd's RawRead callback in pidfdWait. True once the child has
// ended (and is reaped) or waitid failed.
bool reaped(int pidfd, void* ctx) {
    auto* w = static_cast<WaitState*>(ctx);
    w->info = sys::Siginfo{};
    auto r = sys::raw::waitid(sys::kP_PIDFD, pidfd, &w->info, sys::kWEXITED | sys::kWNOHANG);
    if (!r.ok()) {
        w->err = r.raw();
        return true;
    }
    return w->info.fields.child.pid != 0;
}

}  // namespace

bool ProcessState::exited() const { return code == sys::kCLD_EXITED; }
int ProcessState::exit_code() const { return exited() ? status : -1; }
int ProcessState::signal() const { return exited() ? 0 : status; }
int ProcessState::shell_status() const { return exited() ? status : 128 + status; }

Cmd::~Cmd() {
    // A child never waited for is left running, as Go leaves it; its pidfd
    // and pipes close with the Cmd.
}

sys::Result<void> Cmd::start() {
    if (started_) return sys::Errno(EBUSY);
    if (argv_ == nullptr || argv_[0] == nullptr || path_ == nullptr) return sys::Errno(EINVAL);
    int child[3] = {-1, -1, -1};  // what start() opened for the child
    ProcAttr attr;
    attr.dir = dir;
    static const char* const kNoEnv[] = {nullptr};
    attr.envp = envp != nullptr ? envp : (sys::envp() != nullptr ? sys::envp() : kNoEnv);
    sys::Result<void> err;
    for (int i = 0; i < 3 && err.ok(); ++i) {
        switch (stdio[i].kind) {
            case Stdio::kInherit: break;
            case Stdio::kFd:
                if (stdio[i].fd < 0) err = sys::Errno(EINVAL);
                attr.fds[i] = stdio[i].fd;
                break;
            case Stdio::kNull: {
                auto fd = sys::raw::openat(sys::kAT_FDCWD, "/dev/null", sys::kO_RDWR | sys::kO_CLOEXEC);
                if (!fd.ok()) err = fd.error();
                else attr.fds[i] = child[i] = fd.value();
                break;
            }
            case Stdio::kPipe: {
                int p[2];
                if (auto r = sys::raw::pipe2(p, sys::kO_CLOEXEC); !r.ok()) {
                    err = r.error();
                    break;
                }
                const int mine = i == 0 ? p[1] : p[0], theirs = i == 0 ? p[0] : p[1];
                attr.fds[i] = child[i] = theirs;
                if (auto r = pipes_[i].init(mine); !r.ok()) {
                    (void)sys::raw::close(mine);
                    err = r;
                }
                break;
            }
        }
    }
    int pidfd = -1;
    sys::Result<int> pid = err.ok() ? fork_exec(path_, argv_, attr, &pidfd) : sys::Result<int>(err.error());
    close_all(child);
    if (pid.ok()) {
        err = pidfd_.init(pidfd, true);
        if (!err.ok()) {
            // No poller for the pidfd: the child cannot be waited for here.
            (void)sys::raw::pidfd_send_signal(pidfd, sys::kSIGKILL, nullptr, 0);
            sys::Siginfo info{};
            (void)sys::raw::waitid(sys::kP_PIDFD, pidfd, &info, sys::kWEXITED);
            (void)sys::raw::close(pidfd);
        }
    } else {
        err = pid.error();
    }
    if (!err.ok()) {
        for (auto& p : pipes_)
            if (p.sysfd() >= 0) (void)p.close();
        return err;
    }
    pid_ = pid.value();
    started_ = true;
    return {};
}

sys::Result<void> Cmd::wait(ProcessState* state) {
    if (!started_ || pidfd_.sysfd() < 0) return sys::Errno(ECHILD);
    WaitState w{{}, 0};
    auto r = pidfd_.raw_read(reaped, &w);
    (void)pidfd_.close();
    for (auto& p : pipes_)
        if (p.sysfd() >= 0) (void)p.close();
    if (!r.ok()) return r.error();
    if (w.err != 0) return sys::Errno(static_cast<int>(-w.err));
    if (state != nullptr) *state = ProcessState{w.info.code, w.info.fields.child.status, pid_};
    return {};
}

sys::Result<void> Cmd::run(ProcessState* state) {
    if (auto r = start(); !r.ok()) return r;
    return wait(state);
}

sys::Result<void> Cmd::signal(int sig) {
    if (!started_ || pidfd_.sysfd() < 0) return sys::Errno(ESRCH);
    return sys::raw::pidfd_send_signal(pidfd_.sysfd(), sig, nullptr, 0);
}

sys::Result<void> Cmd::kill() { return signal(sys::kSIGKILL); }

// Go: findExecutable: a regular file with some execute bit, that this
// process may execute.
static bool executable(const char* path) {
    struct statx st;
    if (!sys::raw::statx(sys::kAT_FDCWD, path, 0, STATX_MODE, &st).ok()) return false;
    if ((st.stx_mode & sys::kS_IFMT) != sys::kS_IFREG || (st.stx_mode & 0111) == 0) return false;
    return sys::raw::faccessat(sys::kAT_FDCWD, path, 1 /* X_OK */).ok();
}

sys::Result<void> look_path(const char* file, char* buf, size_t size) {
    size_t flen = 0;
    bool slash = false;
    while (file[flen] != '\0') slash |= file[flen++] == '/';
    if (flen == 0) return sys::Errno(ENOENT);
    if (slash) {
        if (flen + 1 > size) return sys::Errno(ENAMETOOLONG);
        for (size_t i = 0; i <= flen; ++i) buf[i] = file[i];
        return executable(buf) ? sys::Result<void>() : sys::Errno(ENOENT);
    }
    const char* path = sys::getenv("PATH");
    if (path == nullptr) path = "/usr/local/bin:/usr/bin:/bin";
    for (const char* dir = path;;) {
        const char* end = dir;
        while (*end != '\0' && *end != ':') ++end;
        size_t dlen = static_cast<size_t>(end - dir);
        if (dlen == 0) dir = ".", dlen = 1;  // an empty entry is the working directory
        if (dlen + 1 + flen + 1 > size) return sys::Errno(ENAMETOOLONG);
        size_t n = 0;
        for (size_t i = 0; i < dlen; ++i) buf[n++] = dir[i];
        buf[n++] = '/';
        for (size_t i = 0; i <= flen; ++i) buf[n++] = file[i];
        if (executable(buf)) return {};
        if (*end == '\0') break;
        dir = end + 1;
    }
    return sys::Errno(ENOENT);
}

}  // namespace rawrt::exec
