//go:build darwin

package collect

import (
	"context"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// TestDarwinSockets lists this test's own TCP listener and UDP socket from
// the kernel's PCB lists, owned by this process.
func TestDarwinSockets(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	tport := uint16(ln.Addr().(*net.TCPAddr).Port)
	uport := uint16(pc.LocalAddr().(*net.UDPAddr).Port)

	sink := &memSink{}
	if err := (&Network{}).Collect(context.Background(), &Env{Root: "/", Now: time.Now}, sink); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"net.inet.tcp.pcblist_n", "net.inet.udp.pcblist_n"} {
		if len(sink.data["volatile/raw/sysctl/"+name]) <= 24 { // sizeof(struct xinpgen): a header alone
			t.Errorf("%s: raw list not stored", name)
		}
	}
	var st artifact.SocketTable
	sink.decode(t, "volatile/network/sockets.json", &st)
	if st.Source != socketSource || !slices.ContainsFunc(st.Errors, func(e string) bool { return strings.Contains(e, "unix-domain sockets are not listed") }) {
		t.Errorf("source %q, errors %q", st.Source, st.Errors)
	}
	find := func(proto string, port uint16) *artifact.Socket {
		for i, s := range st.Sockets {
			if s.Proto == proto && s.LocalPort == port {
				return &st.Sockets[i]
			}
		}
		t.Fatalf("%s port %d not listed", proto, port)
		return nil
	}
	for _, s := range []*artifact.Socket{find("tcp", tport), find("udp6", uport)} {
		if !s.Listening || s.OwnerStatus != artifact.OwnedBy || len(s.Owners) == 0 || s.Owners[0].PID != os.Getpid() || s.Owners[0].Role != artifact.OwnerLast {
			t.Errorf("%+v", s)
		}
		if s.UID == nil || int(*s.UID) != os.Getuid() {
			t.Errorf("%s: uid %v, want %d", s.Proto, s.UID, os.Getuid())
		}
	}
	if s := find("tcp", tport); s.State != "LISTEN" || s.LocalAddr != "127.0.0.1" {
		t.Errorf("tcp %+v", s)
	}
	if s := find("udp6", uport); s.State != "UNCONN" || s.LocalAddr != "::1" {
		t.Errorf("udp6 %+v", s)
	}
}
