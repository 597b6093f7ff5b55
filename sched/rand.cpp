// cheaprand (Go: runtime/rand.go): a wyrand step on the calling M's state
// (one shared state for threads that are not Ms).

#include "sched/rand.hpp"

#include "sched/runtime2.hpp"

namespace rawrt::sched {

uint32_t cheaprand() {
    static uint64_t off_m_state;
    M* mp = getm();
    uint64_t& s = mp != nullptr ? mp->cheaprand : off_m_state;
    if (s == 0) s = 0x9e3779b97f4a7c15ull * (reinterpret_cast<uintptr_t>(&s) | 1);  // a seed per M
    s += 0xa0761d6478bd642full;
    __uint128_t t = static_cast<__uint128_t>(s) * (s ^ 0xe7037ed1a0b428dbull);
    return static_cast<uint32_t>(static_cast<uint64_t>(t >> 64) ^ static_cast<uint64_t>(t));
}

}  // namespace rawrt::sched
