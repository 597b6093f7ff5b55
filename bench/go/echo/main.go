// Command echo is the Go side of the network benchmark's TCP echo: Go 1.19's
// net package in its ordinary shape, a goroutine per connection that reads
// and writes back what it read. bench/net/echo_load drives it exactly as it
// drives rawrt's examples/echo and the C loop bench/net/c_echo.
//
//	echo PORT     listens on 127.0.0.1:PORT; Ps from GOMAXPROCS; exits 0 on SIGTERM/SIGINT
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: echo PORT")
		os.Exit(2)
	}
	port, err := strconv.Atoi(os.Args[1])
	if err != nil || port < 1 || port > 65535 {
		fmt.Fprintln(os.Stderr, "usage: echo PORT")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		os.Exit(1)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-stop
		os.Exit(0)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			// Out of fds and the like: Go's own servers back off and retry.
			fmt.Fprintln(os.Stderr, "echo: accept:", err)
			time.Sleep(5 * time.Millisecond)
			continue
		}
		go serve(c)
	}
}
