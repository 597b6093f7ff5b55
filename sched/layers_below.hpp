// The locks and the allocator are layers of their own below the scheduler,
// but Go's proc.go, which the scheduler mirrors, calls them unqualified: they
// share its package. These declarations give the scheduler (and the layers
// above it, through it) the same names.
#pragma once

#include "locks/lock_futex.hpp"
#include "locks/lock_spin.hpp"
#include "locks/os_linux.hpp"
#include "mem/malloc.hpp"

namespace rawrt::sched {

using locks::futexsleep;
using locks::futexwakeup;
using locks::getproccount;
using locks::lock;
using locks::mutex;
using locks::note;
using locks::noteclear;
using locks::notesleep;
using locks::notetsleep;
using locks::notewakeup;
using locks::osyield;
using locks::spinmutex;
using locks::unlock;

using mem::allocmcache;
using mem::current_mcache;
using mem::freemcache;
using mem::mallocgc;
using mem::mallocgc_aligned;
using mem::mcache;
using mem::mfree;
using mem::mheap_release_all;

}  // namespace rawrt::sched
