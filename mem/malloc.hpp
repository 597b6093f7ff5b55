// The runtime's memory allocator: Go's small-object allocator (runtime/
// malloc.go, mcache.go, mcentral.go, mheap.go) with an explicit free in place
// of the garbage collector, on mmap and nothing else. docs/memory.md walks
// through it.
//
//   mcache* c = allocmcache();        // one per P; the scheduler owns them
//   void* p = mallocgc(100, c);       // zeroed, 16-byte aligned (112 usable)
//   mfree(p, c);
//   freemcache(c);                    // P destroyed: its spans go back
//
//   void* q = rawrt::alloc(100);      // the same with the calling thread's
//   rawrt::free(q);                   // cache, if it has one
//
// Small objects (up to 32 KiB) come from size-classed spans in 64 MiB arenas;
// larger ones get an mmap each and an munmap when freed. A cache is used by
// one thread at a time (the M holding its P) and needs no lock or atomic
// instruction for the common allocation and free; c == nullptr takes the
// per-class central lock instead, for threads without a P.
//
// A pointer freed twice, or one the allocator never returned, is a fatal
// error wherever the check is cheap (always for small objects in a cache's
// own spans; at the latest when another P's frees are collected).
#pragma once

#include <cstddef>

namespace rawrt::mem {

struct mcache;

// Go: allocmcache. A fresh, empty cache for a new P.
mcache* allocmcache();
// Go: freemcache. Every span the cache holds goes back to its central list
// (P destroyed, procresize); c is invalid afterwards.
void freemcache(mcache* c);

// Go: mallocgc. size bytes of zeroed memory, 16-byte aligned (page aligned
// above 32 KiB); nullptr when the OS refuses memory. c == nullptr: the locked
// central path, for a thread that holds no P.
void* mallocgc(size_t size, mcache* c);
// The same with a stronger alignment (a power of two): for aligned new.
void* mallocgc_aligned(size_t size, size_t align, mcache* c);
// Frees p (from mallocgc; nullptr does nothing). c is the calling thread's
// cache or nullptr, not necessarily the one p came from.
void mfree(void* p, mcache* c);
// What p can hold: its size class, or the whole mapping for large objects.
size_t malloc_usable_size(const void* p);

// Teardown: unmaps every arena and every large object, forgets every cache.
// Nothing may use memory from the allocator, or a cache, afterwards; the
// allocator itself is ready to be used again.
void mheap_release_all();

struct MallocStats {
    size_t mapped_bytes;    // arenas plus large mappings, as mapped
    size_t in_use_bytes;    // live objects, each counted at its usable size
    size_t large_mappings;  // live large objects (one mapping each)
};
// Exact when no thread is allocating meanwhile.
MallocStats malloc_stats();

// The calling thread's cache, or nullptr: the scheduler points this at a
// function returning the current M's P's mcache. Until then it returns nullptr.
extern mcache* (*current_mcache)();

}  // namespace rawrt::mem

namespace rawrt {

// malloc and free for rawrt programs (and what operator new/delete use in a
// freestanding program): mallocgc / mfree with the calling thread's cache.
void* alloc(size_t size);
void free(void* p);

}  // namespace rawrt
