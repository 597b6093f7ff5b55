// Files in Go's shape (package os): a G reads, writes and syncs a file
// while its M runs other Gs, through the io_uring ring (netpoll/uring.hpp).
//
//   rawrt::os::File f;
//   if (auto e = rawrt::os::File::create("/tmp/x", &f); !e.ok()) return 1;
//   (void)f.write("hello\n", 6);       // parks the G, not the M
//   (void)f.sync();
//   (void)f.close();
//
// Without a ring (io_uring_setup failed: ENOSYS under qemu-user, EPERM with
// kernel.io_uring_disabled or a seccomp filter; or RAWRT_DEBUG=uring=0)
// every call makes the blocking syscall instead (entersyscall: the P is
// handed off if it lasts), with the same results. An operation the ring
// lacks on the running kernel takes the same path.
//
// With the ring, three shortcuts keep the cheap cases cheap, each with
// what it costs: a read first asks, raw, for data the page cache holds
// (RWF_NOWAIT), and only one that would wait goes to the ring; a file
// whose reads keep finding their data there is read with the plain
// syscall, the P handed off if one waits after all (which sends the file
// back to asking); a FIFO or a socket is made non-blocking, read and
// written raw, and the ring only waits for it to be ready
// (IORING_OP_POLL_ADD). file_stats() counts the asks, the waits and the
// plain reads that lost their P.
//
// Without a ring a File that epoll
// can watch (a pipe, a FIFO, a socket, a terminal: any but a regular file,
// a directory, a block device or a character device that does not poll,
// such as /dev/null) is made non-blocking when it is opened, and its reads
// and writes park the G on the netpoller (an fd::FD), as Go's os.File does
// with what it opens: no M waits in the kernel, and a deadline holds.
//
// Errors are the kernel's (Result's Errno), plus: EBADF the File is closed;
// ETIMEDOUT its deadline passed before the operation completed (through the
// ring, which cancels it; on the netpoller, which wakes the G; else checked
// before the call); EINVAL a null path or out-parameter. Everything here
// runs on a G; off one (a File destroyed after its run) the blocking
// syscalls run, as without a ring.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sys/result.hpp"

struct iovec;
struct statx;

namespace rawrt::fd {
class FD;
}

namespace rawrt::os {

// Go: os.File. Neither copyable nor movable once open is not needed: it is
// movable, so a File can be returned; the destructor closes what is open.
class File {
public:
    File() = default;
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    File(File&& o) noexcept
        : fd_(o.fd_), deadline_ns_(o.deadline_ns_), ring_(o.ring_), pfd_(o.pfd_), pfd_run_(o.pfd_run_) {
        o.fd_ = -1;
        o.pfd_ = nullptr;
    }
    File& operator=(File&& o) noexcept;
    ~File();

    // Go: os.OpenFile. flags are open(2)'s (O_CLOEXEC always added); mode
    // with O_CREAT. *out must not hold an open File (EBUSY).
    static sys::Result<void> open(const char* path, int flags, unsigned mode, File* out);
    // Go: os.Open: read only.
    static sys::Result<void> open(const char* path, File* out);
    // Go: os.Create: O_RDWR | O_CREAT | O_TRUNC, mode 0666 (before umask).
    static sys::Result<void> create(const char* path, File* out);

    // Go: File.Read. At most n bytes from the file's position; 0 at the end.
    sys::Result<size_t> read(void* buf, size_t n);
    // Go: File.Write. All n bytes (a short write is continued), at the
    // file's position; the count written before an error is lost with it.
    sys::Result<size_t> write(const void* buf, size_t n);
    // Go: File.ReadAt / WriteAt, at offset, the position untouched. pread
    // returns what one read gave (short at the end of the file).
    sys::Result<size_t> pread(void* buf, size_t n, int64_t offset);
    sys::Result<size_t> pwrite(const void* buf, size_t n, int64_t offset);
    // readv(2) / writev(2) at the file's position: one call each.
    sys::Result<size_t> readv(const iovec* iov, int n);
    sys::Result<size_t> writev(const iovec* iov, int n);
    // Go: File.Seek. whence: SEEK_SET, SEEK_CUR, SEEK_END (0, 1, 2).
    sys::Result<int64_t> seek(int64_t offset, int whence);
    // Go: File.Sync (fsync); datasync is fdatasync.
    sys::Result<void> sync();
    sys::Result<void> datasync();
    // Go: File.Stat, as statx(2) with STATX_BASIC_STATS.
    sys::Result<void> stat(struct statx* out);
    // Go: File.Truncate.
    sys::Result<void> truncate(int64_t size);
    // Go: File.Close. EBADF if it was not open.
    sys::Result<void> close();

    // Go: File.SetDeadline. An absolute vdso::nanotime(); 0: none. An
    // operation still running then is cancelled and fails ETIMEDOUT.
    void set_deadline(int64_t deadline_ns);
    // The descriptor, still the File's. Non-blocking when it is a FIFO or
    // a socket, or when the netpoller waits for it (see above): a read(2)
    // of one's own may say EAGAIN.
    int fd() const { return fd_; }
    bool is_open() const { return fd_ >= 0; }
    // Whether its reads and writes park on the netpoller (without a ring).
    bool polled() const { return netpoll_fd() != nullptr; }

private:
    fd::FD* netpoll_fd() const;
    void attach_netpoll();
    void attach_ring(int open_flags);
    template <class Plain, class Ring>
    long ring_read(const iovec* iov, int iovcnt, int64_t offset, Plain plain, Ring ring);

    // How its reads and writes go with a ring (os/file.cpp: ring_read,
    // poll_first).
    struct RingWay {
        bool no_nowait = false;    // its reads cannot be asked not to wait (a terminal, tmpfs): to the ring
        bool poll_first = false;   // a FIFO or socket: non-blocking, the ring only waits for readiness
        bool regular = false;      // a regular file or block device: its reads may go plain
        bool plain = false;        // its reads keep finding their data at once: the plain syscall
        uint16_t hits = 0;         // reads in a row that found all their data at once
        uint16_t plain_after = 0;  // hits before reads go plain (0: the first threshold)
    };

    int fd_ = -1;
    int64_t deadline_ns_ = 0;
    RingWay ring_;
    // Without a ring, what parks its reads and writes when epoll watches
    // it: made in the run pfd_run_ (rawrt::alloc), gone with that run.
    fd::FD* pfd_ = nullptr;
    uint64_t pfd_run_ = 0;
};

// Go: os.Remove: a file, or an empty directory.
sys::Result<void> remove(const char* path);
// Go: os.Rename.
sys::Result<void> rename(const char* from, const char* to);
// Go: os.Mkdir.
sys::Result<void> mkdir(const char* path, unsigned mode);
// Go: os.Stat (statx(2), following symlinks).
sys::Result<void> stat(const char* path, struct statx* out);
// Go: os.ReadFile, into buf: the file's size in bytes, or EFBIG when it
// does not fit in n (nothing is allocated).
sys::Result<size_t> read_file(const char* path, void* buf, size_t n);
// Go: os.WriteFile: created or truncated, mode when created, all n bytes.
sys::Result<void> write_file(const char* path, const void* data, size_t n, unsigned mode);

// Go: os.DirEntry, its name and type (DT_* of getdents64: DT_REG,
// DT_DIR, ...; DT_UNKNOWN where the filesystem does not say).
struct DirEntry {
    char name[256];
    unsigned char type;
};
// Go: os.ReadDir: the entries of the directory but "." and "..", sorted by
// name, into out[0..n); their count, or EFBIG when there are more than n
// (out then holds n of them, unsorted). getdents64 has no ring operation:
// the blocking syscall.
sys::Result<size_t> read_dir(const char* path, DirEntry* out, size_t n);

// Whether file operations go through the ring in this run (uring_init).
bool uses_ring();

// How os::File's reads and waits went with the ring, since the process
// began (every run's).
struct FileStats {
    uint64_t nowait_reads = 0;  // reads that asked for cached data first (RWF_NOWAIT), raw
    // Reads of a file gone plain (not counted: they cost what the
    // fallback's do) that lost their P meanwhile: their file asks first again.
    uint64_t plain_lost_p = 0;
    uint64_t poll_waits = 0;  // waits through the ring for a FIFO or socket to be ready
};
FileStats file_stats();

}  // namespace rawrt::os
