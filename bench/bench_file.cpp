// File I/O (os/file.hpp): through the io_uring ring, through the blocking
// syscalls (RAWRT_DEBUG uring=0), and glibc's pread beside them.
//
//   BM_file_pread_4k/ring, /fallback   a cached 4 KiB File::pread on one G
//   BM_file_pread_4k_glibc             pread(2) through glibc, no runtime
//   BM_file_preadv2_nowait_glibc       preadv2(RWF_NOWAIT) through glibc: the
//                                      kernel's part of the ring's cached read
//   BM_read_file_10k/ring, /fallback   os::read_file of a cached 10 KB file on
//                                      one G (workload B's read): an open, a
//                                      read, the read that finds the end, a
//                                      close
//   BM_file_fifo_read_64/ring          a 64-byte File::read of a FIFO the loop
//                                      has just written into (a raw write):
//                                      through the ring, one trip each that
//                                      completes inline; /fallback: the
//                                      netpoller's non-blocking read
//   BM_uring_enter_nop/regfd           io_uring_enter submitting one NOP,
//                                      no runtime, a second thread alive
//                                      (the descriptor table shared, as in
//                                      a run): the ring named by its fd
//                                      (0), by a registered slot (1)
//   BM_fsync_storm_uring, _fallback    1000 Gs each create a file, write
//                                      4 KiB, fsync and close it, 4 rounds,
//                                      2 Ps: time per round; counters
//                                      files_per_s and threads_peak (every
//                                      task in /proc/self/task, io-wq
//                                      workers included, the benchmark's
//                                      own thread not)
// Go's: BM_go_file_pread_4k (File.ReadAt), BM_go_fsync_storm.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/on_g.hpp"
#include "bench/ratio_reporter.hpp"
#include "bench/task_peak.hpp"
#include "os/file.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sys/calls.hpp"

namespace {

using rawrt::bench::Stopwatch;
using rawrt::bench::TaskPeak;
using rawrt::bench::Timing;

std::string temp_dir() {
    char tmpl[] = "/tmp/rawrt-bench-file-XXXXXX";
    const char* d = mkdtemp(tmpl);
    return d != nullptr ? d : "/tmp";
}

const char* way(bool ring) { return ring ? "" : "uring=0"; }

// n calls of once() on a G of a one-P run, with the ring or without it,
// timed after 100 untimed ones (the page cache, the ring, the thread's
// share warm). setup runs on the G and hands its once to the timing loop
// (timed), or returns without a timing when it could not start.
template <class Setup>
Timing time_on_g(int64_t n, bool ring, Setup setup) {
    Timing t;
    rawrt::RunConfig config{.procs = 1};
    config.debug = way(ring);
    auto r = rawrt::run(config, [&] {
        setup([&](auto once) {
            for (int i = 0; i < 100; ++i)
                if (!once()) return;
            Stopwatch sw;
            sw.start();
            for (int64_t i = 0; i < n; ++i)
                if (!once()) return;
            sw.stop(t, n);
            t.ok = true;
        });
    });
    t.ok = t.ok && r.ok();
    return t;
}

// A file of n bytes c in a directory of its own, both gone when the
// program ends.
struct TempFile {
    std::string dir = temp_dir();
    std::string path;
    TempFile(const char* name, size_t n, char c) : path(dir + "/" + name) {
        const std::string data(n, c);
        FILE* f = std::fopen(path.c_str(), "w");
        std::fwrite(data.data(), 1, data.size(), f);
        std::fclose(f);
    }
    ~TempFile() {
        unlink(path.c_str());
        rmdir(dir.c_str());
    }
};

const std::string& pread_file() {
    static const TempFile file("pread4k", 4096, 'r');
    return file.path;
}

void BM_file_pread_4k(benchmark::State& state) {
    const std::string& path = pread_file();
    const Timing t = time_on_g(state.max_iterations, state.range(0) != 0, [&](auto timed) {
        rawrt::os::File f;
        if (!rawrt::os::File::open(path.c_str(), &f).ok()) return;
        char buf[4096];
        timed([&] { return f.pread(buf, sizeof buf, 0).value_or(0) == sizeof buf; });
    });
    rawrt::bench::report_timing(state, t, "the run failed");
}
BENCHMARK(BM_file_pread_4k)->ArgName("ring")->Arg(1)->Arg(0)->UseManualTime();

void BM_file_pread_4k_glibc(benchmark::State& state) {
    const int fd = open(pread_file().c_str(), O_RDONLY | O_CLOEXEC);
    char buf[4096];
    for (auto _ : state) benchmark::DoNotOptimize(pread(fd, buf, sizeof buf, 0));
    close(fd);
}
BENCHMARK(BM_file_pread_4k_glibc);

// What the ring's first try costs in the kernel: glibc's preadv2 with
// RWF_NOWAIT, the floor under BM_file_pread_4k/ring:1.
void BM_file_preadv2_nowait_glibc(benchmark::State& state) {
    const int fd = open(pread_file().c_str(), O_RDONLY | O_CLOEXEC);
    char buf[4096];
    const iovec iov{buf, sizeof buf};
    for (auto _ : state) benchmark::DoNotOptimize(preadv2(fd, &iov, 1, 0, RWF_NOWAIT));
    close(fd);
}
BENCHMARK(BM_file_preadv2_nowait_glibc);

void BM_read_file_10k(benchmark::State& state) {
    static const TempFile file("10k", 10'000, 'b');
    const Timing t = time_on_g(state.max_iterations, state.range(0) != 0, [&](auto timed) {
        char buf[16 << 10];
        timed([&] { return rawrt::os::read_file(file.path.c_str(), buf, sizeof buf).value_or(0) == 10'000; });
    });
    rawrt::bench::report_timing(state, t, "the run failed");
}
BENCHMARK(BM_read_file_10k)->ArgName("ring")->Arg(1)->Arg(0)->UseManualTime();

// The FIFO the fifo rows read, and a descriptor of the host's open on it
// for reading and writing: File::open for reading does not wait for a
// writer, and the loop writes through it.
struct Fifo {
    std::string dir = temp_dir();
    std::string path = dir + "/fifo";
    int fd = -1;
    Fifo() {
        if (mkfifo(path.c_str(), 0600) == 0) fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    }
    ~Fifo() {
        if (fd >= 0) close(fd);
        unlink(path.c_str());
        rmdir(dir.c_str());
    }
};

void BM_file_fifo_read_64(benchmark::State& state) {
    static const Fifo fifo;
    const Timing t = time_on_g(state.max_iterations, state.range(0) != 0, [&](auto timed) {
        rawrt::os::File f;
        if (fifo.fd < 0 || !rawrt::os::File::open(fifo.path.c_str(), &f).ok()) return;
        char buf[64] = {};
        timed([&] {
            return rawrt::sys::raw::write(fifo.fd, buf, sizeof buf).value_or(0) == sizeof buf &&
                   f.read(buf, sizeof buf).value_or(0) == sizeof buf;
        });
    });
    rawrt::bench::report_timing(state, t, "the run failed");
}
BENCHMARK(BM_file_fifo_read_64)->ArgName("ring")->Arg(1)->Arg(0)->UseManualTime();

// A ring of the kernel's and nothing else: what IORING_REGISTER_RING_FDS
// saves an io_uring_enter (the lookup of the fd in a table several threads
// share, and the reference counted on the file), beside the rows above.
class NopRing {
public:
    NopRing() {
        io_uring_params p{};
        fd_ = static_cast<int>(syscall(__NR_io_uring_setup, 8, &p));
        if (fd_ < 0) return;
        size_ = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
        if (const size_t cq = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe); cq > size_) size_ = cq;
        sqes_size_ = p.sq_entries * sizeof(io_uring_sqe);
        // One mapping for both rings (IORING_FEAT_SINGLE_MMAP, 5.4).
        void* rings = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQ_RING);
        void* sqes = mmap(nullptr, sqes_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQES);
        if (rings == MAP_FAILED || sqes == MAP_FAILED) return;
        rings_ = static_cast<char*>(rings);
        sqes_ = static_cast<io_uring_sqe*>(sqes);
        tail_ = reinterpret_cast<uint32_t*>(rings_ + p.sq_off.tail);
        mask_ = *reinterpret_cast<uint32_t*>(rings_ + p.sq_off.ring_mask);
        cq_head_ = reinterpret_cast<uint32_t*>(rings_ + p.cq_off.head);
        auto* array = reinterpret_cast<uint32_t*>(rings_ + p.sq_off.array);
        for (uint32_t i = 0; i < p.sq_entries; ++i) array[i] = i;
    }
    ~NopRing() {
        if (sqes_ != nullptr) munmap(sqes_, sqes_size_);
        if (rings_ != nullptr) munmap(rings_, size_);
        if (fd_ >= 0) close(fd_);
    }
    bool ok() const { return rings_ != nullptr && sqes_ != nullptr; }
    // The slot the ring is registered in on the calling thread, or -1.
    int register_here() {
        io_uring_rsrc_update reg{};
        reg.offset = ~0u;
        reg.data = static_cast<uint64_t>(fd_);
        return syscall(__NR_io_uring_register, fd_, IORING_REGISTER_RING_FDS, &reg, 1) == 1
                   ? static_cast<int>(reg.offset)
                   : -1;
    }
    // One NOP submitted and its completion consumed (it completes inline).
    bool nop(int slot) {
        const uint32_t tail = *tail_;
        sqes_[tail & mask_] = io_uring_sqe{};
        sqes_[tail & mask_].opcode = IORING_OP_NOP;
        __atomic_store_n(tail_, tail + 1, __ATOMIC_RELEASE);
        const long r = slot >= 0 ? syscall(__NR_io_uring_enter, slot, 1, 0, IORING_ENTER_REGISTERED_RING, nullptr, 0)
                                 : syscall(__NR_io_uring_enter, fd_, 1, 0, 0, nullptr, 0);
        __atomic_store_n(cq_head_, *cq_head_ + 1, __ATOMIC_RELEASE);
        return r == 1;
    }

private:
    int fd_ = -1;
    size_t size_ = 0, sqes_size_ = 0;
    char* rings_ = nullptr;
    io_uring_sqe* sqes_ = nullptr;
    uint32_t* tail_ = nullptr;
    uint32_t mask_ = 0;
    uint32_t* cq_head_ = nullptr;
};

void BM_uring_enter_nop(benchmark::State& state) {
    NopRing ring;
    if (!ring.ok()) {
        state.SkipWithError("no io_uring here");
        return;
    }
    const int slot = state.range(0) != 0 ? ring.register_here() : -1;
    if (state.range(0) != 0 && slot < 0) {
        state.SkipWithError("IORING_REGISTER_RING_FDS failed");
        return;
    }
    // A second thread for the loop's length: the descriptor table is then
    // shared, and fdget counts a reference on the ring's file, as in a run.
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::thread other([&] {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return done; });
    });
    for (auto _ : state)
        if (!ring.nop(slot)) {
            state.SkipWithError("io_uring_enter failed");
            break;
        }
    {
        std::lock_guard<std::mutex> lock(mu);
        done = true;
    }
    cv.notify_one();
    other.join();
}
BENCHMARK(BM_uring_enter_nop)->ArgName("regfd")->Arg(0)->Arg(1);

constexpr int kStormGs = 1000;
constexpr int kStormRounds = 4;

// The fsync storm: how long each round takes, and the most tasks the
// process had meanwhile, read every millisecond by a host thread.
struct Storm {
    Timing t;
    int threads_peak = 0;
    int errors = 0;
};

Storm fsync_storm(bool ring) {
    Storm s;
    const std::string dir = temp_dir();
    TaskPeak peak;
    std::atomic<int> errors{0};
    // The paths are made here: a G must not call into glibc.
    std::vector<std::string> paths;
    for (int i = 0; i < kStormGs; ++i) paths.push_back(dir + "/f" + std::to_string(i));
    rawrt::RunConfig config{.procs = 2};
    config.debug = way(ring);
    auto r = rawrt::run(config, [&] {
        Stopwatch sw;
        sw.start();
        for (int round = 0; round < kStormRounds; ++round) {
            rawrt::WaitGroup wg;
            wg.add(kStormGs);
            for (int i = 0; i < kStormGs; ++i)
                rawrt::go([&, i] {
                    const char* path = paths[i].c_str();
                    char data[4096];
                    for (int k = 0; k < 4096; ++k) data[k] = static_cast<char>(i + k);
                    rawrt::os::File f;
                    if (!rawrt::os::File::create(path, &f).ok() || !f.write(data, sizeof data).ok() || !f.sync().ok() ||
                        !f.close().ok())
                        errors.fetch_add(1);
                    wg.done();
                });
            wg.wait();
        }
        sw.stop(s.t, kStormRounds);
    });
    s.threads_peak = peak.stop();
    (void)std::system(("rm -rf " + dir).c_str());
    s.t.ok = r.ok() && errors.load() == 0;
    s.errors = errors.load();
    return s;
}

void storm(benchmark::State& state, bool ring) {
    const Storm s = fsync_storm(ring);
    if (!rawrt::bench::report_timing(state, s.t, "the run failed")) return;
    state.counters["files_per_s"] = kStormGs * kStormRounds / (static_cast<double>(s.t.wall_ns) * 1e-9);
    state.counters["threads_peak"] = s.threads_peak;
}

void BM_fsync_storm_uring(benchmark::State& state) { storm(state, true); }
void BM_fsync_storm_fallback(benchmark::State& state) { storm(state, false); }
BENCHMARK(BM_fsync_storm_uring)->Iterations(1)->UseManualTime();
BENCHMARK(BM_fsync_storm_fallback)->Iterations(1)->UseManualTime();

}  // namespace

RAWRT_BENCH_RATIO("BM_file_pread_4k/ring:1", "BM_file_pread_4k_glibc", "≤ 1.3 (the ring against a plain pread)");
RAWRT_BENCH_RATIO("BM_file_pread_4k/ring:1", "BM_file_pread_4k/ring:0", "≤ 1 (never slower than the fallback)");
RAWRT_BENCH_RATIO("BM_file_preadv2_nowait_glibc", "BM_file_pread_4k_glibc",
                  "the kernel's floor under the first: preadv2(RWF_NOWAIT) against pread");
RAWRT_BENCH_RATIO("BM_read_file_10k/ring:1", "BM_read_file_10k/ring:0", "≤ 1 (never slower than the fallback)");
RAWRT_BENCH_RATIO("BM_file_fifo_read_64/ring:1", "BM_file_fifo_read_64/ring:0", "≤ 1 (never slower than the fallback)");
RAWRT_BENCH_RATIO("BM_uring_enter_nop/regfd:1", "BM_uring_enter_nop/regfd:0",
                  "what the registered ring fd saves an io_uring_enter (< 1)");
RAWRT_BENCH_RATIO("BM_fsync_storm_uring", "BM_fsync_storm_fallback", "≤ 1 (never slower than the fallback)");
