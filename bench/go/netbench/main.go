// Command netbench runs the network benchmarks: each server is
// started as a child on a free loopback port, driven by one client, stopped
// with SIGTERM, and must exit with status 0.
//
//   - TCP echo: rawrt's examples/echo, Go's bench/go/echo and the C loop
//     bench/net/c_echo, at each -procs, all under bench/net/echo_load.
//     Beside rawrt's, the tracer's cost (sched/trace.hpp): the same server
//     built with the tracer compiled out (-rawrt-echo-notrace, case
//     echo_rawrt_notrace_<procs>p) and run with RAWRT_TRACE set
//     (echo_rawrt_traced_<procs>p; the trace must come out complete, and is
//     then deleted: it is some 100 MB).
//   - HTTP: rawrt's examples/http and Go's bench/go/http under wrk.
//
// A server whose binary is missing is reported "not built", never measured
// in some other way. Results go to -out (JSON, read by bench/go/compare) and
// a table on stdout. Nothing is asserted about speed: a case fails only when
// its server or client misbehaves (wrong bytes, a crash, a bad exit status),
// and then netbench exits 1 after writing everything.
//
//	netbench -echo-load PATH -c-echo PATH -go-echo PATH -go-http PATH \
//	         -rawrt-echo PATH -rawrt-http PATH [-rawrt-echo-notrace PATH] \
//	         [-filter REGEXP] [-out net.json]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"rawrt/bench/go/internal/report"
)

// One measurement. Pointers: a figure that was not taken is absent, not 0.
type sample struct {
	ReqPerS *float64 `json:"req_per_s,omitempty"`
	P50us   *float64 `json:"p50_us,omitempty"`
	P75us   *float64 `json:"p75_us,omitempty"`
	P90us   *float64 `json:"p90_us,omitempty"`
	P99us   *float64 `json:"p99_us,omitempty"`
	// Echo only: the server's kernel entries per round trip (perf's
	// raw_syscalls:sys_enter; absent when perf cannot count).
	SyscallsPerReq *float64 `json:"syscalls_per_req,omitempty"`
}

type result struct {
	Name    string `json:"name"` // echo_go_1p, http_rawrt_2p, ...
	Kind    string `json:"kind"` // echo, http
	Server  string `json:"server"`
	Procs   int    `json:"procs"`
	Binary  string `json:"binary"`
	Status  string `json:"status"` // ok, not built, not run, error
	Message string `json:"message,omitempty"`
	sample
	Rounds []sample `json:"rounds,omitempty"`
}

type testCase struct {
	kind, server, binary string
	procs                int
	traced               bool // run with RAWRT_TRACE set
}

func (c testCase) name() string { return fmt.Sprintf("%s_%s_%dp", c.kind, c.server, c.procs) }

type config struct {
	echoLoad       string
	conns, size    int
	seconds        float64
	warmup         float64
	threads        int
	wrk            string
	wrkArgs        []string
	logDir         string
	readyTimeout   time.Duration
	stopTimeout    time.Duration
	traceTimeout   time.Duration // a traced server's stop: it writes the trace's JSON then
	requestTimeout time.Duration
}

func f64(v float64) *float64 { return &v }

// A free port on 127.0.0.1 at the time of asking. The server binds it a few
// milliseconds later; a clash shows up as a server that exits before it
// accepts, and the case reports that.
func freePort() (int, error) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// A server child and the status it ends with.
type child struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once Wait returned
	err  error
}

// Where a traced case's server writes its trace.
func tracePath(cfg *config, c testCase) string {
	return filepath.Join(cfg.logDir, c.name()+".trace.json")
}

func startServer(cfg *config, c testCase, port int, log io.Writer) (*child, error) {
	cmd := exec.Command(c.binary, strconv.Itoa(port))
	// Each server reads its own: RAWRT_MAXPROCS (rawrt), GOMAXPROCS (Go);
	// the C loop is single-threaded whatever the row says. RAWRT_TRACE is
	// the caller's only in a traced case: any other case measures no trace.
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RAWRT_TRACE=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "RAWRT_MAXPROCS="+strconv.Itoa(c.procs), "GOMAXPROCS="+strconv.Itoa(c.procs))
	if c.traced {
		cmd.Env = append(cmd.Env, "RAWRT_TRACE="+tracePath(cfg, c))
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	ch := &child{cmd: cmd, done: make(chan struct{})}
	go func() {
		ch.err = cmd.Wait()
		close(ch.done)
	}()
	return ch, nil
}

func (ch *child) exited() bool {
	select {
	case <-ch.done:
		return true
	default:
		return false
	}
}

func describeExit(err error, state *os.ProcessState) string {
	if state != nil {
		if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Sprintf("killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
		}
		return "exit status " + strconv.Itoa(state.ExitCode())
	}
	return err.Error()
}

// SIGTERM, then the exit status must be 0.
func (ch *child) stop(timeout time.Duration) error {
	if !ch.exited() {
		ch.cmd.Process.Signal(syscall.SIGTERM)
	}
	select {
	case <-ch.done:
	case <-time.After(timeout):
		ch.cmd.Process.Kill()
		<-ch.done
		return fmt.Errorf("still running %v after SIGTERM (killed)", timeout)
	}
	if ch.cmd.ProcessState != nil && ch.cmd.ProcessState.Success() {
		return nil
	}
	return fmt.Errorf("after SIGTERM: %s", describeExit(ch.err, ch.cmd.ProcessState))
}

// Until the server answers one request correctly: one echoed message, or
// the fixed HTTP body. A refused connection is retried; a wrong answer is not.
func waitReady(cfg *config, c testCase, ch *child, port int) error {
	deadline := time.Now().Add(cfg.readyTimeout)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for {
		if ch.exited() {
			return fmt.Errorf("exited before accepting: %s", describeExit(ch.err, ch.cmd.ProcessState))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not accepting on %s after %v", addr, cfg.readyTimeout)
		}
		conn, err := net.DialTimeout("tcp4", addr, 200*time.Millisecond)
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if c.kind == "echo" {
			err = probeEcho(conn, cfg.requestTimeout)
		} else {
			conn.Close()
			err = probeHTTP(addr, cfg.requestTimeout)
		}
		if err != nil {
			return fmt.Errorf("first request: %w", err)
		}
		return nil
	}
}

func probeEcho(conn net.Conn, timeout time.Duration) error {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	msg := []byte("netbench probe\n")
	if _, err := conn.Write(msg); err != nil {
		return err
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("echoed %q, sent %q", got, msg)
	}
	return nil
}

const httpBody = "hello, world\n"

func probeHTTP(addr string, timeout time.Duration) error {
	client := &http.Client{Timeout: timeout}
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode != 200:
		return fmt.Errorf("status %d", resp.StatusCode)
	case resp.ContentLength != int64(len(httpBody)):
		return fmt.Errorf("Content-Length %d, want %d", resp.ContentLength, len(httpBody))
	case string(body) != httpBody:
		return fmt.Errorf("body %q, want %q", body, httpBody)
	case resp.Close:
		return errors.New("the server closes the connection (no keep-alive)")
	}
	return nil
}

// The client's output and, on failure, why.
func runClient(cfg *config, timeout time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return stdout.Bytes(), fmt.Errorf("%s: no result after %v", filepath.Base(name), timeout)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = strings.TrimSpace(stdout.String())
		}
		msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " | ")), " ")
		return stdout.Bytes(), fmt.Errorf("%s: %v: %s", filepath.Base(name), err, msg)
	}
	return stdout.Bytes(), nil
}

func measureEcho(cfg *config, port int) (sample, error) {
	timeout := time.Duration((cfg.seconds+cfg.warmup)*float64(time.Second)) + 30*time.Second
	out, err := runClient(cfg, timeout, cfg.echoLoad,
		"--conns", strconv.Itoa(cfg.conns), "--size", strconv.Itoa(cfg.size),
		"--seconds", strconv.FormatFloat(cfg.seconds, 'f', -1, 64),
		"--warmup", strconv.FormatFloat(cfg.warmup, 'f', -1, 64),
		"--threads", strconv.Itoa(cfg.threads), strconv.Itoa(port))
	if err != nil {
		return sample{}, err
	}
	var r struct {
		ReqPerS float64 `json:"req_per_s"`
		P50us   float64 `json:"p50_us"`
		P99us   float64 `json:"p99_us"`
		Errors  int     `json:"errors"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return sample{}, fmt.Errorf("echo_load printed %q: %v", out, err)
	}
	if r.Errors != 0 {
		return sample{}, fmt.Errorf("echo_load: %d errors", r.Errors)
	}
	return sample{ReqPerS: f64(r.ReqPerS), P50us: f64(r.P50us), P99us: f64(r.P99us)}, nil
}

var (
	wrkRate       = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkPercentile = regexp.MustCompile(`(?m)^\s+(50|75|90|99)%\s+([0-9.]+)(us|ms|s|m)\s*$`)
	wrkSocketErrs = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx     = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

var usPerUnit = map[string]float64{"us": 1, "ms": 1e3, "s": 1e6, "m": 60e6}

// wrk's report: Requests/sec and the --latency percentiles. Any socket
// error or non-2xx answer fails the case rather than pass as a rate.
func parseWrk(out string) (sample, error) {
	var s sample
	m := wrkRate.FindStringSubmatch(out)
	if m == nil {
		return s, fmt.Errorf("no Requests/sec in wrk's output:\n%s", out)
	}
	rate, _ := strconv.ParseFloat(m[1], 64)
	s.ReqPerS = f64(rate)
	for _, p := range wrkPercentile.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		us := f64(v * usPerUnit[p[3]])
		switch p[1] {
		case "50":
			s.P50us = us
		case "75":
			s.P75us = us
		case "90":
			s.P90us = us
		case "99":
			s.P99us = us
		}
	}
	if s.P50us == nil || s.P99us == nil {
		return s, fmt.Errorf("no latency distribution in wrk's output:\n%s", out)
	}
	if m := wrkSocketErrs.FindStringSubmatch(out); m != nil {
		return s, fmt.Errorf("wrk: %s", m[0])
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		return s, fmt.Errorf("wrk: %s", m[0])
	}
	return s, nil
}

func measureHTTP(cfg *config, port int) (sample, error) {
	args := append(append([]string{}, cfg.wrkArgs...), "http://127.0.0.1:"+strconv.Itoa(port)+"/")
	out, err := runClient(cfg, 60*time.Second, cfg.wrk, args...)
	if err != nil {
		return sample{}, err
	}
	return parseWrk(string(out))
}

// One round of one case: start, probe, measure, stop.
func runOnce(cfg *config, c testCase, round int) (sample, error) {
	port, err := freePort()
	if err != nil {
		return sample{}, err
	}
	logPath := filepath.Join(cfg.logDir, c.name()+".log")
	mode := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if round == 0 {
		mode |= os.O_TRUNC // one run's rounds, not every run's
	}
	log, err := os.OpenFile(logPath, mode, 0o644)
	if err != nil {
		return sample{}, err
	}
	defer log.Close()
	fmt.Fprintf(log, "--- %s %s %d (procs %d)\n", time.Now().Format(time.RFC3339), c.binary, port, c.procs)
	if c.traced {
		os.Remove(tracePath(cfg, c)) // what is checked below is this round's
	}
	ch, err := startServer(cfg, c, port, log)
	if err != nil {
		return sample{}, err
	}
	var s sample
	err = waitReady(cfg, c, ch, port)
	if err == nil {
		if c.kind == "echo" {
			entries := countSyscalls(cfg, ch.cmd.Process.Pid)
			s, err = measureEcho(cfg, port)
			if perRT := <-entries; err == nil && perRT > 0 {
				s.SyscallsPerReq = f64(perRT)
			}
		} else {
			s, err = measureHTTP(cfg, port)
		}
		if err == nil && ch.exited() {
			err = fmt.Errorf("the server died during the run: %s", describeExit(ch.err, ch.cmd.ProcessState))
		}
	}
	stopTimeout := cfg.stopTimeout
	if c.traced {
		stopTimeout = cfg.traceTimeout
	}
	if stopErr := ch.stop(stopTimeout); err == nil && stopErr != nil {
		err = stopErr
	}
	if c.traced && err == nil {
		err = checkTrace(tracePath(cfg, c))
	}
	if err != nil {
		return sample{}, fmt.Errorf("%w (server log: %s)", err, logPath)
	}
	return s, nil
}

var perfCount = regexp.MustCompile(`(?m)^([0-9]+),[^,]*,(raw_syscalls:sys_enter|syscalls:sys_enter_write|syscalls:sys_enter_sendto),`)

// The server's kernel entries per round trip: perf counts every thread's
// syscalls over the middle of the measured seconds (once the warm-up is
// over), and they are divided by its write(2)s and sendto(2)s, one per
// round trip in every server here (a 64-byte answer goes out in one call),
// so the count and the round trips cover the same stretch exactly. 0 when
// perf is missing or may not count (perf_event_paranoid).
func countSyscalls(cfg *config, pid int) <-chan float64 {
	out := make(chan float64, 1)
	go func() {
		time.Sleep(time.Duration((cfg.warmup + cfg.seconds*0.1) * float64(time.Second)))
		cmd := exec.Command("perf", "stat", "-x,", "-e",
			"raw_syscalls:sys_enter,syscalls:sys_enter_write,syscalls:sys_enter_sendto", "-p", strconv.Itoa(pid),
			"--", "sleep", strconv.FormatFloat(cfg.seconds*0.8, 'f', 3, 64))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		var all, writes float64
		if cmd.Run() == nil {
			for _, m := range perfCount.FindAllStringSubmatch(stderr.String(), -1) {
				n, _ := strconv.ParseFloat(m[1], 64)
				if m[2] == "raw_syscalls:sys_enter" {
					all = n
				} else {
					writes += n
				}
			}
		}
		if writes == 0 {
			out <- 0
			return
		}
		out <- all / writes
	}()
	return out
}

var traceEvents = regexp.MustCompile(`"events":([0-9]+)`)

// A traced case measured tracing only if its server wrote a whole trace
// with events in it (a runtime that cannot trace only warns, and serves
// on). The file goes once checked: every round's would fill the disk.
func checkTrace(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("no trace: %v", err)
	}
	defer os.Remove(path)
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	if m := traceEvents.FindSubmatch(head[:n]); m == nil || string(m[1]) == "0" {
		return fmt.Errorf("%s: no events in the trace's header", path)
	}
	tail := make([]byte, 16)
	off := st.Size() - int64(len(tail))
	if off < 0 {
		off = 0
	}
	n, _ = f.ReadAt(tail, off)
	if !bytes.HasSuffix(bytes.TrimRight(tail[:n], "\n"), []byte("]}")) {
		return fmt.Errorf("%s: the trace is incomplete", path)
	}
	return nil
}

func median(xs []*float64) *float64 {
	var v []float64
	for _, x := range xs {
		if x != nil {
			v = append(v, *x)
		}
	}
	if len(v) == 0 {
		return nil
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return f64(v[len(v)/2])
	}
	return f64((v[len(v)/2-1] + v[len(v)/2]) / 2)
}

// Each figure is its own median over the rounds.
func summarize(rounds []sample) sample {
	pick := func(get func(sample) *float64) *float64 {
		var xs []*float64
		for _, r := range rounds {
			xs = append(xs, get(r))
		}
		return median(xs)
	}
	return sample{
		ReqPerS: pick(func(s sample) *float64 { return s.ReqPerS }),
		P50us:   pick(func(s sample) *float64 { return s.P50us }),
		P75us:   pick(func(s sample) *float64 { return s.P75us }),
		P90us:   pick(func(s sample) *float64 { return s.P90us }),
		P99us:   pick(func(s sample) *float64 { return s.P99us }),

		SyscallsPerReq: pick(func(s sample) *float64 { return s.SyscallsPerReq }),
	}
}

func cell(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 0, 64)
}

func printTable(w io.Writer, results []result) {
	fmt.Fprintf(w, "%-21s %-13s %5s %12s %9s %9s  %s\n", "case", "server", "procs", "req/s", "p50 µs", "p99 µs", "status")
	for _, r := range results {
		status := r.Status
		if r.Message != "" {
			status += ": " + r.Message
		}
		fmt.Fprintf(w, "%-21s %-13s %5d %12s %9s %9s  %s\n", r.Name, r.Server, r.Procs,
			cell(r.ReqPerS), cell(r.P50us), cell(r.P99us), status)
	}
}

func parseProcs(list string) ([]int, error) {
	var procs []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad procs list %q", list)
		}
		procs = append(procs, n)
	}
	return procs, nil
}

func main() {
	cfg := &config{readyTimeout: 10 * time.Second, stopTimeout: 5 * time.Second, traceTimeout: 60 * time.Second,
		requestTimeout: 5 * time.Second}
	flag.StringVar(&cfg.echoLoad, "echo-load", "", "bench/net/echo_load binary")
	cEcho := flag.String("c-echo", "", "bench/net/c_echo binary")
	goEcho := flag.String("go-echo", "", "bench/go/echo binary")
	goHTTP := flag.String("go-http", "", "bench/go/http binary")
	rawrtEcho := flag.String("rawrt-echo", "build/x86_64/examples/echo", "rawrt's examples/echo")
	rawrtHTTP := flag.String("rawrt-http", "build/x86_64/examples/http", "rawrt's examples/http")
	rawrtEchoNotrace := flag.String("rawrt-echo-notrace", "", "rawrt's examples/echo built with the tracer compiled out (make NOTRACE=1)")
	filter := flag.String("filter", "", "run only the cases whose name (echo_go_1p, http_rawrt_2p, ...) matches")
	procsList := flag.String("procs", "1,2", "echo: the Ps each server gets")
	httpProcs := flag.Int("http-procs", 2, "HTTP: the Ps each server gets")
	rounds := flag.Int("rounds", 1, "measure each case this many times, interleaved; report medians")
	flag.IntVar(&cfg.conns, "conns", 64, "echo: connections")
	flag.IntVar(&cfg.size, "size", 64, "echo: bytes per message")
	flag.Float64Var(&cfg.seconds, "seconds", 3, "echo: measured seconds per case")
	flag.Float64Var(&cfg.warmup, "warmup", 0.5, "echo: unmeasured seconds before them")
	flag.IntVar(&cfg.threads, "threads", 2, "echo: echo_load's threads")
	flag.StringVar(&cfg.wrk, "wrk", "wrk", "the wrk binary")
	wrkArgs := flag.String("wrk-args", "-t2 -c64 -d3s --latency", "HTTP: wrk's options")
	out := flag.String("out", "", "write the results here (JSON)")
	tablePath := flag.String("table", "", "also write the table here (text)")
	flag.StringVar(&cfg.logDir, "logs", "", "servers' output goes here, one file per case (default: beside -out)")
	flag.Parse()

	re, err := regexp.Compile(*filter)
	if err != nil {
		fmt.Fprintln(os.Stderr, "netbench: -filter:", err)
		os.Exit(2)
	}
	procs, err := parseProcs(*procsList)
	if err != nil || *rounds < 1 {
		fmt.Fprintln(os.Stderr, "netbench: -procs / -rounds:", err)
		os.Exit(2)
	}
	cfg.wrkArgs = strings.Fields(*wrkArgs)
	if cfg.logDir == "" {
		cfg.logDir = "."
		if *out != "" {
			cfg.logDir = filepath.Join(filepath.Dir(*out), "net-logs")
		}
	}
	if err := os.MkdirAll(cfg.logDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "netbench:", err)
		os.Exit(1)
	}

	var cases []testCase
	for _, p := range procs {
		// rawrt's three next to each other: the tracer's ratios are
		// taken between cases measured moments apart.
		cases = append(cases,
			testCase{"echo", "rawrt", *rawrtEcho, p, false},
			testCase{"echo", "rawrt_notrace", *rawrtEchoNotrace, p, false},
			testCase{"echo", "rawrt_traced", *rawrtEcho, p, true},
			testCase{"echo", "go", *goEcho, p, false},
			testCase{"echo", "c", *cEcho, p, false})
	}
	cases = append(cases,
		testCase{"http", "rawrt", *rawrtHTTP, *httpProcs, false},
		testCase{"http", "go", *goHTTP, *httpProcs, false})

	// The client itself must exist for any case of its kind to run.
	clientMissing := map[string]string{}
	if _, err := os.Stat(cfg.echoLoad); cfg.echoLoad == "" || err != nil {
		clientMissing["echo"] = "echo_load not built (-echo-load)"
	}
	if _, err := exec.LookPath(cfg.wrk); err != nil {
		clientMissing["http"] = "wrk not found (Debian package wrk)"
	}

	results := make([]result, len(cases))
	var todo []int
	for i, c := range cases {
		results[i] = result{Name: c.name(), Kind: c.kind, Server: c.server, Procs: c.procs, Binary: c.binary}
		r := &results[i]
		_, statErr := os.Stat(c.binary)
		switch {
		case !re.MatchString(c.name()):
			r.Status = "not run"
		case c.binary == "" || statErr != nil:
			r.Status, r.Message = "not built", c.binary
		case clientMissing[c.kind] != "":
			r.Status, r.Message = "error", clientMissing[c.kind]
		default:
			todo = append(todo, i)
		}
	}

	loadBefore := report.LoadAvg()
	fmt.Printf("netbench: %d case(s) × %d round(s), load average %s\n", len(todo), *rounds, loadBefore)
	failed := map[int]error{}
	for round := 0; round < *rounds; round++ {
		for _, i := range todo {
			if failed[i] != nil {
				continue
			}
			s, err := runOnce(cfg, cases[i], round)
			if err != nil {
				failed[i] = err
				fmt.Printf("  %-21s error: %v\n", cases[i].name(), err)
				continue
			}
			results[i].Rounds = append(results[i].Rounds, s)
			fmt.Printf("  %-21s %10s req/s  p50 %s µs  p99 %s µs\n", cases[i].name(), cell(s.ReqPerS), cell(s.P50us), cell(s.P99us))
		}
	}
	anyFailed := false
	for _, i := range todo {
		r := &results[i]
		if err := failed[i]; err != nil {
			r.Status, r.Message, r.Rounds = "error", err.Error(), nil
			anyFailed = true
			continue
		}
		r.Status, r.sample = "ok", summarize(r.Rounds)
		if *rounds == 1 {
			r.Rounds = nil
		}
	}
	for _, r := range results {
		if r.Status == "error" {
			anyFailed = true
		}
	}
	loadAfter := report.LoadAvg()

	var table strings.Builder
	printTable(&table, results)
	fmt.Fprintf(&table, "load average before %s, after %s (%d CPUs)\n", loadBefore, loadAfter, runtime.NumCPU())
	report.Write("netbench", table.String(), *tablePath, *out, map[string]any{
		"loadavg_before": loadBefore,
		"loadavg_after":  loadAfter,
		"rounds":         *rounds,
		"echo": map[string]any{"client": "bench/net/echo_load", "conns": cfg.conns, "size": cfg.size,
			"seconds": cfg.seconds, "warmup": cfg.warmup, "threads": cfg.threads},
		"http":    map[string]any{"client": "wrk " + strings.Join(cfg.wrkArgs, " ")},
		"results": results,
	})
	if anyFailed {
		fmt.Fprintln(os.Stderr, "netbench: some cases failed (see above)")
		os.Exit(1)
	}
}
