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
	"time"

	"rawrt/bench/go/internal/serverargs"
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
	ln := serverargs.Listen("echo")
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
