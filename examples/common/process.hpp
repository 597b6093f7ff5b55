// What the freestanding examples share: their numeric arguments and the
// kernel's count of the process's threads. Header-only: an example is built
// from the .cpp files of its own folder.
#pragma once

#include <cstdint>

#include <linux/fcntl.h>

#include "sys/calls.hpp"
#include "sys/parse.hpp"

namespace examples {

// argv[i] as a positive number, or fallback when it is missing or not one.
inline int64_t positive_arg(const char* s, int64_t fallback) {
    const int64_t v = rawrt::sys::parse_decimal(s, nullptr, 1'000'000'000'000);
    return v > 0 ? v : fallback;
}

// The process's OS threads: the "Threads:" line of /proc/self/status (-1 if
// unreadable). Under qemu-user that counts the emulator's threads, a
// constant few more than the program's own. The raw flavour: reading it must
// not itself make the scheduler move.
inline int64_t os_threads() {
    namespace sys = rawrt::sys;
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
        const char* digits = t;
        while (*t >= '0' && *t <= '9') ++t;
        return rawrt::sys::parse_decimal(digits, t, 1'000'000'000);
    }
    return -1;
}

}  // namespace examples
