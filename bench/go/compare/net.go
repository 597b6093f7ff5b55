package main

// The network rows: bench/go/netbench's net.json, one figure per
// server (rawrt, Go, the C loop) and the ratios the targets are written in.
// Higher req/s is better, so those targets are "≥".

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
)

type netResult struct {
	Name    string   `json:"name"`
	Status  string   `json:"status"`
	Message string   `json:"message"`
	ReqPerS *float64 `json:"req_per_s"`
	P50us   *float64 `json:"p50_us"`
	P99us   *float64 `json:"p99_us"`

	SyscallsPerReq *float64 `json:"syscalls_per_req"`
}

type netDoc struct {
	LoadBefore string      `json:"loadavg_before"`
	LoadAfter  string      `json:"loadavg_after"`
	Results    []netResult `json:"results"`
}

// A row names netbench's cases for each server ("" = no such server) and
// the figure compared; target is on rawrt/<against>.
type netRow struct {
	name             string
	rawrt, golang, c string
	metric, unit     string
	against, target  string
}

var netRows = []netRow{
	{"echo_1p", "echo_rawrt_1p", "echo_go_1p", "echo_c_1p", "req_per_s", "req/s", "C", "≥ 1"},
	{"echo_2p", "echo_rawrt_2p", "echo_go_2p", "echo_c_2p", "req_per_s", "req/s", "Go", "≥ 1.2"},
	{"http_2p", "http_rawrt_2p", "http_go_2p", "", "req_per_s", "req/s", "Go", "≥ 1"},
	{"echo_1p kernel entries", "echo_rawrt_1p", "echo_go_1p", "echo_c_1p", "syscalls_per_req", "per round trip", "C", "rawrt ≤ 2.1"},
	{"echo_2p kernel entries", "echo_rawrt_2p", "echo_go_2p", "echo_c_2p", "syscalls_per_req", "per round trip", "C", "rawrt ≤ 2.1"},
	{"echo_1p p99", "echo_rawrt_1p", "echo_go_1p", "echo_c_1p", "p99_us", "µs", "", ""},
	{"echo_2p p99", "echo_rawrt_2p", "echo_go_2p", "echo_c_2p", "p99_us", "µs", "", ""},
	{"http_2p p99", "http_rawrt_2p", "http_go_2p", "", "p99_us", "µs", "", ""},
}

type netOutRow struct {
	Row        string   `json:"row"`
	Unit       string   `json:"unit"`
	Rawrt      *float64 `json:"rawrt"`
	Go         *float64 `json:"go"`
	C          *float64 `json:"c,omitempty"`
	RawrtGo    *float64 `json:"ratio_rawrt_over_go"`
	RawrtC     *float64 `json:"ratio_rawrt_over_c,omitempty"`
	Target     string   `json:"target"`
	Met        string   `json:"met,omitempty"`
	RawrtState string   `json:"rawrt_status"`
	GoState    string   `json:"go_status"`
	CState     string   `json:"c_status,omitempty"`
}

// A missing file is no results: every row prints "not run".
func loadNet(path string) (map[string]netResult, netDoc, error) {
	byName := map[string]netResult{}
	var doc netDoc
	if path == "" {
		return byName, doc, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return byName, doc, err
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return byName, doc, err
	}
	for _, r := range doc.Results {
		byName[r.Name] = r
	}
	return byName, doc, nil
}

// The figure and "ok", or nil and why not (not run, not built, error).
func netValue(res map[string]netResult, name, metric string) (*float64, string) {
	r, ok := res[name]
	if !ok {
		return nil, "not run"
	}
	if r.Status != "ok" {
		return nil, r.Status
	}
	var v *float64
	switch metric {
	case "req_per_s":
		v = r.ReqPerS
	case "p50_us":
		v = r.P50us
	case "p99_us":
		v = r.P99us
	case "syscalls_per_req":
		v = r.SyscallsPerReq
	}
	if v == nil {
		return nil, "not run"
	}
	return v, "ok"
}

func ratioOf(a, b *float64) *float64 {
	if a == nil || b == nil || *a <= 0 || *b <= 0 {
		return nil
	}
	r := *a / *b
	return &r
}

func buildNet(res map[string]netResult) []netOutRow {
	var out []netOutRow
	for _, r := range netRows {
		o := netOutRow{Row: r.name, Unit: r.unit}
		o.Rawrt, o.RawrtState = netValue(res, r.rawrt, r.metric)
		o.Go, o.GoState = netValue(res, r.golang, r.metric)
		if r.c != "" {
			o.C, o.CState = netValue(res, r.c, r.metric)
			o.RawrtC = ratioOf(o.Rawrt, o.C)
		}
		o.RawrtGo = ratioOf(o.Rawrt, o.Go)
		if r.target != "" {
			o.Target = "rawrt/" + r.against + " " + r.target
			ratio := o.RawrtGo
			if r.against == "C" {
				ratio = o.RawrtC
			}
			if ratio != nil {
				o.Met = met(r.target, *ratio, *o.Rawrt)
			}
		} else {
			o.Target = "none set"
		}
		out = append(out, o)
	}
	return out
}

func netFigure(v *float64, status string) string {
	if v == nil {
		if status == "" {
			return "—"
		}
		return status
	}
	if *v < 10 { // kernel entries per round trip
		return strconv.FormatFloat(*v, 'f', 2, 64)
	}
	return strconv.FormatFloat(*v, 'f', 0, 64)
}

func netTable(out []netOutRow) [][]string {
	cells := [][]string{{"row", "rawrt", "Go", "C loop", "unit", "rawrt/Go", "rawrt/C", "target", "met"}}
	ratio := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return strconv.FormatFloat(*v, 'f', 3, 64)
	}
	for _, o := range out {
		cells = append(cells, []string{o.Row, netFigure(o.Rawrt, o.RawrtState), netFigure(o.Go, o.GoState),
			netFigure(o.C, o.CState), o.Unit, ratio(o.RawrtGo), ratio(o.RawrtC), o.Target, o.Met})
	}
	return cells
}

func writeNetSection(w io.Writer, path string, doc netDoc, cells [][]string) {
	fmt.Fprintf(w, "\n## Network servers\n\n`%s` (bench/go/netbench): TCP echo under bench/net/echo_load "+
		"(64 connections × 64-byte round trips), HTTP under wrk; the same client for every server. "+
		"For req/s higher is faster; the targets apply to the ratio they name. Kernel entries are the server's "+
		"(every thread's `raw_syscalls:sys_enter`, counted by perf over the measured seconds) divided by its "+
		"write(2)s and sendto(2)s, one per round trip; "+
		"their target is on rawrt's own figure. Load average before the run %s, after %s.\n\n",
		path, doc.LoadBefore, doc.LoadAfter)
	writeMarkdownCols(w, cells, map[int]bool{1: true, 2: true, 3: true, 5: true, 6: true})
}
