// The directory workloads B and F write their files in: one of the
// program's own under $TMPDIR (else /tmp), made before a workload and
// removed after it, through rawrt::os as the workloads' files are. Paths
// are built in place (no allocation: they are made on Gs).
//
//   Scratch dir;
//   if (!dir.make().ok()) ...;
//   char path[kPathMax];
//   dir.path(path, "f", 7);            // $TMPDIR/threadcount-<pid>-<t>/f7
//   ...
//   auto gone = dir.remove();          // ENOTEMPTY: a file was left behind
#pragma once

#include <cstdint>

#include "sys/result.hpp"

namespace threadcount {

constexpr int kPathMax = 256;

class Scratch {
public:
    // Makes the directory (mode 0700): ENAMETOOLONG when $TMPDIR leaves no
    // room for the names below it, else os::mkdir's error.
    rawrt::sys::Result<void> make();
    // Into out (kPathMax bytes): the directory, '/', name, and number in
    // decimal unless it is negative. Returns out.
    const char* path(char* out, const char* name, int64_t number = -1) const;
    // os::remove of the directory: it fails (ENOTEMPTY) unless every file
    // in it was removed.
    rawrt::sys::Result<void> remove() const;

private:
    char dir_[kPathMax - 32] = {};  // room for a name and a number below it
};

}  // namespace threadcount
