package main

// The thread counts of the seed's workloads A–E:
// bench/go/threadbench's threads.json, rawrt and Go side by side with what
// the seed predicts. Counts, not speeds: no ratio, no target.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
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

// The seed's "Thread Count Prediction for Real Workloads", one row each.
var threadsRows = []struct{ name, what, predicts string }{
	{"threads_A", "Gs parked on a channel or a timer", "10–20"},
	{"threads_B", "A, plus a 10 KB file read each", "15–25"},
	{"threads_C_bounded", "50 ms foreign calls, ≤ 32 at once", "40–60"},
	{"threads_C_unbounded", "50 ms foreign calls, all at once", "hundreds to thousands"},
	{"threads_D", "locked Gs asleep", "100+"},
	{"threads_E", "bursts of 5 ms syscalls, idle between", "peak 30–100, settled 5–10"},
}

type threadsOutRow struct {
	Row          string   `json:"row"`
	What         string   `json:"what"`
	N            *float64 `json:"n"`
	RawrtPeak    *float64 `json:"rawrt_peak"`
	RawrtSettled *float64 `json:"rawrt_settled"`
	GoPeak       *float64 `json:"go_peak"`
	GoSettled    *float64 `json:"go_settled"`
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

func buildThreads(res map[string]threadsResult) []threadsOutRow {
	var out []threadsOutRow
	for _, row := range threadsRows {
		o := threadsOutRow{Row: row.name, What: row.what, SeedPredicts: row.predicts}
		side := func(runtime string, peak, settled **float64, state *string) {
			r, ok := res[runtime+" "+row.name]
			switch {
			case !ok:
				*state = "not run"
			case r.Status != "ok":
				*state = r.Status
			default:
				*state = "ok"
				*peak, *settled = lineValue(r, "peak_os_threads"), lineValue(r, "settled_os_threads")
				if o.N == nil {
					o.N = lineValue(r, "n")
				}
			}
		}
		side("rawrt", &o.RawrtPeak, &o.RawrtSettled, &o.RawrtState)
		side("go", &o.GoPeak, &o.GoSettled, &o.GoState)
		out = append(out, o)
	}
	return out
}

func threadsTable(out []threadsOutRow) [][]string {
	cells := [][]string{{"workload", "what", "n", "rawrt peak", "rawrt settled", "Go peak", "Go settled", "seed predicts"}}
	count := func(v *float64, state string) string {
		if v == nil {
			if state == "ok" {
				return "—"
			}
			return state
		}
		return strconv.FormatFloat(*v, 'f', 0, 64)
	}
	for _, o := range out {
		cells = append(cells, []string{o.Row, o.What, count(o.N, "—"), count(o.RawrtPeak, o.RawrtState),
			count(o.RawrtSettled, o.RawrtState), count(o.GoPeak, o.GoState), count(o.GoSettled, o.GoState), o.SeedPredicts})
	}
	return cells
}

func writeThreadsSection(w io.Writer, path string, doc threadsDoc, cells [][]string) {
	fmt.Fprintf(w, "\n## Thread counts (workloads A–E)\n\n`%s` (bench/go/threadbench): the seed's workloads, "+
		"each in a fresh process of rawrt's examples/threadcount and of bench/go/threadcount, with %d Ps each. "+
		"OS threads as the kernel counts them (/proc/self/status), every thread of the process: peak while the "+
		"workload ran (sampled every ms), settled once its Gs had ended and the process had idled 100 ms. "+
		"Neither runtime ends an idle M; a G that ends locked takes its thread. Load average before %s, after %s.\n\n",
		path, doc.Procs, doc.LoadBefore, doc.LoadAfter)
	writeMarkdownCols(w, cells, map[int]bool{2: true, 3: true, 4: true, 5: true, 6: true})
}
