// Command http is the Go side of the network benchmark's HTTP row: a
// minimal net/http server answering every request with the same fixed body
// as rawrt's examples/http ("hello, world\n", Content-Length set, keep-alive),
// measured under wrk exactly as that one is.
//
//	http PORT     listens on 127.0.0.1:PORT; Ps from GOMAXPROCS; exits 0 on SIGTERM/SIGINT
package main

import (
	"fmt"
	"net/http"
	"os"
	"strconv"

	"rawrt/bench/go/internal/serverargs"
)

var body = []byte("hello, world\n")

func hello(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	// Set, not sniffed: the server then only copies the body.
	h["Content-Type"] = []string{"text/plain"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.Write(body)
}

func main() {
	ln := serverargs.Listen("http")
	err := http.Serve(ln, http.HandlerFunc(hello))
	fmt.Fprintln(os.Stderr, "http:", err)
	os.Exit(1)
}
