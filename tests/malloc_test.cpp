// The runtime's allocator (mem/malloc.hpp) from plain glibc threads: size
// classes, zeroing and alignment, reuse, large objects on their own
// mappings, caches used concurrently (and handed from one thread to
// another, as a P is), teardown, and the fatal errors for bad frees.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mem/malloc.hpp"
#include "mem/mcache.hpp"
#include "mem/mheap.hpp"
#include "mem/sizeclasses.hpp"
#include "tests/child_process.hpp"

namespace {

using namespace rawrt::mem;

bool all_zero(const void* p, size_t n) {
    auto* b = static_cast<const unsigned char*>(p);
    return std::all_of(b, b + n, [](unsigned char c) { return c == 0; });
}

std::vector<std::string> maps_lines() {
    std::ifstream in("/proc/self/maps");
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line))
        if (line.find("[heap]") == std::string::npos) lines.push_back(line);  // glibc's brk heap moves
    return lines;
}

// Whether any mapping overlaps [p, p + n).
bool is_mapped(uintptr_t p, size_t n) {
    for (const std::string& line : maps_lines()) {
        uintptr_t lo = std::stoull(line.substr(0, line.find('-')), nullptr, 16);
        uintptr_t hi = std::stoull(line.substr(line.find('-') + 1), nullptr, 16);
        if (lo < p + n && p < hi) return true;
    }
    return false;
}

size_t class_size(int spc) { return sizeclasses.class_to_size[spc]; }

// --- size classes

TEST(SizeClasses, GrowAndWasteAtMostAnEighth) {
    for (int c = 1; c < _NumSizeClasses; ++c) {
        const size_t size = class_size(c);
        const size_t span = sizeclasses.class_to_allocnpages[c] * pageSize;
        EXPECT_EQ(size % 16, 0u) << size;
        if (c > 1) {
            EXPECT_GT(size, class_size(c - 1));
        }
        EXPECT_LE(span % size, span / 8) << size;
        EXPECT_LE(span / size, kMaxObjsPerSpan);
    }
    EXPECT_EQ(class_size(_NumSizeClasses - 1), _MaxSmallSize);
}

TEST(SizeClasses, EverySizeMapsToTheSmallestClassThatHoldsIt) {
    for (size_t size = 0; size <= _MaxSmallSize; ++size) {
        const int c = size_to_class(size);
        ASSERT_GE(class_size(c), size);
        ASSERT_TRUE(c == 1 || class_size(c - 1) < size) << size;
    }
}

TEST(SizeClasses, DivMagicGivesTheObjectIndexOfEveryOffset) {
    for (int c = 1; c < _NumSizeClasses; ++c) {
        const uint64_t span = sizeclasses.class_to_allocnpages[c] * pageSize;
        const uint64_t magic = sizeclasses.class_to_divmagic[c];
        for (uint64_t n = 0; n <= span; ++n) ASSERT_EQ((n * magic) >> 32, n / class_size(c)) << class_size(c);
    }
}

// --- small objects

class SmallObjects : public testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        mheap_release_all();  // a known heap: one arena, no span left by other tests
        cache_ = GetParam() ? allocmcache() : nullptr;
    }
    void TearDown() override {
        if (cache_ != nullptr) freemcache(cache_);
    }
    mcache* cache_ = nullptr;
};

TEST_P(SmallObjects, EveryClassRoundTripsAlignedAndZeroed) {
    for (int c = 1; c < _NumSizeClasses; ++c) {
        const size_t size = class_size(c);
        for (size_t request : {size, class_size(c - 1) + 1}) {
            auto* p = static_cast<unsigned char*>(mallocgc(request, cache_));
            ASSERT_NE(p, nullptr);
            EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << size;
            EXPECT_EQ(malloc_usable_size(p), size);
            EXPECT_TRUE(all_zero(p, size)) << size;
            std::memset(p, 0xA5, size);
            mfree(p, cache_);
            // Same class, last in first out: the dirty object comes back, cleared.
            auto* q = static_cast<unsigned char*>(mallocgc(request, cache_));
            EXPECT_EQ(q, p) << size;
            EXPECT_TRUE(all_zero(q, size)) << size;
            mfree(q, cache_);
        }
    }
}

TEST_P(SmallObjects, UsableSizeCoversTheRequestAndObjectsDoNotOverlap) {
    std::mt19937 rng(7);
    std::vector<std::pair<unsigned char*, size_t>> live;
    for (int i = 0; i < 3000; ++i) {
        size_t n = rng() % (_MaxSmallSize + 1);
        if (i % 2) n %= 512;
        auto* p = static_cast<unsigned char*>(mallocgc(n, cache_));
        ASSERT_NE(p, nullptr);
        ASSERT_GE(malloc_usable_size(p), n);
        ASSERT_TRUE(all_zero(p, n));
        std::memset(p, i & 0xFF, n);
        live.push_back({p, n});
    }
    for (size_t i = 0; i < live.size(); ++i) {
        auto [p, n] = live[i];
        ASSERT_TRUE(std::all_of(p, p + n, [&](unsigned char b) { return b == (i & 0xFF); })) << "overwritten";
        mfree(p, cache_);
    }
}

TEST_P(SmallObjects, InUseBytesReturnToTheBaseline) {
    const size_t before = malloc_stats().in_use_bytes;
    std::vector<void*> ps;
    size_t expect = 0;
    for (size_t n = 1; n <= 20000; n += 97) {
        ps.push_back(mallocgc(n, cache_));
        expect += class_size(size_to_class(n));
    }
    EXPECT_EQ(malloc_stats().in_use_bytes, before + expect);
    for (void* p : ps) mfree(p, cache_);
    EXPECT_EQ(malloc_stats().in_use_bytes, before);
}

// 40 MiB freed in one class serve 40 MiB of another: empty spans go back to
// the page heap, which merges and reuses them instead of mapping an arena.
TEST_P(SmallObjects, FreedSpansServeOtherClasses) {
    constexpr size_t kBytes = 40 << 20;
    std::vector<void*> ps;
    for (size_t n = 0; n < kBytes; n += _MaxSmallSize) ps.push_back(mallocgc(_MaxSmallSize, cache_));
    const size_t mapped = malloc_stats().mapped_bytes;
    EXPECT_EQ(mapped, heapArenaBytes);
    for (void* p : ps) mfree(p, cache_);
    ps.clear();
    for (size_t n = 0; n < kBytes; n += 6784) ps.push_back(mallocgc(6784, cache_));
    EXPECT_EQ(malloc_stats().mapped_bytes, mapped);
    for (void* p : ps) mfree(p, cache_);
}

INSTANTIATE_TEST_SUITE_P(CacheAndCentral, SmallObjects, testing::Values(true, false),
                         [](const auto& info) { return info.param ? "WithCache" : "CentralPath"; });

TEST(Malloc, NullAndZeroSize) {
    mfree(nullptr, nullptr);
    void* a = mallocgc(0, nullptr);
    void* b = mallocgc(0, nullptr);
    EXPECT_NE(a, nullptr);
    EXPECT_NE(a, b);
    EXPECT_EQ(malloc_usable_size(a), 16u);
    mfree(a, nullptr);
    mfree(b, nullptr);
    EXPECT_EQ(malloc_usable_size(nullptr), 0u);
}

TEST(Malloc, AlignedAllocationsAreAlignedAndZeroed) {
    mcache* c = allocmcache();
    for (size_t align = 32; align <= 65536; align *= 2) {
        for (size_t size : {size_t{1}, align / 2, align, align + 16, size_t{3000}, size_t{20000}, size_t{70000}}) {
            void* p = mallocgc_aligned(size, align, c);
            ASSERT_NE(p, nullptr);
            EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u) << size << " " << align;
            EXPECT_GE(malloc_usable_size(p), size);
            EXPECT_TRUE(all_zero(p, size));
            std::memset(p, 0xFF, size);
            mfree(p, c);
        }
    }
    EXPECT_EQ(mallocgc_aligned(64, 48, c), nullptr) << "not a power of two";
    freemcache(c);
}

// --- large objects

TEST(Malloc, LargeObjectsHaveTheirOwnMappingUntilFreed) {
    const MallocStats before = malloc_stats();
    constexpr size_t kSize = 100000;
    auto* p = static_cast<unsigned char*>(mallocgc(kSize, nullptr));
    ASSERT_NE(p, nullptr);
    const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
    EXPECT_EQ(addr % 4096, 0u);
    EXPECT_GE(malloc_usable_size(p), kSize);
    EXPECT_TRUE(all_zero(p, kSize));
    std::memset(p, 1, kSize);
    const MallocStats during = malloc_stats();
    EXPECT_EQ(during.large_mappings, before.large_mappings + 1);
    const size_t record = class_size(size_to_class(sizeof(large_object)));
    EXPECT_EQ(during.in_use_bytes, before.in_use_bytes + malloc_usable_size(p) + record);
    EXPECT_TRUE(is_mapped(addr, kSize));
    mfree(p, nullptr);
    const MallocStats after = malloc_stats();
    EXPECT_EQ(after.large_mappings, before.large_mappings);
    EXPECT_EQ(after.in_use_bytes, before.in_use_bytes);
    EXPECT_EQ(after.mapped_bytes, before.mapped_bytes);
    EXPECT_FALSE(is_mapped(addr, kSize)) << "a freed large object is unmapped";
}

TEST(Malloc, SmallObjectsComeFromArenasAndLargeOnesDoNot) {
    void* small = mallocgc(_MaxSmallSize, nullptr);
    void* large = mallocgc(_MaxSmallSize + 1, nullptr);
    EXPECT_NE(mheap_.arena_of(reinterpret_cast<uintptr_t>(small)), nullptr);
    EXPECT_EQ(mheap_.arena_of(reinterpret_cast<uintptr_t>(large)), nullptr);
    mfree(small, nullptr);
    mfree(large, nullptr);
}

// --- caches

TEST(Mcache, AllocatesFromItsOwnSpans) {
    mcache* c = allocmcache();
    void* p = mallocgc(64, c);
    mspan* s = c->alloc[size_to_class(64)];
    EXPECT_EQ(s->owner.load(), c);
    EXPECT_GE(reinterpret_cast<uintptr_t>(p), s->startAddr);
    EXPECT_LT(reinterpret_cast<uintptr_t>(p), s->startAddr + s->npages * pageSize);
    mfree(p, c);
    freemcache(c);
    EXPECT_EQ(s->owner.load(), nullptr) << "freemcache gives the span back";
}

// A P handed to another M keeps its cache: the next thread to hold it frees
// and allocates through the same spans, and gets the same objects back.
TEST(Mcache, MovesWithItsPToAnotherThread) {
    mcache* c = allocmcache();
    std::vector<void*> first;
    std::thread([&] {
        for (int i = 0; i < 100; ++i) first.push_back(mallocgc(48, c));
    }).join();
    std::vector<void*> second;
    std::thread([&] {
        for (void* p : first) mfree(p, c);
        for (int i = 0; i < 100; ++i) second.push_back(mallocgc(48, c));
    }).join();
    std::sort(first.begin(), first.end());
    std::sort(second.begin(), second.end());
    EXPECT_EQ(first, second);
    for (void* p : second) mfree(p, c);
    freemcache(c);
}

// Objects freed through another cache wait on the span's remote list; the
// owner takes them back without a lock when it runs dry, and freemcache
// hands them to the central list with the span.
TEST(Mcache, FreesFromOtherCachesComeBack) {
    mheap_release_all();
    mcache* owner = allocmcache();
    mcache* other = allocmcache();
    const int spc = _NumSizeClasses - 3;  // 3 objects in a span
    const size_t size = class_size(spc);
    std::set<void*> objs;
    while (objs.size() < 3) objs.insert(mallocgc(size, owner));
    mspan* s = owner->alloc[spc];
    for (void* p : objs) mfree(p, other);
    EXPECT_NE(s->remote_free.load() & ~span_cached, 0u);
    std::set<void*> again;
    while (again.size() < 3) again.insert(mallocgc(size, owner));
    EXPECT_EQ(again, objs) << "the owner reuses remotely freed objects";
    EXPECT_EQ(owner->alloc[spc], s);
    for (void* p : again) mfree(p, other);
    const size_t in_use = malloc_stats().in_use_bytes;
    const size_t cache_bytes = malloc_usable_size(owner);
    freemcache(owner);
    EXPECT_EQ(s->remote_free.load(), 0u);
    EXPECT_EQ(malloc_stats().in_use_bytes, in_use - cache_bytes) << "only the cache itself was freed";
    std::set<void*> third;
    while (third.size() < 3) third.insert(mallocgc(size, other));
    EXPECT_EQ(third, objs) << "the span went back to the central list";
    for (void* p : third) mfree(p, other);
    freemcache(other);
}

TEST(Mcache, ManyThreadsEachWithACacheAndOneWithout) {
    const MallocStats before = malloc_stats();
    constexpr int kThreads = 4;
    constexpr int kRounds = 20000;
    std::mutex pool_lock;
    std::vector<std::pair<uint64_t*, size_t>> pool;  // objects one thread hands to another to free
    std::atomic<int> bad{0};
    auto worker = [&](int id, bool with_cache) {
        mcache* c = with_cache ? allocmcache() : nullptr;
        std::mt19937 rng(id);
        std::vector<std::pair<uint64_t*, size_t>> mine;
        auto check_and_free = [&](std::pair<uint64_t*, size_t> o) {
            for (size_t w = 0; w < o.second / 8; ++w)
                if (o.first[w] != reinterpret_cast<uintptr_t>(o.first)) bad.fetch_add(1);
            mfree(o.first, c);
        };
        for (int i = 0; i < kRounds; ++i) {
            size_t n = 8 + 8 * (rng() % (i % 64 == 0 ? 5000 : 64));
            auto* p = static_cast<uint64_t*>(mallocgc(n, c));
            for (size_t w = 0; w < n / 8; ++w) {
                if (p[w] != 0) bad.fetch_add(1);
                p[w] = reinterpret_cast<uintptr_t>(p);  // an object's own address: overlaps show
            }
            if (rng() % 3 == 0) {
                std::lock_guard<std::mutex> g(pool_lock);
                pool.push_back({p, n});
            } else {
                mine.push_back({p, n});
            }
            if (mine.size() > 64) {
                const size_t victim = rng() % mine.size();
                check_and_free(mine[victim]);
                std::swap(mine[victim], mine.back());
                mine.pop_back();
            }
            if (i % 16 == 0) {
                std::pair<uint64_t*, size_t> o{nullptr, 0};
                {
                    std::lock_guard<std::mutex> g(pool_lock);
                    if (!pool.empty()) {
                        o = pool.back();
                        pool.pop_back();
                    }
                }
                if (o.first != nullptr) check_and_free(o);
            }
        }
        for (auto o : mine) check_and_free(o);
        if (c != nullptr) freemcache(c);
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back(worker, t, t != 0);  // thread 0: no cache
    for (auto& t : threads) t.join();
    for (auto o : pool) mfree(o.first, nullptr);
    EXPECT_EQ(bad.load(), 0) << "objects overlapped or came back dirty";
    const MallocStats after = malloc_stats();
    EXPECT_EQ(after.in_use_bytes, before.in_use_bytes);
    EXPECT_EQ(after.large_mappings, before.large_mappings);
}

// --- the public entry points

mcache* test_cache = nullptr;
mcache* the_test_cache() { return test_cache; }

TEST(RawrtAlloc, UsesTheCacheTheSchedulerInstalls) {
    void* p = rawrt::alloc(64);  // no hook installed: the central path
    EXPECT_TRUE(all_zero(p, 64));
    rawrt::free(p);
    test_cache = allocmcache();
    mcache* (*saved)() = current_mcache;
    current_mcache = the_test_cache;
    void* q = rawrt::alloc(64);
    EXPECT_EQ(test_cache->alloc[size_to_class(64)]->owner.load(), test_cache);
    rawrt::free(q);
    current_mcache = saved;
    freemcache(test_cache);
}

TEST(RawrtAlloc, OperatorNewIsInTheCrtNotTheLibrary) {
    using rawrt::test::build_path;
    using rawrt::test::run_command;
    const std::string nm = RAWRT_TEST_NM;
    auto lib = run_command(nm + " --defined-only " + build_path("librawrt.a"));
    auto crt = run_command(nm + " --defined-only " + build_path("rawrt_crt.o"));
    ASSERT_EQ(lib.exit_status, 0);
    ASSERT_EQ(crt.exit_status, 0);
    EXPECT_EQ(lib.output.find(" _Znwm"), std::string::npos) << "hosted programs must keep libstdc++'s";
    EXPECT_NE(crt.output.find(" T _Znwm"), std::string::npos);
    EXPECT_NE(crt.output.find(" T _ZdlPvm"), std::string::npos);
}

// --- teardown

TEST(MheapReleaseAll, UnmapsEveryArenaAndLargeObject) {
    mheap_release_all();
    const std::vector<std::string> before = maps_lines();
    EXPECT_EQ(malloc_stats().mapped_bytes, 0u);
    std::set<uintptr_t> arenas;
    std::vector<void*> large;
    mcache* c = allocmcache();
    for (int i = 0; i < 3000; ++i) {  // ~96 MiB of small objects: more than one arena
        void* p = mallocgc(_MaxSmallSize, i % 2 ? c : nullptr);
        ASSERT_NE(p, nullptr);
        arenas.insert(reinterpret_cast<uintptr_t>(p) & ~(heapArenaBytes - 1));
    }
    for (int i = 0; i < 5; ++i) large.push_back(mallocgc(1 << 20, c));
    EXPECT_GE(arenas.size(), 2u);
    EXPECT_EQ(malloc_stats().large_mappings, 5u);
    for (uintptr_t a : arenas) EXPECT_TRUE(is_mapped(a, heapArenaBytes));

    mheap_release_all();  // the cache and every object go too
    EXPECT_EQ(maps_lines(), before);
    for (uintptr_t a : arenas) EXPECT_FALSE(is_mapped(a, heapArenaBytes));
    for (void* p : large) EXPECT_FALSE(is_mapped(reinterpret_cast<uintptr_t>(p), 1 << 20));
    const MallocStats stats = malloc_stats();
    EXPECT_EQ(stats.mapped_bytes, 0u);
    EXPECT_EQ(stats.in_use_bytes, 0u);
    EXPECT_EQ(stats.large_mappings, 0u);

    // Usable again.
    c = allocmcache();
    void* p = mallocgc(100, c);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(all_zero(p, 100));
    mfree(p, c);
    freemcache(c);
    EXPECT_EQ(malloc_stats().in_use_bytes, 0u);
}

// --- bad frees are fatal

TEST(MallocDeathTest, DoubleFreeThroughACache) {
    EXPECT_EXIT(
        {
            mcache* c = allocmcache();
            void* p = mallocgc(64, c);
            mfree(p, c);
            mfree(p, c);
        },
        testing::ExitedWithCode(2), "fatal error: double free of 0x");
}

TEST(MallocDeathTest, DoubleFreeOnTheCentralPath) {
    EXPECT_EXIT(
        {
            void* keep = mallocgc(64, nullptr);  // the span stays in use
            void* p = mallocgc(64, nullptr);
            mfree(p, nullptr);
            mfree(p, nullptr);
            mfree(keep, nullptr);
        },
        testing::ExitedWithCode(2), "fatal error: double free of 0x");
}

TEST(MallocDeathTest, DoubleFreeFromAnotherPIsCaughtWhenCollected) {
    EXPECT_EXIT(
        {
            mcache* owner = allocmcache();
            void* p = mallocgc(64, owner);
            mfree(p, nullptr);  // onto the span's remote list
            mfree(p, nullptr);
            freemcache(owner);  // collects the list
        },
        testing::ExitedWithCode(2), "fatal error: double free of 0x");
}

TEST(MallocDeathTest, PointerNotFromTheAllocator) {
    EXPECT_EXIT(
        {
            int local = 0;
            mfree(&local, nullptr);
        },
        testing::ExitedWithCode(2), "fatal error: free of a pointer the allocator did not return");
}

TEST(MallocDeathTest, PointerInsideAnObject) {
    EXPECT_EXIT(
        {
            auto* p = static_cast<char*>(mallocgc(64, nullptr));
            mfree(p + 16, nullptr);
        },
        testing::ExitedWithCode(2), "fatal error: free of a pointer the allocator did not return");
}

TEST(MallocDeathTest, LargeDoubleFree) {
    EXPECT_EXIT(
        {
            void* p = mallocgc(1 << 20, nullptr);
            mfree(p, nullptr);
            mfree(p, nullptr);
        },
        testing::ExitedWithCode(2), "fatal error: free of a pointer the allocator did not return");
}

}  // namespace
