// Starting a program as a child process without copying the parent's
// memory, after Go's syscall.forkExec (syscall/exec_linux.go): the child
// shares the parent's address space (CLONE_VM) on a small stack of its own
// while the calling thread waits (CLONE_VFORK), makes only raw syscalls, and
// either becomes the new program or leaves execve's errno in the parent's
// memory (through a close-on-exec pipe where the memory turns out not to be
// shared: qemu-user) and exits.
#pragma once

#include "sys/result.hpp"
#include "sys/types.hpp"

namespace rawrt::exec {

// What the child is given besides its path and arguments (Go's
// syscall.ProcAttr).
struct ProcAttr {
    const char* dir = nullptr;                // null: the parent's working directory
    const char* const* envp = nullptr;        // null-terminated; never null here
    int fds[3] = {-1, -1, -1};                // what becomes fd 0, 1, 2; -1: leave it as inherited
    const sys::SignalSet* sigmask = nullptr;  // the child's signal mask; null: the caller's
};

// The child's pid, with its pidfd in *pidfd (CLONE_PIDFD, close-on-exec),
// once it runs the program. Errors: execve's (ENOENT, EACCES, ENOEXEC, ...)
// or chdir's or dup3's in the child, which has been reaped; clone's (and
// pipe2's, while the errno pipe is in use) in the parent (EAGAIN, EMFILE,
// ...). Nothing is left open on an error. Only the calling thread waits
// while the child starts; all signals are blocked on it meanwhile.
sys::Result<int> fork_exec(const char* path, const char* const* argv, const ProcAttr& attr, int* pidfd);

// The child's first step, before it unblocks signals for execve: each
// signal of sigs that has a handler goes back to SIG_DFL; an ignored one
// stays ignored, as execve keeps it. The child passes the runtime's
// handlers (sys::runtime_handlers), read after the clone. Raw syscalls only.
void reset_signal_handlers(sys::SignalSet sigs);

}  // namespace rawrt::exec
