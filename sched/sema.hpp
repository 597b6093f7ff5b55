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
// Not in Go (its Gs never outlive the process): forgets every waiter. A run
// can end with Gs parked on semaphores (a deadlock, or Gs left blocked when
// main returned); their sudogs live on stacks the teardown frees, and must
// not stay linked where the next run's semrelease would walk into them.
// At the end of a run, once every M is gone.
void semtable_reset();
// Gs parked on addr's root (every counter that hashes there): for tests and
// for debugging a hang.
uint32_t sem_waiters(uint32_t* addr);

}  // namespace rawrt::sched
