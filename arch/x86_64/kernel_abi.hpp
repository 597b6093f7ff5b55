// The kernel ABI facts that differ on x86_64, for code that checks layouts.
#pragma once

#include <cstddef>

namespace rawrt::arch {

// struct epoll_event: packed (__attribute__((packed)) in <linux/eventpoll.h>, for the i386 layout).
inline constexpr size_t kEpollEventSize = 12;

}  // namespace rawrt::arch
