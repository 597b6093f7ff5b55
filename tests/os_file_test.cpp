// os::File (os/file.hpp) through the io_uring ring and through the blocking
// syscalls (RAWRT_DEBUG uring=0), every case both ways: the same results.
// Where io_uring_setup fails (aarch64 under qemu-user: ENOSYS) the "ring"
// cases run the fallback too, and say so.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>
#include <cstdio>
#include <string>

#include "netpoll/uring.hpp"
#include "os/file.hpp"
#include "sched/go.hpp"
#include "sched/stats.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "tests/temp_dir.hpp"
#include "sys/calls.hpp"
#include "tests/child_process.hpp"
#include "tests/proc_self.hpp"
#include "tests/sys_table.hpp"
#include "vdso/vdso.hpp"

namespace {

namespace os = rawrt::os;
namespace sys = rawrt::sys;

using rawrt::test::TempDir;  // made and removed by the host side

bool said_no_ring = false;

// n paths dir/<prefix><i>, made on the host side (a G must not call into
// glibc, std::string's allocations included); with fifos, the FIFOs too.
std::vector<std::string> paths(const TempDir& dir, const char* prefix, int n, bool fifos = false) {
    std::vector<std::string> v;
    for (int i = 0; i < n; ++i) {
        v.push_back(dir / (prefix + std::to_string(i)));
        if (fifos) {
            EXPECT_EQ(mkfifo(v.back().c_str(), 0600), 0);
        }
    }
    return v;
}

class OsFile : public testing::TestWithParam<bool> {
protected:
    // The run's configuration: the ring on (GetParam) or forced off.
    rawrt::RunConfig config(int32_t procs = 2, const char* ring_debug = "") const {
        rawrt::RunConfig c{.procs = procs};
        c.debug = GetParam() ? ring_debug : "uring=0";
        return c;
    }
    // Runs body on a G, configured so; returns whether the ring was in use.
    template <class F>
    bool run(F body, int32_t procs = 2, const char* ring_debug = "") {
        bool ring = false;
        auto r = rawrt::run(config(procs, ring_debug), [&] {
            ring = os::uses_ring();
            body();
        });
        EXPECT_TRUE(r.ok());
        check_way(ring);
        return ring;
    }
    // Which way a run went: the fallback's never has a ring; the ring's
    // says so where it has none.
    void check_way(bool ring) {
        if (GetParam() && !ring && !said_no_ring)
            std::printf("[ note ] %s: no io_uring ring here; the ring cases run the fallback\n", RAWRT_TEST_ARCH);
        said_no_ring |= GetParam() && !ring;
        if (!GetParam()) {
            EXPECT_FALSE(ring);
        }
    }
    // In a forked child (table::in_child or in_namespace: forked before any
    // run, so no runtime is copied mid-flight), body on a G as run() does:
    // it returns the number of the check that failed (0: none, at most 30),
    // the child's exit status, with kRingBit added when the ring was in
    // use. Only glibc-free code on the G.
    static constexpr int kRingBit = 32;
    template <class F>
    int run_in_child(F body) const {
        bool ring = false;
        int failed = 0;
        auto r = rawrt::run(config(), [&] {
            ring = os::uses_ring();
            failed = body();
        });
        return (r.ok() ? failed : 31) | (ring ? kRingBit : 0);
    }
    // The check that failed in such a child, its way checked (check_way);
    // any other status as it is (a signal's 128 + N, kNoNamespace).
    int child_checks(int status) {
        if (status < 0 || status >= 2 * kRingBit) return status;
        check_way((status & kRingBit) != 0);
        return status & ~kRingBit;
    }
};

TEST_P(OsFile, WriteReadSeekStatTruncateSync) {
    TempDir dir;
    const std::string path = dir / "a";
    std::string got(10, '\0');
    int64_t after_seek = -1, size = -1, truncated = -1;
    size_t n_read = 0, n_pread = 0, at_eof = 99;
    bool ok = true;
    run([&] {
        os::File f;
        ok &= os::File::create(path.c_str(), &f).ok();
        ok &= f.write("hello, world", 12).value_or(0) == 12;
        ok &= f.sync().ok() && f.datasync().ok();
        after_seek = f.seek(0, SEEK_SET).value_or(-1);
        n_read = f.read(got.data(), 5).value_or(0);
        n_pread = f.pread(got.data() + 5, 5, 7).value_or(0);
        struct statx st {};
        ok &= f.stat(&st).ok();
        size = static_cast<int64_t>(st.stx_size);
        ok &= f.truncate(3).ok();
        ok &= f.stat(&st).ok();
        truncated = static_cast<int64_t>(st.stx_size);
        (void)f.seek(0, SEEK_END);
        char c;
        at_eof = f.read(&c, 1).value_or(99);
        ok &= f.close().ok();
    });
    EXPECT_TRUE(ok);
    EXPECT_EQ(after_seek, 0);
    EXPECT_EQ(n_read, 5u);
    EXPECT_EQ(n_pread, 5u);
    EXPECT_EQ(got, "helloworld");
    EXPECT_EQ(size, 12);
    EXPECT_EQ(truncated, 3);
    EXPECT_EQ(at_eof, 0u);
}

TEST_P(OsFile, VectoredAndPositionalWrites) {
    TempDir dir;
    const std::string path = dir / "v";
    std::string back(8, '\0');
    bool ok = true;
    run([&] {
        os::File f;
        ok &= os::File::open(path.c_str(), O_RDWR | O_CREAT, 0600, &f).ok();
        char a[] = "abcd", b[] = "efgh";
        iovec iov[2] = {{a, 4}, {b, 4}};
        ok &= f.writev(iov, 2).value_or(0) == 8;
        ok &= f.pwrite("XY", 2, 2).value_or(0) == 2;
        (void)f.seek(0, SEEK_SET);
        iovec in[2] = {{back.data(), 3}, {back.data() + 3, 5}};
        ok &= f.readv(in, 2).value_or(0) == 8;
    });
    EXPECT_TRUE(ok);
    EXPECT_EQ(back, "abXYefgh");
}

TEST_P(OsFile, PathOperations) {
    TempDir dir;
    const std::string d = dir / "sub", a = dir / "sub/a", b = dir / "sub/b";
    bool ok = true;
    size_t read_back = 0;
    char buf[16] = {};
    sys::Errno after_remove, too_small, dir_as_file, too_many;
    size_t listed = 0;
    char first[8] = {}, second[8] = {};
    const std::string a_in_d = d + "/a";
    run([&] {
        ok &= os::mkdir(d.c_str(), 0755).ok();
        ok &= os::write_file(a.c_str(), "payload", 7, 0644).ok();
        ok &= os::rename(a.c_str(), b.c_str()).ok();
        read_back = os::read_file(b.c_str(), buf, sizeof buf).value_or(0);
        char tiny[3];
        too_small = os::read_file(b.c_str(), tiny, sizeof tiny).error();
        struct statx st {};
        ok &= os::stat(b.c_str(), &st).ok() && st.stx_size == 7;
        os::File f;
        dir_as_file = os::File::open(d.c_str(), O_WRONLY, 0, &f).error();
        os::DirEntry entries[4];
        ok &= os::write_file(a_in_d.c_str(), "", 0, 0600).ok();
        listed = os::read_dir(d.c_str(), entries, 4).value_or(0);
        if (listed == 2) {
            std::memcpy(first, entries[0].name, sizeof first - 1);
            std::memcpy(second, entries[1].name, sizeof second - 1);
        }
        os::DirEntry one[1];
        too_many = os::read_dir(d.c_str(), one, 1).error();
        ok &= os::remove(a_in_d.c_str()).ok();
        ok &= os::remove(b.c_str()).ok();
        after_remove = os::stat(b.c_str(), &st).error();
        ok &= os::remove(d.c_str()).ok();  // an empty directory
    });
    EXPECT_TRUE(ok);
    EXPECT_EQ(read_back, 7u);
    EXPECT_STREQ(buf, "payload");
    EXPECT_EQ(too_small, sys::Errno(EFBIG));
    EXPECT_EQ(dir_as_file, sys::Errno(EISDIR));
    EXPECT_EQ(after_remove, sys::Errno(ENOENT));
    EXPECT_EQ(listed, 2u);
    EXPECT_STREQ(first, "a");
    EXPECT_STREQ(second, "b");
    EXPECT_EQ(too_many, sys::Errno(EFBIG));
}

TEST_P(OsFile, ErrorsAreTheKernels) {
    TempDir dir;
    sys::Errno missing, closed, bad_pointer, twice, null_path, no_space, is_dir;
    const std::string none = dir / "none", x = dir / "x";  // no std::string made on a G (glibc's malloc)
    run([&] {
        os::File f;
        missing = os::File::open(none.c_str(), &f).error();
        closed = f.read(nullptr, 1).error();
        os::File g;
        (void)os::File::create(x.c_str(), &g);
        bad_pointer = g.write(reinterpret_cast<void*>(16), 8).error();
        (void)g.close();
        twice = g.close().error();
        null_path = os::File::open(nullptr, &f).error();
        // A device that is always full: the kernel's ENOSPC, through the
        // write path that continues short writes.
        os::File full;
        if (os::File::open("/dev/full", O_WRONLY, 0, &full).ok()) no_space = full.write("abc", 3).error();
        os::File d;
        is_dir = os::File::open(dir.path().c_str(), O_WRONLY, 0, &d).error();
    });
    EXPECT_EQ(missing, sys::Errno(ENOENT));
    EXPECT_EQ(no_space, sys::Errno(ENOSPC));
    EXPECT_EQ(is_dir, sys::Errno(EISDIR));
    EXPECT_EQ(closed, sys::Errno(EBADF));
    EXPECT_EQ(bad_pointer, sys::Errno(EFAULT));
    EXPECT_EQ(twice, sys::Errno(EBADF));
    EXPECT_EQ(null_path, sys::Errno(EINVAL));
}

// EACCES, which root never meets: a child that drops to nobody (uid and
// gid 65534; root may, with no user namespace) before its run opens a
// root's file of mode 0600 and creates one in a root's directory of mode
// 0755, both of which it can reach. Its exit status says what it saw.
TEST_P(OsFile, EaccesForAnUnprivilegedUser) {
    TempDir dir;
    const std::string secret = dir / "secret", fresh = dir / "fresh";
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    {
        const int fd = ::open(secret.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ::close(fd);
    }
    const int status = rawrt::test::table::in_child([&] {
        if (setresgid(65534, 65534, 65534) != 0) return 1;
        if (setresuid(65534, 65534, 65534) != 0) return 2;
        return run_in_child([&] {
            os::File f, g;
            if (os::File::open(secret.c_str(), &f).error() != sys::Errno(EACCES)) return 3;
            if (os::File::create(fresh.c_str(), &g).error() != sys::Errno(EACCES)) return 4;
            return 0;
        });
    });
    EXPECT_EQ(child_checks(status), 0) << "the child's check that failed (1-2: dropping to nobody; 3: open; 4: "
                                          "create; 31: the run)";
    EXPECT_NE(access(fresh.c_str(), F_OK), 0) << "nobody created a file in root's directory";
}

// ENOSPC from a real small file system: a child in a mount namespace of its
// own mounts a 64 KiB tmpfs over a directory of the test's, writes a
// pattern through os::File until the file system is full, and reads back
// what it holds. Its exit status says which check failed.
TEST_P(OsFile, EnospcFromASmallTmpfs) {
    TempDir dir;
    const std::string small = dir / "small", path = dir / "small/fill";
    ASSERT_EQ(::mkdir(small.c_str(), 0700), 0);
    const int status = rawrt::test::table::in_namespace([&] {
        if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=64k") != 0) return 1;
        return run_in_child([&] {
            constexpr size_t kChunk = 4096;
            auto byte_at = [](size_t i) { return static_cast<unsigned char>(i * 7 + i / 4096); };
            os::File f;
            if (!os::File::create(path.c_str(), &f).ok()) return 2;
            unsigned char chunk[kChunk];
            sys::Errno err;
            for (size_t at = 0; at < (size_t{1} << 20); at += kChunk) {  // 1 MiB cannot fit in 64 KiB
                for (size_t i = 0; i < kChunk; ++i) chunk[i] = byte_at(at + i);
                if (auto r = f.write(chunk, kChunk); !r.ok()) {
                    err = r.error();
                    break;
                }
            }
            if (err != sys::Errno(ENOSPC)) return 3;
            struct statx st {};
            if (!f.stat(&st).ok() || st.stx_size < kChunk || st.stx_size > 64 * 1024) return 4;
            // Every byte the file kept is the one written there.
            for (size_t at = 0; at < st.stx_size; at += kChunk) {
                const size_t want = std::min<size_t>(kChunk, st.stx_size - at);
                if (f.pread(chunk, want, static_cast<int64_t>(at)).value_or(0) != want) return 5;
                for (size_t i = 0; i < want; ++i)
                    if (chunk[i] != byte_at(at + i)) return 6;
            }
            return f.close().ok() ? 0 : 7;
        });
    });
    // 1: mount; 2: create; 3: not ENOSPC; 4: the size; 5-6: reading back; 7: close; 31: the run.
    EXPECT_IN_NAMESPACE(child_checks(status));
}

// The fsync storm, smaller: every file written and synced, all read back.
TEST_P(OsFile, ManyGsWriteAndSyncTheirOwnFiles) {
    TempDir dir;
    const int kGs = rawrt::test::emulated() ? 100 : 500;
    std::atomic<int> errors{0}, verified{0};
    const std::vector<std::string> names = paths(dir, "f", kGs);
    run([&] {
        rawrt::WaitGroup wg;
        wg.add(kGs);
        for (int i = 0; i < kGs; ++i)
            rawrt::go([&, i] {
                const char* path = names[i].c_str();
                char data[4096];
                for (int k = 0; k < 4096; ++k) data[k] = static_cast<char>(i * 7 + k);
                os::File f;
                if (!os::File::create(path, &f).ok() || !f.write(data, sizeof data).ok() || !f.sync().ok() ||
                    !f.close().ok())
                    errors.fetch_add(1);
                char back[4096];
                if (os::read_file(path, back, sizeof back).value_or(0) == sizeof back &&
                    std::char_traits<char>::compare(back, data, sizeof back) == 0)
                    verified.fetch_add(1);
                wg.done();
            });
        wg.wait();
    });
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(verified.load(), kGs);
}

// 1 GiB (64 MiB under qemu) written in 1 MiB pieces and read back, both
// checksummed: nothing lost or reordered on the way through the ring.
TEST_P(OsFile, AGibWrittenAndReadBackChecksummed) {
    TempDir dir;
    const std::string path = dir / "big";
    const size_t kChunk = 1 << 20;
    const size_t chunks = rawrt::test::emulated() ? 64 : 1024;
    std::vector<unsigned char> out(kChunk), in(kChunk);  // host memory: a G's stack is 64 KiB
    uint64_t written_sum = 0, read_sum = 0;
    size_t read_total = 0;
    bool ok = true;
    auto fnv = [](uint64_t h, const unsigned char* p, size_t n) {
        for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
        return h;
    };
    run([&] {
        os::File f;
        ok &= os::File::create(path.c_str(), &f).ok();
        written_sum = read_sum = 0xcbf29ce484222325ull;
        for (size_t c = 0; c < chunks && ok; ++c) {
            for (size_t i = 0; i < kChunk; i += 8) {
                const uint64_t v = (c * kChunk + i) * 0x9e3779b97f4a7c15ull;
                std::memcpy(out.data() + i, &v, 8);
            }
            written_sum = fnv(written_sum, out.data(), kChunk);
            ok &= f.write(out.data(), kChunk).value_or(0) == kChunk;
        }
        ok &= f.sync().ok();
        for (size_t c = 0; c < chunks && ok; ++c) {
            const auto r = f.pread(in.data(), kChunk, static_cast<int64_t>(c * kChunk));
            if (!r.ok()) {
                ok = false;
                break;
            }
            read_sum = fnv(read_sum, in.data(), r.value());
            read_total += r.value();
            if (r.value() != kChunk) break;  // (a short read: the totals will say)
        }
        ok &= f.close().ok();
    });
    EXPECT_TRUE(ok);
    EXPECT_EQ(read_total, chunks * kChunk);
    EXPECT_EQ(read_sum, written_sum);
}

// 10 000 Gs (1000 under qemu) each with a file of its own open at the same
// moment, each file's contents its own: descriptors and operations never
// cross.
TEST_P(OsFile, TenThousandGsWithFilesOpenAtOnce) {
    TempDir dir;
    const int kGs = rawrt::test::emulated() ? 1000 : 10000;
    const std::vector<std::string> names = paths(dir, "g", kGs);
    std::atomic<int> opened{0}, verified{0}, errors{0};
    run([&] {
        rawrt::WaitGroup all_open, done;
        all_open.add(kGs);
        done.add(kGs);
        for (int i = 0; i < kGs; ++i)
            rawrt::go([&, i] {
                os::File f;
                const bool ok = os::File::create(names[i].c_str(), &f).ok();
                if (ok) opened.fetch_add(1);
                all_open.done();
                all_open.wait();             // every file open at once
                char mine[8], back[8] = {};  // i in 8 digits (no snprintf: glibc on a G)
                for (int k = 7, v = i; k >= 0; --k, v /= 10) mine[k] = static_cast<char>('0' + v % 10);
                if (!ok || f.write(mine, 8).value_or(0) != 8 || f.pread(back, 8, 0).value_or(0) != 8 ||
                    std::memcmp(back, mine, 8) != 0 || !f.close().ok())
                    errors.fetch_add(1);
                else verified.fetch_add(1);
                done.done();
            });
        done.wait();
    });
    EXPECT_EQ(opened.load(), kGs);
    EXPECT_EQ(verified.load(), kGs);
    EXPECT_EQ(errors.load(), 0);
}

// A read that waits on a FIFO with nobody writing: the deadline cancels it
// (the ring's linked timeout, or without a ring the pollDesc's timer) and
// it fails ETIMEDOUT. After it, with the deadline gone, the same File reads
// what is written. (A read that ignored its deadline gets the byte another
// G writes 5 s later, and fails the test rather than hang it.)
TEST_P(OsFile, DeadlineCancelsAFifoRead) {
    TempDir dir;
    const std::string fifo = dir / "fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    sys::Errno err;
    bool waited = false;
    char after = 0;
    run([&] {
        os::File f;
        if (!os::File::open(fifo.c_str(), O_RDWR, 0, &f).ok()) return;  // O_RDWR: the open does not wait
        rawrt::go([fd = f.fd()] {
            rawrt::sleep(5'000'000'000);
            (void)sys::raw::write(fd, "!", 1);
        });
        const int64_t start = rawrt::vdso::nanotime();
        f.set_deadline(start + 20'000'000);
        char c;
        err = f.read(&c, 1).error();
        waited = rawrt::vdso::nanotime() >= start + 20'000'000;
        f.set_deadline(0);
        if (f.write("z", 1).value_or(0) == 1) (void)f.read(&after, 1);
    });
    EXPECT_EQ(err, sys::Errno(ETIMEDOUT));
    EXPECT_TRUE(waited);
    EXPECT_EQ(after, 'z');
}

// Without a ring, what epoll watches parks on the netpoller; a character
// device epoll refuses (/dev/zero, /dev/null: EPERM) stays blocking and
// works as it does. Through the ring none is polled.
TEST_P(OsFile, WhatEpollRefusesStaysBlocking) {
    TempDir dir;
    const std::string fifo = dir / "fifo", plain = dir / "plain";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    bool fifo_polled = false, zero_polled = true, null_polled = true, plain_polled = true;
    size_t zeros = 0, nulled = 0, at_end = 99;
    const bool ring = run([&] {
        os::File q, z, n, p;
        if (!os::File::open(fifo.c_str(), O_RDWR, 0, &q).ok() || !os::File::open("/dev/zero", &z).ok() ||
            !os::File::open("/dev/null", O_RDWR, 0, &n).ok() || !os::File::create(plain.c_str(), &p).ok())
            return;
        fifo_polled = q.polled();
        zero_polled = z.polled();
        null_polled = n.polled();
        plain_polled = p.polled();
        char buf[64];
        std::memset(buf, 1, sizeof buf);
        if (z.read(buf, sizeof buf).value_or(0) == sizeof buf) zeros = std::count(buf, buf + sizeof buf, 0);
        nulled = n.write("abc", 3).value_or(0);
        at_end = n.read(buf, sizeof buf).value_or(99);
    });
    EXPECT_EQ(fifo_polled, !ring);
    EXPECT_FALSE(zero_polled);
    EXPECT_FALSE(null_polled);
    EXPECT_FALSE(plain_polled);
    EXPECT_EQ(zeros, 64u);
    EXPECT_EQ(nulled, 3u);
    EXPECT_EQ(at_end, 0u);
}

// The flags a File's descriptor ends up with are the ones asked for: the
// ring's cached open adds O_NONBLOCK for the open itself and takes it off
// again, but for a FIFO, which keeps it (it is read raw, the ring waiting
// for it), and for a caller who asked for it.
TEST_P(OsFile, OpenLeavesTheFlagsAsked) {
    TempDir dir;
    const std::string fifo = dir / "fifo", plain = dir / "plain";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    {
        std::FILE* f = std::fopen(plain.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fclose(f);
    }
    int plain_fl = -1, asked_fl = -1, fifo_fl = -1, dir_fl = -1;
    const bool ring = run([&] {
        os::File p, a, q, d;
        if (!os::File::open(plain.c_str(), &p).ok() ||
            !os::File::open(plain.c_str(), O_RDONLY | O_NONBLOCK, 0, &a).ok() ||
            !os::File::open(fifo.c_str(), O_RDWR, 0, &q).ok() ||
            !os::File::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY, 0, &d).ok())
            return;
        plain_fl = static_cast<int>(sys::raw::fcntl(p.fd(), F_GETFL).value_or(-1));
        asked_fl = static_cast<int>(sys::raw::fcntl(a.fd(), F_GETFL).value_or(-1));
        fifo_fl = static_cast<int>(sys::raw::fcntl(q.fd(), F_GETFL).value_or(-1));
        dir_fl = static_cast<int>(sys::raw::fcntl(d.fd(), F_GETFL).value_or(-1));
    });
    ASSERT_GE(plain_fl, 0);
    EXPECT_EQ(plain_fl & O_NONBLOCK, 0);
    EXPECT_EQ(dir_fl & O_NONBLOCK, 0);
    EXPECT_NE(asked_fl & O_NONBLOCK, 0);
    // Non-blocking either way: read raw with the ring, on the netpoller without.
    EXPECT_NE(fifo_fl & O_NONBLOCK, 0) << (ring ? "ring" : "fallback");
}

// A ring of 2 SQ entries (a 4-entry CQ) and 64 reads whose deadlines all
// fall at the same moment: their 128 completions (each read's and its
// linked timeout's) come at once, the CQ overflows, the kernel keeps the
// rest (IORING_FEAT_NODROP), and every read still gets its own.
TEST_P(OsFile, CqOverflowLosesNoCompletion) {
    TempDir dir;
    constexpr int kReaders = 64;
    std::atomic<int> timed_out{0};
    uint64_t overflows = 0;
    const std::vector<std::string> fifos = paths(dir, "p", kReaders, true);
    const bool ring = run(
        [&] {
        if (!os::uses_ring()) return;
        os::File files[kReaders];
        for (int i = 0; i < kReaders; ++i)
            if (!os::File::open(fifos[i].c_str(), O_RDWR, 0, &files[i]).ok()) return;
        const int64_t deadline = rawrt::vdso::nanotime() + 30'000'000;
        rawrt::WaitGroup wg;
        wg.add(kReaders);
        for (int i = 0; i < kReaders; ++i)
            rawrt::go([&, i] {
                files[i].set_deadline(deadline);
                char c = 0;
                if (files[i].read(&c, 1).error() == sys::Errno(ETIMEDOUT)) timed_out.fetch_add(1);
                wg.done();
            });
        wg.wait();
        for (auto& f : files) (void)f.close();
        overflows = rawrt::netpoll::uring::uring_stats().overflows;
        },
        2, "uringentries=2");
    if (!ring) GTEST_SKIP() << "no io_uring ring here";
    EXPECT_EQ(timed_out.load(), kReaders);
    EXPECT_GE(overflows, 1u);
}

// Cached data is read at once (RWF_NOWAIT), not through the ring: a cached
// pread and readv cost no ring trip; nor do an open of a path the dcache
// holds (RESOLVE_CACHED) and a close; nor a read of a FIFO that holds
// data (raw, non-blocking); a read of an empty FIFO waits for it through
// the ring, once, and parks. Counted, with the bytes checked.
TEST_P(OsFile, ReadsOfWhatIsThereTakeNoRingTrip) {
    TempDir dir;
    const std::string path = dir / "cached", fifo = dir / "fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    uint64_t cached_trips = 99, open_close_trips = 99, fifo_full_trips = 99, fifo_empty_trips = 0, fifo_empty_waits = 0;
    std::string got;
    const bool ring = run([&] {
        if (!os::write_file(path.c_str(), "0123456789", 10, 0600).ok()) return;
        os::File f, q;
        if (!os::File::open(path.c_str(), &f).ok() || !os::File::open(fifo.c_str(), O_RDWR, 0, &q).ok()) return;
        char a[4] = {}, b[3] = {}, c[3] = {};
        iovec iov[2] = {{b, 3}, {c, 3}};
        const uint64_t before = rawrt::netpoll::uring::uring_stats().submitted;
        const bool reads_ok = f.pread(a, 4, 6).value_or(0) == 4 && f.readv(iov, 2).value_or(0) == 6;
        cached_trips = rawrt::netpoll::uring::uring_stats().submitted - before;
        const uint64_t before_open = rawrt::netpoll::uring::uring_stats().submitted;
        {
            os::File g;
            if (!os::File::open(path.c_str(), &g).ok() || !g.close().ok()) return;
        }
        open_close_trips = rawrt::netpoll::uring::uring_stats().submitted - before_open;
        got = reads_ok ? std::string(a, 4) + std::string(b, 3) + std::string(c, 3) : "";
        char x = 0;
        (void)sys::raw::write(q.fd(), "x", 1);
        const uint64_t before_full = rawrt::netpoll::uring::uring_stats().submitted;
        if (q.read(&x, 1).value_or(0) != 1 || x != 'x') return;
        fifo_full_trips = rawrt::netpoll::uring::uring_stats().submitted - before_full;
        rawrt::go([fd = q.fd()] {
            rawrt::sleep(5'000'000);
            (void)sys::raw::write(fd, "y", 1);
        });
        const uint64_t before_wait = rawrt::netpoll::uring::uring_stats().submitted;
        const uint64_t waits = os::file_stats().poll_waits;
        if (q.read(&x, 1).value_or(0) != 1 || x != 'y') return;
        fifo_empty_trips = rawrt::netpoll::uring::uring_stats().submitted - before_wait;
        fifo_empty_waits = os::file_stats().poll_waits - waits;
    });
    if (!ring) GTEST_SKIP() << "no io_uring ring here";
    EXPECT_EQ(got, "6789012345");
    EXPECT_EQ(cached_trips, 0u);
    EXPECT_EQ(open_close_trips, 0u);
    EXPECT_EQ(fifo_full_trips, 0u);
    EXPECT_EQ(fifo_empty_trips, 1u);
    EXPECT_EQ(fifo_empty_waits, 1u);
}

// A regular file whose reads keep finding all their data at once goes
// plain after 16 of them in a row: no RWF_NOWAIT any more (what preadv2
// costs over pread), no ring trip. A plain read long enough to lose its P
// (64 MiB of a sparse file's holes, a G queued behind it on the one P)
// sends the file back to asking first, and it needs 32 hits in a row this
// time. Without a ring nothing asks. Counted (os::file_stats, the ring's
// submissions), with the bytes checked.
struct PlainReads {
    uint64_t first = 99, then = 99, lost = 99, again = 99, after = 99;
    int tries = 0;
    bool bytes_ok = false;
    bool ring = false;
};

template <class Run>
PlainReads plain_reads_in(const std::string& dir, Run run) {
    const std::string path = dir + "/sparse";
    constexpr size_t kBig = 64 << 20;
    PlainReads out;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return out;
    const std::string data(4096, 'd');
    const bool made = ::write(fd, data.data(), data.size()) == 4096 && ::ftruncate(fd, kBig) == 0;
    ::close(fd);
    std::vector<char> big(kBig);  // the host's: a G must not call glibc's malloc
    if (made)
        out.ring = run([&] {
            os::File f;
            if (!os::File::open(path.c_str(), &f).ok()) return;
            char buf[4096];
            // Of n reads, how many asked first or went through the ring.
            auto reads = [&](int n) {
                uint64_t not_plain = 0;
                for (int i = 0; i < n; ++i) {
                    const uint64_t before = os::file_stats().nowait_reads +
                                            rawrt::netpoll::uring::uring_stats().submitted;
                    if (f.pread(buf, sizeof buf, 0).value_or(0) != sizeof buf || buf[0] != 'd' || buf[4095] != 'd')
                        return uint64_t{999};
                    not_plain += os::file_stats().nowait_reads + rawrt::netpoll::uring::uring_stats().submitted !=
                                 before;
                }
                return not_plain;
            };
            // One read each where the count must be 0: a plain read that
            // lost its P to a hiccup of the machine's would make the next
            // ones ask again, and only the 64 MiB read is meant to.
            out.first = reads(16);
            out.then = reads(1);
            std::atomic<bool> done{false}, gone{false};
            rawrt::go([&done, &gone] {
                while (!done.load()) rawrt::yield();
                gone.store(true);
            });
            const uint64_t lost0 = os::file_stats().plain_lost_p;
            while (out.tries < 5 && os::file_stats().plain_lost_p == lost0) {
                ++out.tries;
                if (f.pread(big.data(), kBig, 0).value_or(0) != kBig) return;
            }
            done.store(true);
            while (!gone.load()) rawrt::yield();
            out.lost = os::file_stats().plain_lost_p - lost0;
            out.again = reads(32);
            out.after = reads(1);
            out.bytes_ok = big[0] == 'd' && big[4095] == 'd' && big[4096] == 0 && big[kBig - 1] == 0;
        });
    ::unlink(path.c_str());
    return out;
}

void expect_plain_reads(const PlainReads& r) {
    EXPECT_TRUE(r.bytes_ok);
    if (!r.ring) {
        EXPECT_EQ(r.first + r.then + r.again + r.after, 0u);
        EXPECT_EQ(r.lost, 0u);
        return;
    }
    EXPECT_EQ(r.first, 16u);
    EXPECT_EQ(r.then, 0u);
    EXPECT_EQ(r.lost, 1u) << "after " << r.tries << " reads of 64 MiB";
    EXPECT_EQ(r.again, 32u);
    EXPECT_EQ(r.after, 0u);
}

TEST_P(OsFile, CachedReadsGoPlainUntilOneLosesItsP) {
    TempDir dir;
    expect_plain_reads(plain_reads_in(dir.path(), [&](auto body) { return run(body, 1); }));
}

// The same on tmpfs, which cannot be asked (EOPNOTSUPP): its reads go
// through the ring (an io-wq worker each) until 16 whole ones went plain.
TEST_P(OsFile, TmpfsReadsGoPlainUntilOneLosesItsP) {
    struct statfs fs {};
    if (::statfs("/dev/shm", &fs) != 0 || fs.f_type != 0x01021994 /* TMPFS_MAGIC */)
        GTEST_SKIP() << "no tmpfs at /dev/shm";
    char pattern[] = "/dev/shm/rawrt-os-file-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) GTEST_SKIP() << "cannot make a directory in /dev/shm";
    const PlainReads r = plain_reads_in(pattern, [&](auto body) { return run(body, 1); });
    ::rmdir(pattern);
    expect_plain_reads(r);
}

// The run ends while a G still waits in a read: through the ring, teardown
// cancels it and waits for its completion before the G's stack goes, and
// closes the ring; on the netpoller, closing the File wakes the reader
// (EBADF). No fd outlives the run.
TEST_P(OsFile, TeardownWithAnOperationInFlight) {
    TempDir dir;
    const std::string fifo = dir / "fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const int before = rawrt::test::count_entries("/proc/self/fd");
    std::atomic<bool> parked{false};
    const bool ring = run([&] {
        os::File f;  // closed as main returns, the read still in flight
        if (!os::File::open(fifo.c_str(), O_RDWR, 0, &f).ok()) return;
        os::File* pf = &f;
        rawrt::go([&parked, pf] {
            parked.store(true);
            char buf[64];
            (void)pf->read(buf, sizeof buf);  // never answered
        });
        rawrt::sleep(20'000'000);
    });
    EXPECT_TRUE(parked.load());
    EXPECT_EQ(rawrt::test::count_entries("/proc/self/fd"), before) << (ring ? "through the ring" : "fallback");
}

// 1000 Gs each wait in a read on a FIFO of their own: through the ring each
// read is armed on the FIFO's wait queue, without it each G is parked on
// the netpoller; no thread holds a read, and the process keeps its Ms
// (procs, sysmon, an idle one or two): at most procs + 3 tasks besides the
// test's own, no io-wq worker among them.
TEST_P(OsFile, ThousandBlockedFifoReadsHoldNoThread) {
    TempDir dir;
    constexpr int kReaders = 1000;
    constexpr int32_t kProcs = 2;
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_cur < kReaders + 100) {
        lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, kReaders + 100);
        setrlimit(RLIMIT_NOFILE, &lim);
    }
    std::atomic<int> during{0}, got{0};
    int peak = 0;
    std::atomic<bool> look{false}, looked{false};
    const std::vector<std::string> fifos = paths(dir, "f", kReaders, true);
    std::vector<os::File> files(kReaders);  // allocated here: a G must not call glibc's malloc
    // The count is taken from this (host) thread while the Gs wait.
    std::thread watcher([&] {
        while (!look.load()) std::this_thread::yield();
        peak = rawrt::test::count_entries("/proc/self/task") - 2;  // not . and ..
        looked.store(true);
    });
    run(
        [&] {
        for (int i = 0; i < kReaders; ++i)
            if (!os::File::open(fifos[i].c_str(), O_RDWR, 0, &files[i]).ok()) return;
        rawrt::WaitGroup wg;
        wg.add(kReaders);
        for (int i = 0; i < kReaders; ++i)
            rawrt::go([&, i] {
                during.fetch_add(1);
                char c = 0;
                if (files[i].read(&c, 1).value_or(0) == 1 && c == 'x') got.fetch_add(1);
                wg.done();
            });
        while (during.load() < kReaders) rawrt::yield();
        rawrt::sleep(20'000'000);  // every reader parked in the ring
        look.store(true);
        while (!looked.load()) rawrt::sleep(1'000'000);
        for (auto& f : files) (void)sys::raw::write(f.fd(), "x", 1);
        wg.wait();
        },
        kProcs);
    look.store(true);
    watcher.join();
    EXPECT_EQ(got.load(), kReaders);
    // Every task but this test's own two threads (the one that called run,
    // and the watcher): the Ms, and any io-wq worker.
    EXPECT_LE(peak - 2, kProcs + 3) << "tasks while 1000 reads waited";
}

INSTANTIATE_TEST_SUITE_P(Ways, OsFile, testing::Values(true, false),
                         [](const testing::TestParamInfo<bool>& i) { return i.param ? "Ring" : "Fallback"; });

}  // namespace
