// The fd layer, after Go's internal/poll (fd_unix.go, fd_mutex.go,
// fd_poll_runtime.go).

#include "netpoll/fd.hpp"

#include <asm/socket.h>
#include <linux/fcntl.h>
#include <linux/uio.h>

#include "netpoll/netpoll.hpp"
#include "netpoll/poll_desc.hpp"
#include "sched/sema.hpp"
#include "sys/calls.hpp"
#include "sys/consts.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::fd {
namespace {

using netpoll::PollError;

// Go: maxRW. Larger reads and writes are split: some kernels and file
// systems mishandle counts near 2 GiB.
constexpr size_t kMaxRW = size_t{1} << 30;


// Go: convertErr.
sys::Errno convert(PollError e) {
    switch (e) {
        case netpoll::pollErrClosing: return kErrClosed;
        case netpoll::pollErrTimeout: return kErrTimeout;
        default: return kErrNotPollable;
    }
}

}  // namespace

FD::~FD() {
    if ((state_.load() & kClosed) == 0) (void)close();
}

sys::Result<void> FD::init(int sysfd, bool already_nonblocking) { return take(sysfd, already_nonblocking, true); }

sys::Result<void> FD::init_pollable(int sysfd) { return take(sysfd, false, false); }

// init's work; blocking_too: an fd epoll refuses is taken over in blocking
// mode, else refused with EPERM.
sys::Result<void> FD::take(int sysfd, bool already_nonblocking, bool blocking_too) {
    if (sysfd < 0) return sys::Errno(EBADF);
    if (sysfd_ != -1) return sys::Errno(EBUSY);
    auto opened = netpoll::poll_runtime_pollOpen(sysfd);
    netpoll::pollDesc* pd = nullptr;
    if (opened.ok()) {
        pd = opened.value();
        if (!already_nonblocking) {
            auto flags = sys::raw::fcntl(sysfd, F_GETFL);
            sys::Result<long> set = flags.ok() ? sys::raw::fcntl(sysfd, F_SETFL, flags.value() | O_NONBLOCK) : flags;
            if (!set.ok()) {
                netpoll::poll_runtime_pollUnblock(pd);
                netpoll::poll_runtime_pollClose(pd);
                return set.error();
            }
        }
    } else if (opened.error() != sys::Errno(EPERM) || !blocking_too) {
        return opened.error();
    }
    // (EPERM: not pollable; stays as it is, blocking.)
    pd_ = pd;
    sysfd_ = sysfd;
    close_errno_ = 0;
    no_sigpipe_ = false;
    short_read_drains_ = false;
    last_read_short_ = false;
    csema_ = 0;
    state_.store(0);
    return {};
}

bool FD::incref() {
    uint64_t s = state_.load();
    do {
        if ((s & kClosed) != 0) return false;
    } while (!state_.compare_exchange_weak(s, s + kRef));
    return true;
}

bool FD::increfAndClose() {
    uint64_t s = state_.load();
    do {
        if ((s & kClosed) != 0) return false;
    } while (!state_.compare_exchange_weak(s, (s | kClosed) + kRef));
    return true;
}

void FD::decref() {
    if (state_.fetch_sub(kRef) - kRef == kClosed) destroy();
}

// Go: fdMutex's rwlock, for reads (rmu_) or writes (wmu_); a closed FD
// (even one closed while this G waited for the lock) refuses.
bool FD::lock_side(Mutex* mu) {
    if (!incref()) return false;
    mu->lock();
    if ((state_.load() & kClosed) != 0) {
        unlock_side(mu);
        return false;
    }
    return true;
}
void FD::unlock_side(Mutex* mu) {
    mu->unlock();
    decref();
}

// Go: pd.prepareRead / prepareWrite. A readiness notice from before this
// attempt is moot (the syscall itself finds out); a closing FD or a passed
// deadline stops the attempt.
sys::Result<void> FD::prepare(int32_t mode) {
    if (pd_ == nullptr) return {};
    const PollError e = netpoll::poll_runtime_pollReset(pd_, mode);
    if (e != netpoll::pollNoError) return convert(e);
    return {};
}

// Go: the loop FD.Read and FD.Readv share: the syscall again after EINTR,
// and after EAGAIN once the poller says the fd is readable. With the read
// lock held and prepare done (read_op).
template <class Syscall>
sys::Result<size_t> FD::read_loop(Syscall syscall) {
    bool event_error = false;
    for (;;) {
        sys::Result<size_t> result = syscall();
        if (result.ok()) return result;
        if (result.error() == sys::Errno(EINTR)) continue;
        if (result.error() != sys::Errno(EAGAIN) || pd_ == nullptr) return result;
        if (event_error) return kErrNotPollable;  // epoll said error, and the syscall will not say which
        netpoll::netpoll_count_read_wait(false);
        const PollError e = netpoll::poll_runtime_pollWait(pd_, netpoll::kModeRead);
        if (e == netpoll::pollErrNotPollable) event_error = true;  // one more try, for a precise error
        else if (e != netpoll::pollNoError) return convert(e);
    }
}

sys::Result<void> FD::raw_read(bool (*done)(int sysfd, void* ctx), void* ctx) {
    if (!readLock()) return kErrClosed;
    last_read_short_ = false;  // done may leave anything in the queue
    sys::Result<void> result = prepare(netpoll::kModeRead);
    while (result.ok() && !done(sysfd_, ctx)) {
        if (pd_ == nullptr) {
            result = kErrNotPollable;
            break;
        }
        const PollError e = netpoll::poll_runtime_pollWait(pd_, netpoll::kModeRead);
        if (e != netpoll::pollNoError) result = convert(e);
    }
    readUnlock();
    return result;
}

// The skipped read (docs/netpoll.md). The last read on this TCP socket
// returned less than it asked for, so the queue was empty when it returned;
// rg has not been reset since that read's prepare, so it holds the edge of
// any byte that came after. Wait for that edge instead of asking the kernel
// first. Whatever makes the kernel stop a read early with bytes left
// (urgent data, a FIN, an error) raises an event that either sets rg after
// that prepare or, seen before it, set short_read_inconclusive, which rules
// this path out.
sys::Result<void> FD::prepare_read() {
    const bool wait_first = last_read_short_ && pd_ != nullptr && !pd_->short_read_inconclusive.load();
    last_read_short_ = false;
    if (!wait_first) return prepare(netpoll::kModeRead);
    netpoll::netpoll_count_read_wait(true);
    const PollError e = netpoll::poll_runtime_pollWait(pd_, netpoll::kModeRead);
    // An error event: the syscall says which.
    if (e == netpoll::pollNoError || e == netpoll::pollErrNotPollable) return {};
    return convert(e);
}

// The rest FD.Read and FD.Readv share: the read lock, an empty read that
// returns at once (Go's rule), prepare_read, then read_loop.
template <class Syscall>
sys::Result<size_t> FD::read_op(bool empty, size_t want, Syscall syscall) {
    if (!readLock()) return kErrClosed;
    sys::Result<size_t> result = size_t{0};
    if (!empty) {
        auto p = prepare_read();
        result = p.ok() ? read_loop(syscall) : sys::Result<size_t>(p.error());
        last_read_short_ = short_read_drains_ && result.ok() && result.value() > 0 && result.value() < want;
    }
    readUnlock();
    return result;
}

// Go: FD.destroy. The last reference is gone: nobody can be parked on pd.
void FD::destroy() {
    if (pd_ != nullptr) netpoll::poll_runtime_pollClose(pd_);
    pd_ = nullptr;
    auto r = sys::close(sysfd_);
    close_errno_ = r.ok() ? 0 : r.error().code();
    sysfd_ = -1;
    sched::semrelease(&csema_);
}

sys::Result<void> FD::close() {
    if (!increfAndClose()) return kErrClosed;
    // Go: pd.evict. Parked readers and writers wake up with EBADF and drop
    // their references; the last one out destroys.
    const bool pollable = pd_ != nullptr;
    if (pollable) netpoll::poll_runtime_pollUnblock(pd_);
    decref();
    // In blocking mode a reader may sit in read(2) for good: do not wait
    // for it (Go does not either); the descriptor closes when it returns.
    if (!pollable) return {};
    sched::semacquire(&csema_);
    if (close_errno_ != 0) return sys::Errno(close_errno_);
    return {};
}

sys::Result<size_t> FD::read(void* buf, size_t n) {
    if (n > kMaxRW) n = kMaxRW;
    return read_op(n == 0, n,
                   [&] { return pd_ != nullptr ? sys::raw::read(sysfd_, buf, n) : sys::read(sysfd_, buf, n); });
}

sys::Result<size_t> FD::write(const void* buf, size_t n, size_t* written) {
    if (written != nullptr) *written = 0;
    if (!writeLock()) return kErrClosed;
    if (auto p = prepare(netpoll::kModeWrite); !p.ok()) {
        writeUnlock();
        return p.error();
    }
    const auto* p = static_cast<const unsigned char*>(buf);
    size_t nn = 0;
    sys::Result<size_t> result = size_t{0};
    for (;;) {
        size_t chunk = n - nn;
        if (chunk > kMaxRW) chunk = kMaxRW;
        auto r = no_sigpipe_      ? sys::raw::sendto(sysfd_, p + nn, chunk, sys::kMSG_NOSIGNAL)
                 : pd_ != nullptr ? sys::raw::write(sysfd_, p + nn, chunk)
                                  : sys::write(sysfd_, p + nn, chunk);
        if (r.ok()) {
            nn += r.value();
            if (nn == n) {
                result = nn;
                break;
            }
            if (r.value() == 0) {  // no progress and no error: give up, do not spin
                result = sys::Errno(EIO);
                break;
            }
            continue;
        }
        if (retry_write(r.error(), &result)) continue;
        break;
    }
    if (written != nullptr) *written = nn;
    writeUnlock();
    return result;
}

bool FD::retry_write(sys::Errno err, sys::Result<size_t>* result) {
    if (err == sys::Errno(EINTR)) return true;
    if (err == sys::Errno(EAGAIN) && pd_ != nullptr) {
        const PollError e = netpoll::poll_runtime_pollWait(pd_, netpoll::kModeWrite);
        if (e == netpoll::pollNoError) return true;
        *result = convert(e);
        return false;
    }
    *result = err;
    return false;
}

sys::Result<size_t> FD::readv(const iovec* iov, int iovcnt) {
    if (iovcnt < 0) return sys::Errno(EINVAL);
    if (iovcnt > sys::kUIO_MAXIOV) iovcnt = sys::kUIO_MAXIOV;  // Go: maxVec
    return read_op(iovcnt == 0, 0, [&] {
        return pd_ != nullptr ? sys::raw::readv(sysfd_, iov, iovcnt) : sys::readv(sysfd_, iov, iovcnt);
    });
}

sys::Result<size_t> FD::writev(const iovec* iov, int iovcnt, size_t* written) {
    if (written != nullptr) *written = 0;
    if (iovcnt < 0) return sys::Errno(EINVAL);
    if (!writeLock()) return kErrClosed;
    if (auto p = prepare(netpoll::kModeWrite); !p.ok()) {
        writeUnlock();
        return p.error();
    }
    // Where the next byte comes from: entry idx, skip bytes into it. The
    // caller's array goes to the kernel as it is; only after a short write
    // that ends inside an entry is a small window copied, to start there.
    constexpr int kWindow = 16;
    iovec window[kWindow];
    int idx = 0;
    size_t skip = 0;
    size_t nn = 0;
    sys::Result<size_t> result = size_t{0};
    for (;;) {
        while (idx < iovcnt && skip == iov[idx].iov_len) {
            ++idx;
            skip = 0;
        }
        if (idx == iovcnt) {
            result = nn;
            break;
        }
        const iovec* vec = iov + idx;
        int cnt = iovcnt - idx < sys::kUIO_MAXIOV ? iovcnt - idx : sys::kUIO_MAXIOV;
        if (skip != 0) {
            window[0].iov_base = static_cast<char*>(iov[idx].iov_base) + skip;
            window[0].iov_len = iov[idx].iov_len - skip;
            if (cnt > kWindow) cnt = kWindow;
            for (int k = 1; k < cnt; ++k) window[k] = iov[idx + k];
            vec = window;
        }
        sys::Result<size_t> r = size_t{0};
        if (no_sigpipe_) {
            sys::KernelMsghdr msg{};
            msg.iov = const_cast<iovec*>(vec);
            msg.iovlen = static_cast<size_t>(cnt);
            r = sys::raw::sendmsg(sysfd_, &msg, sys::kMSG_NOSIGNAL);
        } else {
            r = pd_ != nullptr ? sys::raw::writev(sysfd_, vec, cnt) : sys::writev(sysfd_, vec, cnt);
        }
        if (r.ok()) {
            size_t n = r.value();
            if (n == 0) {  // no progress and no error: give up, do not spin
                result = sys::Errno(EIO);
                break;
            }
            nn += n;
            while (n > 0) {  // Go: consume
                const size_t left = iov[idx].iov_len - skip;
                if (n < left) {
                    skip += n;
                    break;
                }
                n -= left;
                ++idx;
                skip = 0;
            }
            continue;
        }
        if (retry_write(r.error(), &result)) continue;
        break;
    }
    if (written != nullptr) *written = nn;
    writeUnlock();
    return result;
}

sys::Result<size_t> FD::recvmsg(sys::KernelMsghdr* msg, int flags) {
    const int namelen = msg->namelen;
    return read_op(false, 0, [&] {
        msg->namelen = namelen;  // the kernel overwrote it on an earlier try
        msg->flags = 0;
        return pd_ != nullptr ? sys::raw::recvmsg(sysfd_, msg, flags) : sys::recvmsg(sysfd_, msg, flags);
    });
}

// One message whole or not at all (a datagram, sendmsg): the write lock,
// prepare, and the call again while it would block.
template <class Syscall>
sys::Result<size_t> FD::write_message(Syscall syscall) {
    if (!writeLock()) return kErrClosed;
    sys::Result<size_t> result = size_t{0};
    if (auto p = prepare(netpoll::kModeWrite); !p.ok()) {
        result = p.error();
    } else {
        for (;;) {
            result = syscall();
            if (result.ok() || !retry_write(result.error(), &result)) break;
        }
    }
    writeUnlock();
    return result;
}

sys::Result<size_t> FD::sendmsg(const sys::KernelMsghdr* msg, int flags) {
    return write_message([&] {
        return pd_ != nullptr ? sys::raw::sendmsg(sysfd_, msg, flags) : sys::sendmsg(sysfd_, msg, flags);
    });
}

sys::Result<size_t> FD::recvfrom(void* buf, size_t n, int flags, ::sockaddr* from, uint32_t* fromlen) {
    const uint32_t capacity = fromlen != nullptr ? *fromlen : 0;
    return read_op(false, 0, [&] {
        if (fromlen != nullptr) *fromlen = capacity;  // the kernel overwrote it on an earlier try
        return pd_ != nullptr ? sys::raw::recvfrom(sysfd_, buf, n, flags, from, fromlen)
                              : sys::recvfrom(sysfd_, buf, n, flags, from, fromlen);
    });
}

sys::Result<size_t> FD::sendto(const void* buf, size_t n, int flags, const ::sockaddr* to, uint32_t tolen) {
    return write_message([&] {
        return pd_ != nullptr ? sys::raw::sendto(sysfd_, buf, n, flags, to, tolen)
                              : sys::sendto(sysfd_, buf, n, flags, to, tolen);
    });
}

sys::Result<int> FD::accept(sockaddr* addr, uint32_t* addrlen) {
    if (!readLock()) return kErrClosed;
    if (auto p = prepare(netpoll::kModeRead); !p.ok()) {
        readUnlock();
        return p.error();
    }
    const uint32_t capacity = addrlen != nullptr ? *addrlen : 0;
    sys::Result<int> result = sys::Errno(EBADF);
    for (;;) {
        if (addrlen != nullptr) *addrlen = capacity;  // accept4 overwrote it
        // SOCK_NONBLOCK and SOCK_CLOEXEC are O_NONBLOCK and O_CLOEXEC.
        result = sys::raw::accept4(sysfd_, addr, addrlen, O_NONBLOCK | O_CLOEXEC);
        if (result.ok()) break;
        const sys::Errno err = result.error();
        // ECONNABORTED: a connection in the queue was reset before this
        // accept reached it; there may be others behind it.
        if (err == sys::Errno(EINTR) || err == sys::Errno(ECONNABORTED)) continue;
        if (err != sys::Errno(EAGAIN) || pd_ == nullptr) break;
        const PollError e = netpoll::poll_runtime_pollWait(pd_, netpoll::kModeRead);
        if (e != netpoll::pollNoError) {
            result = convert(e);
            break;
        }
    }
    readUnlock();
    return result;
}

sys::Result<void> FD::connect(const sockaddr* addr, uint32_t addrlen) {
    if (!writeLock()) return kErrClosed;
    // A fresh socket reports itself writable (and hung up) when it is
    // registered: forget that, or the first wait would end at once.
    if (auto p = prepare(netpoll::kModeWrite); !p.ok()) {
        writeUnlock();
        return p.error();
    }
    sys::Result<void> result = sys::raw::connect(sysfd_, addr, addrlen);
    const sys::Errno err = result.error();
    // EINTR too: the kernel goes on connecting (Go treats it so); a second
    // connect would only say EALREADY, so wait as for EINPROGRESS.
    const bool pending = err == sys::Errno(EINPROGRESS) || err == sys::Errno(EALREADY) || err == sys::Errno(EINTR);
    if (result.ok() || err == sys::Errno(EISCONN)) {
        result = {};
    } else if (pending && pd_ != nullptr) {
        for (;;) {
            // Go: fd.pfd.WaitWrite, then SO_ERROR rather than a second
            // connect (which not every kernel answers with the outcome).
            const PollError e = netpoll::poll_runtime_pollWait(pd_, netpoll::kModeWrite);
            if (e != netpoll::pollNoError) {
                result = convert(e);
                break;
            }
            int soerr = 0;
            uint32_t len = sizeof soerr;
            if (auto g = sys::raw::getsockopt(sysfd_, SOL_SOCKET, SO_ERROR, &soerr, &len); !g.ok()) {
                result = g;
                break;
            }
            if (soerr == EINPROGRESS || soerr == EALREADY || soerr == EINTR) continue;
            if (soerr == EISCONN) {
                result = {};
                break;
            }
            if (soerr != 0) {
                result = sys::Errno(soerr);
                break;
            }
            // Go: the poller can wake a G early (issues 14548, 19289): only
            // a peer name proves the connection is up; else wait again.
            unsigned char peer[128];
            uint32_t peerlen = sizeof peer;
            if (sys::raw::getpeername(sysfd_, reinterpret_cast<sockaddr*>(peer), &peerlen).ok()) {
                result = {};
                break;
            }
        }
    }
    writeUnlock();
    return result;
}

sys::Result<void> FD::shutdown(int how) {
    if (!incref()) return kErrClosed;
    auto r = sys::shutdown(sysfd_, how);
    decref();
    return r;
}

sys::Result<void> FD::set_deadline_mode(int64_t when, int32_t mode) {
    if (!incref()) return kErrClosed;
    if (pd_ == nullptr) {  // Go: ErrNoDeadline
        decref();
        return sys::Errno(ENOTSUP);
    }
    // The runtime's d: 0 none, < 0 passed, > 0 from now.
    int64_t d = 0;
    if (when != 0) {
        d = when - vdso::nanotime();
        if (d == 0) d = -1;  // "now" has passed by the time anyone waits
    }
    netpoll::poll_runtime_pollSetDeadline(pd_, d, mode);
    decref();
    return {};
}

sys::Result<void> FD::set_read_deadline(int64_t when) { return set_deadline_mode(when, netpoll::kModeRead); }
sys::Result<void> FD::set_write_deadline(int64_t when) { return set_deadline_mode(when, netpoll::kModeWrite); }
sys::Result<void> FD::set_deadline(int64_t when) { return set_deadline_mode(when, netpoll::kModeReadWrite); }

sys::Result<void> pipe(FD* read_end, FD* write_end) {
    if (read_end->sysfd() != -1 || write_end->sysfd() != -1) return sys::Errno(EBUSY);
    int fds[2];
    if (auto r = sys::raw::pipe2(fds, O_NONBLOCK | O_CLOEXEC); !r.ok()) return r;
    if (auto r = read_end->init(fds[0], true); !r.ok()) {
        (void)sys::raw::close(fds[0]);
        (void)sys::raw::close(fds[1]);
        return r;
    }
    if (auto r = write_end->init(fds[1], true); !r.ok()) {
        (void)read_end->close();
        (void)sys::raw::close(fds[1]);
        return r;
    }
    return {};
}

sys::Result<void> eventfd(FD* out, unsigned initval, int flags) {
    if ((static_cast<unsigned>(flags) & ~sys::kEFD_SEMAPHORE) != 0) return sys::Errno(EINVAL);
    if (out->sysfd() != -1) return sys::Errno(EBUSY);
    auto efd = sys::raw::eventfd2(initval, flags | O_NONBLOCK | O_CLOEXEC);  // EFD_NONBLOCK, EFD_CLOEXEC
    if (!efd.ok()) return efd.error();
    if (auto r = out->init(efd.value(), true); !r.ok()) {
        (void)sys::raw::close(efd.value());
        return r;
    }
    return {};
}

}  // namespace rawrt::fd
