// Stress: many Gs × channels × Mutex, WaitGroup, Semaphore, sleeps and yields
// on several Ps, in the shapes programs use (fan-in, fan-out, a pipeline, a
// select hub, a crowd of short Gs). Every final counter is exact: each value
// sent is received exactly once, sums match, a counter guarded by a
// rawrt::Mutex equals its number of increments, every G ran its body once.
// `make test` also runs this suite in the checked build (CHECKED=1), where
// every G status change and every P hand-over is asserted: an interleaving
// that breaks an invariant dies there with "fatal error: ...".
//
// Runtime threads never call gtest or libc: Gs record into memory set up
// before run, and the test asserts after run returns. Sized to take a few
// seconds natively and well under a minute under qemu-user.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "sched/sync.hpp"
#include "sched/time.hpp"
#include "tests/child_process.hpp"

namespace {

using rawrt::Chan;

// Under qemu every switch and futex costs far more: smaller loads there.
using rawrt::test::emulated;
int scaled(int native, int slow) { return emulated() ? slow : native; }

// More Ps than this machine's cores too: hand-offs and steals between Ms
// that the kernel preempts.
constexpr int kProcs[] = {2, 4, 8};

// How many times each value 0..n-1 arrived. Gs record; the test reads.
class Deliveries {
public:
    explicit Deliveries(int n) : seen_(n) {}

    void record(long long v) {
        if (v < 0 || v >= static_cast<long long>(seen_.size())) out_of_range_.fetch_add(1);
        else seen_[v].fetch_add(1, std::memory_order_relaxed);
    }
    int out_of_range() const { return out_of_range_.load(); }
    uint32_t count(int v) const { return seen_[v].load(); }
    // Values that did not arrive exactly once, and the first of them.
    int wrong(int* first) const {
        int n = 0;
        *first = -1;
        for (size_t v = 0; v < seen_.size(); ++v)
            if (seen_[v].load() != 1) {
                if (n++ == 0) *first = static_cast<int>(v);
            }
        return n;
    }

private:
    std::vector<std::atomic<uint32_t>> seen_;
    std::atomic<int> out_of_range_{0};
};

#define EXPECT_EACH_ONCE(d, procs)                                                                               \
    do {                                                                                                         \
        int first_wrong_ = -1;                                                                                   \
        EXPECT_EQ((d).wrong(&first_wrong_), 0) << (procs) << " Ps; first value not seen once: " << first_wrong_; \
        EXPECT_EQ((d).out_of_range(), 0) << (procs) << " Ps";                                                    \
    } while (0)

// Raises *most to now if now is larger.
void raise_to(std::atomic<int>* most, int now) {
    int seen = most->load();
    while (now > seen && !most->compare_exchange_weak(seen, now)) {
    }
}

// ------------------------------------------------------------------ fan-in

// Sources each fill their own channel (unbuffered, capacity 1 or 8), one
// forwarder per source moves it into a single merged channel, and the main
// G drains that: everything arrives once, and each source's values in the
// order it sent them (one forwarder per source, one receiver).
TEST(SchedStress, FanInDeliversEveryValueOnceAndInSourceOrder) {
    static constexpr int kSources = 8;
    const int each = scaled(80000, 20000);
    for (int procs : kProcs) {
        struct State {
            explicit State(int n) : got(n) {}
            Deliveries got;
            std::atomic<int> finished{0};  // sources, forwarders and the closer
            int received = 0;
            long long sum = 0;
            int out_of_order = 0;
        } st(kSources * each);
        auto r = rawrt::run({.procs = procs}, [&] {
            Chan<int> in[kSources];
            for (int s = 0; s < kSources; ++s) in[s] = Chan<int>(s % 3 == 0 ? 0 : s % 3 == 1 ? 1 : 8);
            Chan<int> merged;
            rawrt::WaitGroup forwarders;
            forwarders.add(kSources);
            for (int s = 0; s < kSources; ++s) {
                rawrt::go([&in, &st, s, each] {
                    for (int i = 0; i < each; ++i) in[s].send(s * each + i);
                    in[s].close();
                    st.finished.fetch_add(1);
                });
                rawrt::go([&in, &merged, &forwarders, &st, s] {
                    for (;;) {
                        auto [v, ok] = in[s].recv();
                        if (!ok) break;
                        merged.send(v);
                    }
                    st.finished.fetch_add(1);
                    forwarders.done();
                });
            }
            rawrt::go([&] {
                forwarders.wait();
                merged.close();
                st.finished.fetch_add(1);
            });
            int last[kSources];
            for (int& l : last) l = -1;
            for (;;) {
                auto [v, ok] = merged.recv();
                if (!ok) break;
                const int s = v / each;
                if (s >= 0 && s < kSources) {
                    st.out_of_order += v <= last[s];
                    last[s] = v;
                }
                st.got.record(v);
                st.sum += v;
                ++st.received;
            }
            // The closer ran (merged is closed) but may not have counted yet.
            while (st.finished.load() != 2 * kSources + 1) rawrt::yield();
        });
        ASSERT_TRUE(r.ok()) << procs << " Ps: " << r.error().name();
        const long long n = static_cast<long long>(kSources) * each;
        EXPECT_EQ(st.received, n) << procs << " Ps";
        EXPECT_EQ(st.sum, n * (n - 1) / 2) << procs << " Ps";
        EXPECT_EQ(st.out_of_order, 0) << procs << " Ps";
        EXPECT_EQ(st.finished.load(), 2 * kSources + 1) << procs << " Ps";
        EXPECT_EACH_ONCE(st.got, procs);
    }
}

// ----------------------------------------------------------------- fan-out

// The main G deals jobs to workers over one channel; each worker counts the
// job under a Mutex (yielding while holding it now and then), passes every
// 8th job through a Semaphore of 3 (sleeping in it every 64th), and sends a
// result to a collector G.
TEST(SchedStress, FanOutCountsEveryJobOnceUnderTheMutex) {
    static constexpr int kWorkers = 16, kHeavySlots = 3;
    const int jobs = scaled(400000, 100000);
    for (int procs : kProcs) {
        struct State {
            explicit State(int n) : got(n) {}
            Deliveries got;
            rawrt::Mutex mu;
            long processed = 0;  // not atomic: the Mutex guards it
            rawrt::Semaphore heavy{kHeavySlots};
            std::atomic<int> inside{0}, most_inside{0}, heavy_done{0};
            std::atomic<int> workers_finished{0};
            int results = 0, not_odd = 0;
            long long sum = 0;
        } st(jobs);
        auto r = rawrt::run({.procs = procs}, [&] {
            Chan<int> work(4), results(16), collected;
            rawrt::WaitGroup wg;
            wg.add(kWorkers);
            for (int w = 0; w < kWorkers; ++w)
                rawrt::go([&] {
                    for (;;) {
                        auto [j, ok] = work.recv();
                        if (!ok) break;
                        st.mu.lock();
                        long seen = st.processed;
                        if (j % 16 == 0) rawrt::yield();  // another G may try the lock meanwhile
                        st.processed = seen + 1;
                        st.mu.unlock();
                        if (j % 8 == 0) {
                            st.heavy.acquire();
                            raise_to(&st.most_inside, st.inside.fetch_add(1) + 1);
                            if (j % 64 == 0) rawrt::sleep(20'000);
                            else rawrt::yield();
                            st.inside.fetch_sub(1);
                            st.heavy_done.fetch_add(1);
                            st.heavy.release();
                        }
                        results.send(2 * j + 1);
                    }
                    st.workers_finished.fetch_add(1);
                    wg.done();
                });
            rawrt::go([&] {
                for (;;) {
                    auto [v, ok] = results.recv();
                    if (!ok) break;
                    st.not_odd += v % 2 != 1;
                    st.got.record((v - 1) / 2);
                    st.sum += v;
                    ++st.results;
                }
                collected.close();
            });
            for (int j = 0; j < jobs; ++j) work.send(j);
            work.close();
            wg.wait();
            results.close();
            (void)collected.recv();
        });
        ASSERT_TRUE(r.ok()) << procs << " Ps: " << r.error().name();
        EXPECT_EQ(st.processed, jobs) << procs << " Ps";
        EXPECT_EQ(st.results, jobs) << procs << " Ps";
        EXPECT_EQ(st.sum, static_cast<long long>(jobs) * jobs) << procs << " Ps";  // 1 + 3 + ... + (2n-1)
        EXPECT_EQ(st.not_odd, 0) << procs << " Ps";
        EXPECT_EQ(st.heavy_done.load(), (jobs + 7) / 8) << procs << " Ps";
        EXPECT_LE(st.most_inside.load(), kHeavySlots) << procs << " Ps";
        EXPECT_GE(st.most_inside.load(), 1) << procs << " Ps";
        EXPECT_EQ(st.inside.load(), 0) << procs << " Ps";
        EXPECT_EQ(st.workers_finished.load(), kWorkers) << procs << " Ps";
        EXPECT_EACH_ONCE(st.got, procs);
    }
}

// ---------------------------------------------------------------- pipeline

// Values flow through stages of several Gs each; every stage adds one and
// counts what it passed under its own Mutex. A stage's channel is closed
// once all of its Gs are done (a WaitGroup per stage).
TEST(SchedStress, PipelineStagesEachPassEveryValueOnce) {
    static constexpr int kStages = 4, kWidth = 3;
    const int n = scaled(200000, 50000);
    for (int procs : kProcs) {
        struct State {
            explicit State(int count) : got(count) {}
            Deliveries got;
            rawrt::Mutex mu[kStages];
            long passed[kStages] = {};  // each guarded by mu[stage]
            std::atomic<int> stage_gs_finished{0};
            int received = 0;
            long long sum = 0;
        } st(n);
        auto r = rawrt::run({.procs = procs}, [&] {
            Chan<int> ch[kStages + 1];
            for (int s = 0; s <= kStages; ++s) ch[s] = Chan<int>(s % 2 == 0 ? 0 : 2);
            rawrt::WaitGroup stage_wg[kStages];
            for (int s = 0; s < kStages; ++s) {
                stage_wg[s].add(kWidth);
                for (int w = 0; w < kWidth; ++w)
                    rawrt::go([&ch, &stage_wg, &st, s] {
                        for (;;) {
                            auto [v, ok] = ch[s].recv();
                            if (!ok) break;
                            st.mu[s].lock();
                            ++st.passed[s];
                            st.mu[s].unlock();
                            if (v % 32 == 0) rawrt::yield();
                            ch[s + 1].send(v + 1);
                        }
                        st.stage_gs_finished.fetch_add(1);
                        stage_wg[s].done();
                    });
                rawrt::go([&ch, &stage_wg, s] {
                    stage_wg[s].wait();
                    ch[s + 1].close();
                });
            }
            rawrt::go([&ch, n] {
                for (int i = 0; i < n; ++i) ch[0].send(i);
                ch[0].close();
            });
            for (;;) {
                auto [v, ok] = ch[kStages].recv();
                if (!ok) break;
                st.got.record(v - kStages);
                st.sum += v;
                ++st.received;
            }
        });
        ASSERT_TRUE(r.ok()) << procs << " Ps: " << r.error().name();
        EXPECT_EQ(st.received, n) << procs << " Ps";
        EXPECT_EQ(st.sum, static_cast<long long>(n) * (n - 1) / 2 + static_cast<long long>(n) * kStages)
            << procs << " Ps";
        for (int s = 0; s < kStages; ++s) EXPECT_EQ(st.passed[s], n) << procs << " Ps, stage " << s;
        EXPECT_EQ(st.stage_gs_finished.load(), kStages * kWidth) << procs << " Ps";
        EXPECT_EACH_ONCE(st.got, procs);
    }
}

// ------------------------------------------------------------------ select

// Producers send each value through a select between their own channel and
// a shared one; consumers select over all four channels, switching a case
// off (a nil channel) once its channel is closed, and now and then poll with
// a default case first.
TEST(SchedStress, SelectHubRoutesEveryValueOnce) {
    static constexpr int kProducers = 3, kConsumers = 2;
    const int each = scaled(80000, 20000);
    for (int procs : kProcs) {
        struct State {
            explicit State(int n) : got(n) {}
            Deliveries got;
            std::atomic<int> via_own{0}, via_shared{0};    // as the producers' selects saw it
            std::atomic<int> received{0}, closes_seen{0};  // as the consumers' selects saw it
            std::atomic<long long> sum{0};
            std::atomic<int> defaults{0};
        } st(kProducers * each);
        auto r = rawrt::run({.procs = procs}, [&] {
            Chan<int> own[kProducers], shared, nil = Chan<int>::nil(), consumed;
            rawrt::WaitGroup producers;
            producers.add(kProducers);
            for (int p = 0; p < kProducers; ++p)
                rawrt::go([&own, &shared, &producers, &st, p, each] {
                    for (int i = 0; i < each; ++i)
                        rawrt::select(rawrt::on_send(own[p], p * each + i, [&] { st.via_own.fetch_add(1); }),
                                      rawrt::on_send(shared, p * each + i, [&] { st.via_shared.fetch_add(1); }));
                    own[p].close();
                    producers.done();
                });
            rawrt::go([&] {
                producers.wait();
                shared.close();
            });
            for (int c = 0; c < kConsumers; ++c)
                rawrt::go([&own, &shared, &nil, &consumed, &st] {
                    Chan<int>* cases[kProducers + 1] = {&own[0], &own[1], &own[2], &shared};
                    static_assert(kProducers == 3);
                    int open = kProducers + 1;
                    auto take = [&](int k) {
                        return [&, k](int v, bool ok) {
                            if (!ok) {
                                cases[k] = &nil;  // Go's idiom: a nil channel's case is never chosen
                                --open;
                                st.closes_seen.fetch_add(1);
                                return;
                            }
                            st.got.record(v);
                            st.sum.fetch_add(v);
                            st.received.fetch_add(1);
                        };
                    };
                    for (int round = 0; open > 0; ++round) {
                        if (round % 7 == 0) {
                            int chosen = rawrt::select(rawrt::on_recv(*cases[0], take(0)),
                                                       rawrt::on_recv(*cases[1], take(1)),
                                                       rawrt::on_recv(*cases[2], take(2)),
                                                       rawrt::on_recv(*cases[3], take(3)), rawrt::on_default());
                            if (chosen == 4) {
                                st.defaults.fetch_add(1);
                                rawrt::yield();
                            }
                            continue;
                        }
                        rawrt::select(rawrt::on_recv(*cases[0], take(0)), rawrt::on_recv(*cases[1], take(1)),
                                      rawrt::on_recv(*cases[2], take(2)), rawrt::on_recv(*cases[3], take(3)));
                    }
                    consumed.send(1);
                });
            for (int c = 0; c < kConsumers; ++c) (void)consumed.recv();
        });
        ASSERT_TRUE(r.ok()) << procs << " Ps: " << r.error().name();
        const long long n = static_cast<long long>(kProducers) * each;
        EXPECT_EQ(st.received.load(), n) << procs << " Ps";
        EXPECT_EQ(st.sum.load(), n * (n - 1) / 2) << procs << " Ps";
        EXPECT_EQ(st.via_own.load() + st.via_shared.load(), n) << procs << " Ps";
        // Both send cases are ready together thousands of times; a uniform
        // choice never picking one of them is not a plausible outcome.
        EXPECT_GT(st.via_own.load(), 0) << procs << " Ps";
        EXPECT_GT(st.via_shared.load(), 0) << procs << " Ps";
        EXPECT_EQ(st.closes_seen.load(), kConsumers * (kProducers + 1)) << procs << " Ps";
        EXPECT_EACH_ONCE(st.got, procs);
    }
}

// ------------------------------------------------------------------- crowd

// Spawner Gs on several Ps start many short Gs, each of which does one of:
// yield, a Mutex increment held across a yield, a short sleep, a pass
// through a Semaphore, or a send to a collector. Each G's body runs once.
TEST(SchedStress, ACrowdOfShortGsEachRunsItsBodyOnce) {
    static constexpr int kSpawners = 4, kKinds = 5, kSlots = 2;
    const int per_spawner = scaled(10000, 2000);
    const int total = kSpawners * per_spawner;
    for (int procs : kProcs) {
        struct State {
            explicit State(int n) : ran(n), sent(n) {}
            Deliveries ran;   // by G index, from the G's body
            Deliveries sent;  // by G index, from the collector
            rawrt::Mutex mu;
            long locked_increments = 0;  // guarded by mu
            rawrt::Semaphore slots{kSlots};
            std::atomic<int> inside{0}, most_inside{0};
            std::atomic<int> by_kind[kKinds] = {};
            int collected = 0;
        } st(total);
        const int to_collect = [&] {
            int k = 0;
            for (int i = 0; i < total; ++i) k += i % kKinds == 4;
            return k;
        }();
        auto r = rawrt::run({.procs = procs}, [&] {
            Chan<int> collector;
            Chan<int> collector_done;
            rawrt::WaitGroup wg;
            wg.add(total);
            rawrt::go([&st, &collector, &collector_done, to_collect] {
                for (int k = 0; k < to_collect; ++k) {
                    auto [v, ok] = collector.recv();
                    if (!ok) break;
                    st.sent.record(v);
                    ++st.collected;
                }
                collector_done.close();
            });
            for (int sp = 0; sp < kSpawners; ++sp)
                rawrt::go([&st, &collector, &wg, sp, per_spawner] {
                    for (int k = 0; k < per_spawner; ++k) {
                        const int i = sp * per_spawner + k;
                        rawrt::go([&st, &collector, &wg, i] {
                            st.ran.record(i);
                            const int kind = i % kKinds;
                            st.by_kind[kind].fetch_add(1);
                            switch (kind) {
                                case 0: rawrt::yield(); break;
                                case 1: {
                                    st.mu.lock();
                                    long seen = st.locked_increments;
                                    rawrt::yield();
                                    st.locked_increments = seen + 1;
                                    st.mu.unlock();
                                    break;
                                }
                                case 2: rawrt::sleep(1'000 * (1 + i % 7)); break;
                                case 3:
                                    st.slots.acquire();
                                    raise_to(&st.most_inside, st.inside.fetch_add(1) + 1);
                                    rawrt::yield();
                                    st.inside.fetch_sub(1);
                                    st.slots.release();
                                    break;
                                case 4: collector.send(i); break;
                            }
                            wg.done();
                        });
                        if (k % 64 == 0) rawrt::yield();
                    }
                });
            wg.wait();
            (void)collector_done.recv();
        });
        ASSERT_TRUE(r.ok()) << procs << " Ps: " << r.error().name();
        EXPECT_EACH_ONCE(st.ran, procs);
        int expected_kind[kKinds] = {};
        for (int i = 0; i < total; ++i) ++expected_kind[i % kKinds];
        for (int k = 0; k < kKinds; ++k) EXPECT_EQ(st.by_kind[k].load(), expected_kind[k]) << procs << " Ps";
        EXPECT_EQ(st.locked_increments, expected_kind[1]) << procs << " Ps";
        EXPECT_LE(st.most_inside.load(), kSlots) << procs << " Ps";
        EXPECT_GE(st.most_inside.load(), 1) << procs << " Ps";
        EXPECT_EQ(st.collected, to_collect) << procs << " Ps";
        // Only the kind-4 indices reach the collector, each once.
        int wrongly_collected = 0;
        for (int i = 0; i < total; ++i) wrongly_collected += st.sent.count(i) != (i % kKinds == 4 ? 1u : 0u);
        EXPECT_EQ(wrongly_collected, 0) << procs << " Ps";
        EXPECT_EQ(st.sent.out_of_range(), 0) << procs << " Ps";
    }
}

}  // namespace
