// RAWRT_DEBUG, read into the scheduler's tunables when a run starts (Go:
// GODEBUG's parsedebugvars, runtime/runtime1.go). sched/debug.hpp lists them.

#include "sched/debug.hpp"

#include "sys/calls.hpp"
#include "sys/parse.hpp"
#include "sys/print.hpp"
#include "sys/process.hpp"

namespace rawrt::sched {

DebugVars debug;

namespace {

bool same(const char* a, const char* a_end, const char* b) {
    for (; a != a_end; ++a, ++b)
        if (*b == '\0' || *a != *b) return false;
    return *b == '\0';
}

void apply(const char* name, const char* name_end, const char* value, const char* end) {
    const int64_t n = sys::parse_decimal(value, end, 1'000'000'000'000);
    struct Setting {
        const char* name;
        int64_t min;
        void (*set)(int64_t);
    };
    static const Setting settings[] = {
        {"schedtrace", 0, [](int64_t v) { debug.schedtrace_ms = v; }},
        {"scheddetail", 0, [](int64_t v) { debug.scheddetail = v != 0; }},
        {"sysmonmin", 1, [](int64_t v) { debug.sysmon_min_ns = v * 1000; }},
        {"sysmonmax", 1, [](int64_t v) { debug.sysmon_max_ns = v * 1000; }},
        {"sysmonidle", 0, [](int64_t v) { debug.sysmon_idle_passes = static_cast<uint32_t>(v); }},
        {"sysmon_prompt", 0, [](int64_t v) { debug.sysmon_prompt = v != 0; }},
        {"sysmonstandby", 0, [](int64_t v) { debug.sysmon_standby = v != 0; }},
        {"retake", 0, [](int64_t v) { debug.retake_ns = v * 1000; }},
        {"retakepace", 0, [](int64_t v) { debug.retake_pace_ns = v * 1000; }},
        {"preempt", kMinPreemptUs, [](int64_t v) { debug.forcepreempt_ns = v * 1000; }},
        {"asyncpreempt", 0, [](int64_t v) { debug.asyncpreempt = v != 0; }},
        {"uring", 0, [](int64_t v) { debug.uring = v != 0; }},
        {"uringentries", 1, [](int64_t v) { debug.uring_entries = v; }},
        {"uringworkers", 1, [](int64_t v) { debug.uring_workers = v; }},
        {"uringregfd", 0, [](int64_t v) { debug.uring_regfd = v != 0; }},
        {"netpoll", 1, [](int64_t v) { debug.netpoll_ns = v * 1000; }},
        {"mretire", 0, [](int64_t v) { debug.mretire_ns = v * 1'000'000; }},
        {"tracebuf", 1024, [](int64_t v) { debug.tracebuf_bytes = v; }},
        {"tracebufs", 1, [](int64_t v) { debug.tracebufs = v; }},
        {"membarrier", 0, [](int64_t v) { debug.membarrier = v != 0; }},
    };
    for (const Setting& s : settings) {
        if (!same(name, name_end, s.name)) continue;
        if (n < s.min) {
            sys::fdprint(2, "rawrt: RAWRT_DEBUG: ", s.name, " wants a number >= ", s.min, "; ignored\n");
            return;
        }
        s.set(n);
        return;
    }
    sys::fdprint(2, "rawrt: RAWRT_DEBUG: unknown setting \"");
    (void)sys::raw::write(2, name, static_cast<size_t>(name_end - name));
    sys::fdprint(2, "\"; ignored\n");
}

// "name=value,name=value".
void parse(const char* s) {
    if (s == nullptr) return;
    while (*s != '\0') {
        const char* item = s;
        while (*s != '\0' && *s != ',') ++s;
        const char* eq = item;
        while (eq != s && *eq != '=') ++eq;
        if (eq != item) apply(item, eq, eq == s ? s : eq + 1, s);
        if (*s == ',') ++s;
    }
}

}  // namespace

void parsedebugvars(const char* config) {
    debug = DebugVars{};
    parse(sys::getenv("RAWRT_DEBUG"));
    set_debug_vars(config);
}

void set_debug_vars(const char* settings) {
    parse(settings);
    if (debug.sysmon_max_ns < debug.sysmon_min_ns) debug.sysmon_max_ns = debug.sysmon_min_ns;
}

}  // namespace rawrt::sched
