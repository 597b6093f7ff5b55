// The most tasks (/proc/self/task: OS threads, io-wq workers included) the
// process has while a benchmark runs, read every millisecond by a host
// thread of its own. The count leaves out the benchmark's own thread and
// the watcher: what is left is the runtime's.
//
//   TaskPeak peak;          // starts watching
//   ... rawrt::run(...) ...
//   int n = peak.stop();    // the runtime's threads at the peak
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <thread>

namespace rawrt::bench {

class TaskPeak {
public:
    TaskPeak() : watcher_([this] { watch(); }) {}
    ~TaskPeak() { (void)stop(); }

    int stop() {
        done_.store(true);
        if (watcher_.joinable()) watcher_.join();
        return peak_.load() - 2;
    }

private:
    static int tasks() {
        int n = 0;
        if (DIR* d = opendir("/proc/self/task")) {
            while (dirent* e = readdir(d)) n += e->d_name[0] != '.' ? 1 : 0;
            closedir(d);
        }
        return n;
    }
    void watch() {
        while (!done_.load()) {
            const int t = tasks();
            if (t > peak_.load()) peak_.store(t);
            usleep(1000);
        }
    }

    std::atomic<bool> done_{false};
    std::atomic<int> peak_{0};
    std::thread watcher_;
};

}  // namespace rawrt::bench
