// Size classes of the small-object allocator, as Go's runtime/sizeclasses.go,
// computed here at compile time by the algorithm of Go's mksizeclasses.go
// instead of pasted as a generated table.
//
// A request of up to _MaxSmallSize bytes is rounded up to one of 65 sizes;
// each class carves its objects out of spans of class_to_allocnpages pages.
// Rounding wastes at most 12.5% and so does chopping a span into objects.
//
// One difference from Go: Go's smallest class is 8 bytes (for its tiny
// allocator and pointer-free data). rawrt promises 16-byte alignment for every
// object (what malloc promises on both architectures), so the table starts at
// 16 and has one class fewer; every other class is Go 1.23's, size and pages.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rawrt::mem {

inline constexpr size_t _PageShift = 13;  // Go: _PageShift; the runtime's page, not the OS's
inline constexpr size_t pageSize = size_t{1} << _PageShift;
inline constexpr size_t _MaxSmallSize = 32 << 10;
inline constexpr size_t smallSizeDiv = 8;
inline constexpr size_t smallSizeMax = 1024;
inline constexpr size_t largeSizeDiv = 128;
inline constexpr size_t kMinAlign = 16;

struct SizeClassTable {
    static constexpr int capacity = 80;
    int count = 0;  // classes, including the dummy class 0
    uint16_t class_to_size[capacity]{};
    uint8_t class_to_allocnpages[capacity]{};
    // n / size == (n * divmagic) >> 32 for every offset n in a span (Go's divMul).
    uint32_t class_to_divmagic[capacity]{};
    uint8_t size_to_class8[smallSizeMax / smallSizeDiv + 1]{};
    uint8_t size_to_class128[(_MaxSmallSize - smallSizeMax) / largeSizeDiv + 1]{};
};

constexpr bool power_of_two(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

// Go: makeClasses in mksizeclasses.go, starting at 16 bytes (see above).
constexpr SizeClassTable make_size_classes() {
    SizeClassTable t;
    t.count = 1;  // class 0 is a dummy entry
    size_t align = kMinAlign;
    for (size_t size = align; size <= _MaxSmallSize; size += align) {
        if (power_of_two(size)) {  // coarser steps as sizes grow
            if (size >= 2048) align = 256;
            else if (size >= 128) align = size / 8;
        }
        // The fewest pages whose leftover after chopping is under 1/8.
        size_t allocsize = pageSize;
        while (allocsize % size > allocsize / 8) allocsize += pageSize;
        const size_t npages = allocsize / pageSize;
        // Same pages, same object count as the previous class: widen that
        // class instead of adding one.
        const int last = t.count - 1;
        if (t.count > 1 && npages == t.class_to_allocnpages[last] &&
            allocsize / size == allocsize / t.class_to_size[last]) {
            t.class_to_size[last] = static_cast<uint16_t>(size);
            continue;
        }
        t.class_to_size[t.count] = static_cast<uint16_t>(size);
        t.class_to_allocnpages[t.count] = static_cast<uint8_t>(npages);
        ++t.count;
    }
    // Grow each object while the span still holds as many of them.
    for (int i = 1; i < t.count; ++i) {
        const size_t psize = t.class_to_allocnpages[i] * pageSize;
        const size_t grown = (psize / (psize / t.class_to_size[i])) & ~(largeSizeDiv - 1);
        if (grown > t.class_to_size[i]) t.class_to_size[i] = static_cast<uint16_t>(grown);
    }
    for (int i = 1; i < t.count; ++i) t.class_to_divmagic[i] = ~uint32_t{0} / t.class_to_size[i] + 1;
    // Lookup tables: the first class at least as large as the size.
    auto first_fitting = [&t](size_t size) {
        int c = 1;
        while (t.class_to_size[c] < size) ++c;
        return static_cast<uint8_t>(c);
    };
    for (size_t i = 0; i <= smallSizeMax / smallSizeDiv; ++i) t.size_to_class8[i] = first_fitting(i * smallSizeDiv);
    for (size_t i = 0; i <= (_MaxSmallSize - smallSizeMax) / largeSizeDiv; ++i)
        t.size_to_class128[i] = first_fitting(smallSizeMax + i * largeSizeDiv);
    return t;
}

inline constexpr SizeClassTable sizeclasses = make_size_classes();
inline constexpr int _NumSizeClasses = sizeclasses.count;

// Go 1.23 has 67 with its 8-byte class; a change here means the algorithm drifted.
static_assert(_NumSizeClasses == 66);
static_assert(sizeclasses.class_to_size[1] == 16 && sizeclasses.class_to_size[4] == 64);
static_assert(sizeclasses.class_to_size[_NumSizeClasses - 1] == _MaxSmallSize);
static_assert(sizeclasses.class_to_size[47] == 6784 && sizeclasses.class_to_allocnpages[47] == 5);

// The most objects one span holds (16-byte objects in one page): the size of
// each span's allocation bitmap.
inline constexpr size_t kMaxObjsPerSpan = pageSize / kMinAlign;

constexpr bool every_class_fits_the_bitmap_and_alignment() {
    for (int i = 1; i < _NumSizeClasses; ++i) {
        if (sizeclasses.class_to_size[i] % kMinAlign != 0) return false;
        if (sizeclasses.class_to_allocnpages[i] * pageSize / sizeclasses.class_to_size[i] > kMaxObjsPerSpan)
            return false;
    }
    return true;
}
static_assert(every_class_fits_the_bitmap_and_alignment());

// Go: the size-to-class step of mallocgc. size must be at most _MaxSmallSize.
constexpr uint8_t size_to_class(size_t size) {
    if (size <= smallSizeMax - 8) return sizeclasses.size_to_class8[(size + smallSizeDiv - 1) / smallSizeDiv];
    return sizeclasses.size_to_class128[(size - smallSizeMax + largeSizeDiv - 1) / largeSizeDiv];
}

}  // namespace rawrt::mem
