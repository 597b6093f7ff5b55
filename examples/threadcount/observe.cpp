#include "examples/threadcount/observe.hpp"

#include <linux/fcntl.h>

#include "sched/go.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"

namespace threadcount {

int64_t os_threads() {
    namespace sys = rawrt::sys;
    // The raw flavour: counting must not itself make the scheduler move.
    auto fd = sys::raw::openat(AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (!fd.ok()) return -1;
    char text[4096];
    size_t have = 0;
    while (have < sizeof text - 1) {
        auto r = sys::raw::read(fd.value(), text + have, sizeof text - 1 - have);
        if (!r.ok() && r.error() == sys::Errno(EINTR)) continue;
        if (!r.ok() || r.value() == 0) break;
        have += r.value();
    }
    (void)sys::raw::close(fd.value());
    text[have] = '\0';
    static const char kKey[] = "\nThreads:";
    for (const char* line = text; *line != '\0'; ++line) {
        const char* k = kKey;
        const char* t = line;
        while (*k != '\0' && *t == *k) ++k, ++t;
        if (*k != '\0') continue;
        while (*t == ' ' || *t == '\t') ++t;
        int64_t n = 0;
        for (; *t >= '0' && *t <= '9'; ++t) n = n * 10 + (*t - '0');
        return n;
    }
    return -1;
}

void Watch::sample() {
    raise_max(&peak_threads_, rawrt::stats().threads);
    raise_max(&peak_os_, os_threads());
}

void Watch::start() {
    before_ = rawrt::stats();
    peak_threads_.store(0);
    peak_os_.store(0);
    sample();
    running_.store(true);
    stopped_.add(1);
    rawrt::go([this] {
        while (running_.load()) {
            sample();
            rawrt::sleep(1'000'000);
        }
        stopped_.done();
    });
}

void Watch::stop() {
    sample();
    running_.store(false);
    stopped_.wait();
    after_ = rawrt::stats();
}

}  // namespace threadcount
