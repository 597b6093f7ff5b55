// Package report is what bench/go's drivers (netbench, threadbench) share:
// the load average beside their figures, and writing their table and JSON.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// LoadAvg is /proc/loadavg's first three fields ("" if unreadable).
func LoadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// Write prints table, saves it to tablePath and doc (with the date, host and
// CPU count added) as JSON to outPath; an empty path is skipped. It exits
// the process with status 1, naming tool, if a file cannot be written.
func Write(tool, table, tablePath, outPath string, doc map[string]any) {
	fmt.Printf("\n%s", table)
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", tool, err)
		os.Exit(1)
	}
	if tablePath != "" {
		if err := os.WriteFile(tablePath, []byte(table), 0o644); err != nil {
			fail(err)
		}
	}
	if outPath == "" {
		return
	}
	doc["date"] = time.Now().Format(time.RFC3339)
	doc["host_name"], _ = os.Hostname()
	doc["num_cpus"] = runtime.NumCPU()
	data, err := json.MarshalIndent(doc, "", "  ")
	if err == nil {
		err = os.WriteFile(outPath, append(data, '\n'), 0o644)
	}
	if err != nil {
		fail(err)
	}
}
