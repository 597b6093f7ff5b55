// The asymmetric fences (sched/asymfence.hpp), rawrt's own: membarrier(2)
// registered when a run starts, a full fence on both sides without it.

#include "sched/asymfence.hpp"

#include "sys/calls.hpp"
#include "sys/consts.hpp"
#include "sys/fatal.hpp"

namespace rawrt::sched {

bool asymfence_heavy_is_membarrier = false;

namespace {
// <linux/membarrier.h>
}  // namespace

void heavy_fence() {
    if (!asymfence_heavy_is_membarrier) {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        return;
    }
    // The kernel orders the caller's own accesses around the call too.
    auto r = sys::raw::membarrier(sys::kMEMBARRIER_CMD_PRIVATE_EXPEDITED);
    // Registered at run start, and nothing unregisters: a failure here would
    // leave the light side unfenced.
    if (!r.ok()) sys::fatal("membarrier(PRIVATE_EXPEDITED) failed: ", r.error());
}

bool asymfence_init(bool want) {
    bool on = false;
    if (want) {
        auto q = sys::raw::membarrier(sys::kMEMBARRIER_CMD_QUERY);
        // Registering is per process and lasts: a second run finds it done.
        on = q.ok() && (q.value() & sys::kMEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0 &&
             sys::raw::membarrier(sys::kMEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED).ok();
    }
    asymfence_heavy_is_membarrier = on;
    return on;
}

}  // namespace rawrt::sched
