// A freestanding program traced through RAWRT_TRACE, for the tracer's test
// that every way a program ends leaves a complete trace
// (tests/trace_test.cpp). argv[1] says how it ends, after a few Gs have
// run and slept:
//
//   return   main returns 0
//   exit     another G calls exit_group(7) while main sleeps
//   fatal    another G dies of a fatal error (status 2)

#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"
#include "sys/fatal.hpp"
#include "sys/parse.hpp"

int main(int argc, char** argv) {
    if (argc != 2) return 3;
    rawrt::WaitGroup wg;
    wg.add(4);
    for (int i = 0; i < 4; ++i)
        rawrt::go([&wg] {
            rawrt::sleep(1'000'000);
            (void)rawrt::sys::getpid();
            wg.done();
        });
    wg.wait();
    if (rawrt::sys::same(argv[1], "return")) return 0;
    if (rawrt::sys::same(argv[1], "exit")) rawrt::go([] { rawrt::sys::exit_group(7); });
    else if (rawrt::sys::same(argv[1], "fatal")) rawrt::go([] { rawrt::sys::fatal("trace_end: dying on purpose"); });
    else return 3;
    rawrt::sleep(10'000'000'000);
    return 4;
}
