// Arguments converted on the way in, where a generic wrapper reaches an
// architecture's newer call (sys/syscalls.tbl's "else" column): poll's
// milliseconds as ppoll's timespec, utimes' timevals as utimensat's
// timespecs, select's timeval as pselect6's timespec. Each is a temporary
// that lives until the wrapper's call returns.
#pragma once

#include <cstdint>

#include "sys/types.hpp"

namespace rawrt::sys {

// A poll timeout in milliseconds as a timespec; negative: none (null).
class MsTimeout {
public:
    explicit MsTimeout(int ms) : none_(ms < 0), ts_{ms / 1000, int64_t{ms % 1000} * 1000000} {}
    const timespec* get() const { return none_ ? nullptr : as_timespec(&ts_); }

private:
    bool none_;
    KernelTimespec ts_;
};

// utimes' pair of timevals (null: now) as utimensat's pair of timespecs.
class TimevalPair {
public:
    explicit TimevalPair(const timeval* tv) : none_(tv == nullptr) {
        const auto* in = reinterpret_cast<const KernelTimeval*>(tv);
        for (int i = 0; i < 2 && !none_; ++i) ts_[i] = KernelTimespec{in[i].tv_sec, in[i].tv_usec * 1000};
    }
    const timespec* get() const { return none_ ? nullptr : as_timespec(ts_); }

private:
    bool none_;
    KernelTimespec ts_[2] = {};
};

// utime's times (null: now) as utimensat's.
class UtimbufPair {
public:
    explicit UtimbufPair(const KernelUtimbuf* u) : none_(u == nullptr) {
        if (!none_) {
            ts_[0] = KernelTimespec{u->actime, 0};
            ts_[1] = KernelTimespec{u->modtime, 0};
        }
    }
    const timespec* get() const { return none_ ? nullptr : as_timespec(ts_); }

private:
    bool none_;
    KernelTimespec ts_[2] = {};
};

// select's timeout (null: none) as pselect6's.
class TimevalTimeout {
public:
    explicit TimevalTimeout(const timeval* tv) : none_(tv == nullptr) {
        const auto* in = reinterpret_cast<const KernelTimeval*>(tv);
        if (!none_) ts_ = KernelTimespec{in->tv_sec, in->tv_usec * 1000};
    }
    const timespec* get() const { return none_ ? nullptr : as_timespec(&ts_); }

private:
    bool none_;
    KernelTimespec ts_ = {};
};

}  // namespace rawrt::sys
