// A fresh directory under the system's temporary one, removed with
// everything in it when the test ends; path() is empty when mkdtemp failed.
// read_file reads back what a test wrote. Both use glibc: off the runtime's
// threads only.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

namespace rawrt::test {

// A file's bytes, as many as could be read: "" if it cannot be opened.
// stdio, not a stream: libstdc++'s filebuf throws when read(2) fails, as it
// does for /proc/self/task/<tid>/comm once that thread has gone (ESRCH).
inline std::string read_file(const std::string& path) {
    std::string got;
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
        char buf[8192];
        for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) got.append(buf, n);
        std::fclose(f);
    }
    return got;
}

class TempDir {
public:
    explicit TempDir(const char* prefix = "rawrt_test") {
        std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "_XXXXXX")).string();
        if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

}  // namespace rawrt::test
