// Heap objects made and freed on a G. A hosted test's new and delete are
// glibc's, whose malloc finds its per-thread cache through the thread
// pointer; on a runtime M the thread pointer is rawrt's TCB, so glibc's
// malloc there writes into the TCB. On a G, allocate from rawrt instead.
#pragma once

#include <new>
#include <utility>

#include "mem/malloc.hpp"

namespace rawrt::test {

template <class T, class... Args>
T* g_new(Args&&... args) {
    return ::new (rawrt::alloc(sizeof(T))) T(std::forward<Args>(args)...);
}

template <class T>
void g_delete(T* p) {
    if (p == nullptr) return;
    p->~T();
    rawrt::free(p);
}

// An array of n trivially constructible Ts (buffers).
template <class T>
T* g_new_array(size_t n) {
    return static_cast<T*>(rawrt::alloc(n * sizeof(T)));
}

}  // namespace rawrt::test
