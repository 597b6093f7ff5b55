// The kernel ABI facts that differ on aarch64, for code that checks layouts.
#pragma once

#include <cstddef>

namespace rawrt::arch {

// struct epoll_event: naturally aligned.
inline constexpr size_t kEpollEventSize = 16;

}  // namespace rawrt::arch
