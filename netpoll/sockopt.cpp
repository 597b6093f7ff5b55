// Go's sysSocket (sock_cloexec.go) and setsockopt of an int (sockopt_posix.go).

#include "netpoll/sockopt.hpp"

#include <linux/fcntl.h>

#include "sys/calls.hpp"

namespace rawrt::net {

sys::Result<int> sys_socket(uint16_t family, int type) {
    return sys::raw::socket(family, type | O_NONBLOCK | O_CLOEXEC, 0);
}

sys::Result<void> set_int_option(int fd, int level, int name, int value) {
    return sys::raw::setsockopt(fd, level, name, &value, sizeof value);
}

}  // namespace rawrt::net
