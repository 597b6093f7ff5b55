// Command threadbench runs the seed's thread-count workloads A–E and the
// fsync storm F on both runtimes: rawrt's examples/threadcount (with --json) and Go's
// bench/go/threadcount, each workload in a fresh process, since neither
// runtime ends an idle M and a workload's peak would otherwise carry the
// last one's threads. Both get the same Ps (RAWRT_MAXPROCS, GOMAXPROCS) and
// the same sizes. Each program prints one JSON object per workload; the
// results go to -out (read by bench/go/compare) and a table to stdout.
//
// Cases are named threads_<workload>: threads_A, threads_B,
// threads_C_bounded, threads_C_unbounded (one process runs both halves of
// C, bounded first, as rawrt's program does), threads_D, threads_E,
// threads_F. B and F read and write files: rawrt runs them twice, through
// its io_uring ring and with RAWRT_DEBUG=uring=0 (the blocking syscalls),
// the second time as threads_B_fallback and threads_F_fallback. A
// thread count is not a speed and nothing is asserted about it; a case
// fails only when a program fails (exit status, no JSON line for it), and
// then threadbench exits 1 after writing everything.
//
//	threadbench -rawrt PATH -go PATH [-filter REGEXP] [-procs N] [-out threads.json] [-table threads.txt]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"rawrt/bench/go/internal/report"
)

// One program run covers one letter; C yields two workloads. both: rawrt
// runs it with its ring and without (its file I/O).
type letter struct {
	name      string
	size      int
	workloads []string
	both      bool
}

// The sizes are the programs' own defaults, passed explicitly so that both
// runtimes certainly get the same.
var letters = []letter{
	{"A", 5000, []string{"A"}, false},
	{"B", 5000, []string{"B"}, true},
	{"C", 1000, []string{"C_bounded", "C_unbounded"}, false},
	{"D", 100, []string{"D"}, false},
	{"E", 64, []string{"E"}, false},
	{"F", 1000, []string{"F"}, true},
}

type result struct {
	Name     string `json:"name"` // threads_A, ...
	Workload string `json:"workload"`
	Runtime  string `json:"runtime"` // rawrt, go
	Binary   string `json:"binary"`
	Status   string `json:"status"` // ok, not built, not run, error
	Message  string `json:"message,omitempty"`
	// The program's own line (peak_os_threads, settled_os_threads, n,
	// procs, and what else it counted).
	Line map[string]any `json:"line,omitempty"`
}

type program struct {
	runtime, binary string
	args            []string // before the letter
	env             string   // NAME=procs
	debug           string   // RAWRT_DEBUG's value, if any: only for the letters with both
	suffix          string   // after the case's name
}

// Runs one program on one letter; its JSON lines by workload. Its stderr
// (the lines for people) goes to the log.
func runLetter(p program, l letter, procs int, timeout time.Duration, log io.Writer) (map[string]map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := append(append([]string{}, p.args...), l.name, strconv.Itoa(l.size))
	cmd := exec.CommandContext(ctx, p.binary, args...)
	// Neither may pick up settings from the caller's environment.
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RAWRT_") && !strings.HasPrefix(kv, "GODEBUG=") && !strings.HasPrefix(kv, "GOMAXPROCS=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, p.env+"="+strconv.Itoa(procs))
	debug := ""
	if p.debug != "" {
		cmd.Env = append(cmd.Env, "RAWRT_DEBUG="+p.debug)
		debug = " RAWRT_DEBUG=" + p.debug
	}
	var stdout bytes.Buffer
	cmd.Stdout = io.MultiWriter(&stdout, log)
	cmd.Stderr = log
	fmt.Fprintf(log, "--- %s %s %s=%d%s\n", p.binary, strings.Join(args, " "), p.env, procs, debug)
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("no result after %v", timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("%v", err)
	}
	lines := map[string]map[string]any{}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(text, "{") {
			continue
		}
		var line map[string]any
		if err := json.Unmarshal([]byte(text), &line); err != nil {
			return nil, fmt.Errorf("printed %q: %v", text, err)
		}
		w, _ := line["workload"].(string)
		lines[w] = line
	}
	return lines, nil
}

func cell(line map[string]any, key string) string {
	if v, ok := line[key].(float64); ok {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return "—"
}

func printTable(w io.Writer, results []result) {
	fmt.Fprintf(w, "%-20s %-6s %6s %8s  %s\n", "case", "", "peak", "settled", "status")
	for _, r := range results {
		status := r.Status
		if r.Message != "" {
			status += ": " + r.Message
		}
		fmt.Fprintf(w, "%-20s %-6s %6s %8s  %s\n", r.Name, r.Runtime, cell(r.Line, "peak_os_threads"),
			cell(r.Line, "settled_os_threads"), status)
	}
}

func main() {
	rawrtBin := flag.String("rawrt", "build/x86_64/examples/threadcount", "rawrt's examples/threadcount")
	goBin := flag.String("go", "", "bench/go/threadcount's binary")
	filter := flag.String("filter", "", "run only the cases whose name (threads_A, threads_C_bounded, ...) matches")
	procs := flag.Int("procs", runtime.NumCPU(), "the Ps each runtime gets (the seed's GOMAXPROCS)")
	timeout := flag.Duration("timeout", 2*time.Minute, "each program run's limit")
	out := flag.String("out", "", "write the results here (JSON)")
	tablePath := flag.String("table", "", "also write the table here (text)")
	logPath := flag.String("log", "", "the programs' output (default: threads.log beside -out)")
	flag.Parse()

	re, err := regexp.Compile(*filter)
	if err != nil || *procs < 1 {
		fmt.Fprintln(os.Stderr, "threadbench: -filter / -procs:", err)
		os.Exit(2)
	}
	if *logPath == "" {
		*logPath = "threads.log"
		if *out != "" {
			*logPath = filepath.Join(filepath.Dir(*out), "threads.log")
		}
	}
	log, err := os.Create(*logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "threadbench:", err)
		os.Exit(1)
	}
	defer log.Close()

	programs := []program{
		{"rawrt", *rawrtBin, []string{"--json"}, "RAWRT_MAXPROCS", "", ""},
		{"rawrt", *rawrtBin, []string{"--json"}, "RAWRT_MAXPROCS", "uring=0", "_fallback"},
		{"go", *goBin, nil, "GOMAXPROCS", "", ""},
	}
	loadBefore := report.LoadAvg()
	fmt.Printf("threadbench: %d Ps, load average %s\n", *procs, loadBefore)
	var results []result
	anyFailed := false
	for _, l := range letters {
		for _, p := range programs {
			if p.debug != "" && !l.both {
				continue
			}
			var todo []*result
			for _, w := range l.workloads {
				results = append(results, result{Name: "threads_" + w + p.suffix, Workload: w, Runtime: p.runtime, Binary: p.binary})
			}
			mine := results[len(results)-len(l.workloads):]
			for i := range mine {
				r := &mine[i]
				_, statErr := os.Stat(p.binary)
				switch {
				case !re.MatchString(r.Name):
					r.Status = "not run"
				case p.binary == "" || statErr != nil:
					r.Status, r.Message = "not built", p.binary
				default:
					todo = append(todo, r)
				}
			}
			if len(todo) == 0 {
				continue
			}
			lines, err := runLetter(p, l, *procs, *timeout, log)
			for _, r := range todo {
				line, ok := lines[r.Workload]
				switch {
				case err != nil:
					r.Status, r.Message = "error", err.Error()
				case !ok:
					r.Status, r.Message = "error", "no JSON line for "+r.Workload
				default:
					r.Status, r.Line = "ok", line
					// The ring's case where io_uring_setup failed: the
					// fallback ran, and the table must not say otherwise.
					if ring, ok := line["ring"].(float64); ok && ring == 0 && p.debug == "" {
						r.Message = "no io_uring ring here: the blocking syscalls ran"
					}
				}
				if r.Status == "error" {
					anyFailed = true
					r.Message += " (log: " + *logPath + ")"
				}
				fmt.Printf("  %-20s %-6s peak %s settled %s %s\n", r.Name, r.Runtime,
					cell(r.Line, "peak_os_threads"), cell(r.Line, "settled_os_threads"), r.Message)
			}
		}
	}
	loadAfter := report.LoadAvg()

	var table strings.Builder
	printTable(&table, results)
	fmt.Fprintf(&table, "load average before %s, after %s (%d CPUs, %d Ps)\n", loadBefore, loadAfter, runtime.NumCPU(), *procs)
	report.Write("threadbench", table.String(), *tablePath, *out, map[string]any{
		"procs":          *procs,
		"loadavg_before": loadBefore,
		"loadavg_after":  loadAfter,
		"results":        results,
	})
	if anyFailed {
		fmt.Fprintln(os.Stderr, "threadbench: some cases failed (see above)")
		os.Exit(1)
	}
}
