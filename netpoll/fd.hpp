// Non-blocking file descriptors whose waits park the G, not the M (Go's
// internal/poll.FD): pipes, eventfds and sockets (netpoll/net.hpp builds
// TCP and Unix-domain connections on it).
//
//   rawrt::fd::FD r, w;
//   if (auto e = rawrt::fd::pipe(&r, &w); !e.ok()) ...;
//   rawrt::go([&] { (void)w.write("hi", 2); });
//   char buf[2];
//   auto n = r.read(buf, sizeof buf);  // EAGAIN parks this G until the pipe
//                                      // is readable; its M runs other Gs
//   r.close(); w.close();
//
// Every read and write tries the syscall first; only EAGAIN makes the G
// wait, on the fd's pollDesc (netpoll/poll_desc.hpp), until epoll reports
// the fd ready. Reads of one FD are serialised among Gs, and so are writes;
// a read and a write run at once.
//
// Unlike Go, a registered (non-blocking) FD's syscalls take the raw
// flavour: they cannot block, and through entersyscall a moment's
// descheduling by the OS would let sysmon retake the P and start another M
// (docs/netpoll.md). An FD in blocking mode (a regular file) keeps the
// Syscall flavour.
//
// Only on a G (the methods may park). Errors beyond the syscalls' own:
//   EBADF      the FD is closed, or was closed while the call waited
//   ETIMEDOUT  its deadline for that direction has passed (the FD stays usable)
//   EIO        epoll reported an error on the fd and the syscall did not say which
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sched/sync.hpp"
#include "sys/consts.hpp"
#include "sys/result.hpp"
#include "sys/types.hpp"

namespace rawrt::netpoll {
struct pollDesc;
}

struct iovec;
struct sockaddr;

namespace rawrt::fd {

inline constexpr sys::Errno kErrClosed{EBADF};
inline constexpr sys::Errno kErrTimeout{ETIMEDOUT};
inline constexpr sys::Errno kErrNotPollable{EIO};

// shutdown's how: sys::kSHUT_RD, kSHUT_WR, kSHUT_RDWR.
using sys::kSHUT_RD;
using sys::kSHUT_RDWR;
using sys::kSHUT_WR;

class FD {
public:
    FD() = default;
    // Closes the descriptor if it is still open. No G may be using it.
    ~FD();
    FD(const FD&) = delete;
    FD& operator=(const FD&) = delete;

    // Takes sysfd over: registers it with the poller and makes it
    // non-blocking (already_nonblocking: it is, skip the fcntl). An fd that
    // epoll refuses (EPERM: a regular file, a directory) is kept in blocking
    // mode, where its calls block the M as plain syscalls do. Any other
    // error leaves sysfd open and the caller's. EBUSY: this FD holds one.
    sys::Result<void> init(int sysfd, bool already_nonblocking = false);
    // As init, for a descriptor only worth taking if epoll watches it (Go:
    // os.newFile's kindOpenFile): epoll's refusal (EPERM: a regular file,
    // /dev/null) is returned, and sysfd stays the caller's, as it was.
    sys::Result<void> init_pollable(int sysfd);
    // For sockets, after init and before the FD is shared: writes go out
    // with send(2)/sendmsg(2) and MSG_NOSIGNAL, so writing to a peer that
    // has gone returns EPIPE instead of raising SIGPIPE, whose default
    // action ends the process (Go's runtime catches SIGPIPE for such fds;
    // rawrt installs no handler).
    void set_nosigpipe() { no_sigpipe_ = true; }
    // For TCP stream sockets, after init and before the FD is shared: a read
    // that returns less than it asked for has emptied the receive queue (the
    // kernel stops early only at urgent data, end of stream or an error, and
    // the poller reports each of those), so the read after it waits for
    // epoll's next edge before its syscall instead of making one that says
    // EAGAIN (docs/netpoll.md, "The read that is skipped").
    void set_short_read_drains() { short_read_drains_ = true; }

    // Go: FD.Read. Up to n bytes (at most 1 GiB per call); 0 is end of file
    // (or n == 0).
    sys::Result<size_t> read(void* buf, size_t n);
    // Go: FD.Write. All n bytes, in as many write(2)s as it takes (parking
    // whenever the fd is full). On an error, *written (if given) says how
    // many bytes went out before it.
    sys::Result<size_t> write(const void* buf, size_t n, size_t* written = nullptr);
    // FD.Read over an iovec array (Go's FD has no Readv): one readv(2),
    // parking until the fd is readable; up to the sum of
    // the lengths; 0 is end of file (or nothing asked). At most sys::kUIO_MAXIOV
    // entries are used. EINVAL: iovcnt < 0.
    sys::Result<size_t> readv(const ::iovec* iov, int iovcnt);
    // Go: FD.Writev. Every byte of every entry, in as many writev(2)s as it
    // takes (at most sys::kUIO_MAXIOV entries each), parking whenever the fd is full.
    // iov is not modified. *written (if given) as for write. EINVAL:
    // iovcnt < 0.
    sys::Result<size_t> writev(const ::iovec* iov, int iovcnt, size_t* written = nullptr);
    // Go: FD.ReadMsg (FD.ReadFrom). One recvmsg(2), parking until
    // something arrives: a datagram socket's next datagram. msg's namelen
    // is the name's capacity (reset for every try); on return it and
    // msg->flags are the kernel's (kMSG_TRUNC: the datagram was cut).
    sys::Result<size_t> recvmsg(sys::KernelMsghdr* msg, int flags = 0);
    // Go: FD.WriteMsg (FD.WriteTo). One sendmsg(2), parking while the
    // socket is full; a datagram goes out whole or not at all (EMSGSIZE:
    // larger than the socket allows).
    sys::Result<size_t> sendmsg(const sys::KernelMsghdr* msg, int flags = 0);
    // Go: FD.ReadFrom. One recvfrom(2), parking until something arrives: a
    // datagram socket's next datagram. *fromlen (if from is given) is
    // from's capacity, reset for every try; on return, the kernel's length.
    // flags as recvfrom's (kMSG_TRUNC: the datagram's whole length comes
    // back even when it was cut to n). One syscall cheaper than recvmsg(2)
    // by the msghdr the kernel copies in and out.
    sys::Result<size_t> recvfrom(void* buf, size_t n, int flags, ::sockaddr* from, uint32_t* fromlen);
    // Go: FD.WriteTo. One sendto(2) (to: nullptr on a connected socket),
    // parking while the socket is full; a datagram goes out whole or not
    // at all, as with sendmsg.
    sys::Result<size_t> sendto(const void* buf, size_t n, int flags, const ::sockaddr* to, uint32_t tolen);
    // Go: FD.Accept. The next connection of a listening socket, as a new
    // descriptor (non-blocking, close-on-exec) that the caller owns; parks
    // while none is pending. addr/addrlen as for accept4(2) (may be null).
    // A connection reset before it was taken (ECONNABORTED) is skipped.
    // Errors: accept4's (EINVAL: not listening; EMFILE, ...), EBADF, ETIMEDOUT.
    sys::Result<int> accept(::sockaddr* addr, uint32_t* addrlen);
    // Go: netFD.connect. Connects a socket: a connection that cannot
    // complete at once (EINPROGRESS, or EINTR) parks the G until the socket
    // is writable, then its outcome is read from SO_ERROR and returned as is
    // (ECONNREFUSED, ETIMEDOUT, ENETUNREACH, ...). The write deadline bounds
    // the wait. Errors: connect's, EBADF (closed meanwhile), ETIMEDOUT.
    sys::Result<void> connect(const ::sockaddr* addr, uint32_t addrlen);
    // Go: FD.Shutdown. how: kSHUT_RD, kSHUT_WR or kSHUT_RDWR.
    // Errors: shutdown's (ENOTCONN, ENOTSOCK, EINVAL), EBADF.
    sys::Result<void> shutdown(int how);
    // Go: FD.RawRead. Calls done(sysfd, ctx) until it returns true, parking
    // the G until the fd is readable between calls: for descriptors whose
    // readiness is read some other way than read(2) (a pidfd, with waitid).
    // EIO: the FD is not pollable and done said false.
    sys::Result<void> raw_read(bool (*done)(int sysfd, void* ctx), void* ctx);
    // Go: FD.Close. Wakes every G parked on the FD (their calls return
    // EBADF), waits for them to leave, then unregisters and closes the
    // descriptor; returns close(2)'s result. EBADF if already closed.
    sys::Result<void> close();

    // Go: SetReadDeadline / SetWriteDeadline / SetDeadline. when: a
    // vdso::nanotime() instant; 0 removes the deadline. A deadline at or
    // before now fails waits of that direction with ETIMEDOUT (and wakes the
    // Gs parked in them); moving it later makes the FD usable again.
    // A future deadline arms a timer that wakes the Gs parked on that side
    // when it passes.
    sys::Result<void> set_read_deadline(int64_t when);
    sys::Result<void> set_write_deadline(int64_t when);
    sys::Result<void> set_deadline(int64_t when);

    // The descriptor (-1 when none); it stays owned by the FD.
    int sysfd() const { return sysfd_; }
    // Registered with the poller (false: blocking mode, or no descriptor).
    bool pollable() const { return pd_ != nullptr; }
    netpoll::pollDesc* polldesc() const { return pd_; }

private:
    // Go: fdMutex, reduced: a reference count (in units of kRef) and a
    // closed bit; the last reference dropped after close destroys.
    static constexpr uint64_t kClosed = 1;
    static constexpr uint64_t kRef = 2;

    bool incref();
    bool increfAndClose();
    void decref();
    bool lock_side(Mutex* mu);
    void unlock_side(Mutex* mu);
    bool readLock() { return lock_side(&rmu_); }
    void readUnlock() { unlock_side(&rmu_); }
    bool writeLock() { return lock_side(&wmu_); }
    void writeUnlock() { unlock_side(&wmu_); }
    sys::Result<void> prepare(int32_t mode);
    // What a read does before its first syscall: prepare, or, after a short
    // read that emptied the queue, wait for the poller's next edge.
    sys::Result<void> prepare_read();
    template <class Syscall>
    sys::Result<size_t> read_loop(Syscall syscall);
    // want: the bytes asked for, by which a short read is judged (0: this
    // kind of read is never judged).
    template <class Syscall>
    sys::Result<size_t> read_op(bool empty, size_t want, Syscall syscall);
    template <class Syscall>
    sys::Result<size_t> write_message(Syscall syscall);
    // After a failed write or writev: true to try again (EINTR, or EAGAIN
    // and the G waited until the fd was writable); false with *result set.
    bool retry_write(sys::Errno err, sys::Result<size_t>* result);
    void destroy();
    sys::Result<void> take(int sysfd, bool already_nonblocking, bool blocking_too);
    sys::Result<void> set_deadline_mode(int64_t when, int32_t mode);

    std::atomic<uint64_t> state_{kClosed};  // closed until init
    Mutex rmu_;                             // one reader at a time
    Mutex wmu_;                             // one writer at a time
    uint32_t csema_ = 0;                    // destroy -> close: the descriptor is gone
    int sysfd_ = -1;
    int close_errno_ = 0;
    bool no_sigpipe_ = false;
    bool short_read_drains_ = false;
    bool last_read_short_ = false;  // under the read lock
    netpoll::pollDesc* pd_ = nullptr;
};

// A pipe, both ends non-blocking and close-on-exec, as two FDs (which must
// be empty). Errors: pipe2's, or the poller's.
sys::Result<void> pipe(FD* read_end, FD* write_end);

// An eventfd (eventfd2 with EFD_NONBLOCK | EFD_CLOEXEC) as an FD. flags may
// add EFD_SEMAPHORE (1); anything else is EINVAL. Reads and writes move
// 8-byte counters, as with the raw eventfd.
sys::Result<void> eventfd(FD* out, unsigned initval = 0, int flags = 0);

}  // namespace rawrt::fd
