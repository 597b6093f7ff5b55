// File I/O (os/file.hpp): through the io_uring ring, through the blocking
// syscalls (RAWRT_DEBUG uring=0), and glibc's pread beside them.
//
//   BM_file_pread_4k/ring, /fallback   a cached 4 KiB File::pread on one G
//   BM_file_pread_4k_glibc             pread(2) through glibc, no runtime
//   BM_file_preadv2_nowait_glibc       preadv2(RWF_NOWAIT) through glibc: the
//                                      kernel's part of the ring's cached read
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
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
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

Timing time_pread_4k(int64_t n, bool ring, const std::string& path) {
    Timing t;
    rawrt::RunConfig config{.procs = 1};
    config.debug = way(ring);
    auto r = rawrt::run(config, [&] {
        rawrt::os::File f;
        if (!rawrt::os::File::open(path.c_str(), &f).ok()) return;
        char buf[4096];
        for (int i = 0; i < 100; ++i) (void)f.pread(buf, sizeof buf, 0);  // the page cache, the ring warm
        Stopwatch sw;
        sw.start();
        for (int64_t i = 0; i < n; ++i)
            if (f.pread(buf, sizeof buf, 0).value_or(0) != sizeof buf) return;
        sw.stop(t, n);
        t.ok = true;
    });
    t.ok = t.ok && r.ok();
    return t;
}

// The 4 KiB file the pread rows read, in a directory of its own that goes
// with it when the program ends.
struct PreadFile {
    std::string dir = temp_dir();
    std::string path = dir + "/pread4k";
    PreadFile() {
        std::string data(4096, 'r');
        FILE* f = std::fopen(path.c_str(), "w");
        std::fwrite(data.data(), 1, data.size(), f);
        std::fclose(f);
    }
    ~PreadFile() {
        unlink(path.c_str());
        rmdir(dir.c_str());
    }
};

const std::string& pread_file() {
    static const PreadFile file;
    return file.path;
}

void BM_file_pread_4k(benchmark::State& state) {
    rawrt::bench::report_timing(state, time_pread_4k(state.max_iterations, state.range(0) != 0, pread_file()),
                                "the run failed");
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
RAWRT_BENCH_RATIO("BM_fsync_storm_uring", "BM_fsync_storm_fallback", "≤ 1 (never slower than the fallback)");
