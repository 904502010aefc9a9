package collect

import (
	"context"
	"net"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// BenchmarkVolatileSnapshot measures Network + Processes (with the
// hidden-pid probe) on this host under load: about 1,000 extra processes
// (sleep children) and 10,000 sockets (5,000 loopback TCP connection
// pairs in this process). It asserts nothing about time.
//
//	go test -run '^$' -bench VolatileSnapshot -benchtime 5x ./collect/
func BenchmarkVolatileSnapshot(b *testing.B) {
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	if lim.Cur < 12000 {
		lim.Cur = min(lim.Max, 12000)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 11000 {
			b.Skipf("RLIMIT_NOFILE %d: %v", lim.Cur, err)
		}
	}
	var kids []*exec.Cmd
	defer func() {
		for _, c := range kids {
			c.Process.Kill()
			c.Wait()
		}
	}()
	for range 1000 {
		c := exec.Command("sleep", "600")
		if err := c.Start(); err != nil {
			b.Fatalf("after %d children: %v", len(kids), err)
		}
		kids = append(kids, c)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	accepted := make(chan net.Conn, 5000)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	for range 5000 {
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			b.Fatalf("after %d pairs: %v", len(conns)/2, err)
		}
		conns = append(conns, c, <-accepted)
	}
	time.Sleep(100 * time.Millisecond)
	env := &Env{Root: "/", Now: time.Now}
	ctx := context.Background()
	b.ResetTimer()
	var sink *memSink
	for b.Loop() {
		sink = &memSink{}
		if err := (&Network{}).Collect(ctx, env, sink); err != nil {
			b.Fatal(err)
		}
		if err := (&Processes{}).Collect(ctx, env, sink); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var pt artifact.ProcessTable
	var st artifact.SocketTable
	sink.decode(b, "volatile/processes/processes.json", &pt)
	sink.decode(b, "volatile/network/sockets.json", &st)
	b.ReportMetric(float64(pt.Count), "processes")
	b.ReportMetric(float64(st.Count), "sockets")
}
