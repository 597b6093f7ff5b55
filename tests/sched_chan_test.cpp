// Channels and select on rawrt's scheduler (sched/chan.hpp): handoffs,
// buffering, close, select's choice and fairness, and that a G blocked on a
// channel leaves its M to others. Runtime threads never call gtest or libc:
// the Gs record into plain memory, the test asserts after run returns.

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "sched/chan.hpp"
#include "sched/go.hpp"
#include "sched/proc.hpp"

namespace {

using rawrt::Chan;

// Gs queued on one of c's wait queues (taken under the channel's lock).
int queued(rawrt::sched::hchan* c, bool senders) {
    rawrt::locks::lock(&c->lock);
    int n = 0;
    for (auto* s = senders ? c->sendq.first : c->recvq.first; s != nullptr; s = s->next) ++n;
    rawrt::locks::unlock(&c->lock);
    return n;
}

// Yields until n Gs are parked on c (on a G only).
void wait_until_queued(rawrt::sched::hchan* c, bool senders, int n) {
    while (queued(c, senders) != n) rawrt::yield();
}

TEST(SchedChan, UnbufferedPingPongCountsExactly) {
    for (int procs : {1, 2}) {
        constexpr int kRounds = 10000;
        int replies = 0, wrong = 0, echoed = 0;
        bool echo_saw_close = false;
        auto r = rawrt::run({.procs = procs}, [&] {
            Chan<int> ping(0), pong, done;  // make(chan int, 0): unbuffered too
            rawrt::go([&] {
                for (;;) {
                    auto [v, ok] = ping.recv();
                    if (!ok) break;
                    ++echoed;
                    pong.send(v + 1);
                }
                echo_saw_close = true;
                done.close();
            });
            for (int i = 0; i < kRounds; ++i) {
                ping.send(i);
                auto [v, ok] = pong.recv();
                replies += ok;
                wrong += v != i + 1;
            }
            ping.close();
            (void)done.recv();
        });
        ASSERT_TRUE(r.ok()) << r.error().name();
        EXPECT_EQ(replies, kRounds) << procs << " Ps";
        EXPECT_EQ(echoed, kRounds) << procs << " Ps";
        EXPECT_EQ(wrong, 0) << procs << " Ps";
        EXPECT_TRUE(echo_saw_close) << procs << " Ps";
    }
}

TEST(SchedChan, BufferedIsFifoAndHoldsExactlyItsCapacity) {
    size_t len_full = 0, cap = 0, len_empty = 99;
    bool ninth_refused = false, empty_not_ready = false;
    std::vector<int> order;
    order.reserve(64);  // no allocation on runtime threads
    auto r = rawrt::run({.procs = 1}, [&] {
        Chan<int> ch(8);
        bool all_accepted = true;
        for (int i = 0; i < 8; ++i) all_accepted &= ch.try_send(i);
        ninth_refused = all_accepted && !ch.try_send(8);
        len_full = ch.len();
        cap = ch.cap();
        // Wrap the ring around a few times: take 3, put 3, ...
        int next = 8;
        for (int round = 0; round < 4; ++round) {
            for (int k = 0; k < 3; ++k) order.push_back(ch.recv().value);
            for (int k = 0; k < 3; ++k) ch.send(next++);
        }
        while (ch.len() > 0) order.push_back(ch.recv().value);
        len_empty = ch.len();
        empty_not_ready = !ch.try_recv().ready;
    });
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(ninth_refused);
    EXPECT_EQ(len_full, 8u);
    EXPECT_EQ(cap, 8u);
    EXPECT_EQ(len_empty, 0u);
    EXPECT_TRUE(empty_not_ready);
    ASSERT_EQ(order.size(), 20u);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
}

TEST(SchedChan, SendersBlockedOnAFullBufferKeepTheirOrder) {
    // Each receive from a full buffer takes the head and moves the first
    // blocked sender's value to the tail (Go's recv on a full channel).
    for (int procs : {1, 2}) {
        int got[24] = {};
        int n = 0;
        auto r = rawrt::run({.procs = procs}, [&] {
            Chan<int> ch(4), done;
            for (int i = 0; i < 4; ++i) ch.send(i);
            rawrt::go([&] {
                for (int i = 4; i < 24; ++i) ch.send(i);  // blocks on every send
                done.close();
            });
            wait_until_queued(ch.raw(), true, 1);
            for (int i = 0; i < 24; ++i) got[n++] = ch.recv().value;
            (void)done.recv();
        });
        ASSERT_TRUE(r.ok());
        ASSERT_EQ(n, 24);
        for (int i = 0; i < 24; ++i) EXPECT_EQ(got[i], i) << procs << " Ps";
    }
}

TEST(SchedChan, CloseLetsReceiversDrainThenReportsNotOk) {
    int values[3] = {};
    bool oks[3] = {};
    int after_value = -1, again_value = -1;
    bool after_ok = true, again_ok = true;
    bool try_ready = false, try_ok = true;
    auto r = rawrt::run({.procs = 1}, [&] {
        Chan<int> ch(4);
        for (int i = 1; i <= 3; ++i) ch.send(i * 10);
        ch.close();
        for (int i = 0; i < 3; ++i) {
            auto got = ch.recv();
            values[i] = got.value;
            oks[i] = got.ok;
        }
        auto after = ch.recv();
        after_value = after.value;
        after_ok = after.ok;
        auto again = ch.recv();
        again_value = again.value;
        again_ok = again.ok;
        auto t = ch.try_recv();
        try_ready = t.ready;
        try_ok = t.ok;
    });
    ASSERT_TRUE(r.ok());
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(values[i], (i + 1) * 10);
        EXPECT_TRUE(oks[i]);
    }
    EXPECT_EQ(after_value, 0);
    EXPECT_FALSE(after_ok);
    EXPECT_EQ(again_value, 0);
    EXPECT_FALSE(again_ok);
    EXPECT_TRUE(try_ready) << "a closed channel is always ready";
    EXPECT_FALSE(try_ok);
}

TEST(SchedChan, ReceiversBlockedAtCloseWakeWithNotOk) {
    for (int procs : {1, 2}) {
        constexpr int kReceivers = 16;
        int woke = 0, ok_count = 0, nonzero = 0;
        auto r = rawrt::run({.procs = procs}, [&] {
            Chan<int> ch;
            Chan<bool> results(kReceivers);
            Chan<int> values(kReceivers);
            for (int i = 0; i < kReceivers; ++i)
                rawrt::go([&] {
                    auto got = ch.recv();
                    values.send(got.value);
                    results.send(got.ok);
                });
            wait_until_queued(ch.raw(), false, kReceivers);
            ch.close();
            for (int i = 0; i < kReceivers; ++i) {
                ok_count += results.recv().value;
                nonzero += values.recv().value != 0;
                ++woke;
            }
        });
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(woke, kReceivers) << procs << " Ps";
        EXPECT_EQ(ok_count, 0) << procs << " Ps";
        EXPECT_EQ(nonzero, 0) << procs << " Ps";
    }
}

TEST(SchedChanDeathTest, SenderBlockedAtCloseDies) {
    EXPECT_EXIT((void)rawrt::run(
                    {.procs = 2},
                    [] {
        Chan<int> ch;
        rawrt::go([&] { ch.send(1); });
        wait_until_queued(ch.raw(), true, 1);
        ch.close();
        for (;;) rawrt::yield();
                    }),
                testing::ExitedWithCode(2), "fatal error: send on closed channel");
}

TEST(SchedChanDeathTest, SendOnClosedChannelIsFatal) {
    EXPECT_EXIT((void)rawrt::run(
                    {.procs = 1},
                    [] {
        Chan<int> ch(1);
        ch.close();
        (void)ch.try_send(1);
                    }),
                testing::ExitedWithCode(2), "fatal error: send on closed channel");
}

TEST(SchedChanDeathTest, CloseOfClosedChannelIsFatal) {
    EXPECT_EXIT((void)rawrt::run(
                    {.procs = 1},
                    [] {
        Chan<int> ch;
        ch.close();
        ch.close();
                    }),
                testing::ExitedWithCode(2), "fatal error: close of closed channel");
}

TEST(SchedChanDeathTest, CloseOfNilChannelIsFatal) {
    EXPECT_EXIT((void)rawrt::run(
                    {.procs = 1},
                    [] {
        auto ch = Chan<int>::nil();
        ch.close();
                    }),
                testing::ExitedWithCode(2), "fatal error: close of nil channel");
}

TEST(SchedChanDeathTest, SelectSendOnClosedChannelIsFatal) {
    EXPECT_EXIT((void)rawrt::run(
                    {.procs = 1},
                    [] {
        Chan<int> open, closed(1);
        closed.close();
        rawrt::select(rawrt::on_recv(open, [] {}), rawrt::on_send(closed, 1));
                    }),
                testing::ExitedWithCode(2), "fatal error: send on closed channel");
}

TEST(SchedChan, ARecvNobodyWillEverSatisfyIsADeadlock) {
    auto r = rawrt::run({.procs = 2}, [] {
        Chan<int> ch;
        (void)ch.recv();
    });
    ASSERT_FALSE(r.ok());
    EXPECT_STREQ(r.error().name(), "EDEADLK");
}

TEST(SchedChan, NilChannelOperationsNeverProceed) {
    bool send_refused = false, recv_not_ready = false;
    int chosen = -1;
    auto r = rawrt::run({.procs = 1}, [&] {
        auto nil = Chan<int>::nil();
        send_refused = !nil.try_send(1);
        recv_not_ready = !nil.try_recv().ready;
        chosen = rawrt::select(rawrt::on_recv(nil), rawrt::on_send(nil, 1), rawrt::on_default());
    });
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(send_refused);
    EXPECT_TRUE(recv_not_ready);
    EXPECT_EQ(chosen, 2);
}

TEST(SchedChan, SelectReceivesEveryValueExactlyOnce) {
    for (int procs : {1, 2}) {
        constexpr int kProducers = 3, kEach = 3000;
        static int seen[kProducers * kEach];
        for (int& s : seen) s = 0;
        int closes = 0, bad_ok = 0;
        auto r = rawrt::run({.procs = procs}, [&] {
            Chan<int> a, b(7), c(1);
            Chan<int>* chans[kProducers] = {&a, &b, &c};
            for (int p = 0; p < kProducers; ++p)
                rawrt::go([&, p] {
                    for (int i = 0; i < kEach; ++i) chans[p]->send(p * kEach + i);
                    chans[p]->close();
                });
            // A closed channel's case is switched off by a nil channel.
            auto nil = Chan<int>::nil();
            bool open[kProducers] = {true, true, true};
            int open_count = kProducers;
            while (open_count > 0) {
                auto take = [&](int p) {
                    return [&, p](int v, bool ok) {
                        if (ok) {
                            if (v >= 0 && v < kProducers * kEach) ++seen[v];
                            else ++bad_ok;
                        } else {
                            open[p] = false;
                            --open_count;
                            ++closes;
                        }
                    };
                };
                rawrt::select(rawrt::on_recv(open[0] ? a : nil, take(0)), rawrt::on_recv(open[1] ? b : nil, take(1)),
                              rawrt::on_recv(open[2] ? c : nil, take(2)));
            }
        });
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(closes, kProducers);
        EXPECT_EQ(bad_ok, 0);
        int missing = 0, duplicated = 0;
        for (int s : seen) {
            missing += s == 0;
            duplicated += s > 1;
        }
        EXPECT_EQ(missing, 0) << procs << " Ps";
        EXPECT_EQ(duplicated, 0) << procs << " Ps";
    }
}

TEST(SchedChan, SelectChoosesFairlyAmongReadyCases) {
    // Both channels always have a value: each select must pick one of them
    // uniformly at random. 10 000 draws: the share of either case stays
    // within 30-70% except with a vanishing probability (a bound on
    // correctness, not a timing).
    constexpr int kSelects = 10000;
    int picked[2] = {};
    int three[3] = {};
    auto r = rawrt::run({.procs = 1}, [&] {
        Chan<int> a(kSelects), b(kSelects);
        for (int i = 0; i < kSelects; ++i) {
            a.send(i);
            b.send(i);
        }
        for (int i = 0; i < kSelects; ++i)
            rawrt::select(rawrt::on_recv(a, [&] { ++picked[0]; }), rawrt::on_recv(b, [&] { ++picked[1]; }));
        // Three cases, all closed channels: always ready, still fair.
        Chan<int> x, y, z;
        x.close();
        y.close();
        z.close();
        for (int i = 0; i < 3 * kSelects; ++i)
            three[rawrt::select(rawrt::on_recv(x, [] {}), rawrt::on_recv(y, [] {}), rawrt::on_recv(z, [] {}))]++;
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(picked[0] + picked[1], kSelects);
    EXPECT_GE(picked[0], kSelects * 30 / 100);
    EXPECT_LE(picked[0], kSelects * 70 / 100);
    for (int n : three) {
        EXPECT_GE(n, kSelects * 80 / 100);
        EXPECT_LE(n, kSelects * 120 / 100);
    }
}

TEST(SchedChan, SelectWithDefaultNeverBlocks) {
    int defaults = 0, received = 0, sent = 0, last_value = -1;
    auto r = rawrt::run({.procs = 1}, [&] {
        Chan<int> empty, unbuffered, full(1);
        full.send(0);
        for (int i = 0; i < 1000; ++i) {
            int k = rawrt::select(rawrt::on_recv(empty, [&] { ++received; }),
                                  rawrt::on_send(unbuffered, i, [&] { ++sent; }),  // nobody receives
                                  rawrt::on_send(full, i, [&] { ++sent; }), rawrt::on_default([&] { ++defaults; }));
            if (k != 3) break;
        }
        // With a ready case, the default is not taken.
        Chan<int> ready(1);
        ready.send(41);
        rawrt::select(rawrt::on_recv(ready, [&](int v) { last_value = v + 1; }),
                      rawrt::on_default([&] { ++defaults; }));
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(defaults, 1000);
    EXPECT_EQ(received, 0);
    EXPECT_EQ(sent, 0);
    EXPECT_EQ(last_value, 42);
}

TEST(SchedChan, BlockingSelectWakesOnTheFirstReadyChannel) {
    for (int procs : {1, 2}) {
        constexpr int kRounds = 2000;
        int via_recv = 0, via_send = 0, wrong = 0, closed_seen = 0;
        auto r = rawrt::run({.procs = procs}, [&] {
            Chan<int> in, out, quit;
            // One G feeds `in`, another drains `out`; the main G's select
            // blocks on both (and on quit) until one of them shows up.
            rawrt::go([&] {
                for (int i = 0; i < kRounds; ++i) in.send(i);
            });
            rawrt::go([&] {
                for (int i = 0; i < kRounds; ++i) (void)out.recv();
                quit.close();
            });
            int expect_in = 0;
            bool done = false;
            while (!done) {
                rawrt::select(rawrt::on_recv(
                                  in,
                                  [&](int v, bool ok) {
                    wrong += !ok || v != expect_in++;
                    ++via_recv;
                                  }),
                              rawrt::on_send(out, 7, [&] { ++via_send; }), rawrt::on_recv(quit, [&](int, bool ok) {
                                  closed_seen += !ok;
                                  done = true;
                              }));
            }
            while (via_recv < kRounds) {
                wrong += in.recv().value != expect_in++;
                ++via_recv;
            }
        });
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(via_recv, kRounds) << procs << " Ps";
        EXPECT_EQ(via_send, kRounds) << procs << " Ps";
        EXPECT_EQ(wrong, 0) << procs << " Ps";
        EXPECT_EQ(closed_seen, 1) << procs << " Ps";
    }
}

TEST(SchedChan, ASelectMayNameOneChannelTwice) {
    // Both cases lock the same channel once; whichever one a sender
    // completes, the other leaves the queue.
    for (int procs : {1, 2}) {
        constexpr int kValues = 2000;
        int got = 0, sum_first = 0, sum_second = 0;
        long long sum = 0;
        auto r = rawrt::run({.procs = procs}, [&] {
            Chan<int> ch;
            rawrt::go([&] {
                for (int i = 1; i <= kValues; ++i) ch.send(i);
            });
            for (int i = 0; i < kValues; ++i)
                rawrt::select(rawrt::on_recv(
                                  ch,
                                  [&](int v) {
                    sum += v;
                    ++sum_first;
                                  }),
                              rawrt::on_recv(ch, [&](int v) {
                                  sum += v;
                                  ++sum_second;
                              }));
            got = sum_first + sum_second;
            // No sudog of ours is left behind on the channel.
            got -= queued(ch.raw(), false);
        });
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(got, kValues) << procs << " Ps";
        EXPECT_EQ(sum, static_cast<long long>(kValues) * (kValues + 1) / 2) << procs << " Ps";
        EXPECT_GT(sum_first, 0);
        EXPECT_GT(sum_second, 0);
    }
}

TEST(SchedChan, ManyProducersAndConsumersDeliverExactTotals) {
    for (size_t capacity : {size_t{0}, size_t{16}}) {
        constexpr int kProducers = 8, kConsumers = 8, kEach = 5000;
        long long total = 0;
        int count = 0;
        auto r = rawrt::run({.procs = 2}, [&] {
            Chan<int> work(capacity), produced, consumed;
            Chan<long long> sums(kConsumers);
            Chan<int> counts(kConsumers);
            for (int p = 0; p < kProducers; ++p)
                rawrt::go([&, p] {
                    for (int i = 0; i < kEach; ++i) work.send(p * kEach + i);
                    produced.send(1);
                });
            for (int c = 0; c < kConsumers; ++c)
                rawrt::go([&] {
                    long long s = 0;
                    int n = 0;
                    for (;;) {
                        auto [v, ok] = work.recv();
                        if (!ok) break;
                        s += v;
                        ++n;
                    }
                    sums.send(s);
                    counts.send(n);
                });
            for (int p = 0; p < kProducers; ++p) (void)produced.recv();
            work.close();
            for (int c = 0; c < kConsumers; ++c) {
                total += sums.recv().value;
                count += counts.recv().value;
            }
        });
        ASSERT_TRUE(r.ok());
        constexpr long long kAll = static_cast<long long>(kProducers) * kEach;
        EXPECT_EQ(count, kAll) << "capacity " << capacity;
        EXPECT_EQ(total, kAll * (kAll - 1) / 2) << "capacity " << capacity;
    }
}

TEST(SchedChan, AGBlockedOnAChannelDoesNotHoldItsM) {
    // One P: the receiver parks, and the main G runs on the very M the
    // receiver was using, to do the send. Had the receiver kept its M, the
    // send would never come.
    int received = 0;
    bool main_ran_while_blocked = false;
    rawrt::sched::M* receiver_m = nullptr;
    rawrt::sched::M* sender_m = nullptr;
    auto r = rawrt::run({.procs = 1}, [&] {
        Chan<int> ch, done;
        rawrt::go([&] {
            receiver_m = rawrt::sched::getm();
            received = ch.recv().value;
            done.close();
        });
        wait_until_queued(ch.raw(), false, 1);
        main_ran_while_blocked = true;
        sender_m = rawrt::sched::getm();
        ch.send(7);
        (void)done.recv();
    });
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(main_ran_while_blocked);
    EXPECT_EQ(received, 7);
    ASSERT_NE(receiver_m, nullptr);
    EXPECT_EQ(sender_m, receiver_m) << "one M ran both Gs";
}

// A type that memcpy cannot move: the channel must construct and destroy.
struct Tracked {
    static std::atomic<int> live;
    int* payload = nullptr;  // owned
    int v = 0;

    Tracked() { live.fetch_add(1); }
    explicit Tracked(int x) : payload(&v), v(x) { live.fetch_add(1); }
    Tracked(Tracked&& o) noexcept : payload(o.payload != nullptr ? &v : nullptr), v(o.v) {
        o.payload = nullptr;
        o.v = -1;
        live.fetch_add(1);
    }
    Tracked& operator=(Tracked&&) = delete;
    ~Tracked() { live.fetch_sub(1); }
    // A bytewise copy would leave payload pointing into the old object.
    int value() const { return payload == &v ? v : -1000; }
};
std::atomic<int> Tracked::live{0};

TEST(SchedChan, NonTrivialElementsAreMovedAndDestroyed) {
    for (int procs : {1, 2}) {
        int sum = 0, bad = 0, closed_default = -1;
        Tracked::live.store(0);
        auto r = rawrt::run({.procs = procs}, [&] {
            {
                Chan<Tracked> unbuffered, buffered(4);
                rawrt::go([&] {
                    for (int i = 1; i <= 100; ++i) unbuffered.send(Tracked(i));
                    for (int i = 1; i <= 100; ++i) buffered.send(Tracked(i));
                    buffered.close();
                });
                for (int i = 0; i < 100; ++i) {
                    int v = unbuffered.recv().value.value();
                    bad += v < 0;
                    sum += v;
                }
                for (;;) {
                    int got = 0;
                    rawrt::select(rawrt::on_recv(buffered, [&](Tracked t, bool ok) {
                        got = ok ? t.value() : -2;
                        if (!ok) closed_default = t.payload == nullptr && t.v == 0 ? 0 : 1;
                    }));
                    if (got == -2) break;
                    bad += got < 0;
                    sum += got;
                }
                // Values left in a buffer are destroyed with the channel.
                Chan<Tracked> leftover(3);
                leftover.send(Tracked(1));
                leftover.send(Tracked(2));
            }
        });
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(bad, 0) << procs << " Ps";
        EXPECT_EQ(sum, 2 * 5050) << procs << " Ps";
        EXPECT_EQ(closed_default, 0) << "a closed channel yields T{}";
        EXPECT_EQ(Tracked::live.load(), 0) << procs << " Ps: every constructed element was destroyed";
    }
}

}  // namespace
