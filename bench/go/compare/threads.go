package main

// The thread counts of the seed's workloads A–E and of the fsync storm F:
// bench/go/threadbench's threads.json, rawrt and Go side by side with what
// the seed predicts. B and F do file I/O, and rawrt's side runs them both
// ways: through its io_uring ring and with the blocking syscalls
// (threads_B_fallback, threads_F_fallback, beside Go's one run). The ring's
// rows have the targets: rawrt's threads at most procs + 3 + the
// io-wq cap (and the first thread, which only waits for the run), and F's
// files per second at least 1.5 times Go's.

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

type threadsResult struct {
	Name    string         `json:"name"`
	Runtime string         `json:"runtime"`
	Status  string         `json:"status"`
	Message string         `json:"message"`
	Line    map[string]any `json:"line"`
}

type threadsDoc struct {
	Procs      int             `json:"procs"`
	LoadBefore string          `json:"loadavg_before"`
	LoadAfter  string          `json:"loadavg_after"`
	Results    []threadsResult `json:"results"`
}

// The io-wq workers' cap (RAWRT_DEBUG's uringworkers, 16 unless set: the
// threadcount runs do not set it).
const uringWorkers = 16

// One row: rawrt's case, Go's case (the same name unless goName says), and
// for the ring's rows the targets: bounded, the thread bound; rate, a
// figure of both lines whose ratio rawrt/Go must reach rateAtLeast.
type threadsRow struct {
	name, goName, what, predicts string
	bounded                      bool
	rate                         string
	rateAtLeast                  float64
}

// The seed's "Thread Count Prediction for Real Workloads", one row each,
// and the fsync storm.
var threadsRows = []threadsRow{
	{name: "threads_A", what: "Gs parked on a channel or a timer", predicts: "10–20"},
	{name: "threads_B", what: "A, plus a 10 KB file read whole each (ReadFile), ring", predicts: "15–25", bounded: true},
	{name: "threads_B_fallback", goName: "threads_B", what: "B, rawrt without the ring (uring=0)", predicts: "15–25"},
	{name: "threads_C_bounded", what: "50 ms foreign calls, ≤ 32 at once", predicts: "40–60"},
	{name: "threads_C_unbounded", what: "50 ms foreign calls, all at once", predicts: "hundreds to thousands"},
	{name: "threads_D", what: "locked Gs asleep", predicts: "100+"},
	{name: "threads_E", what: "bursts of 5 ms syscalls, idle between", predicts: "peak 30–100, settled 5–10"},
	{name: "threads_F", what: "fsync storm: create, write 4 KiB, fsync, close; ring", predicts: "— (not a seed workload)",
		bounded: true, rate: "files_per_s", rateAtLeast: 1.5},
	{name: "threads_F_fallback", goName: "threads_F", what: "F, rawrt without the ring (uring=0)",
		predicts: "— (not a seed workload)", rate: "files_per_s"},
}

// The row's targets as compare's met() reads them: "≥ X" on the rate's
// ratio, "rawrt ≤ N" on rawrt's peak.
func (row threadsRow) target(procs int) string {
	var clauses []string
	if row.rateAtLeast > 0 {
		clauses = append(clauses, fmt.Sprintf("≥ %g files/s", row.rateAtLeast))
	}
	if row.bounded {
		clauses = append(clauses, fmt.Sprintf("rawrt ≤ %d threads (procs + 3 + the io-wq cap of %d, + the first thread)",
			procs+3+uringWorkers+1, uringWorkers))
	}
	if len(clauses) == 0 {
		return "none set"
	}
	return strings.Join(clauses, ", ")
}

type threadsOutRow struct {
	Row          string   `json:"row"`
	What         string   `json:"what"`
	N            *float64 `json:"n"`
	RawrtPeak    *float64 `json:"rawrt_peak"`
	RawrtSettled *float64 `json:"rawrt_settled"`
	GoPeak       *float64 `json:"go_peak"`
	GoSettled    *float64 `json:"go_settled"`
	RawrtRate    *float64 `json:"rawrt_files_per_s,omitempty"`
	GoRate       *float64 `json:"go_files_per_s,omitempty"`
	RateRatio    *float64 `json:"files_per_s_rawrt_over_go,omitempty"`
	Target       string   `json:"target"`
	Met          string   `json:"met,omitempty"`
	SeedPredicts string   `json:"seed_predicts"`
	RawrtState   string   `json:"rawrt_status"`
	GoState      string   `json:"go_status"`
}

// A missing file is no results: every row prints "not run".
func loadThreads(path string) (map[string]threadsResult, threadsDoc, error) {
	byKey := map[string]threadsResult{}
	var doc threadsDoc
	data, err := os.ReadFile(path)
	if err != nil {
		return byKey, doc, err
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return byKey, doc, err
	}
	for _, r := range doc.Results {
		byKey[r.Runtime+" "+r.Name] = r
	}
	return byKey, doc, nil
}

func lineValue(r threadsResult, key string) *float64 {
	if v, ok := r.Line[key].(float64); ok {
		return &v
	}
	return nil
}

func buildThreads(res map[string]threadsResult, procs int) []threadsOutRow {
	var out []threadsOutRow
	for _, row := range threadsRows {
		o := threadsOutRow{Row: row.name, What: row.what, SeedPredicts: row.predicts, Target: row.target(procs)}
		side := func(runtime, name string, peak, settled, rate **float64, state *string) {
			r, ok := res[runtime+" "+name]
			switch {
			case !ok:
				*state = "not run"
			case r.Status != "ok":
				*state = r.Status
			default:
				*state = "ok"
				*peak, *settled = lineValue(r, "peak_os_threads"), lineValue(r, "settled_os_threads")
				if row.rate != "" {
					*rate = lineValue(r, row.rate)
				}
				if o.N == nil {
					o.N = lineValue(r, "n")
				}
			}
		}
		goName := row.goName
		if goName == "" {
			goName = row.name
		}
		side("rawrt", row.name, &o.RawrtPeak, &o.RawrtSettled, &o.RawrtRate, &o.RawrtState)
		side("go", goName, &o.GoPeak, &o.GoSettled, &o.GoRate, &o.GoState)
		if o.RawrtRate != nil && o.GoRate != nil && *o.GoRate > 0 {
			ratio := *o.RawrtRate / *o.GoRate
			o.RateRatio = &ratio
		}
		// Judged only when every figure a clause reads is there.
		if o.RawrtPeak != nil && (row.rateAtLeast == 0 || o.RateRatio != nil) {
			ratio := math.NaN()
			if o.RateRatio != nil {
				ratio = *o.RateRatio
			}
			o.Met = met(o.Target, ratio, *o.RawrtPeak)
		}
		out = append(out, o)
	}
	return out
}

func threadsTable(out []threadsOutRow) [][]string {
	cells := [][]string{{"workload", "what", "n", "rawrt peak", "rawrt settled", "Go peak", "Go settled",
		"rawrt files/s", "Go files/s", "rawrt/Go", "target", "met", "seed predicts"}}
	count := func(v *float64, state string) string {
		if v == nil {
			if state == "ok" {
				return "—"
			}
			return state
		}
		return strconv.FormatFloat(*v, 'f', 0, 64)
	}
	rate := func(v *float64) string { return count(v, "ok") } // "—" where there is none
	for _, o := range out {
		ratio := "—"
		if o.RateRatio != nil {
			ratio = strconv.FormatFloat(*o.RateRatio, 'f', 3, 64)
		}
		cells = append(cells, []string{o.Row, o.What, count(o.N, "—"), count(o.RawrtPeak, o.RawrtState),
			count(o.RawrtSettled, o.RawrtState), count(o.GoPeak, o.GoState), count(o.GoSettled, o.GoState),
			rate(o.RawrtRate), rate(o.GoRate), ratio, o.Target, o.Met, o.SeedPredicts})
	}
	return cells
}

func writeThreadsSection(w io.Writer, path string, doc threadsDoc, cells [][]string) {
	fmt.Fprintf(w, "\n## Thread counts (workloads A–F)\n\n`%s` (bench/go/threadbench): the seed's workloads "+
		"and the fsync storm (F), each in a fresh process of rawrt's examples/threadcount and of "+
		"bench/go/threadcount, with %d Ps each. B and F go through rawrt::os: the rows without a suffix through "+
		"its io_uring ring, the _fallback rows with RAWRT_DEBUG=uring=0 (the blocking syscalls), both beside Go's "+
		"one run. OS threads as the kernel counts them (/proc/self/status), every thread of the process, io-wq "+
		"workers included: peak while the workload ran (sampled every ms), settled once its Gs had ended and the "+
		"process had idled 100 ms. Go never ends an idle M; rawrt ends one idle 500 ms while more Ms than Ps are "+
		"idle; a G that ends locked takes its thread. Targets: the issue's, on the ring's rows; met judges them as the table "+
		"above does. Load average before %s, after %s.\n\n",
		path, doc.Procs, doc.LoadBefore, doc.LoadAfter)
	writeMarkdownCols(w, cells, map[int]bool{2: true, 3: true, 4: true, 5: true, 6: true, 7: true, 8: true, 9: true})
}
