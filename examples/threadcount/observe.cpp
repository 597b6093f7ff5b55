// The threadcount example's watcher (observe.hpp): a G that samples both
// thread counts every millisecond while a workload runs.

#include "examples/threadcount/observe.hpp"

#include "examples/common/process.hpp"
#include "sched/go.hpp"
#include "sched/time.hpp"

namespace threadcount {

void Watch::sample() {
    raise_max(&peak_threads_, rawrt::stats().threads);
    raise_max(&peak_os_, examples::os_threads());
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
