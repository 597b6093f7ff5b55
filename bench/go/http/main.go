// Command http is the Go side of the network benchmark's HTTP row: a
// minimal net/http server answering every request with the same fixed body
// as rawrt's examples/http ("hello, world\n", Content-Length set, keep-alive),
// measured under wrk exactly as that one is.
//
//	http PORT     listens on 127.0.0.1:PORT; Ps from GOMAXPROCS; exits 0 on SIGTERM/SIGINT
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
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
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: http PORT")
		os.Exit(2)
	}
	port, err := strconv.Atoi(os.Args[1])
	if err != nil || port < 1 || port > 65535 {
		fmt.Fprintln(os.Stderr, "usage: http PORT")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "http:", err)
		os.Exit(1)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		os.Exit(0)
	}()
	err = http.Serve(ln, http.HandlerFunc(hello))
	fmt.Fprintln(os.Stderr, "http:", err)
	os.Exit(1)
}
