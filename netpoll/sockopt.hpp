// The socket calls that stream and datagram sockets share (Go's sysSocket
// and setsockopt of an int), in the raw flavour: neither can block, so
// neither offers sysmon a P to retake (10 000 accepts each setting
// TCP_NODELAY would otherwise start Ms for nothing).
#pragma once

#include <cstdint>

#include "sys/result.hpp"

namespace rawrt::net {

// Go: sysSocket. Non-blocking and close-on-exec from the start.
sys::Result<int> sys_socket(uint16_t family, int type);

sys::Result<void> set_int_option(int fd, int level, int name, int value);

}  // namespace rawrt::net
