// Package serverargs is what bench/go's servers (echo, http) share with
// rawrt's examples: `NAME PORT` on 127.0.0.1, usage and status 2 on a bad
// argument, status 1 if the port cannot be had, status 0 on SIGTERM/SIGINT.
package serverargs

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

// Listen parses os.Args, listens, and arranges a clean exit on SIGTERM or
// SIGINT. It exits the process itself on every error.
func Listen(name string) net.Listener {
	port := 0
	if len(os.Args) == 2 {
		port, _ = strconv.Atoi(os.Args[1])
	}
	if port < 1 || port > 65535 {
		fmt.Fprintf(os.Stderr, "usage: %s PORT\n", name)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		os.Exit(0)
	}()
	return ln
}
