// Command compare puts rawrt's benchmarks beside Go's: it reads the two
// Google Benchmark JSON files of one `make bench` run (rawrt's suite and
// bench/go/gobench) and prints one table, row by row, with the ratio
// rawrt/Go and its target. Only ratios taken in one
// run mean anything on a noisy machine, so nothing is ever asserted here: a
// row whose benchmark did not run says so and the command still succeeds.
//
// With -net, a second table holds the network servers (bench/go/netbench):
// rawrt, Go and the C loop side by side, with rawrt/Go and rawrt/C. With
// -threads, a third holds the thread counts of the seed's workloads A–E
// and the fsync storm F (bench/go/threadbench). With -tracer-in and -tracer-out, a fourth holds
// the execution tracer's cost (tracer.go).
//
//	compare -rawrt rawrt.json -go go.json [-net net.json] [-threads threads.json]
//	        [-tracer-in in.1.json,in.2.json -tracer-out out.1.json,out.2.json]
//	        [-md compare.md] [-json compare.json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// side says where one column's figure comes from: a benchmark's real_time
// in ns, or one of its user counters; minus, if set, is a benchmark of the
// same file whose figure is subtracted (an overhead over a baseline).
type side struct {
	bench   string
	counter string // "" = real_time, in ns
	unit    string
	minus   string
}

func ns(bench string) side { return side{bench: bench, unit: "ns"} }

func overNS(bench, baseline string) side { return side{bench: bench, unit: "ns", minus: baseline} }

func counter(bench, name, unit string) side { return side{bench: bench, counter: name, unit: unit} }

// target is "≤ X" or "≥ X" on the ratio rawrt/Go, or "rawrt ≤ X" on
// rawrt's own figure (in the row's unit), or several of them joined by
// ", "; the table says whether this run met them all. Other text is shown
// as is (a clause that is neither is only read).
type row struct {
	name   string
	rawrt  side
	golang side
	target string
}

// One line per row, in the order of the table.
var rows = []row{
	{"getpid raw", ns("BM_getpid_stub"), ns("BM_go_getpid_RawSyscall"), "none set"},
	{"getpid Syscall", ns("BM_getpid_blocking"), ns("BM_go_getpid_Syscall"), "none set"},
	{"syscall enter+exit", overNS("BM_getpid_blocking", "BM_getpid_stub"), overNS("BM_go_getpid_Syscall", "BM_go_getpid_RawSyscall"), "≤ 0.25, rawrt ≤ 10 ns"},
	{"syscall enter+exit, interleaved", counter("BM_getpid_interleaved", "enter_exit_ns", "ns"), counter("BM_go_getpid_interleaved", "enter_exit_ns", "ns"), "≤ 0.25, rawrt ≤ 10 ns"},
	{"enter+exit alone", ns("BM_entersyscall_exitsyscall"), ns("BM_go_entersyscall_exitsyscall"), "≤ 0.25, rawrt ≤ 10 ns"},
	{"clock_gettime", ns("BM_clock_gettime_vdso"), ns("BM_go_time_Since"), "none set"},
	{"clock nanotime", ns("BM_clock_gettime_vdso"), ns("BM_go_nanotime"), "none set"},
	{"gosched", ns("BM_gosched_1p"), ns("BM_go_gosched_1p"), "≤ 0.5"},
	{"chan 1p", ns("BM_chan_pingpong_1p"), ns("BM_go_chan_pingpong_1p"), "≤ 0.5"},
	{"chan 2p", ns("BM_chan_pingpong_2p"), ns("BM_go_chan_pingpong_2p"), "≤ 0.5"},
	{"spawn_join", ns("BM_spawn_join"), ns("BM_go_spawn_join"), "≤ 0.5"},
	{"mutex_handoff", ns("BM_mutex_handoff"), ns("BM_go_mutex_handoff"), "none set"},
	{"sleep_wakeup", ns("BM_sleep_wakeup"), ns("BM_go_sleep_wakeup"), "none set"},
	{"sleep 100 µs, 1 P: slept", counter("BM_sleep_100us/1", "slept_us", "µs"), counter("BM_go_sleep_100us/1", "slept_us", "µs"), "rawrt ≤ 120 µs"},
	{"sleep 100 µs, 2 Ps: slept", counter("BM_sleep_100us/2", "slept_us", "µs"), counter("BM_go_sleep_100us/2", "slept_us", "µs"), "rawrt ≤ 120 µs"},
	{"alloc_small", ns("BM_alloc_small"), ns("BM_go_alloc_small"), "none set"},
	{"file pread 4 KiB, ring", ns("BM_file_pread_4k/ring:1"), ns("BM_go_file_pread_4k"), "none set (rawrt ≤ 1.3× glibc pread: the ratio line)"},
	{"file pread 4 KiB, fallback", ns("BM_file_pread_4k/ring:0"), ns("BM_go_file_pread_4k"), "none set"},
	{"fsync storm, ring: files/s", counter("BM_fsync_storm_uring", "files_per_s", "/s"), counter("BM_go_fsync_storm", "files_per_s", "/s"), "≥ 1.5"},
	{"fsync storm, fallback: files/s", counter("BM_fsync_storm_fallback", "files_per_s", "/s"), counter("BM_go_fsync_storm", "files_per_s", "/s"), "none set"},
	{"fsync storm, ring: threads at peak", counter("BM_fsync_storm_uring", "threads_peak", "threads"), counter("BM_go_fsync_storm", "threads_peak", "threads"), "rawrt ≤ 21 (procs + 3 + the io-wq cap of 16)"},
	{"spawn and wait /bin/true", ns("BM_spawn_wait/min_time:0.500"), ns("BM_go_spawn_wait"), "≤ 1"},
	{"threads while 100 children run", counter("BM_spawn_100_threads", "threads_peak", "threads"), counter("BM_go_spawn_100_threads", "threads_peak", "threads"), "rawrt ≤ 5 (procs + 3)"},
	// Timers and datagrams (bench/bench_timer.cpp, bench/bench_udp.cpp; gobench/timer.go, udp.go).
	{"timer reset+stop", ns("BM_timer_reset_stop"), ns("BM_go_timer_reset_stop"), "≤ 0.5"},
	{"after(1 h) in a select", ns("BM_after_select"), ns("BM_go_after_select"), "≤ 0.5"},
	{"ticker 1 ms: CPU per tick", counter("BM_ticker_1ms_overhead", "cpu_ns_per_tick", "ns"), counter("BM_go_ticker_1ms_overhead", "cpu_ns_per_tick", "ns"), "≤ 0.5"},
	{"UDP ping-pong 1 P: round trip", ns("BM_udp_pingpong_1p"), ns("BM_go_udp_pingpong_1p"), "≤ 1"},
	{"UDP ping-pong 1 P: round trips/s", counter("BM_udp_pingpong_1p", "round_trips_per_s", "/s"), counter("BM_go_udp_pingpong_1p", "round_trips_per_s", "/s"), "≥ 1"},
	// The retake latency (bench/bench_retake.cpp, bench/go/gobench/retake.go).
	{"retake warm median", counter("BM_retake_latency_warm", "median_us", "µs"), counter("BM_go_retake_latency_warm", "median_us", "µs"), "≤ 0.25"},
	{"retake warm p90", counter("BM_retake_latency_warm", "p90_us", "µs"), counter("BM_go_retake_latency_warm", "p90_us", "µs"), "none set"},
	{"retake backed off median", counter("BM_retake_latency_backedoff", "median_us", "µs"), counter("BM_go_retake_latency_backedoff", "median_us", "µs"), "rawrt ≤ 1000 µs"},
	{"retake backed off p90", counter("BM_retake_latency_backedoff", "p90_us", "µs"), counter("BM_go_retake_latency_backedoff", "p90_us", "µs"), "rawrt ≤ 1000 µs"},
	{"retake backed off, Go's way, median", counter("BM_retake_latency_backedoff_goway", "median_us", "µs"), counter("BM_go_retake_latency_backedoff", "median_us", "µs"), "none set (sysmonprompt=0: ≈ Go)"},
	{"retake backed off, Go's way, p90", counter("BM_retake_latency_backedoff_goway", "p90_us", "µs"), counter("BM_go_retake_latency_backedoff", "p90_us", "µs"), "none set (sysmonprompt=0: ≈ Go)"},
	// Asynchronous preemption (bench/bench_preempt.cpp, bench/go/gobench/preempt.go):
	// a G spins on the only P while another sleeps 1 ms. Go's quantum is
	// always 10 ms, so the 1 ms rows set rawrt's against Go's default.
	{"preempt latency, default quantum: from due, median", counter("BM_preempt_latency/10ms", "median_us", "µs"), counter("BM_go_preempt_latency", "median_us", "µs"), "none set"},
	{"preempt latency, default quantum: from due, p90", counter("BM_preempt_latency/10ms", "p90_us", "µs"), counter("BM_go_preempt_latency", "p90_us", "µs"), "none set"},
	{"preempt latency, default quantum: from the spin's start, median", counter("BM_preempt_latency/10ms", "start_median_us", "µs"), counter("BM_go_preempt_latency", "start_median_us", "µs"), "rawrt ≤ 11000 µs"},
	{"preempt latency, default quantum: from the spin's start, p90", counter("BM_preempt_latency/10ms", "start_p90_us", "µs"), counter("BM_go_preempt_latency", "start_p90_us", "µs"), "rawrt ≤ 12000 µs"},
	{"preempt latency, 1 ms quantum: from due, median", counter("BM_preempt_latency/1ms", "median_us", "µs"), counter("BM_go_preempt_latency", "median_us", "µs"), "none set (Go: 10 ms)"},
	{"preempt latency, 1 ms quantum: from the spin's start, median", counter("BM_preempt_latency/1ms", "start_median_us", "µs"), counter("BM_go_preempt_latency", "start_median_us", "µs"), "rawrt ≤ 2000 µs (Go: 10 ms)"},
	{"preempt latency, 1 ms quantum: from the spin's start, p90", counter("BM_preempt_latency/1ms", "start_p90_us", "µs"), counter("BM_go_preempt_latency", "start_p90_us", "µs"), "rawrt ≤ 2000 µs (Go: 10 ms)"},
	{"preempt cost: one preemption, out and back in", ns("BM_preempt_cost"), ns("BM_go_preempt_cost"), "none set (a yield: the gosched row)"},
	{"CPU-bound loop, preemption at 10 ms vs off", counter("BM_preempt_throughput/10ms", "vs_off_pct", "%"), counter("BM_go_preempt_throughput/10ms", "vs_off_pct", "%"), "rawrt ≥ 99 %"},
	{"CPU-bound loop, preemption at 1 ms vs off", counter("BM_preempt_throughput/1ms", "vs_off_pct", "%"), counter("BM_go_preempt_throughput/10ms", "vs_off_pct", "%"), "rawrt ≥ 98 % (Go: at 10 ms)"},
}

// The rows that also have a baseline without any runtime in rawrt's suite:
// glibc's call, or a plain C loop. compare.json carries its figure and
// rawrt's ratio to it, so that mk/bench-charts draws rawrt beside Go, glibc
// and the C loop from one file; the markdown table shows the glibc figure
// and ratio too, the C loop's stay in compare.json.
type baseline struct {
	glibc, c side
}

var baselines = map[string]baseline{
	"getpid raw":                       {glibc: ns("BM_getpid_glibc")},
	"getpid Syscall":                   {glibc: ns("BM_getpid_glibc")},
	"clock_gettime":                    {glibc: ns("BM_clock_gettime_glibc")},
	"clock nanotime":                   {glibc: ns("BM_clock_gettime_glibc")},
	"alloc_small":                      {glibc: ns("BM_alloc_small_glibc")},
	"file pread 4 KiB, ring":           {glibc: ns("BM_file_pread_4k_glibc")},
	"file pread 4 KiB, fallback":       {glibc: ns("BM_file_pread_4k_glibc")},
	"spawn and wait /bin/true":         {glibc: ns("BM_spawn_wait_glibc/min_time:0.500"), c: ns("BM_spawn_wait_floor/min_time:0.500")},
	"UDP ping-pong 1 P: round trip":    {c: ns("BM_udp_pingpong_c")},
	"timer reset+stop":                 {glibc: ns("BM_clock_gettime_glibc")},
	"ticker 1 ms: CPU per tick":        {glibc: counter("BM_ticker_1ms_nanosleep", "cpu_ns_per_tick", "ns")},
	"sleep 100 µs, 1 P: slept":         {glibc: counter("BM_sleep_100us_nanosleep", "slept_us", "µs")},
	"sleep 100 µs, 2 Ps: slept":        {glibc: counter("BM_sleep_100us_nanosleep", "slept_us", "µs")},
	"UDP ping-pong 1 P: round trips/s": {c: counter("BM_udp_pingpong_c", "round_trips_per_s", "/s")},
}

// The fields of Google Benchmark's JSON that matter here; user counters are
// extra top-level fields, so the whole object is kept too.
type entry struct {
	Name          string  `json:"name"`
	RunName       string  `json:"run_name"`
	RunType       string  `json:"run_type"`
	AggregateName string  `json:"aggregate_name"`
	ErrorOccurred bool    `json:"error_occurred"`
	ErrorMessage  string  `json:"error_message"`
	RealTime      float64 `json:"real_time"`
	CPUTime       float64 `json:"cpu_time"`
	TimeUnit      string  `json:"time_unit"`
	fields        map[string]json.RawMessage
}

type results map[string]entry

// UseManualTime and friends append "/manual_time" to the name; rows are
// written with the name the benchmark was registered under.
// Likewise a fixed iteration count (->Iterations(n)) adds "/iterations:n",
// and repetitions (->Repetitions(n)) "/repeats:n".
func baseName(name string) string {
	for _, suffix := range []string{"/manual_time", "/real_time", "/process_time"} {
		name = strings.TrimSuffix(name, suffix)
	}
	for _, part := range []string{"/iterations:", "/repeats:"} {
		if i := strings.Index(name, part); i >= 0 {
			rest := name[i+len(part):]
			end := strings.IndexByte(rest, '/')
			if end < 0 {
				end = len(rest)
			}
			name = name[:i] + rest[end:]
		}
	}
	return name
}

// A missing or unreadable file is an empty result set: its rows print "not run".
func load(path string) (results, error) {
	res := results{}
	data, err := os.ReadFile(path)
	if err != nil {
		return res, err
	}
	var doc struct {
		Benchmarks []json.RawMessage `json:"benchmarks"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return res, err
	}
	for _, raw := range doc.Benchmarks {
		var e entry
		if json.Unmarshal(raw, &e) != nil || json.Unmarshal(raw, &e.fields) != nil {
			continue
		}
		key := e.RunName
		if key == "" {
			key = e.Name
		}
		key = baseName(key)
		// With repetitions, the median stands for the benchmark; otherwise
		// the (single) iteration run does.
		old, seen := res[key]
		switch {
		case e.RunType == "aggregate" && e.AggregateName == "median":
			res[key] = e
		case e.RunType == "aggregate":
		case !seen || (old.RunType != "aggregate" && old.ErrorOccurred && !e.ErrorOccurred):
			res[key] = e
		}
	}
	return res, nil
}

var nsPerUnit = map[string]float64{"": 1, "ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}

// The figure one side names, or why there is none ("not run", "error").
func (r results) value(s side) (float64, string) {
	one := func(name string) (float64, string) {
		e, ok := r[name]
		if !ok {
			return 0, "not run"
		}
		if e.ErrorOccurred {
			return 0, "error"
		}
		if s.counter == "" {
			scale, ok := nsPerUnit[e.TimeUnit]
			if !ok {
				return 0, "error"
			}
			return e.RealTime * scale, ""
		}
		var v float64
		if raw, ok := e.fields[s.counter]; !ok || json.Unmarshal(raw, &v) != nil {
			return 0, "not run"
		}
		return v, ""
	}
	v, why := one(s.bench)
	if why != "" || s.minus == "" {
		return v, why
	}
	base, why := one(s.minus)
	return v - base, why
}

// The process's CPU time per operation behind a time figure: the cpu_ns
// counter where the benchmark keeps one (rawrt's manual-time benchmarks,
// whose cpu_time is only the idle benchmark thread's), else cpu_time. On a
// loaded machine the wall time also counts waiting for a CPU, the CPU time
// does not. Counters have none.
func (r results) cpu(s side) (float64, bool) {
	if s.counter != "" {
		return 0, false
	}
	one := func(name string) (float64, bool) {
		e, ok := r[name]
		if !ok || e.ErrorOccurred {
			return 0, false
		}
		var v float64
		if raw, ok := e.fields["cpu_ns"]; ok && json.Unmarshal(raw, &v) == nil {
			return v, true
		}
		scale, ok := nsPerUnit[e.TimeUnit]
		return e.CPUTime * scale, ok
	}
	v, ok := one(s.bench)
	if !ok || s.minus == "" {
		return v, ok
	}
	base, ok := one(s.minus)
	return v - base, ok
}

func (s side) label() string {
	name := s.bench
	if s.minus != "" {
		name += " − " + s.minus
	}
	if s.counter != "" {
		name += " [" + s.counter + "]"
	}
	return name
}

// "yes"/"no" when the target holds bounds (on the ratio, or on rawrt's
// figure), "" when it holds none.
func met(target string, ratio, rawrt float64) string {
	bounds, ok := 0, true
	for _, clause := range strings.Split(target, ",") {
		fields := strings.Fields(clause)
		value := ratio
		if len(fields) >= 1 && fields[0] == "rawrt" {
			value, fields = rawrt, fields[1:]
		}
		if len(fields) < 2 {
			continue
		}
		bound, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "≤", "<=":
			ok = ok && value <= bound
		case "≥", ">=":
			ok = ok && value >= bound
		default:
			continue
		}
		bounds++
	}
	switch {
	case bounds == 0:
		return ""
	case ok:
		return "yes"
	default:
		return "no"
	}
}

type outRow struct {
	Row            string   `json:"row"`
	RawrtBenchmark string   `json:"rawrt_benchmark"`
	Rawrt          *float64 `json:"rawrt"`
	GoBenchmark    string   `json:"go_benchmark"`
	Go             *float64 `json:"go"`
	Unit           string   `json:"unit"`
	Ratio          *float64 `json:"ratio_rawrt_over_go"`
	RawrtCPU       *float64 `json:"rawrt_cpu_ns,omitempty"`
	GoCPU          *float64 `json:"go_cpu_ns,omitempty"`
	CPURatio       *float64 `json:"cpu_ratio_rawrt_over_go,omitempty"`
	Target         string   `json:"target"`
	Met            string   `json:"met,omitempty"`
	Status         string   `json:"status"` // "ok", "not run", "error"
	// From the baselines, where the row has one and it ran.
	GlibcBenchmark string   `json:"glibc_benchmark,omitempty"`
	Glibc          *float64 `json:"glibc,omitempty"`
	GlibcRatio     *float64 `json:"ratio_rawrt_over_glibc,omitempty"`
	CBenchmark     string   `json:"c_benchmark,omitempty"`
	C              *float64 `json:"c,omitempty"`
	CRatio         *float64 `json:"ratio_rawrt_over_c,omitempty"`
}

// The baseline's benchmark, figure and rawrt's ratio to it: all empty when
// the row has none, the figure and ratio nil when it did not run.
func baselineOf(rawrt results, s side, a *float64) (string, *float64, *float64) {
	if s.bench == "" {
		return "", nil, nil
	}
	v, why := rawrt.value(s)
	if why != "" {
		return s.label(), nil, nil
	}
	var ratio *float64
	if a != nil && *a > 0 && v > 0 {
		r := *a / v
		ratio = &r
	}
	return s.label(), &v, ratio
}

func build(rawrt, golang results) []outRow {
	var out []outRow
	for _, r := range rows {
		o := outRow{Row: r.name, RawrtBenchmark: r.rawrt.label(), GoBenchmark: r.golang.label(),
			Unit: r.rawrt.unit, Target: r.target, Status: "ok"}
		a, whyA := rawrt.value(r.rawrt)
		b, whyB := golang.value(r.golang)
		if whyA == "" {
			o.Rawrt = &a
		}
		if whyB == "" {
			o.Go = &b
		}
		switch {
		case whyA != "":
			o.Status = whyA
		case whyB != "":
			o.Status = whyB
		}
		// A difference of two noisy figures can come out at or below zero:
		// no ratio then, rather than one that meets any bound.
		if o.Rawrt != nil && o.Go != nil && a > 0 && b > 0 {
			ratio := a / b
			o.Ratio = &ratio
			o.Met = met(r.target, ratio, a)
		}
		base := baselines[r.name]
		o.GlibcBenchmark, o.Glibc, o.GlibcRatio = baselineOf(rawrt, base.glibc, o.Rawrt)
		o.CBenchmark, o.C, o.CRatio = baselineOf(rawrt, base.c, o.Rawrt)
		ca, okA := rawrt.cpu(r.rawrt)
		cb, okB := golang.cpu(r.golang)
		if okA && okB {
			o.RawrtCPU, o.GoCPU = &ca, &cb
			if ca > 0 && cb > 0 {
				cpuRatio := ca / cb
				o.CPURatio = &cpuRatio
			}
		}
		out = append(out, o)
	}
	return out
}

func figure(v *float64, status string) string {
	if v == nil {
		return status
	}
	if math.Abs(*v) >= 100 {
		return strconv.FormatFloat(*v, 'f', 0, 64)
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

// Why a side has no figure: its own status when the other side has one.
func missing(v *float64, o outRow) string {
	if v != nil {
		return ""
	}
	if o.Status == "ok" {
		return "not run"
	}
	return o.Status
}

func table(out []outRow) [][]string {
	cells := [][]string{{"row", "rawrt benchmark", "rawrt", "Go benchmark", "Go", "glibc", "unit", "rawrt/Go",
		"rawrt/glibc", "target", "met", "CPU rawrt/Go"}}
	ratio := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return strconv.FormatFloat(*v, 'f', 3, 64)
	}
	for _, o := range out {
		glibc := "—" // no glibc baseline for the row
		if o.GlibcBenchmark != "" {
			glibc = figure(o.Glibc, "not run")
		}
		cells = append(cells, []string{o.Row, o.RawrtBenchmark, figure(o.Rawrt, missing(o.Rawrt, o)),
			o.GoBenchmark, figure(o.Go, missing(o.Go, o)), glibc, o.Unit, ratio(o.Ratio), ratio(o.GlibcRatio),
			o.Target, o.Met, ratio(o.CPURatio)})
	}
	return cells
}

// Markdown that also reads well as plain text: padded columns, figures
// right-aligned.
func writeMarkdown(w io.Writer, cells [][]string) {
	writeMarkdownCols(w, cells, map[int]bool{2: true, 4: true, 5: true, 7: true, 8: true, 11: true})
}

func writeMarkdownCols(w io.Writer, cells [][]string, numeric map[int]bool) {
	width := make([]int, len(cells[0]))
	for _, line := range cells {
		for i, c := range line {
			if n := len([]rune(c)); n > width[i] {
				width[i] = n
			}
		}
	}
	pad := func(s string, i int) string {
		gap := strings.Repeat(" ", width[i]-len([]rune(s)))
		if numeric[i] {
			return gap + s
		}
		return s + gap
	}
	for li, line := range cells {
		parts := make([]string, len(line))
		for i, c := range line {
			parts[i] = pad(c, i)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(parts, " | "))
		if li == 0 {
			for i := range parts {
				dashes := strings.Repeat("-", width[i])
				if numeric[i] {
					dashes = dashes[:len(dashes)-1] + ":"
				}
				parts[i] = dashes
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(parts, " | "))
		}
	}
}

// "a,b,c" as its items; "" as none.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func main() {
	rawrtPath := flag.String("rawrt", "build/bench/rawrt.json", "rawrt's Google Benchmark JSON")
	goPath := flag.String("go", "build/bench/go.json", "bench/go/gobench's JSON")
	netPath := flag.String("net", "", "bench/go/netbench's JSON (the network rows)")
	threadsPath := flag.String("threads", "", "bench/go/threadbench's JSON (the thread counts)")
	tracerIn := flag.String("tracer-in", "", "rawrt's JSON of the tracer's rows, tracer compiled in: one file per round, comma-separated")
	tracerOut := flag.String("tracer-out", "", "the same rounds' JSON, tracer compiled out")
	mdPath := flag.String("md", "", "also write the table here (markdown)")
	jsonPath := flag.String("json", "", "also write the rows here (JSON)")
	flag.Parse()

	rawrt, err := load(*rawrtPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare: rawrt results:", err)
	}
	golang, err := load(*goPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare: Go results:", err)
	}
	out := build(rawrt, golang)
	cells := table(out)

	var md strings.Builder
	fmt.Fprintf(&md, "# rawrt against Go, one run\n\nrawrt: `%s`; Go: `%s`. Ratio = rawrt/Go; "+
		"for times, lower is faster. Targets apply to the wall-time ratio; "+
		"nothing here is asserted. CPU rawrt/Go: the same ratio over the process's CPU time per operation, "+
		"which does not count waiting for a CPU on a loaded machine. glibc: the same operation through glibc "+
		"with no runtime, measured in rawrt's run (its `_glibc` benchmark), where the row has one.\n\n", *rawrtPath, *goPath)
	writeMarkdown(&md, cells)
	var netOut []netOutRow
	if *netPath != "" {
		netRes, doc, err := loadNet(*netPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "compare: network results:", err)
		}
		netOut = buildNet(netRes)
		writeNetSection(&md, *netPath, doc, netTable(netOut))
	}
	var threadsOut []threadsOutRow
	if *threadsPath != "" {
		res, doc, err := loadThreads(*threadsPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "compare: thread counts:", err)
		}
		threadsOut = buildThreads(res, doc.Procs)
		writeThreadsSection(&md, *threadsPath, doc, threadsTable(threadsOut))
	}
	var tracerOutRows []tracerOutRow
	inPaths, outPaths := splitList(*tracerIn), splitList(*tracerOut)
	if len(inPaths) > 0 || len(outPaths) > 0 {
		t := tracerInputs{rawrt: rawrt}
		if t.in, err = loadRounds(inPaths); err != nil {
			fmt.Fprintln(os.Stderr, "compare: tracer compiled in:", err)
		}
		if t.out, err = loadRounds(outPaths); err != nil {
			fmt.Fprintln(os.Stderr, "compare: tracer compiled out:", err)
		}
		if *netPath != "" {
			t.net, _, _ = loadNet(*netPath) // its error is reported above
		}
		tracerOutRows = buildTracer(t)
		writeTracerSection(&md, inPaths, outPaths, tracerTable(tracerOutRows))
	}
	fmt.Print(md.String())

	if *mdPath != "" {
		if err := os.WriteFile(*mdPath, []byte(md.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "compare:", err)
			os.Exit(1)
		}
	}
	if *jsonPath != "" {
		doc := map[string]any{"rawrt": *rawrtPath, "go": *goPath, "rows": out}
		if *netPath != "" {
			doc["net"], doc["net_rows"] = *netPath, netOut
		}
		if *threadsPath != "" {
			doc["threads"], doc["threads_rows"] = *threadsPath, threadsOut
		}
		if tracerOutRows != nil {
			doc["tracer_in"], doc["tracer_out"], doc["tracer_rows"] = inPaths, outPaths, tracerOutRows
		}
		data, err := json.MarshalIndent(doc, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonPath, append(data, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "compare:", err)
			os.Exit(1)
		}
	}
}
