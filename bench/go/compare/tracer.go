package main

// The execution tracer's cost (sched/trace.hpp, issue 19): rawrt against
// itself, so no Go column. With no trace on, the event sites must cost
// under 2 %: the runtime as built against one built with the tracer
// compiled out (make NOTRACE=1). mk/bench runs the two builds' benchmark
// binaries in turn over several rounds (-tracer-in, -tracer-out: one JSON
// file per round) and each figure here is the median of its rounds; echo's
// come from netbench, whose cases of the two builds run back to back. With
// a trace on: BM_trace_event's ns per event, and echo served while tracing
// against echo served with no trace.

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Where one figure comes from: "in" (the tracer compiled in, no trace on),
// "out" (compiled out), "rawrt" (the main run) or "net" (net.json).
type tracerSide struct {
	from, name string
}

type tracerRow struct {
	name               string
	measured, baseline tracerSide
	unit, target       string
}

var tracerRows = []tracerRow{
	{"gosched 1p: tracing off / compiled out", tracerSide{"in", "BM_gosched_1p"}, tracerSide{"out", "BM_gosched_1p"}, "ns", "≤ 1.02"},
	{"chan ping-pong 1p: tracing off / compiled out", tracerSide{"in", "BM_chan_pingpong_1p"}, tracerSide{"out", "BM_chan_pingpong_1p"}, "ns", "≤ 1.02"},
	{"getpid Syscall: tracing off / compiled out", tracerSide{"in", "BM_getpid_blocking"}, tracerSide{"out", "BM_getpid_blocking"}, "ns", "≤ 1.02"},
	// What getpid's row holds of the tracer: its two sites, with no syscall
	// (a getpid's own time varies by more than they cost).
	{"enter+exit alone: tracing off / compiled out", tracerSide{"in", "BM_entersyscall_exitsyscall"}, tracerSide{"out", "BM_entersyscall_exitsyscall"}, "ns", "none set"},
	{"echo 1p: tracing off / compiled out", tracerSide{"net", "echo_rawrt_1p"}, tracerSide{"net", "echo_rawrt_notrace_1p"}, "req/s", "≥ 0.98"},
	{"echo 2p: tracing off / compiled out", tracerSide{"net", "echo_rawrt_2p"}, tracerSide{"net", "echo_rawrt_notrace_2p"}, "req/s", "≥ 0.98"},
	{"echo 1p: tracing on / off", tracerSide{"net", "echo_rawrt_traced_1p"}, tracerSide{"net", "echo_rawrt_1p"}, "req/s", "≥ 0.8"},
	{"echo 2p: tracing on / off", tracerSide{"net", "echo_rawrt_traced_2p"}, tracerSide{"net", "echo_rawrt_2p"}, "req/s", "≥ 0.8"},
	{"one event recorded: tracing on / off", tracerSide{"rawrt", "BM_trace_event"}, tracerSide{"rawrt", "BM_trace_event_off"}, "ns", "rawrt ≤ 30 ns"},
}

type tracerOutRow struct {
	Row           string   `json:"row"`
	Measured      *float64 `json:"measured"`
	MeasuredFrom  string   `json:"measured_from"`
	Baseline      *float64 `json:"baseline"`
	BaselineFrom  string   `json:"baseline_from"`
	Unit          string   `json:"unit"`
	Ratio         *float64 `json:"ratio_measured_over_baseline"`
	Target        string   `json:"target"`
	Met           string   `json:"met,omitempty"`
	MeasuredState string   `json:"measured_status"`
	BaselineState string   `json:"baseline_status"`
}

// The rounds of one build: each benchmark's times, one per round it ran in.
type rounds map[string][]entry

// Unreadable files are left out (their rows then print "not run"); the
// first error is returned.
func loadRounds(paths []string) (rounds, error) {
	r := rounds{}
	var first error
	for _, p := range paths {
		res, err := load(p)
		if err != nil && first == nil {
			first = err
		}
		for name, e := range res {
			r[name] = append(r[name], e)
		}
	}
	return r, first
}

// The median over the rounds of a benchmark's real time, in ns.
func (r rounds) median(name string) (*float64, string) {
	es, ok := r[name]
	if !ok {
		return nil, "not run"
	}
	var v []float64
	for _, e := range es {
		if scale, ok := nsPerUnit[e.TimeUnit]; ok && !e.ErrorOccurred {
			v = append(v, e.RealTime*scale)
		}
	}
	if len(v) == 0 {
		return nil, "error"
	}
	sort.Float64s(v)
	m := v[len(v)/2]
	if len(v)%2 == 0 {
		m = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return &m, "ok"
}

type tracerInputs struct {
	in, out rounds
	rawrt   results
	net     map[string]netResult
}

func (t tracerInputs) value(s tracerSide) (*float64, string) {
	switch s.from {
	case "in":
		return t.in.median(s.name)
	case "out":
		return t.out.median(s.name)
	case "net":
		return netValue(t.net, s.name, "req_per_s")
	}
	v, why := t.rawrt.value(ns(s.name))
	if why != "" {
		return nil, why
	}
	return &v, "ok"
}

func (s tracerSide) label() string {
	what := map[string]string{"in": "tracer in", "out": "compiled out", "rawrt": "main run", "net": "netbench"}[s.from]
	return s.name + " (" + what + ")"
}

func buildTracer(t tracerInputs) []tracerOutRow {
	var out []tracerOutRow
	for _, r := range tracerRows {
		o := tracerOutRow{Row: r.name, MeasuredFrom: r.measured.label(), BaselineFrom: r.baseline.label(),
			Unit: r.unit, Target: r.target}
		o.Measured, o.MeasuredState = t.value(r.measured)
		o.Baseline, o.BaselineState = t.value(r.baseline)
		o.Ratio = ratioOf(o.Measured, o.Baseline)
		if o.Ratio != nil {
			o.Met = met(r.target, *o.Ratio, *o.Measured)
		}
		out = append(out, o)
	}
	return out
}

func tracerTable(out []tracerOutRow) [][]string {
	cells := [][]string{{"row", "measured", "baseline", "unit", "ratio", "target", "met"}}
	for _, o := range out {
		ratio := "—"
		if o.Ratio != nil {
			ratio = strconv.FormatFloat(*o.Ratio, 'f', 3, 64)
		}
		cells = append(cells, []string{o.Row, figure(o.Measured, o.MeasuredState), figure(o.Baseline, o.BaselineState),
			o.Unit, ratio, o.Target, o.Met})
	}
	return cells
}

func writeTracerSection(w io.Writer, in, out []string, cells [][]string) {
	fmt.Fprintf(w, "\n## The tracer's cost\n\nrawrt against itself (sched/trace.hpp). Tracing off / compiled out: "+
		"the runtime as built against one built with the tracer compiled out (make NOTRACE=1), each benchmark "+
		"figure the median of %d round(s) of the two builds run in turn (%s; %s); echo from netbench, "+
		"the two builds' servers measured back to back. Tracing on: BM_trace_event, ns per event a G records "+
		"(the measured figure is bounded), and echo with RAWRT_TRACE set. Ratio = measured/baseline: for ns "+
		"the slowdown, for req/s the throughput kept. Nothing here is asserted.\n\n",
		larger(len(in), len(out)), fileList(in), fileList(out))
	writeMarkdownCols(w, cells, map[int]bool{1: true, 2: true, 4: true})
}

func fileList(paths []string) string {
	if len(paths) == 0 {
		return "no files"
	}
	return "`" + strings.Join(paths, "`, `") + "`"
}

func larger(a, b int) int {
	if a > b {
		return a
	}
	return b
}
