// Go's runtime semaphores (runtime/sema.go): a counter in the caller's memory
// plus a queue of parked Gs, found through a table hashed by the counter's
// address. They are what Mutex, WaitGroup and Semaphore (sched/sync.hpp)
// park on.
#pragma once

#include <cstdint>

namespace rawrt::sched {

// Waits until *addr > 0, then decrements it. Parks the G meanwhile (its M
// runs others). Only on a G.
void semacquire(uint32_t* addr);
// Increments *addr and readies one G waiting on it, if any.
void semrelease(uint32_t* addr);

}  // namespace rawrt::sched
