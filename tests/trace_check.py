#!/usr/bin/env python3
"""Checks a trace rawrt wrote (sched/trace.hpp); the tests in
tests/trace_test.cpp run it.

    trace_check.py check FILE          the file's structure (below); prints a summary
    trace_check.py scenario3 FILE G    seed scenario 3 for G, in order (prints the steps)
    trace_check.py migrate FILE G      G resumed on another M, with a flow that shows it
    trace_check.py dropped FILE        the dropped-event count, then the instants that show it

check: valid JSON in Chrome's trace-event shape; every B has its E on its
track, in order; timestamps never go back on a track (flows excepted: their
start binds to a slice that ended); every G slice is of a G the trace made
or found; every flow end has its start. Exit status 0 when all holds.
"""

import json
import re
import sys


def fail(msg):
    print("trace_check: " + msg)
    sys.exit(1)


def load(path):
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: not JSON: {e}")
    if not isinstance(d, dict) or not isinstance(d.get("traceEvents"), list):
        fail(f"{path}: no traceEvents list")
    return d


def check(d):
    tracks, last, known, flows_s, nslices = {}, {}, set(), set(), 0
    names = {(e["pid"], e["tid"]) for e in d["traceEvents"] if e.get("ph") == "M" and e.get("name") == "thread_name"}
    for n, e in enumerate(d["traceEvents"]):
        ph = e.get("ph")
        if ph not in ("M", "B", "E", "i", "C", "s", "f"):
            fail(f"event {n}: unknown ph {ph!r}")
        if not isinstance(e.get("pid"), int) or not isinstance(e.get("tid"), int):
            fail(f"event {n}: no pid/tid")
        if ph == "M":
            continue
        ts = e.get("ts")
        if not isinstance(ts, (int, float)) or ts < 0:
            fail(f"event {n}: bad ts {ts!r}")
        key = (e["pid"], e["tid"]) if ph != "C" else ("C", e["name"])
        if ph in ("B", "E") or (ph == "i" and e.get("s") == "t") or ph == "C":
            if ts < last.get(key, 0):
                fail(f"event {n}: ts {ts} goes back on track {key} (last {last[key]})")
            last[key] = ts
        if ph == "i":
            m = re.match(r"(?:go G(\d+)$|G(\d+)\b.* exists$)", e["name"])
            if m:
                known.add(int(m.group(1) or m.group(2)))
        elif ph == "B":
            if (e["pid"], e["tid"]) not in names:
                fail(f"event {n}: slice on a track with no thread_name: {key}")
            if e.get("cat") == "g":
                goid = e["args"]["goid"]
                if goid not in known:
                    fail(f"event {n}: slice of G{goid}, which the trace never made nor found")
            tracks.setdefault(key, []).append(e)
            nslices += 1
        elif ph == "E":
            stack = tracks.get(key)
            if not stack:
                fail(f"event {n}: E without a B on {key}")
            b = stack.pop()
            if b.get("cat") != e.get("cat"):
                fail(f"event {n}: E of {e.get('cat')} closes a B of {b.get('cat')} ({b.get('name')}) on {key}")
        elif ph == "s":
            flows_s.add(e["id"])
        elif ph == "f" and e["id"] not in flows_s:
            fail(f"event {n}: a flow end (id {e['id']}) with no start")
    for key, stack in tracks.items():
        if stack:
            fail(f"track {key}: {len(stack)} slice(s) never ended, first {stack[0].get('name')}")
    od = d.get("otherData", {})
    print(f"ok events={len(d['traceEvents'])} slices={nslices} gs={len(known)} flows={len(flows_s)} "
          f"dropped={od.get('dropped_events')}")


def slices(d):
    """(pid, tid, B event, E event) for every slice."""
    open_, out = {}, []
    for e in d["traceEvents"]:
        key = (e.get("pid"), e.get("tid"))
        if e.get("ph") == "B":
            open_.setdefault(key, []).append(e)
        elif e.get("ph") == "E":
            b = open_[key].pop()
            out.append((key[0], key[1], b, e))
    return out


def scenario3(d, goid):
    ss = slices(d)
    gsl = [s for s in ss if s[2].get("cat") == "g" and s[2]["args"]["goid"] == goid]
    reads = [s for s in ss if s[2].get("cat") == "syscall" and s[2]["name"].startswith("read(")
             and any(g[1] == s[1] and g[2]["ts"] <= s[2]["ts"] <= g[3]["ts"] for g in gsl)]
    if not reads:
        fail(f"no read( syscall slice inside a slice of G{goid}")
    pid, m1, b, e = reads[0]
    print(f"1. G{goid} enters {b['name']} on M{m1} at {b['ts']}")
    retakes = [x for x in d["traceEvents"] if x.get("ph") == "i" and x["name"].startswith("retake P")
               and b["ts"] <= x["ts"] <= e["ts"]]
    if not retakes:
        fail("no retake of a P while the read blocked")
    r = retakes[0]
    print(f"2. {r['name']} by {r['args']['by']} (M{r['tid']}) at {r['ts']}")
    others = [s for s in ss if s[2].get("cat") == "g" and s[1] != m1 and s[2]["args"]["goid"] != goid
              and r["ts"] <= s[2]["ts"] <= e["ts"]]
    if not others:
        fail("no other G ran on another M while the read blocked")
    print(f"3. M{others[0][1]} runs {others[0][2]['name']} at {others[0][2]['ts']} (and {len(others) - 1} more)")
    if e["args"].get("exit") != "slow":
        fail(f"the read ended by the {e['args'].get('exit')!r} way, not the slow path")
    print(f"4. the read returns at {e['ts']}: exit {e['args']['exit']}")
    later = [s for s in gsl if s[2]["ts"] >= e["ts"]]
    if not later:
        fail(f"G{goid} never ran again after its read")
    print(f"5. G{goid} runs again on M{later[0][1]} at {later[0][2]['ts']}")


def migrate(d, goid):
    ss = [s for s in slices(d) if s[2].get("cat") == "g" and s[2]["args"]["goid"] == goid]
    ss.sort(key=lambda s: s[2]["ts"])
    starts = {}
    for e in d["traceEvents"]:
        if e.get("ph") == "s" and e.get("name") == "migrate":
            starts[e["id"]] = e
    for prev, cur in zip(ss, ss[1:]):
        if prev[1] == cur[1]:
            continue
        for e in d["traceEvents"]:
            if (e.get("ph") == "f" and e.get("name") == "migrate" and e["tid"] == cur[1]
                    and e["ts"] == cur[2]["ts"] and e["id"] in starts and starts[e["id"]]["tid"] == prev[1]):
                print(f"G{goid}: M{prev[1]} -> M{cur[1]} at {cur[2]['ts']}, flow {e['id']}")
                return
        fail(f"G{goid} moved from M{prev[1]} to M{cur[1]} at {cur[2]['ts']} with no migrate flow")
    fail(f"G{goid} never moved between Ms in the trace")


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    d = load(sys.argv[2])
    cmd = sys.argv[1]
    if cmd == "check":
        check(d)
    elif cmd == "scenario3":
        scenario3(d, int(sys.argv[3]))
    elif cmd == "migrate":
        migrate(d, int(sys.argv[3]))
    elif cmd == "dropped":
        shown = sum(e["args"]["count"] for e in d["traceEvents"] if e.get("name") == "dropped events")
        print(d["otherData"]["dropped_events"], shown)
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
