package main

// UDP ping-pong over IPv4 loopback with net.UDPConn, the shape of
// bench/bench_udp.cpp's BM_udp_pingpong_1p: 64-byte datagrams, one round
// trip at a time, GOMAXPROCS=1.

import "net"

func udpPingPong(n int64) result {
	server, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		panic(err)
	}
	defer server.Close()
	client, err := net.DialUDP("udp4", nil, server.LocalAddr().(*net.UDPAddr))
	if err != nil {
		panic(err)
	}
	defer client.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			got, from, err := server.ReadFromUDP(buf)
			if err != nil {
				return
			}
			server.WriteToUDP(buf[:got], from)
		}
	}()
	out := make([]byte, 64)
	in := make([]byte, 2048)
	sw := startStopwatch()
	for i := int64(0); i < n; i++ {
		client.Write(out)
		if _, err := client.Read(in); err != nil {
			panic(err)
		}
	}
	r := sw.stop(n)
	r.counters = map[string]float64{"round_trips_per_s": float64(n) / r.wall.Seconds()}
	return r
}

func init() {
	register("BM_go_udp_pingpong_1p", 1, udpPingPong)
}
