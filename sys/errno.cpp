// Errno::name: the E* names, from a table the build generates out of the
// kernel's <linux/errno.h> (Go: the errors table of syscall's
// zerrors_linux_<arch>.go).

#include "sys/errno.hpp"

namespace rawrt::sys {
namespace {

struct ErrnoName {
    int code;
    const char* name;
};

// Generated at build time from <linux/errno.h> as the compiler sees it for
// this architecture (see the Makefile): no hand-typed table to drift.
constexpr ErrnoName errno_names[] = {
#define RAWRT_ERRNO(name, code) {code, #name},
#include "errno_list.inc"
#undef RAWRT_ERRNO
};

}  // namespace

const char* Errno::name() const {
    if (code_ == 0) return "OK";
    for (const ErrnoName& e : errno_names)
        if (e.code == code_) return e.name;
    return "E?";
}

}  // namespace rawrt::sys
