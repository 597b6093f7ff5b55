// os::File (os/file.hpp), after Go's os package: each operation one SQE on
// the ring, or, without a ring, the blocking syscall Go's os.File makes for
// a regular file (syscall.Syscall, its P handed off if it lasts). With the
// ring, a read of cached data is made at once instead (read_nowait), a
// file whose reads keep finding their data cached is read plainly
// (ring_read), and a FIFO or socket is read and written raw, the ring only
// waiting for it to be ready (poll_first). Without a ring, what epoll
// watches reads and writes through an fd::FD, as Go's os.File does through
// its poll.FD (attach_netpoll).

#include "os/file.hpp"

#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <linux/poll.h>
#include <linux/stat.h>
#include <linux/uio.h>
#include <linux/unistd.h>

#include <new>

#include "mem/malloc.hpp"
#include "netpoll/fd.hpp"
#include "netpoll/uring.hpp"
#include "sched/entersyscall.hpp"
#include "sched/proc.hpp"
#include "sched/runtime2.hpp"
#include "sys/calls.hpp"
#include "sys/consts.hpp"
#include "sys/counter.hpp"
#include "sys/syscall.hpp"
#include "vdso/vdso.hpp"

namespace rawrt::os {
namespace {

namespace uring = netpoll::uring;

struct {
    std::atomic<uint64_t> nowait_reads{0};
    std::atomic<uint64_t> plain_lost_p{0};
    std::atomic<uint64_t> poll_waits{0};
} counters;

// One operation: through the ring when there is one and the kernel has the
// opcode, else the blocking syscall `fallback` makes. A deadline the ring
// cancelled at is ETIMEDOUT; without the ring, a deadline already past is.
// A cancel that was not the deadline's is the kernel's: io-wq drops work it
// has not started when it cannot start a worker for it, or when the thread
// that submitted it ends (kernel 6.1 does, under the fsync storm). The
// operation did not happen, and the blocking syscall makes it. Off a G (a
// File destroyed after its run) there is no ring to park on.
template <class Fallback>
long do_op(const io_uring_sqe& sqe, int64_t deadline_ns, Fallback fallback) {
    if (deadline_ns > 0 && vdso::nanotime() >= deadline_ns) return -ETIMEDOUT;
    if (sched::current_g() == nullptr || !uring::uring_init().ok()) return fallback();
    const long r = uring::submit_and_wait(sqe, deadline_ns);
    if (r == uring::kNotSubmitted || (r == -EINVAL && !uring::supports(sqe.opcode))) return fallback();
    if (r == -ECANCELED) {
        if (deadline_ns > 0 && vdso::nanotime() >= deadline_ns) return -ETIMEDOUT;
        uring::note_kernel_cancel();
        return fallback();
    }
    return r;
}

// With the ring, a read first asks for what is there already, raw:
// RWF_NOWAIT has the kernel fail with EAGAIN rather than wait for the disk.
// Cached data then costs one syscall (a cached 4 KiB read about 1.25
// times what pread(2) costs, against about 2.8 times for the trip through
// the ring: submit, reap, the G's wake); only a read that would wait takes
// the ring and parks the G. io_uring makes the same attempt itself before
// it hands a read to io-wq. -EAGAIN: the ring's turn. A file that cannot
// be asked (EOPNOTSUPP: a terminal, a file on tmpfs, on the kernels here)
// is not asked again.
long read_nowait(int fd, const iovec* iov, int iovcnt, int64_t offset, int64_t deadline_ns, bool* unsupported) {
    if (*unsupported || sched::current_g() == nullptr || !uring::uring_init().ok()) return -EAGAIN;
    if (deadline_ns > 0 && vdso::nanotime() >= deadline_ns) return -EAGAIN;  // do_op's ETIMEDOUT
    sys::counter_add(counters.nowait_reads);
    const long r = sys::raw::preadv2(fd, iov, iovcnt, offset, RWF_NOWAIT).raw();
    if (r != -EOPNOTSUPP) return r;
    *unsupported = true;
    return -EAGAIN;
}

// Hits in a row before a file's reads go plain, the first time; each time a
// plain read loses its P the file needs twice as many, up to the last.
constexpr uint16_t kPlainAfterFirst = 16;
constexpr uint16_t kPlainAfterLast = 4096;

// A FIFO's or socket's wait for readiness (POLLIN, POLLOUT) until the
// deadline: through the ring, or, where it refuses, ppoll with entersyscall.
// 0 once ready, or -errno (ETIMEDOUT at the deadline).
long wait_ready(int fd, uint32_t events, int64_t deadline_ns) {
    sys::counter_add(counters.poll_waits);
    io_uring_sqe sqe{};
    sqe.opcode = IORING_OP_POLL_ADD;
    sqe.fd = fd;
    sqe.poll32_events = events;  // little-endian on both arches: no halfword swap
    const long r = do_op(sqe, deadline_ns, [&] {
        pollfd p{fd, static_cast<short>(events), 0};
        timespec left{};
        if (deadline_ns > 0) {
            const int64_t ns = deadline_ns - vdso::nanotime();
            if (ns <= 0) return static_cast<long>(-ETIMEDOUT);
            left = {ns / 1'000'000'000, ns % 1'000'000'000};
        }
        const auto n = sys::ppoll(&p, 1, deadline_ns > 0 ? &left : nullptr);
        return n.ok() && n.value() == 0 ? static_cast<long>(-ETIMEDOUT) : n.raw();
    });
    return r < 0 ? r : 0;
}

// A FIFO's or socket's read or write with the ring (RingWay::poll_first):
// the raw syscall on the non-blocking descriptor, and only when it says
// EAGAIN a wait for readiness through the ring, then the call again. A read
// of data already there is then one syscall, as on the netpoller, where a
// read through the ring costs a submission, a completion and a reap.
template <class Call>
long poll_first(int fd, uint32_t events, int64_t deadline_ns, Call call) {
    for (;;) {
        if (deadline_ns > 0 && vdso::nanotime() >= deadline_ns) return -ETIMEDOUT;
        const long r = call();
        if (r != -EAGAIN) return r;
        if (const long w = wait_ready(fd, events, deadline_ns); w < 0) return w;
    }
}

size_t iov_bytes(const iovec* iov, int iovcnt) {
    size_t n = 0;
    for (int i = 0; i < iovcnt; ++i) n += iov[i].iov_len;
    return n;
}

io_uring_sqe rw_sqe(uint8_t opcode, int fd, const void* buf, size_t n, int64_t offset) {
    io_uring_sqe sqe{};
    sqe.opcode = opcode;
    sqe.fd = fd;
    sqe.addr = reinterpret_cast<uint64_t>(buf);
    sqe.len = static_cast<uint32_t>(n > 0x7ffff000 ? 0x7ffff000 : n);  // as read(2) caps a count
    sqe.off = static_cast<uint64_t>(offset);
    return sqe;
}

constexpr int64_t kCurrentPosition = -1;  // the SQE's offset for "at the file's position"

// Go's File.Write and WriteAt: all n bytes, a short write continued.
// once(at, left, done) makes one write of the left bytes at `at`, done
// bytes in, and returns its count or -errno.
template <class Once>
long write_all(const void* buf, size_t n, Once once) {
    auto* p = static_cast<const unsigned char*>(buf);
    size_t done = 0;
    do {
        const long r = once(p + done, n - done, done);
        if (r < 0) return r;
        if (r == 0 && n != 0) return -EIO;  // no progress, no error: as Go's io.ErrShortWrite
        done += static_cast<size_t>(r);
    } while (done < n);
    return static_cast<long>(done);
}

// One write through the ring, at offset or at the file's position
// (kCurrentPosition).
long ring_write(int fd, const void* at, size_t left, int64_t offset, int64_t deadline_ns) {
    return do_op(rw_sqe(IORING_OP_WRITE, fd, at, left, offset), deadline_ns, [&] {
        return offset == kCurrentPosition ? sys::blocking_syscall(__NR_write, fd, at, left)
                                          : sys::blocking_syscall(__NR_pwrite64, fd, at, left, offset);
    });
}

// With the ring, an open that neither creates nor truncates first tries
// the path as the dcache holds it, raw: openat2 with RESOLVE_CACHED (EAGAIN
// rather than read a directory from the disk) and O_NONBLOCK (a FIFO or a
// terminal does not wait in open), as io_uring's own inline open does; a
// ring trip would cost a submission and a reap on top of the same work.
// *nonblock_added: the caller did not ask for O_NONBLOCK, and File::
// attach_ring takes it off again where it does not belong. A lookup that
// would wait, a create, and what says ENXIO only without O_NONBLOCK (a
// FIFO opened for writing with no reader yet) go to the ring; so do
// openat2's stricter checks (EINVAL) and a kernel without it (ENOSYS,
// before 5.6: remembered).
std::atomic<bool> no_openat2{false};

long open_at(const char* path, int flags, unsigned mode, bool ring, bool* nonblock_added) {
    *nonblock_added = false;
    if (ring && (flags & (O_CREAT | O_TRUNC | __O_TMPFILE)) == 0 && !no_openat2.load(std::memory_order_relaxed)) {
        open_how how{};
        how.flags = static_cast<uint64_t>(static_cast<unsigned>(flags | O_NONBLOCK));
        how.resolve = RESOLVE_CACHED;
        const long r = sys::raw_syscall(__NR_openat2, AT_FDCWD, path, &how, sizeof how);
        if (r == -ENOSYS) {
            no_openat2.store(true, std::memory_order_relaxed);
        } else if (r != -EAGAIN && r != -EINVAL && !(r == -ENXIO && (flags & O_NONBLOCK) == 0)) {
            *nonblock_added = r >= 0 && (flags & O_NONBLOCK) == 0;
            return r;
        }
    }
    io_uring_sqe sqe{};
    sqe.opcode = IORING_OP_OPENAT;
    sqe.fd = AT_FDCWD;
    sqe.addr = reinterpret_cast<uint64_t>(path);
    sqe.len = mode;
    sqe.open_flags = static_cast<uint32_t>(flags);
    return do_op(sqe, 0, [&] { return sys::blocking_syscall(__NR_openat, AT_FDCWD, path, flags, mode); });
}

long statx_at(int dirfd, const char* path, int flags, struct statx* out) {
    io_uring_sqe sqe{};
    sqe.opcode = IORING_OP_STATX;
    sqe.fd = dirfd;
    sqe.addr = reinterpret_cast<uint64_t>(path);
    sqe.len = STATX_BASIC_STATS;
    sqe.off = reinterpret_cast<uint64_t>(out);
    sqe.statx_flags = static_cast<uint32_t>(flags);
    return do_op(sqe, 0, [&] { return sys::blocking_syscall(__NR_statx, dirfd, path, flags, STATX_BASIC_STATS, out); });
}

}  // namespace

File& File::operator=(File&& o) noexcept {
    if (this != &o) {
        (void)close();
        fd_ = o.fd_;
        deadline_ns_ = o.deadline_ns_;
        ring_ = o.ring_;
        pfd_ = o.pfd_;
        pfd_run_ = o.pfd_run_;
        o.fd_ = -1;
        o.pfd_ = nullptr;
    }
    return *this;
}

File::~File() { (void)close(); }

sys::Result<void> File::open(const char* path, int flags, unsigned mode, File* out) {
    if (path == nullptr || out == nullptr) return sys::Errno(EINVAL);
    if (out->is_open()) return sys::Errno(EBUSY);
    const bool ring = uses_ring();
    bool nonblock_added = false;
    const long fd = open_at(path, flags | O_CLOEXEC, mode, ring, &nonblock_added);
    if (fd < 0) return fd;
    out->fd_ = static_cast<int>(fd);
    out->deadline_ns_ = 0;
    out->ring_ = {};
    if (ring) out->attach_ring(nonblock_added ? flags : -1);
    else out->attach_netpoll();
    return {};
}

namespace {

// The descriptor's file type (S_IFMT's bits), 0 if statx failed.
unsigned file_type(int fd) {
    struct statx st {};
    if (!sys::raw::statx(fd, "", sys::kAT_EMPTY_PATH, STATX_TYPE, &st).ok()) return 0;
    return st.stx_mode & sys::kS_IFMT;
}

}  // namespace

// With the ring: a FIFO or a socket is made non-blocking (RingWay::
// poll_first). A terminal or another character device stays as it is and
// goes through the ring, which waits on its own for what polls; one that
// does not poll would only ever say EAGAIN non-blocking. open_flags >= 0:
// open_at added O_NONBLOCK to these, and anything else gets them back
// (the ring hands a read that would wait on a non-blocking file back as
// EAGAIN instead of waiting).
void File::attach_ring(int open_flags) {
    const unsigned type = file_type(fd_);
    ring_.regular = type == sys::kS_IFREG || type == sys::kS_IFBLK;
    if (type != sys::kS_IFIFO && type != sys::kS_IFSOCK) {
        if (open_flags >= 0) (void)sys::raw::fcntl(fd_, F_SETFL, static_cast<unsigned>(open_flags));
        return;
    }
    if (open_flags >= 0) {
        ring_.poll_first = true;
        return;
    }
    const auto flags = sys::raw::fcntl(fd_, F_GETFL);
    if (flags.ok() && sys::raw::fcntl(fd_, F_SETFL, flags.value() | O_NONBLOCK).ok()) ring_.poll_first = true;
}

// Go: newFile(kindOpenFile) on Linux: a descriptor epoll takes is made
// non-blocking and waited for on the netpoller. Its type says first which
// epoll would refuse (EPERM): regular files, directories and block devices
// are never offered. A character device that does not poll (/dev/null,
// /dev/zero) is refused and stays blocking. The FD comes from the run's
// heap (a File is movable, an FD is not) and goes with the run: after it,
// netpoll_fd() no longer answers and close() closes the descriptor alone.
void File::attach_netpoll() {
    if (sched::current_g() == nullptr) return;
    const unsigned type = file_type(fd_);
    if (type != sys::kS_IFIFO && type != sys::kS_IFSOCK && type != sys::kS_IFCHR) return;
    void* mem = rawrt::alloc(sizeof(fd::FD));
    if (mem == nullptr) return;  // it stays blocking
    auto* pfd = ::new (mem) fd::FD;
    if (pfd->init_pollable(fd_).ok()) {
        pfd_ = pfd;
        pfd_run_ = sched::run_generation();
        return;
    }
    pfd->~FD();  // it never took fd_
    rawrt::free(mem);
}

fd::FD* File::netpoll_fd() const {
    return pfd_ != nullptr && sched::current_g() != nullptr && pfd_run_ == sched::run_generation() ? pfd_ : nullptr;
}

void File::set_deadline(int64_t deadline_ns) {
    deadline_ns_ = deadline_ns;
    if (fd::FD* p = netpoll_fd()) (void)p->set_deadline(deadline_ns);
}

sys::Result<void> File::open(const char* path, File* out) { return open(path, O_RDONLY, 0, out); }

sys::Result<void> File::create(const char* path, File* out) {
    return open(path, O_RDWR | O_CREAT | O_TRUNC, 0666, out);
}

// A read with the ring (the rest of a read without one is `ring`'s
// fallback): what the page cache holds is asked for first, raw
// (read_nowait), and only a read that would wait goes to the ring
// (`ring`). Asking costs something of its own: preadv2 imports an iovec
// (a cached 4 KiB read costs 1.25 times pread here). So a regular file
// whose reads found all their data cached kPlainAfterFirst times in a row
// is read `plain`: the syscall with entersyscall, as without a ring.
// Should one wait for the disk after all, its P is handed off as any
// blocking syscall's; a plain read that lost its P so (sysmon or a standby
// M retook it, which bumps its syscalltick) sends the file back to asking
// first, and it must find its data cached twice as many times in a row to
// go plain again. A file that cannot be asked (tmpfs) has the ring hand
// every read to an io-wq worker, since the ring cannot ask either: its
// whole reads count as hits. A deadline keeps the read on the ring, which
// can cancel it.
template <class Plain, class Ring>
long File::ring_read(const iovec* iov, int iovcnt, int64_t offset, Plain plain, Ring ring) {
    if (ring_.plain && deadline_ns_ == 0 && sched::current_g() != nullptr) {
        const sched::SyscallMark mark = sched::syscall_mark();
        const long r = plain();
        if (sched::syscall_kept_p(mark)) return r;
        sys::counter_add(counters.plain_lost_p);
        ring_.plain = false;
        ring_.hits = 0;
        ring_.plain_after = ring_.plain_after < kPlainAfterLast / 2 ? ring_.plain_after * 2 : kPlainAfterLast;
        return r;
    }
    long r = read_nowait(fd_, iov, iovcnt, offset, deadline_ns_, &ring_.no_nowait);
    const bool waited = r == -EAGAIN && !ring_.no_nowait;
    if (r == -EAGAIN) r = ring();
    if (!waited && ring_.regular && r >= 0 && static_cast<size_t>(r) == iov_bytes(iov, iovcnt)) {
        if (ring_.plain_after == 0) ring_.plain_after = kPlainAfterFirst;
        if (++ring_.hits >= ring_.plain_after) ring_.plain = true;
    } else {
        ring_.hits = 0;  // it would have waited, or was short: part of it was not cached, or the end
    }
    return r;
}

sys::Result<size_t> File::read(void* buf, size_t n) {
    if (fd_ < 0) return sys::Errno(EBADF);
    if (fd::FD* p = netpoll_fd()) return p->read(buf, n);
    if (ring_.poll_first)
        return poll_first(fd_, POLLIN, deadline_ns_, [&] { return sys::raw::read(fd_, buf, n).raw(); });
    const iovec iov{buf, n};
    auto plain = [&] { return sys::blocking_syscall(__NR_read, fd_, buf, n); };
    return ring_read(&iov, 1, kCurrentPosition, plain,
                     [&] { return do_op(rw_sqe(IORING_OP_READ, fd_, buf, n, kCurrentPosition), deadline_ns_, plain); });
}

sys::Result<size_t> File::write(const void* buf, size_t n) {
    if (fd_ < 0) return sys::Errno(EBADF);
    if (fd::FD* p = netpoll_fd()) return p->write(buf, n);
    if (ring_.poll_first)
        return write_all(buf, n, [&](const void* at, size_t left, size_t) {
            return poll_first(fd_, POLLOUT, deadline_ns_, [&] { return sys::raw::write(fd_, at, left).raw(); });
        });
    return write_all(buf, n, [&](const void* at, size_t left, size_t) {
        return ring_write(fd_, at, left, kCurrentPosition, deadline_ns_);
    });
}

sys::Result<size_t> File::pread(void* buf, size_t n, int64_t offset) {
    if (fd_ < 0) return sys::Errno(EBADF);
    if (offset < 0) return sys::Errno(EINVAL);
    if (ring_.poll_first) return sys::raw::pread64(fd_, buf, n, offset).raw();  // ESPIPE: never waits
    const iovec iov{buf, n};
    auto plain = [&] { return sys::blocking_syscall(__NR_pread64, fd_, buf, n, offset); };
    return ring_read(&iov, 1, offset, plain,
                     [&] { return do_op(rw_sqe(IORING_OP_READ, fd_, buf, n, offset), deadline_ns_, plain); });
}

sys::Result<size_t> File::pwrite(const void* buf, size_t n, int64_t offset) {
    if (fd_ < 0) return sys::Errno(EBADF);
    if (offset < 0) return sys::Errno(EINVAL);
    if (ring_.poll_first) return sys::raw::pwrite64(fd_, buf, n, offset).raw();  // ESPIPE
    return write_all(buf, n, [&](const void* at, size_t left, size_t done) {
        return ring_write(fd_, at, left, offset + static_cast<int64_t>(done), deadline_ns_);
    });
}

sys::Result<size_t> File::readv(const iovec* iov, int n) {
    if (fd_ < 0) return sys::Errno(EBADF);
    if (fd::FD* p = netpoll_fd()) return p->readv(iov, n);
    if (ring_.poll_first)
        return poll_first(fd_, POLLIN, deadline_ns_, [&] { return sys::raw::readv(fd_, iov, n).raw(); });
    auto plain = [&] { return sys::blocking_syscall(__NR_readv, fd_, iov, n); };
    return ring_read(iov, n, kCurrentPosition, plain, [&] {
        return do_op(rw_sqe(IORING_OP_READV, fd_, iov, static_cast<size_t>(n), kCurrentPosition), deadline_ns_, plain);
    });
}

sys::Result<size_t> File::writev(const iovec* iov, int n) {
    if (fd_ < 0) return sys::Errno(EBADF);
    if (fd::FD* p = netpoll_fd()) return p->writev(iov, n);
    if (ring_.poll_first)
        return poll_first(fd_, POLLOUT, deadline_ns_, [&] { return sys::raw::writev(fd_, iov, n).raw(); });
    return do_op(rw_sqe(IORING_OP_WRITEV, fd_, iov, static_cast<size_t>(n), kCurrentPosition), deadline_ns_,
                 [&] { return sys::blocking_syscall(__NR_writev, fd_, iov, n); });
}

sys::Result<int64_t> File::seek(int64_t offset, int whence) {
    if (fd_ < 0) return sys::Errno(EBADF);
    return sys::raw::lseek(fd_, offset, whence).raw();  // never blocks: no ring op, no handoff
}

sys::Result<void> File::sync() {
    if (fd_ < 0) return sys::Errno(EBADF);
    io_uring_sqe sqe{};
    sqe.opcode = IORING_OP_FSYNC;
    sqe.fd = fd_;
    return do_op(sqe, deadline_ns_, [&] { return sys::blocking_syscall(__NR_fsync, fd_); });
}

sys::Result<void> File::datasync() {
    if (fd_ < 0) return sys::Errno(EBADF);
    io_uring_sqe sqe{};
    sqe.opcode = IORING_OP_FSYNC;
    sqe.fd = fd_;
    sqe.fsync_flags = IORING_FSYNC_DATASYNC;
    return do_op(sqe, deadline_ns_, [&] { return sys::blocking_syscall(__NR_fdatasync, fd_); });
}

sys::Result<void> File::stat(struct statx* out) {
    if (fd_ < 0) return sys::Errno(EBADF);
    if (out == nullptr) return sys::Errno(EINVAL);
    return statx_at(fd_, "", AT_EMPTY_PATH, out);
}

sys::Result<void> File::truncate(int64_t size) {
    if (fd_ < 0) return sys::Errno(EBADF);
    // IORING_OP_FTRUNCATE is 6.9's; the syscall is quick on every kernel.
    return sys::blocking_syscall(__NR_ftruncate, fd_, size);
}

sys::Result<void> File::close() {
    if (fd_ < 0) return sys::Errno(EBADF);
    fd::FD* p = netpoll_fd();
    pfd_ = nullptr;  // from an ended run: gone with its heap, and its pollDesc with its poller
    if (p != nullptr) {
        // The FD wakes the Gs parked on it (EBADF), waits for them to leave,
        // then closes the descriptor.
        fd_ = -1;
        const auto r = p->close();
        p->~FD();
        rawrt::free(p);
        return r;
    }
    // Raw, ring or not: close(2) does not wait (the last reference's
    // release runs as the syscall returns), and a ring trip would cost a
    // submission and a reap on top of it.
    const int fd = fd_;
    fd_ = -1;
    return sys::raw_syscall(__NR_close, fd);
}

sys::Result<void> remove(const char* path) {
    if (path == nullptr) return sys::Errno(EINVAL);
    auto unlink = [path](int flags) {
        io_uring_sqe sqe{};
        sqe.opcode = IORING_OP_UNLINKAT;
        sqe.fd = AT_FDCWD;
        sqe.addr = reinterpret_cast<uint64_t>(path);
        sqe.unlink_flags = static_cast<uint32_t>(flags);
        return do_op(sqe, 0, [&] { return sys::blocking_syscall(__NR_unlinkat, AT_FDCWD, path, flags); });
    };
    // Go: a file first, then a directory; the file's error when both fail,
    // unless it says the path is a directory.
    const long r = unlink(0);
    if (r == 0) return {};
    const long d = unlink(AT_REMOVEDIR);
    if (d == 0) return {};
    return (r == -EISDIR || r == -EPERM) && d != -ENOTDIR ? d : r;
}

sys::Result<void> rename(const char* from, const char* to) {
    if (from == nullptr || to == nullptr) return sys::Errno(EINVAL);
    io_uring_sqe sqe{};
    sqe.opcode = IORING_OP_RENAMEAT;
    sqe.fd = AT_FDCWD;
    sqe.addr = reinterpret_cast<uint64_t>(from);
    sqe.len = static_cast<uint32_t>(AT_FDCWD);
    sqe.addr2 = reinterpret_cast<uint64_t>(to);
    return do_op(sqe, 0, [&] { return sys::blocking_syscall(__NR_renameat2, AT_FDCWD, from, AT_FDCWD, to, 0); });
}

sys::Result<void> mkdir(const char* path, unsigned mode) {
    if (path == nullptr) return sys::Errno(EINVAL);
    io_uring_sqe sqe{};
    sqe.opcode = IORING_OP_MKDIRAT;
    sqe.fd = AT_FDCWD;
    sqe.addr = reinterpret_cast<uint64_t>(path);
    sqe.len = mode;
    return do_op(sqe, 0, [&] { return sys::blocking_syscall(__NR_mkdirat, AT_FDCWD, path, mode); });
}

sys::Result<void> stat(const char* path, struct statx* out) {
    if (path == nullptr || out == nullptr) return sys::Errno(EINVAL);
    return statx_at(AT_FDCWD, path, 0, out);
}

sys::Result<size_t> read_file(const char* path, void* buf, size_t n) {
    File f;
    if (auto r = File::open(path, &f); !r.ok()) return r.raw();
    auto* p = static_cast<unsigned char*>(buf);
    size_t got = 0;
    for (;;) {
        unsigned char probe;
        // Full: one more byte says whether the file goes on.
        auto r = got < n ? f.read(p + got, n - got) : f.read(&probe, 1);
        if (!r.ok()) return r;
        if (r.value() == 0) return static_cast<long>(got);
        if (got == n) return sys::Errno(EFBIG);
        got += r.value();
    }
}

sys::Result<void> write_file(const char* path, const void* data, size_t n, unsigned mode) {
    File f;
    if (auto r = File::open(path, O_WRONLY | O_CREAT | O_TRUNC, mode, &f); !r.ok()) return r;
    if (auto r = f.write(data, n); !r.ok()) return r.raw();
    return f.close();
}

sys::Result<size_t> read_dir(const char* path, DirEntry* out, size_t n) {
    if (path == nullptr || (out == nullptr && n != 0)) return sys::Errno(EINVAL);
    File dir;
    if (auto r = File::open(path, O_RDONLY | O_DIRECTORY, 0, &dir); !r.ok()) return r.raw();
    // struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name.
    alignas(8) unsigned char buf[4096];
    size_t count = 0;
    for (;;) {
        const long got = sys::blocking_syscall(__NR_getdents64, dir.fd(), buf, sizeof buf);
        if (got < 0) return got;
        if (got == 0) break;
        for (long at = 0; at < got;) {
            const unsigned char* e = buf + at;
            const uint16_t reclen = static_cast<uint16_t>(e[16] | e[17] << 8);
            const char* name = reinterpret_cast<const char*>(e + 19);
            at += reclen;
            if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
            if (count == n) return sys::Errno(EFBIG);
            DirEntry& d = out[count++];
            size_t i = 0;
            for (; name[i] != '\0' && i + 1 < sizeof d.name; ++i) d.name[i] = name[i];
            d.name[i] = '\0';
            d.type = e[18];
        }
    }
    // Insertion sort: directories read this way are small, and it needs no memory.
    auto less = [](const char* a, const char* b) {
        while (*a != '\0' && *a == *b) ++a, ++b;
        return static_cast<unsigned char>(*a) < static_cast<unsigned char>(*b);
    };
    for (size_t i = 1; i < count; ++i)
        for (size_t j = i; j > 0 && less(out[j].name, out[j - 1].name); --j) {
            DirEntry t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return static_cast<long>(count);
}

bool uses_ring() { return sched::current_g() != nullptr && uring::uring_init().ok(); }

FileStats file_stats() {
    return {counters.nowait_reads.load(), counters.plain_lost_p.load(), counters.poll_waits.load()};
}

}  // namespace rawrt::os
