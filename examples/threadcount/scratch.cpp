// The threadcount example's scratch directory (scratch.hpp).

#include "examples/threadcount/scratch.hpp"

#include "os/file.hpp"
#include "sys/calls.hpp"
#include "sys/process.hpp"
#include "vdso/vdso.hpp"

namespace threadcount {
namespace {

// Appends s at *at in out[0..cap), leaving room for the final '\0'; false
// when it does not fit.
bool append(char* out, int cap, int* at, const char* s) {
    for (; *s != '\0'; ++s) {
        if (*at + 1 >= cap) return false;
        out[(*at)++] = *s;
    }
    out[*at] = '\0';
    return true;
}

bool append_decimal(char* out, int cap, int* at, uint64_t v) {
    char digits[21];
    int n = sizeof digits - 1;
    digits[n] = '\0';
    do digits[--n] = static_cast<char>('0' + v % 10);
    while ((v /= 10) != 0);
    return append(out, cap, at, digits + n);
}

}  // namespace

rawrt::sys::Result<void> Scratch::make() {
    const char* tmp = rawrt::sys::getenv("TMPDIR");
    if (tmp == nullptr || *tmp == '\0') tmp = "/tmp";
    int at = 0;
    // The pid and the clock: two runs never share a name.
    const bool fits = append(dir_, sizeof dir_, &at, tmp) && append(dir_, sizeof dir_, &at, "/threadcount-") &&
                      append_decimal(dir_, sizeof dir_, &at, rawrt::sys::raw::getpid().value_or(0)) &&
                      append(dir_, sizeof dir_, &at, "-") &&
                      append_decimal(dir_, sizeof dir_, &at, static_cast<uint64_t>(rawrt::vdso::nanotime()));
    if (!fits) return rawrt::sys::Errno(ENAMETOOLONG);
    return rawrt::os::mkdir(dir_, 0700);
}

const char* Scratch::path(char* out, const char* name, int64_t number) const {
    int at = 0;
    out[0] = '\0';
    // dir_ leaves 32 bytes: a name of a few letters and a number fit.
    (void)(append(out, kPathMax, &at, dir_) && append(out, kPathMax, &at, "/") && append(out, kPathMax, &at, name) &&
           (number < 0 || append_decimal(out, kPathMax, &at, static_cast<uint64_t>(number))));
    return out;
}

rawrt::sys::Result<void> Scratch::remove() const { return rawrt::os::remove(dir_); }

}  // namespace threadcount
