// Signal notification through a self-pipe (Go: os/signal's Notify and the
// runtime's sigsend, with a pipe in place of Go's signal queue: the waiting
// G then parks in the netpoller instead of on a note of its own).

#include "netpoll/signal_notify.hpp"

#include <atomic>
#include <cstdint>
#include <new>

#include <linux/fcntl.h>

#include "arch/arch.hpp"
#include "netpoll/fd.hpp"
#include "sched/go.hpp"
#include "sched/signal_unix.hpp"
#include "sched/sync.hpp"
#include "sys/calls.hpp"
#include "sys/sighandlers.hpp"

namespace rawrt::signal {
namespace {


// The handler reads these; stop() must know when no handler can still be
// about to write to the old descriptor before closing it (the number could
// otherwise be reused by an unrelated open and receive a stray byte).
std::atomic<int> write_fd{-1};
std::atomic<int> handlers_running{0};

Mutex mu;                                   // notify and stop, one at a time
sys::SignalSet caught = 0;                  // under mu
sys::KernelSigaction previous[sys::kNSIG];  // under mu; [sig - 1]
std::atomic<bool> active{false};

// The read end, made once and never destroyed: a wait() racing with stop()
// may still hold it, and a closed FD answers EBADF. Raw storage, so the
// freestanding build needs no static destructor (no atexit).
alignas(fd::FD) unsigned char reader_storage[sizeof(fd::FD)];
fd::FD* reader = nullptr;  // under mu

bool catchable(int sig) {
    if (sig < 1 || sig > sys::kNSIG) return false;
    switch (sig) {
        case sys::kSIGKILL:
        case sys::kSIGSTOP:
        case sys::kSIGILL:
        case sys::kSIGBUS:
        case sys::kSIGFPE:
        case sys::kSIGSEGV: return false;
        default: return true;
    }
}

// Async-signal-safe: two atomics and one raw write. EAGAIN (a full pipe)
// drops the signal.
void sighandler(int sig) {
    handlers_running.fetch_add(1);
    const int fd = write_fd.load();
    if (fd >= 0) {
        const unsigned char byte = static_cast<unsigned char>(sig);
        (void)sys::raw::write(fd, &byte, 1);
    }
    handlers_running.fetch_sub(1);
}

// The pipe and its read end in the poller (mu held).
sys::Result<void> open_pipe() {
    int fds[2];
    if (auto r = sys::raw::pipe2(fds, O_NONBLOCK | O_CLOEXEC); !r.ok()) return r;
    if (reader == nullptr) reader = ::new (reader_storage) fd::FD;
    if (auto r = reader->init(fds[0], true); !r.ok()) {
        (void)sys::raw::close(fds[0]);
        (void)sys::raw::close(fds[1]);
        return r;
    }
    write_fd.store(fds[1]);
    active.store(true);
    return {};
}

// Undoes open_pipe once no handler can be writing (mu held).
void close_pipe() {
    active.store(false);
    const int fd = write_fd.exchange(-1);
    // A handler that loaded the old number before the exchange has already
    // counted itself in (sequentially consistent): wait it out. It never
    // blocks, so this is short.
    while (handlers_running.load() != 0) yield();
    (void)sys::raw::close(fd);
    (void)reader->close();  // wakes the Gs in wait()
}

// SIGURG belongs to the runtime while preemption signals are on: its
// handler passes the SIGURGs that are not its own to ours.
void restore(int sig) {
    if (sig == sys::kSIGURG && sched::sigurg_forward(nullptr)) return;
    (void)sys::raw::rt_sigaction(sig, &previous[sig - 1], nullptr);
}

sys::Result<void> install(int sig, const sys::KernelSigaction* act) {
    if (sig == sys::kSIGURG && sched::sigurg_forward(&sighandler)) return {};
    return sys::install_runtime_handler(sig, act, &previous[sig - 1]);
}

}  // namespace

sys::Result<void> notify(const int* sigs, int n) {
    if (sigs == nullptr || n <= 0) return sys::Errno(EINVAL);
    for (int i = 0; i < n; ++i)
        if (!catchable(sigs[i])) return sys::Errno(EINVAL);

    mu.lock();
    const bool opened_here = !active.load();
    if (opened_here) {
        if (auto r = open_pipe(); !r.ok()) {
            mu.unlock();
            return r;
        }
    }
    sys::KernelSigaction act{};
    act.handler = reinterpret_cast<void*>(&sighandler);
    act.flags = sys::kSA_RESTORER | sys::kSA_ONSTACK | sys::kSA_RESTART;
    act.restorer = rawrt_sigreturn;
    act.mask = ~sys::SignalSet{0};
    sys::SignalSet added = 0;
    sys::Result<void> result;
    for (int i = 0; i < n && result.ok(); ++i) {
        const int sig = sigs[i];
        if (((caught | added) & sys::signal_bit(sig)) != 0) continue;
        result = install(sig, &act);
        if (result.ok()) added |= sys::signal_bit(sig);
    }
    if (!result.ok()) {  // all or nothing: this call's signals go back
        for (int sig = 1; sig <= sys::kNSIG; ++sig)
            if ((added & sys::signal_bit(sig)) != 0) restore(sig);
        if (opened_here) close_pipe();
    } else {
        caught |= added;
    }
    mu.unlock();
    return result;
}

sys::Result<int> wait() {
    if (!active.load()) return sys::Errno(EBADF);
    unsigned char byte = 0;
    // reader is set before active, and never reset.
    auto r = reader->read(&byte, 1);
    if (!r.ok()) return r.error();
    if (r.value() == 0) return sys::Errno(EBADF);  // the write end is gone
    return static_cast<int>(byte);
}

void stop() {
    mu.lock();
    if (active.load()) {
        for (int sig = 1; sig <= sys::kNSIG; ++sig)
            if ((caught & sys::signal_bit(sig)) != 0) restore(sig);
        caught = 0;
        close_pipe();
    }
    mu.unlock();
}

}  // namespace rawrt::signal
