// What a test counts in /proc/self to prove nothing leaked: threads
// (/proc/self/task), mappings (/proc/self/maps lines), descriptors
// (/proc/self/fd). glibc's (opendir and ifstream allocate): off the
// runtime's threads only. On a G, examples/common/process.hpp's os_threads
// reads the count with raw syscalls (glibc's malloc there writes through a
// thread pointer that is rawrt's, into the M).
#pragma once

#include <dirent.h>

#include <fstream>
#include <string>

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

inline int count_lines(const char* path) {
    std::ifstream in(path);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) ++n;
    return n;
}

}  // namespace rawrt::test
