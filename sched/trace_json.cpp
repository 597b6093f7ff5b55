// The tracer's converting half: the scratch file's per-M runs of events,
// merged into one timeline by timestamp, become Chrome trace-event JSON
// (what ui.perfetto.dev and chrome://tracing open). Go's `go tool trace`
// does this work offline; rawrt does it in the writer M at stop, so that
// the file a program leaves is the one to open.
//
// The merge gives the converter the whole state at each moment, as Go's
// trace parser rebuilds it: which G runs on which M, who holds each P, how
// many Gs are runnable and how many Ms are in a syscall. So every slice it
// writes is closed, the counters are exact, and the flows (a G readied by
// another; a G resuming on another M) join the right slices.
// docs/trace.md describes the tracks.

#include <linux/mman.h>

#include "sched/trace_internal.hpp"
#include "sys/calls.hpp"

namespace rawrt::sched {
namespace {

// ------------------------------------------------------------ memory

template <class T>
T* map_array(size_t n) {
    if (n == 0) n = 1;
    auto r = sys::raw::mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return r.ok() ? static_cast<T*>(r.value()) : nullptr;  // zeroed
}

template <class T>
void unmap_array(T* p, size_t n) {
    if (p != nullptr) (void)sys::raw::munmap(p, (n == 0 ? 1 : n) * sizeof(T));
}

// ------------------------------------------------------------ output

class Json {
public:
    void reset(int fd) {
        fd_ = fd;
        error_ = 0;
        len_ = 0;
    }
    void raw(const char* s) {
        while (*s != '\0') ch(*s++);
    }
    void ch(char c) {
        if (len_ == sizeof buf_) flush();
        buf_[len_++] = c;
    }
    void str(const char* s) {  // a JSON string's contents
        for (; *s != '\0'; ++s) {
            const unsigned char c = static_cast<unsigned char>(*s);
            if (c == '"' || c == '\\') {
                ch('\\');
                ch(static_cast<char>(c));
            } else if (c < 0x20) {
                raw("\\u00");
                ch("0123456789abcdef"[c >> 4]);
                ch("0123456789abcdef"[c & 15]);
            } else {
                ch(static_cast<char>(c));
            }
        }
    }
    void num(int64_t v) {
        if (v < 0) {
            ch('-');
            v = -v;
        }
        char d[20];
        int n = 0;
        do d[n++] = static_cast<char>('0' + v % 10);
        while ((v /= 10) != 0);
        while (n > 0) ch(d[--n]);
    }
    // Nanoseconds as the microseconds the format wants, to the nanosecond.
    void micros(int64_t ns) {
        if (ns < 0) ns = 0;
        num(ns / 1000);
        ch('.');
        ch(static_cast<char>('0' + ns % 1000 / 100));
        ch(static_cast<char>('0' + ns % 100 / 10));
        ch(static_cast<char>('0' + ns % 10));
    }
    void flush() {
        const char* p = buf_;
        size_t n = len_;
        len_ = 0;
        while (n > 0 && error_ == 0) {
            auto r = sys::raw::write(fd_, p, n);
            if (!r.ok() && r.error() == sys::Errno(EINTR)) continue;
            if (!r.ok()) error_ = r.error().code();
            else if (r.value() == 0) error_ = EIO;
            else {
                p += r.value();
                n -= r.value();
            }
        }
    }
    int error() const { return error_; }

private:
    int fd_ = -1;
    int error_ = 0;
    size_t len_ = 0;
    char buf_[1 << 16];
};

// ------------------------------------------------------------ names

struct SyscallName {
    long nr;
    const char* name;
    const char* kinds;
};

#define RAWRT_SYSCALL_NAME(name, kinds) {__NR_##name, #name, kinds},
const SyscallName syscall_names[] = {
#include "sys/syscall_names.inc"
};
#undef RAWRT_SYSCALL_NAME

constexpr long kMaxNr = 1024;

const char* basename(const char* path) {
    const char* b = path;
    for (const char* p = path; *p != '\0'; ++p)
        if (*p == '/') b = p + 1;
    return b;
}

// ------------------------------------------------------------ the input

struct Chunk {
    int64_t mid;
    uint64_t seq;
    uint32_t dropped;
    uint32_t n;
    const TraceEvent* ev;
};

bool chunk_before(const Chunk& a, const Chunk& b) { return a.mid != b.mid ? a.mid < b.mid : a.seq < b.seq; }

// One M's events, in order: its chunks [first, end) of the sorted array.
struct Stream {
    uint32_t chunk, end, i;
};

// ------------------------------------------------------------ the state

enum GState : uint8_t { kGUnknown, kGRunnable, kGRunning, kGWaiting, kGDead };

struct GInfo {
    int64_t goid;  // 0: a free slot
    const char* file;
    uint32_t line;
    GState state;
    int64_t last_m;     // -1: none yet
    int64_t last_stop;  // when it last stopped there
    uint64_t flow;      // a ready flow waiting for its start, 0: none
    int64_t yield_m;    // the M whose yield of it is not yet written, -1: none
};

struct MInfo {
    int64_t g;  // the G whose slice is open on this M's track, 0: none
    bool syscall;
    bool sysmon;
    bool seen;
    // A yield not yet written: if this M's next event starts the same G
    // again, the slice goes on (a G that yields in a loop is one slice,
    // with its count of yields, not a million).
    int64_t yield_g;
    int64_t yield_ts;
    int64_t yields;
};

class Converter {
public:
    Converter(Json* out, int64_t start, int32_t procs) : out_(out), start_(start), procs_(procs) {
        for (int32_t i = 0; i < kMaxProcs; ++i) p_holder_[i] = -1;
    }
    ~Converter() {
        unmap_array(gs_, gcap_);
        unmap_array(ms_, mcap_);
    }
    bool init(int64_t max_mid, uint64_t ngs_hint) {
        mcap_ = static_cast<size_t>(max_mid) + 1;
        ms_ = map_array<MInfo>(mcap_);
        gcap_ = 1024;
        while (gcap_ < ngs_hint * 2) gcap_ *= 2;
        gs_ = map_array<GInfo>(gcap_);
        for (long i = 0; i < kMaxNr; ++i) names_[i] = nullptr;
        for (const SyscallName& s : syscall_names)
            if (s.nr >= 0 && s.nr < kMaxNr) names_[s.nr] = &s;
        return ms_ != nullptr && gs_ != nullptr;
    }
    MInfo& m(int64_t mid) { return ms_[mid]; }
    void metadata();
    void event(int64_t mid, const TraceEvent& e);
    void dropped(int64_t mid, int64_t ts, uint32_t n);
    void finish(int64_t end, uint64_t dropped_unsaved);

private:
    GInfo* g(int64_t goid);
    void begin_ev(const char* ph, int pid, int64_t tid, int64_t ts) {
        out_->raw(first_ ? "\n{\"ph\":\"" : ",\n{\"ph\":\"");
        first_ = false;
        out_->raw(ph);
        out_->raw("\",\"pid\":");
        out_->num(pid);
        out_->raw(",\"tid\":");
        out_->num(tid);
        out_->raw(",\"ts\":");
        out_->micros(ts - start_);
    }
    void name_g(const GInfo* gi, int64_t goid) {
        out_->ch('G');
        out_->num(goid);
        if (gi != nullptr && gi->file != nullptr) {
            out_->ch(' ');
            out_->str(basename(gi->file));
            if (gi->line != 0) {
                out_->ch(':');
                out_->num(gi->line);
            }
        }
    }
    void instant(int64_t mid, int64_t ts, const char* cat, const char* name, int64_t n = -1, const char* suffix = "") {
        begin_ev("i", 1, mid, ts);
        out_->raw(",\"s\":\"t\",\"cat\":\"");
        out_->raw(cat);
        out_->raw("\",\"name\":\"");
        out_->raw(name);
        if (n >= 0) out_->num(n);
        out_->raw(suffix);
        out_->ch('"');
    }
    void end_obj() { out_->ch('}'); }
    void open_g(int64_t mid, int64_t ts, int64_t goid);
    void close_g(int64_t mid, int64_t ts, const char* why, const char* reason);
    void flush_yield(int64_t mid);
    void close_syscall(int64_t mid, int64_t ts, const char* exit);
    void open_p(int32_t p, int64_t mid, int64_t ts);
    void close_p(int32_t p, int64_t ts);
    void flow(const char* ph, uint64_t id, int64_t mid, int64_t ts, const char* name);
    void counter(const char* name, int64_t* last, int64_t value, int64_t ts);
    void counters(int64_t ts) {
        counter("runnable Gs", &last_runnable_, runnable_, ts);
        counter("Ms in syscall", &last_insyscall_, insyscall_, ts);
        counter("idle Ps", &last_idle_, procs_ - held_, ts);
    }
    void syscall_name(const TraceEvent& e);

    Json* out_;
    int64_t start_;
    int32_t procs_;
    bool first_ = true;
    GInfo* gs_ = nullptr;
    size_t gcap_ = 0, glen_ = 0;
    MInfo* ms_ = nullptr;
    size_t mcap_ = 0;
    int64_t p_holder_[kMaxProcs];
    int64_t runnable_ = 0, insyscall_ = 0;
    int32_t held_ = 0;  // Ps with an open slice (p_holder_ >= 0)
    int64_t last_runnable_ = -1, last_insyscall_ = -1, last_idle_ = -1;
    uint64_t next_flow_ = 1;
    int64_t counter_ts_ = 0;
    const SyscallName* names_[kMaxNr];
};

GInfo* Converter::g(int64_t goid) {
    if (glen_ * 2 >= gcap_) {  // grow: rehash into twice the room
        GInfo* old = gs_;
        const size_t oldcap = gcap_;
        GInfo* grown = map_array<GInfo>(oldcap * 2);
        if (grown == nullptr) return nullptr;
        gs_ = grown;
        gcap_ = oldcap * 2;
        glen_ = 0;
        for (size_t i = 0; i < oldcap; ++i)
            if (old[i].goid != 0) *g(old[i].goid) = old[i];
        unmap_array(old, oldcap);
    }
    size_t i = static_cast<size_t>(goid) * 0x9e3779b97f4a7c15ull >> 20 & (gcap_ - 1);
    while (gs_[i].goid != 0 && gs_[i].goid != goid) i = (i + 1) & (gcap_ - 1);
    if (gs_[i].goid == 0) {
        gs_[i] = GInfo{goid, nullptr, 0, kGUnknown, -1, 0, 0, -1};
        ++glen_;
    }
    return &gs_[i];
}

void Converter::metadata() {
    static const char* const procs[] = {"Ms", "Ps", "regions"};
    for (int pid = 1; pid <= 3; ++pid) {
        begin_ev("M", pid, 0, start_);
        out_->raw(",\"name\":\"process_name\",\"args\":{\"name\":\"");
        out_->raw(procs[pid - 1]);
        out_->raw("\"}}");
    }
    for (size_t i = 0; i < mcap_; ++i) {
        if (!ms_[i].seen) continue;
        begin_ev("M", 1, static_cast<int64_t>(i), start_);
        out_->raw(",\"name\":\"thread_name\",\"args\":{\"name\":\"M");
        out_->num(static_cast<int64_t>(i));
        if (ms_[i].sysmon) out_->raw(" (sysmon)");
        out_->raw("\"}}");
    }
    for (int32_t i = 0; i < procs_; ++i) {
        begin_ev("M", 2, i, start_);
        out_->raw(",\"name\":\"thread_name\",\"args\":{\"name\":\"P");
        out_->num(i);
        out_->raw("\"}}");
    }
    begin_ev("M", 3, 1, start_);
    out_->raw(",\"name\":\"thread_name\",\"args\":{\"name\":\"regions\"}}");
}

void Converter::flow(const char* ph, uint64_t id, int64_t mid, int64_t ts, const char* name) {
    begin_ev(ph, 1, mid, ts);
    out_->raw(",\"cat\":\"flow\",\"name\":\"");
    out_->raw(name);
    out_->raw("\",\"id\":");
    out_->num(static_cast<int64_t>(id));
    if (ph[0] == 'f') out_->raw(",\"bp\":\"e\"");
    end_obj();
}

void Converter::counter(const char* name, int64_t* last, int64_t value, int64_t ts) {
    if (*last == value) return;
    *last = value;
    if (ts < counter_ts_) ts = counter_ts_;  // a yield written late: its counters at the latest time
    counter_ts_ = ts;
    begin_ev("C", 1, 0, ts);
    out_->raw(",\"name\":\"");
    out_->raw(name);
    out_->raw("\",\"args\":{\"value\":");
    out_->num(value);
    out_->raw("}}");
}

void Converter::open_g(int64_t mid, int64_t ts, int64_t goid) {
    MInfo& mi = m(mid);
    if (mi.g != 0) close_g(mid, ts, "stop", nullptr);
    GInfo* gi = g(goid);
    // Stolen from the M it yielded on, before that M's next event.
    if (gi != nullptr && gi->yield_m >= 0 && gi->yield_m != mid) flush_yield(gi->yield_m);
    mi.g = goid;
    begin_ev("B", 1, mid, ts);
    out_->raw(",\"cat\":\"g\",\"name\":\"");
    name_g(gi, goid);
    out_->raw("\",\"args\":{\"goid\":");
    out_->num(goid);
    out_->raw("}}");
    if (gi == nullptr) return;
    if (gi->state == kGRunnable) --runnable_;
    gi->state = kGRunning;
    if (gi->flow != 0) {
        flow("f", gi->flow, mid, ts, "ready");
        gi->flow = 0;
    }
    if (gi->last_m >= 0 && gi->last_m != mid) {
        // It ran elsewhere last: an arrow from where it stopped (a moment
        // before that slice's end, so that the arrow binds to it).
        const uint64_t id = next_flow_++;
        flow("s", id, gi->last_m, gi->last_stop - 1, "migrate");
        flow("f", id, mid, ts, "migrate");
    }
}

void Converter::close_syscall(int64_t mid, int64_t ts, const char* exit) {
    MInfo& mi = m(mid);
    if (!mi.syscall) return;
    mi.syscall = false;
    --insyscall_;
    begin_ev("E", 1, mid, ts);
    out_->raw(",\"cat\":\"syscall\",\"args\":{\"exit\":\"");
    out_->raw(exit);
    out_->raw("\"}}");
}

void Converter::flush_yield(int64_t mid) {
    MInfo& mi = m(mid);
    const int64_t goid = mi.yield_g;
    mi.yield_g = 0;
    close_g(mid, mi.yield_ts, "yield", nullptr);
    if (GInfo* gi = g(goid)) {
        gi->yield_m = -1;
        gi->state = kGRunnable;
        ++runnable_;
    }
    counters(mi.yield_ts);
}

void Converter::close_g(int64_t mid, int64_t ts, const char* why, const char* reason) {
    MInfo& mi = m(mid);
    close_syscall(mid, ts, "unknown");
    if (mi.g == 0) return;
    GInfo* gi = g(mi.g);
    if (gi != nullptr) {
        gi->last_m = mid;
        gi->last_stop = ts;
    }
    mi.g = 0;
    begin_ev("E", 1, mid, ts);
    out_->raw(",\"cat\":\"g\",\"args\":{\"stop\":\"");
    out_->raw(why);
    if (reason != nullptr) {
        out_->raw("\",\"reason\":\"");
        out_->str(reason);
    }
    out_->ch('"');
    if (mi.yields != 0) {
        out_->raw(",\"yields\":");
        out_->num(mi.yields);
        mi.yields = 0;
    }
    out_->raw("}}");
}

void Converter::open_p(int32_t p, int64_t mid, int64_t ts) {
    if (p < 0 || p >= procs_) return;
    if (p_holder_[p] >= 0) close_p(p, ts);
    p_holder_[p] = mid;
    ++held_;
    begin_ev("B", 2, p, ts);
    out_->raw(",\"cat\":\"p\",\"name\":\"M");
    out_->num(mid);
    out_->raw("\"}");
}

void Converter::close_p(int32_t p, int64_t ts) {
    if (p < 0 || p >= procs_ || p_holder_[p] < 0) return;
    p_holder_[p] = -1;
    --held_;
    begin_ev("E", 2, p, ts);
    out_->raw(",\"cat\":\"p\"}");
}

void Converter::syscall_name(const TraceEvent& e) {
    if (static_cast<int32_t>(e.x) == -1) {
        out_->raw("blocking_call");
        return;
    }
    const SyscallName* s = e.x < kMaxNr ? names_[e.x] : nullptr;
    if (s == nullptr) {
        out_->raw("syscall ");
        out_->num(e.x);
        return;
    }
    out_->raw(s->name);
    out_->ch('(');
    const uint64_t args[3] = {e.a, e.b, e.c};
    bool any = false;
    for (int i = 0; i < 3 && s->kinds[i] != '\0'; ++i) {
        const char k = s->kinds[i];
        if (k == 'p') continue;
        if (any) out_->raw(", ");
        any = true;
        if (k == 'f') out_->raw("fd ");
        if (k == 'x') {
            out_->raw("0x");
            bool digits = false;
            for (int sh = 60; sh >= 0; sh -= 4) {
                const unsigned d = static_cast<unsigned>(args[i] >> sh & 15);
                if (d == 0 && !digits && sh != 0) continue;
                digits = true;
                out_->ch("0123456789abcdef"[d]);
            }
        } else {
            out_->num(k == 'f' ? static_cast<int32_t>(args[i]) : static_cast<int64_t>(args[i]));
        }
    }
    out_->ch(')');
}

void Converter::dropped(int64_t mid, int64_t ts, uint32_t n) {
    if (m(mid).yield_g != 0) flush_yield(mid);  // its slice ended before
    instant(mid, ts, "trace", "dropped events");
    out_->raw(",\"args\":{\"count\":");
    out_->num(n);
    out_->raw("}}");
}

void Converter::event(int64_t mid, const TraceEvent& e) {
    const int64_t ts = e.ts;
    if (mid >= 0 && m(mid).yield_g != 0) {
        MInfo& mi = m(mid);
        if (e.type == evGoStart && static_cast<int64_t>(e.a) == mi.yield_g) {
            ++mi.yields;
            mi.yield_g = 0;
            if (GInfo* gi = g(static_cast<int64_t>(e.a))) gi->yield_m = -1;
            return;
        }
        flush_yield(mid);
    }
    switch (e.type) {
        case evGoInfo: {
            GInfo* gi = g(static_cast<int64_t>(e.a));
            if (gi == nullptr) break;
            gi->file = reinterpret_cast<const char*>(e.b);
            gi->line = e.x;
            if (e.arg8 == Grunnable) {
                gi->state = kGRunnable;
                ++runnable_;
            } else if (e.arg8 == Gwaiting || e.arg8 == Gsyscall) {
                gi->state = kGWaiting;
            }
            begin_ev("i", 1, 0, ts);  // global: no track of its own
            out_->raw(",\"s\":\"g\",\"cat\":\"sched\",\"name\":\"");
            name_g(gi, gi->goid);
            out_->raw(" exists\",\"args\":{\"goid\":");
            out_->num(gi->goid);
            out_->raw("}}");
            if (e.c != 0 && static_cast<size_t>(e.c - 1) < mcap_) open_g(static_cast<int64_t>(e.c - 1), ts, gi->goid);
            break;
        }
        case evProcInfo:
            if (static_cast<size_t>(e.a) < mcap_) open_p(static_cast<int32_t>(e.x), static_cast<int64_t>(e.a), ts);
            break;
        case evGoCreate: {
            GInfo* gi = g(static_cast<int64_t>(e.a));
            if (gi == nullptr) break;
            gi->file = reinterpret_cast<const char*>(e.b);
            gi->line = e.x;
            gi->state = kGRunnable;
            ++runnable_;
            instant(mid, ts, "sched", "go G", static_cast<int64_t>(e.a));
            out_->raw(",\"args\":{\"site\":\"");
            if (gi->file != nullptr) {
                out_->str(basename(gi->file));
                out_->ch(':');
                out_->num(gi->line);
            }
            out_->raw("\"}}");
            gi->flow = next_flow_++;
            flow("s", gi->flow, mid, ts, "ready");
            break;
        }
        case evGoStart: open_g(mid, ts, static_cast<int64_t>(e.a)); break;
        case evGoStop: {
            static const char* const why[] = {
                "park", "yield", "preempted", "preempted (signal)", "exit", "no P after syscall"};
            const char* w = e.x < sizeof why / sizeof why[0] ? why[e.x] : "stop";
            const char* reason = e.x == kStopPark ? reinterpret_cast<const char*>(e.b) : nullptr;
            if (e.x == kStopYield && m(mid).g == static_cast<int64_t>(e.a)) {
                m(mid).yield_g = m(mid).g;
                m(mid).yield_ts = ts;
                if (GInfo* gi = g(static_cast<int64_t>(e.a))) gi->yield_m = mid;
                return;  // written by the next event of this M, unless it resumes the G
            }
            close_g(mid, ts, w, reason);
            GInfo* gi = g(static_cast<int64_t>(e.a));
            if (gi == nullptr) break;
            if (e.x == kStopPark) {
                gi->state = kGWaiting;
            } else if (e.x == kStopExit) {
                gi->state = kGDead;
            } else {
                gi->state = kGRunnable;
                ++runnable_;
            }
            if (e.x == kStopSigPreempt) {
                instant(mid, ts, "preempt", "preempted G", static_cast<int64_t>(e.a));
                end_obj();
            }
            break;
        }
        case evGoUnblock: {
            GInfo* gi = g(static_cast<int64_t>(e.a));
            if (gi == nullptr) break;
            if (gi->state != kGRunnable) ++runnable_;
            gi->state = kGRunnable;
            gi->flow = next_flow_++;
            flow("s", gi->flow, mid, ts, "ready");
            break;
        }
        case evGoSyscall:
            close_syscall(mid, ts, "unknown");
            m(mid).syscall = true;
            ++insyscall_;
            begin_ev("B", 1, mid, ts);
            out_->raw(",\"cat\":\"syscall\",\"name\":\"");
            syscall_name(e);
            out_->raw("\",\"args\":{\"nr\":");
            out_->num(static_cast<int32_t>(e.x));
            out_->raw(e.arg8 != 0 ? ",\"flavour\":\"entersyscallblock\"}}" : ",\"flavour\":\"Syscall\"}}");
            break;
        case evGoSyscallEnd: {
            static const char* const ways[] = {"fast", "idle P", "slow"};
            close_syscall(mid, ts, e.x < 3 ? ways[e.x] : "unknown");
            break;
        }
        case evProcStart: open_p(static_cast<int32_t>(e.x), mid, ts); break;
        case evProcStop: close_p(static_cast<int32_t>(e.x), ts); break;
        case evProcHandoff:
            instant(mid, ts, "sched", "handoff P", e.x);
            end_obj();
            break;
        case evProcRetake:
            close_p(static_cast<int32_t>(e.x), ts);
            instant(mid, ts, "sched", "retake P", e.x);
            out_->raw(",\"args\":{\"p\":");
            out_->num(e.x);
            out_->raw(e.arg8 != 0 ? ",\"by\":\"standby M\"}}" : ",\"by\":\"sysmon\"}}");
            break;
        case evMStart:
            instant(mid, ts, "m", "M created");
            end_obj();
            break;
        case evMPark:
            instant(mid, ts, "m", "M parked");
            end_obj();
            break;
        case evMWake:
            instant(mid, ts, "m", "M woken");
            end_obj();
            break;
        case evMExit:
            close_g(mid, ts, "M exit", nullptr);
            instant(mid, ts, "m", "M exit");
            end_obj();
            break;
        case evSysmonPass:
            instant(mid, ts, "sysmon", "sysmon pass");
            out_->raw(",\"args\":{\"slept_us\":");
            out_->num(static_cast<int64_t>(e.a) < 0 ? -1 : static_cast<int64_t>(e.a) / 1000);
            out_->raw(e.x != 0 ? ",\"woken\":true}}" : ",\"woken\":false}}");
            break;
        case evNetpoll:
            instant(mid, ts, "netpoll", "netpoll");
            out_->raw(e.x != 0 ? ",\"args\":{\"block\":true,\"readied\":" : ",\"args\":{\"block\":false,\"readied\":");
            out_->num(static_cast<int64_t>(e.a));
            out_->raw("}}");
            break;
        case evTimers:
            instant(mid, ts, "timer", "timers fired");
            out_->raw(",\"args\":{\"count\":");
            out_->num(static_cast<int64_t>(e.a));
            out_->raw("}}");
            break;
        case evPreemptSignal:
            instant(mid, ts, "preempt", "preempt signal to M", static_cast<int64_t>(e.a));
            end_obj();
            break;
        case evUringSubmit:
            instant(mid, ts, "uring", "io_uring submit");
            out_->raw(",\"args\":{\"opcode\":");
            out_->num(static_cast<int64_t>(e.a));
            out_->raw(",\"goid\":");
            out_->num(static_cast<int64_t>(e.b));
            out_->raw(e.x != 0 ? ",\"deadline\":true}}" : ",\"deadline\":false}}");
            break;
        case evUringReap:
            instant(mid, ts, "uring", "io_uring reap");
            out_->raw(",\"args\":{\"completions\":");
            out_->num(static_cast<int64_t>(e.a));
            out_->raw("}}");
            break;
        case evRegionBegin:
        case evRegionEnd:
            begin_ev(e.type == evRegionBegin ? "B" : "E", 3, 1, ts);
            out_->raw(",\"cat\":\"region\",\"name\":\"");
            out_->str(reinterpret_cast<const char*>(e.b));
            out_->raw("\"}");
            break;
        default: break;
    }
    counters(ts);
}

void Converter::finish(int64_t end, uint64_t dropped_unsaved) {
    // Dropped after an M's last buffer: shown at the end, on no track.
    if (dropped_unsaved != 0) {
        begin_ev("i", 1, 0, end);
        out_->raw(",\"s\":\"g\",\"cat\":\"trace\",\"name\":\"dropped events\",\"args\":{\"count\":");
        out_->num(static_cast<int64_t>(dropped_unsaved));
        out_->raw("}}");
    }
    for (size_t i = 0; i < mcap_; ++i) {
        if (!ms_[i].seen) continue;
        if (ms_[i].yield_g != 0) flush_yield(static_cast<int64_t>(i));
        close_g(static_cast<int64_t>(i), end, "trace end", nullptr);
    }
    for (int32_t i = 0; i < procs_; ++i) close_p(i, end);
}

// ------------------------------------------------------------ the merge

// Ticks to the vDSO clock's nanoseconds, on the line through the two
// readings taken together (Go converts its cputicks the same way). A 32.32
// fixed-point rate: no floating point in the runtime.
class TickClock {
public:
    TickClock(int64_t ns0, uint64_t tick0, int64_t ns1, uint64_t tick1) : ns0_(ns0), tick0_(tick0) {
        uint64_t dt = tick1 > tick0 ? tick1 - tick0 : 1;
        uint64_t dns = ns1 > ns0 ? static_cast<uint64_t>(ns1 - ns0) : 0;
        // (dns << 32) / dt in 64-bit steps (a 128-bit division would want
        // libgcc): both halved until dt fits 32 bits, a loss below 2^-31.
        while (dt >> 32 != 0) {
            dt >>= 1;
            dns >>= 1;
        }
        rate_ = (dns / dt) << 32 | ((dns % dt) << 32) / dt;
    }
    int64_t ns(uint64_t tick) const {
        const __int128 d = static_cast<__int128>(tick) - static_cast<__int128>(tick0_);
        return ns0_ + static_cast<int64_t>(d * rate_ >> 32);
    }

private:
    int64_t ns0_;
    uint64_t tick0_;
    __int128 rate_;  // nanoseconds per tick, 32.32
};

// A min-heap of streams by their next event's time.
struct Heap {
    Stream* s;
    uint32_t* idx;
    uint32_t n;
    const Chunk* chunks;
    int64_t key(uint32_t k) const {
        const Stream& st = s[idx[k]];
        return chunks[st.chunk].ev[st.i].ts;
    }
    void down(uint32_t k) {
        for (;;) {
            uint32_t l = 2 * k + 1, m = k;
            if (l < n && key(l) < key(m)) m = l;
            if (l + 1 < n && key(l + 1) < key(m)) m = l + 1;
            if (m == k) return;
            const uint32_t t = idx[k];
            idx[k] = idx[m];
            idx[m] = t;
            k = m;
        }
    }
};

void sort_chunks(Chunk* c, size_t n) {  // Shell sort: no recursion, no allocation
    for (size_t gap = n / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < n; ++i) {
            const Chunk t = c[i];
            size_t j = i;
            for (; j >= gap && chunk_before(t, c[j - gap]); j -= gap) c[j] = c[j - gap];
            c[j] = t;
        }
}

}  // namespace

sys::Result<void> trace_write_json() {
    const size_t bytes = tw.scratch_bytes;
    const char* base = nullptr;
    if (bytes != 0) {
        auto mem = sys::raw::mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, tw.scratch_fd, 0);
        if (!mem.ok()) return mem.error();
        base = static_cast<const char*>(mem.value());
    }
    // The chunks: count, then index them.
    size_t nchunks = 0;
    for (size_t off = 0; off < bytes;) {
        const auto* h = reinterpret_cast<const TraceBuf*>(base + off);
        off += sizeof(TraceBuf) + h->n.load(std::memory_order_relaxed) * sizeof(TraceEvent);
        ++nchunks;
    }
    Chunk* chunks = map_array<Chunk>(nchunks);
    Stream* streams = map_array<Stream>(nchunks);
    uint32_t* heap_idx = map_array<uint32_t>(nchunks);
    static Json out;  // 64 KiB: not on the writer's stack
    out.reset(tw.out_fd);
    sys::Result<void> result = {};
    if (chunks == nullptr || streams == nullptr || heap_idx == nullptr) {
        result = sys::Errno(ENOMEM);
    } else {
        // The Ms: those that recorded, and those the snapshot found running
        // a G or holding a P.
        auto referenced = [](const TraceEvent& e) -> int64_t {
            if (e.type == evGoInfo && e.c != 0) return static_cast<int64_t>(e.c - 1);
            if (e.type == evProcInfo) return static_cast<int64_t>(e.a);
            return -1;
        };
        int64_t max_mid = 0;
        uint64_t nevents = 0, dropped = tw.dropped_unsaved;
        size_t k = 0;
        for (size_t off = 0; off < bytes; ++k) {
            const auto* h = reinterpret_cast<const TraceBuf*>(base + off);
            const uint32_t n = h->n.load(std::memory_order_relaxed);
            chunks[k] = {h->mid, h->seq, h->dropped, n,
                         reinterpret_cast<const TraceEvent*>(base + off + sizeof(TraceBuf))};
            off += sizeof(TraceBuf) + n * sizeof(TraceEvent);
            if (h->mid > max_mid) max_mid = h->mid;
            for (uint32_t j = 0; j < n; ++j)
                if (referenced(chunks[k].ev[j]) > max_mid) max_mid = referenced(chunks[k].ev[j]);
            nevents += n;
            dropped += h->dropped;
        }
        sort_chunks(chunks, nchunks);
        uint32_t nstreams = 0;
        for (size_t i = 0; i < nchunks; ++i)
            if (i == 0 || chunks[i].mid != chunks[i - 1].mid)
                streams[nstreams++] = {static_cast<uint32_t>(i), static_cast<uint32_t>(i), 0};
        for (uint32_t s = 0; s < nstreams; ++s) {
            uint32_t e = streams[s].chunk;
            while (e < nchunks && chunks[e].mid == chunks[streams[s].chunk].mid) ++e;
            streams[s].end = e;
        }
        auto* conv = map_array<Converter>(1);
        if (conv == nullptr ||
            !(::new (conv) Converter(&out, tw.start_ns, sched.gomaxprocs))->init(max_mid, nevents / 8)) {
            result = sys::Errno(ENOMEM);
        } else {
            for (size_t i = 0; i < nchunks; ++i) {
                const bool on_m = chunks[i].mid >= 0;  // -1: the snapshot's
                if (on_m) conv->m(chunks[i].mid).seen = true;
                for (uint32_t j = 0; j < chunks[i].n; ++j) {
                    if (on_m && chunks[i].ev[j].type == evSysmonPass) conv->m(chunks[i].mid).sysmon = true;
                    if (const int64_t r = referenced(chunks[i].ev[j]); r >= 0) conv->m(r).seen = true;
                }
            }
            out.raw("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"producer\":\"rawrt\",\"arch\":\"");
#if defined(__x86_64__)
            out.raw("x86_64");
#else
            out.raw("aarch64");
#endif
            out.raw("\",\"procs\":");
            out.num(sched.gomaxprocs);
            out.raw(",\"events\":");
            out.num(static_cast<int64_t>(nevents));
            out.raw(",\"dropped_events\":");
            out.num(static_cast<int64_t>(dropped));
            out.raw("},\n\"traceEvents\":[");
            conv->metadata();
            Heap heap{streams, heap_idx, 0, chunks};
            for (uint32_t s = 0; s < nstreams; ++s)
                if (chunks[streams[s].chunk].n != 0) heap.idx[heap.n++] = s;
            for (uint32_t i = heap.n / 2; i-- > 0;) heap.down(i);
            const TickClock clock(tw.start_ns, tw.start_tick, tw.end_ns, tw.end_tick);
            int64_t last = tw.start_ns;
            while (heap.n != 0) {
                Stream& st = streams[heap.idx[0]];
                const Chunk& c = chunks[st.chunk];
                TraceEvent e = c.ev[st.i];
                e.ts = clock.ns(static_cast<uint64_t>(e.ts));
                if (st.i == 0 && c.dropped != 0) conv->dropped(c.mid, e.ts, c.dropped);
                if (e.ts > last) last = e.ts;
                conv->event(c.mid, e);
                if (++st.i == c.n) {
                    st.i = 0;
                    // The next non-empty chunk of this M, or the stream is done.
                    do ++st.chunk;
                    while (st.chunk < st.end && chunks[st.chunk].n == 0);
                    if (st.chunk == st.end) heap.idx[0] = heap.idx[--heap.n];
                }
                if (heap.n != 0) heap.down(0);
            }
            conv->finish(last, tw.dropped_unsaved);
            out.raw("\n]}\n");
            out.flush();
            if (out.error() != 0) result = sys::Errno(out.error());
            conv->~Converter();
        }
        unmap_array(conv, 1);
    }
    unmap_array(chunks, nchunks);
    unmap_array(streams, nchunks);
    unmap_array(heap_idx, nchunks);
    if (base != nullptr) (void)sys::raw::munmap(const_cast<char*>(base), bytes);
    return result;
}

}  // namespace rawrt::sched
