// What a test counts in /proc/self to prove nothing leaked: threads
// (/proc/self/task), mappings (/proc/self/maps lines), descriptors
// (/proc/self/fd). count_entries and count_lines use glibc (opendir and
// ifstream allocate): off the runtime's threads only. On a G, glibc's
// malloc writes through a thread pointer that is rawrt's, into the M:
// count_tasks_on_g reads with raw syscalls instead.
#pragma once

#include <dirent.h>
#include <fcntl.h>

#include <cstdint>
#include <cstring>

#include <fstream>
#include <string>

#include "sys/calls.hpp"

namespace rawrt::test {

// Entries of a directory (with . and ..), 0 if it cannot be read.
inline int count_entries(const char* dir) {
    int n = 0;
    if (DIR* d = ::opendir(dir)) {
        while (::readdir(d) != nullptr) ++n;
        ::closedir(d);
    }
    return n;
}

// The process's tasks (/proc/self/task, . and .. left out), through raw
// syscalls only: safe on a G. -1 if it cannot be read.
inline int64_t count_tasks_on_g() {
    auto fd = rawrt::sys::raw::openat(AT_FDCWD, "/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!fd.ok()) return -1;
    int64_t n = 0;
    alignas(8) char buf[4096];
    for (;;) {
        auto r = rawrt::sys::raw::getdents64(fd.value(), buf, sizeof buf);
        if (!r.ok() || r.value() == 0) break;
        for (size_t off = 0; off < r.value();) {
            uint16_t reclen;
            std::memcpy(&reclen, buf + off + 16, sizeof reclen);  // struct linux_dirent64's d_reclen
            if (buf[off + 19] != '.') ++n;                        // d_name
            off += reclen;
        }
    }
    (void)rawrt::sys::raw::close(fd.value());
    return n;
}

inline int count_lines(const char* path) {
    std::ifstream in(path);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) ++n;
    return n;
}

}  // namespace rawrt::test
