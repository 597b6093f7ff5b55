# Reads a rawrt trace (Chrome trace-event JSON, as the runtime writes it for
# RAWRT_TRACE; docs/trace.md) into what mk/trace-render draws: slices per
# track, instants, counters, flows, track names and the "scenario 3" region.
#
# A file that is not such a trace raises NotATrace with the reason: not JSON,
# no traceEvents list, an event without its fields, an end with no begin, a
# begin with no end, or an end of another category than the begin it closes
# (a G's slice ended inside its syscall's) on a track. A picture drawn from a half-broken trace
# would hide the recorder's bug instead of showing it.

import json
import math
from dataclasses import dataclass, field

PID_MS, PID_PS, PID_REGIONS = 1, 2, 3
TIMED_PHASES = {"B", "E", "X", "i", "I", "C", "s", "t", "f"}


class NotATrace(Exception):
    pass


@dataclass
class Slice:
    pid: int
    tid: int
    start: float  # µs since the trace's start
    end: float
    name: str
    cat: str
    depth: int  # 0 for a track's outer slice, 1 for one nested in it
    args: dict  # the begin's args, then the end's on top (a syscall's exit)

    @property
    def kind(self):
        """On an M's track, "g" or "syscall": by category, else by nesting
        (a G's slice holds its syscalls)."""
        if self.cat in ("g", "syscall"):
            return self.cat
        return "g" if self.depth == 0 else "syscall"


@dataclass
class Instant:
    pid: int
    tid: int
    ts: float
    name: str
    cat: str
    args: dict


@dataclass
class Flow:
    name: str
    start: tuple  # (ts, pid, tid)
    end: tuple


@dataclass
class Trace:
    other: dict
    process_names: dict = field(default_factory=dict)  # pid -> name
    thread_names: dict = field(default_factory=dict)  # (pid, tid) -> name
    slices: list = field(default_factory=list)
    instants: list = field(default_factory=list)
    counters: dict = field(default_factory=dict)  # name -> [(ts, value)], by time
    flows: list = field(default_factory=list)
    first_ts: float = 0.0
    last_ts: float = 0.0

    def region(self, name):
        """The (start, end) of the first region slice of that name, or None."""
        for s in self.slices:
            if s.pid == PID_REGIONS and s.name == name:
                return s.start, s.end
        return None

    def track_name(self, pid, tid):
        if (pid, tid) in self.thread_names:
            return self.thread_names[(pid, tid)]
        return ("M%d" if pid == PID_MS else "P%d" if pid == PID_PS else "track %d") % tid


def _number(event, key, index):
    value = event.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise NotATrace("event %d (ph %r) has no numeric %r" % (index, event.get("ph"), key))
    return value


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise NotATrace("cannot read it: %s" % e.strerror)
    except (ValueError, UnicodeDecodeError) as e:
        raise NotATrace("not JSON: %s" % e)
    return parse(doc)


def parse(doc):
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        raise NotATrace("no traceEvents list at the top level")
    other = doc.get("otherData") if isinstance(doc.get("otherData"), dict) else {}
    trace = Trace(other=other)

    # Events are grouped by track and ordered by time there; a stable sort
    # keeps the file's order for equal timestamps, which is the order the
    # recording M wrote them in.
    per_track = {}
    flow_ends = {}
    times = []
    for index, event in enumerate(doc["traceEvents"]):
        if not isinstance(event, dict) or not isinstance(event.get("ph"), str):
            raise NotATrace("event %d is not an object with a ph" % index)
        ph = event["ph"]
        if ph == "M":
            _metadata(trace, event)
            continue
        if ph not in TIMED_PHASES:
            continue  # a phase this drawing has no use for (Chrome has more)
        ts = _number(event, "ts", index)
        pid = int(_number(event, "pid", index))
        tid = int(event.get("tid", 0)) if isinstance(event.get("tid", 0), (int, float)) else 0
        times.append(ts)
        if ph in ("B", "E", "X"):
            per_track.setdefault((pid, tid), []).append((ts, index, event))
            if ph == "X":
                times.append(ts + _number(event, "dur", index))
        elif ph in ("i", "I"):
            trace.instants.append(Instant(pid, tid, ts, str(event.get("name", "")), str(event.get("cat", "")),
                                          _args(event)))
        elif ph == "C":
            for key, value in _args(event).items():
                if isinstance(value, (int, float)):
                    name = str(event.get("name", "")) + ("" if key == "value" else " " + key)
                    trace.counters.setdefault(name, []).append((ts, value))
        else:
            flow_ends.setdefault(event.get("id"), []).append((ph, ts, pid, tid, str(event.get("name", ""))))

    for (pid, tid), events in per_track.items():
        _pair(trace, pid, tid, sorted(events, key=lambda e: e[0]))
    for points in trace.counters.values():
        points.sort(key=lambda p: p[0])
    for ends in flow_ends.values():
        start = next((e for e in ends if e[0] == "s"), None)
        finish = next((e for e in ends if e[0] == "f"), None)
        if start and finish:
            trace.flows.append(Flow(start[4], start[1:4], finish[1:4]))
    if times:
        trace.first_ts, trace.last_ts = min(times), max(times)
    trace.instants.sort(key=lambda i: i.ts)
    return trace


def _args(event):
    return event["args"] if isinstance(event.get("args"), dict) else {}


def _metadata(trace, event):
    name = _args(event).get("name")
    if not isinstance(name, str):
        return
    pid = event.get("pid", 0)
    if event.get("name") == "process_name":
        trace.process_names[pid] = name
    elif event.get("name") == "thread_name":
        trace.thread_names[(pid, event.get("tid", 0))] = name


def _pair(trace, pid, tid, events):
    where = "pid %d tid %d" % (pid, tid)
    stack = []
    for ts, index, event in events:
        ph = event["ph"]
        if ph == "X":
            trace.slices.append(Slice(pid, tid, ts, ts + event["dur"], str(event.get("name", "")),
                                      str(event.get("cat", "")), len(stack), dict(_args(event))))
        elif ph == "B":
            stack.append((ts, event))
        else:
            if not stack:
                raise NotATrace("event %d: an end with no begin on %s at %g µs" % (index, where, ts))
            start, begin = stack.pop()
            if event.get("cat") and begin.get("cat") and event["cat"] != begin["cat"]:
                raise NotATrace("event %d: the end of a %r slice closes a %r one (%r) on %s at %g µs" % (
                    index, event["cat"], begin["cat"], begin.get("name"), where, ts))
            args = dict(_args(begin))
            args.update(_args(event))
            trace.slices.append(Slice(pid, tid, start, ts, str(begin.get("name", "")), str(begin.get("cat", "")),
                                      len(stack), args))
    if stack:
        start, begin = stack[-1]
        raise NotATrace("a begin with no end on %s: %r at %g µs" % (where, begin.get("name"), start))
