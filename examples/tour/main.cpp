// rawrt's tour: `make run`. A freestanding static binary built with
// -nostdlib against rawrt's own crt; it walks through each layer live.
//
//   tour                 every section, in order
//   tour network ...     only the sections named (foundation, scheduler,
//                        syscalls, network)
//
// With RAWRT_TRACE=file (what `make trace` does) each section is a region
// of the trace, and so is the seed's scenario 3 inside "syscalls".

#include "examples/tour/tour.hpp"
#include "sched/trace.hpp"
#include "sys/print.hpp"

namespace {

struct Section {
    const char* name;
    void (*run)();
};

constexpr Section kSections[] = {
    {"foundation", tour::foundation},
    {"scheduler", tour::scheduler},
    {"syscalls", tour::syscalls},
    {"network", tour::network},
};

bool same(const char* a, const char* b) {
    while (*a != '\0' && *a == *b) ++a, ++b;
    return *a == *b;
}

bool asked_for(const char* name, int argc, char** argv) {
    if (argc < 2) return true;
    for (int i = 1; i < argc; ++i)
        if (same(argv[i], name)) return true;
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        bool known = false;
        for (const Section& s : kSections) known = known || same(argv[i], s.name);
        if (!known) {
            rawrt::sys::eprint("usage: tour [foundation|scheduler|syscalls|network]...\n");
            return 2;
        }
    }
    rawrt::sys::fdprint(1, "rawrt tour\n");
    for (const Section& s : kSections) {
        if (!asked_for(s.name, argc, argv)) continue;
        rawrt::trace::region_begin(s.name);
        s.run();
        rawrt::trace::region_end(s.name);
    }
    return 0;
}
