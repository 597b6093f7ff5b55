// operator new and delete for freestanding programs, on rawrt::alloc.
//
// Linked through the crt object (build/<arch>/rawrt_crt.o), never into
// librawrt.a: hosted programs (the tests, the benchmarks, a host embedding
// rawrt) keep libstdc++'s operators and glibc's malloc. Unused operators cost
// nothing: --gc-sections drops them.
//
// There are no exceptions here, so running out of memory is a fatal error
// ("fatal error: out of memory"); the nothrow forms return nullptr instead.

#include <cstddef>
#include <new>

#include "mem/malloc.hpp"
#include "sys/fatal.hpp"

namespace {

void* allocate(std::size_t size) {
    void* p = rawrt::alloc(size);
    if (p == nullptr) rawrt::sys::fatal("out of memory");
    return p;
}

void* allocate_aligned(std::size_t size, std::align_val_t align) {
    void* p = rawrt::mem::mallocgc_aligned(size, static_cast<std::size_t>(align), rawrt::mem::current_mcache());
    if (p == nullptr) rawrt::sys::fatal("out of memory");
    return p;
}

void* try_allocate_aligned(std::size_t size, std::align_val_t align) {
    return rawrt::mem::mallocgc_aligned(size, static_cast<std::size_t>(align), rawrt::mem::current_mcache());
}

}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return rawrt::alloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return rawrt::alloc(size); }
void* operator new(std::size_t size, std::align_val_t align) { return allocate_aligned(size, align); }
void* operator new[](std::size_t size, std::align_val_t align) { return allocate_aligned(size, align); }
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
    return try_allocate_aligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
    return try_allocate_aligned(size, align);
}

// mfree finds the size and alignment from the span: every delete is the same.
void operator delete(void* p) noexcept { rawrt::free(p); }
void operator delete[](void* p) noexcept { rawrt::free(p); }
void operator delete(void* p, std::size_t) noexcept { rawrt::free(p); }
void operator delete[](void* p, std::size_t) noexcept { rawrt::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { rawrt::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { rawrt::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { rawrt::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { rawrt::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { rawrt::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { rawrt::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { rawrt::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { rawrt::free(p); }
