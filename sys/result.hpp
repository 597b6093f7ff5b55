// Result<T>: what every sys wrapper returns, the value or an Errno.
//
// It holds the kernel's raw return word: -4095..-1 means -errno (the kernel's
// own convention, MAX_ERRNO = 4095), anything else is the value. Keeping the
// raw word costs nothing on the success path and keeps Result one register.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "sys/errno.hpp"

namespace rawrt::sys {

constexpr bool is_error_word(long raw) { return static_cast<unsigned long>(raw) > static_cast<unsigned long>(-4096L); }

// Called by value() on an error result: a program that ignores an error and
// uses the value gets a clear message instead of a garbage number.
[[noreturn]] void fatal_unchecked_result(Errno error);

template <class T>
class [[nodiscard]] Result {
    static_assert(std::is_integral_v<T> || std::is_pointer_v<T>);

public:
    constexpr Result(long raw) : raw_(raw) {}  // from a syscall's return word
    constexpr Result(Errno error) : raw_(-static_cast<long>(error.code())) {}

    constexpr bool ok() const { return !is_error_word(raw_); }
    constexpr Errno error() const { return ok() ? Errno() : Errno(static_cast<int>(-raw_)); }
    constexpr long raw() const { return raw_; }

    T value() const {
        if (!ok()) fatal_unchecked_result(error());
        return unchecked_value();
    }
    T value_or(T fallback) const { return ok() ? unchecked_value() : fallback; }

private:
    T unchecked_value() const {
        if constexpr (std::is_pointer_v<T>) return reinterpret_cast<T>(raw_);
        else return static_cast<T>(raw_);
    }

    long raw_;
};

// For calls whose only answer is success or an error (close, munmap, ...).
template <>
class [[nodiscard]] Result<void> {
public:
    constexpr Result() : raw_(0) {}  // success
    constexpr Result(long raw) : raw_(raw) {}
    constexpr Result(Errno error) : raw_(-static_cast<long>(error.code())) {}

    constexpr bool ok() const { return !is_error_word(raw_); }
    constexpr Errno error() const { return ok() ? Errno() : Errno(static_cast<int>(-raw_)); }
    constexpr long raw() const { return raw_; }

private:
    long raw_;
};

}  // namespace rawrt::sys
