// A freestanding program that can never finish, for the deadlock test
// (tests/sched_deadlock_test.cpp): Go's checkdead must notice that no G can
// ever run again, print "fatal error: all goroutines are asleep - deadlock!"
// and exit with status 2. argv[1] picks how main gets stuck:
//
//   chan    main receives on a channel nobody sends on or closes
//   mutex   main and two other Gs all wait for a Mutex nobody unlocks
//   select  main runs an empty select, Go's `select {}`
//   sleep   control: main sleeps 1 ms, then exits 0 (a timer is not a deadlock)
//
// Before blocking it writes one line to stdout, so the test sees that main
// did reach that point. Status 3: unknown argument.

#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "sys/calls.hpp"

namespace {

bool same(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

void say(const char* line) {
    size_t n = 0;
    while (line[n] != '\0') ++n;
    (void)rawrt::sys::write(1, line, n);
}

}  // namespace

int main(int argc, char** argv) {
    const char* how = argc > 1 ? argv[1] : "";
    if (same(how, "chan")) {
        rawrt::Chan<int> ch;
        say("main blocks on a channel receive\n");
        (void)ch.recv();
    } else if (same(how, "mutex")) {
        static rawrt::Mutex mu;
        static rawrt::WaitGroup started;
        mu.lock();
        started.add(2);
        for (int i = 0; i < 2; ++i)
            rawrt::go([] {
                started.done();
                mu.lock();
            });
        started.wait();
        say("main blocks on a mutex\n");
        mu.lock();  // not recursive: never granted
    } else if (same(how, "select")) {
        say("main blocks in an empty select\n");
        rawrt::select();
    } else if (same(how, "sleep")) {
        say("main sleeps\n");
        rawrt::sleep(1'000'000);
        return 0;
    } else {
        say("usage: deadlock chan|mutex|select|sleep\n");
        return 3;
    }
    say("unreachable: main was woken\n");
    return 1;
}
