package collect

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

func TestNetworkFixture(t *testing.T) {
	root := fixtureRoot(t)
	env := &Env{Root: root, Now: func() time.Time { return fixtureNow }}
	sink := &memSink{}
	if err := (&Network{list: fixtureList}).Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	// Raw tables first (most volatile), byte for byte.
	want := []string{
		"volatile/raw/proc/net/tcp", "volatile/raw/proc/net/tcp6", "volatile/raw/proc/net/udp",
		"volatile/raw/proc/net/udp6", "volatile/raw/proc/net/unix",
		// pid 300 is alone in another network namespace: its tables are
		// tried (and absent from the fixture, so recorded as not read).
		"volatile/raw/proc/300/net/tcp", "volatile/raw/proc/300/net/tcp6", "volatile/raw/proc/300/net/udp",
		"volatile/raw/proc/300/net/udp6", "volatile/raw/proc/300/net/unix",
		"volatile/network/sockets.json", "volatile/network/unix_sockets.json",
		"volatile/network/listening.json", "volatile/findings/unowned_sockets.json",
		"volatile/raw/proc/net/if_inet6", "volatile/network/interfaces.json",
		"volatile/raw/proc/net/route", "volatile/raw/proc/net/ipv6_route", "volatile/network/routes.json",
		"volatile/raw/proc/net/arp", "volatile/network/neighbours.json",
		"volatile/raw/etc/resolv.conf", "volatile/raw/run/resolv/stub", "volatile/raw/etc/hosts",
	}
	if got := sink.paths(); !slices.Equal(got, want) {
		t.Fatalf("artifacts:\n%q\nwant\n%q", got, want)
	}
	for _, r := range sink.recs {
		if r.Collector != "network" {
			t.Errorf("%s: collector %q", r.Path, r.Collector)
		}
	}
	if r := sink.record(t, "volatile/raw/etc/resolv.conf"); r.Entry != manifest.EntrySymlink || r.File == nil || *r.File.LinkTarget != "../run/resolv/stub" {
		t.Errorf("resolv.conf link: %+v", r)
	}
	if string(sink.data["volatile/raw/run/resolv/stub"]) != "nameserver 127.0.0.53\n" {
		t.Errorf("resolv.conf target: %q", sink.data["volatile/raw/run/resolv/stub"])
	}

	var st artifact.SocketTable
	sink.decode(t, "volatile/network/sockets.json", &st)
	if st.NetNS != 4026531993 || st.Source != "/proc/net" || st.Count != 6 || len(st.Errors) != 1 {
		t.Errorf("table: ns %d source %q count %d errors %q", st.NetNS, st.Source, st.Count, st.Errors)
	}
	if len(st.Namespaces) != 2 || !st.Namespaces[0].Self || st.Namespaces[0].Sockets == 0 ||
		st.Namespaces[1].Inode != 4026532500 || st.Namespaces[1].PIDs != 1 || st.Namespaces[1].PID != 0 ||
		len(st.Namespaces[1].Errors) != 1 || !strings.Contains(st.Namespaces[1].Errors[0], "nothing readable") {
		t.Errorf("namespaces: %+v", st.Namespaces)
	}
	by := map[uint64]artifact.Socket{}
	for _, s := range st.Sockets {
		if s.NetNS != 4026531993 {
			t.Errorf("socket %d: netns %d", s.Inode, s.NetNS)
		}
		by[s.Inode] = s
	}
	check := func(ino uint64, proto, state, laddr string, lport uint16, raddr string, rport uint16, listening bool, owner string, pids ...int) {
		t.Helper()
		s, ok := by[ino]
		if !ok {
			t.Errorf("no socket with inode %d", ino)
			return
		}
		if s.Proto != proto || s.State != state || s.LocalAddr != laddr || s.LocalPort != lport || s.RemoteAddr != raddr || s.RemotePort != rport || s.Listening != listening || s.OwnerStatus != owner {
			t.Errorf("inode %d: %+v", ino, s)
		}
		var got []int
		for _, o := range s.Owners {
			got = append(got, o.PID)
		}
		if !slices.Equal(got, pids) {
			t.Errorf("inode %d owners %v, want %v", ino, got, pids)
		}
	}
	check(2001, "tcp", "LISTEN", "0.0.0.0", 22, "0.0.0.0", 0, true, artifact.OwnedBy, 200)
	check(2002, "tcp6", "LISTEN", "::", 22, "::", 0, true, artifact.OwnedBy, 200)
	check(3001, "tcp", "ESTABLISHED", "10.0.2.2", 41202, "203.0.113.5", 4444, false, artifact.OwnedBy, 300)
	// The hidden process's listener: nobody listed holds it.
	check(4001, "tcp", "LISTEN", "0.0.0.0", 31337, "0.0.0.0", 0, true, artifact.OwnerNone)
	check(0, "tcp", "TIME_WAIT", "10.0.2.2", 22, "10.0.2.1", 54321, false, artifact.OwnerNoInode)
	check(5001, "udp", "UNCONN", "0.0.0.0", 68, "0.0.0.0", 0, true, artifact.OwnerNone)
	if s := by[3001]; s.Owners[0].Name != "kworker/0:1" || s.Owners[0].FD != 5 || *s.UID != 1000 || s.User != "bob" {
		t.Errorf("owner of 3001: %+v", s)
	}
	if st.Unowned != 2 {
		t.Errorf("unowned %d", st.Unowned)
	}
	var un artifact.UnownedSockets
	sink.decode(t, "volatile/findings/unowned_sockets.json", &un)
	if len(un.Sockets) != 2 || un.Sockets[0].Inode != 4001 || un.Sockets[1].Inode != 5001 {
		t.Errorf("unowned finding: %+v", un.Sockets)
	}

	var ut artifact.UnixSocketTable
	sink.decode(t, "volatile/network/unix_sockets.json", &ut)
	if ut.Count != 3 || ut.Sockets[0].Path != "/run/systemd/private" || !ut.Sockets[0].Listening || ut.Sockets[0].Owners[0].PID != 1 ||
		ut.Sockets[1].Path != "@evil" || ut.Sockets[1].Type != "dgram" || ut.Sockets[1].Owners[0].PID != 300 ||
		ut.Sockets[2].Path != "" || ut.Sockets[2].OwnerStatus != artifact.OwnerNone || ut.Sockets[2].State != "connected" {
		t.Errorf("unix: %+v", ut.Sockets)
	}
	var lis artifact.Listening
	sink.decode(t, "volatile/network/listening.json", &lis)
	var li []uint64
	for _, s := range lis.Inet {
		li = append(li, s.Inode)
	}
	if !slices.Equal(li, []uint64{2001, 4001, 2002, 5001}) || len(lis.Unix) != 1 || lis.Unix[0].Inode != 1001 {
		t.Errorf("listening inet %v unix %+v", li, lis.Unix)
	}

	var it artifact.InterfaceTable
	sink.decode(t, "volatile/network/interfaces.json", &it)
	if len(it.Interfaces) != 2 {
		t.Fatalf("interfaces %+v", it)
	}
	lo, eth := it.Interfaces[0], it.Interfaces[1]
	if lo.Name != "lo" || lo.Index != 1 || !slices.Equal(lo.Flags, []string{"up", "loopback"}) || !slices.Equal(lo.Addresses, []string{"::1/128"}) || lo.MTU != 65536 {
		t.Errorf("lo %+v", lo)
	}
	if eth.Name != "eth0" || eth.MAC != "52:54:00:aa:bb:cc" || eth.OperState != "up" || !slices.Equal(eth.Flags, []string{"up", "broadcast", "multicast"}) || !slices.Equal(eth.Addresses, []string{"2001:db8::2/64"}) {
		t.Errorf("eth0 %+v", eth)
	}

	var rt artifact.RouteTable
	sink.decode(t, "volatile/network/routes.json", &rt)
	if len(rt.IPv4) != 2 || rt.IPv4[0].Destination != "0.0.0.0/0" || rt.IPv4[0].Gateway != "10.0.2.1" || rt.IPv4[0].Metric != 100 ||
		!slices.Equal(rt.IPv4[0].Flags, []string{"up", "gateway"}) || rt.IPv4[1].Destination != "10.0.2.0/24" || rt.IPv4[1].Gateway != "" {
		t.Errorf("ipv4 routes %+v", rt.IPv4)
	}
	if len(rt.IPv6) != 2 || rt.IPv6[0].Destination != "2001:db8::/64" || rt.IPv6[1].Destination != "::/0" || rt.IPv6[1].Gateway != "2001:db8::1" || rt.IPv6[1].Metric != 1024 {
		t.Errorf("ipv6 routes %+v", rt.IPv6)
	}

	var nt artifact.NeighbourTable
	sink.decode(t, "volatile/network/neighbours.json", &nt)
	if nt.Source != "/proc/net/arp" || len(nt.Notes) != 1 || len(nt.Neighbours) != 2 ||
		nt.Neighbours[0] != (artifact.Neighbour{IP: "10.0.2.1", MAC: "52:54:00:12:34:56", Device: "eth0", State: "complete"}) ||
		nt.Neighbours[1].State != "incomplete" {
		t.Errorf("neighbours %+v", nt)
	}
}

// TestNetworkMissingTables: unreadable tables are records saying why, and
// the JSON still comes.
func TestNetworkMissingTables(t *testing.T) {
	env := &Env{Root: t.TempDir(), Now: func() time.Time { return fixtureNow }}
	sink := &memSink{}
	if err := (&Network{}).Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	r := sink.record(t, "volatile/raw/proc/net/tcp")
	if r.Outcome != manifest.OutcomeVanished || r.Entry != manifest.EntryNone || len(r.Errors) == 0 {
		t.Errorf("missing tcp: %+v", r)
	}
	var st artifact.SocketTable
	sink.decode(t, "volatile/network/sockets.json", &st)
	if st.Count != 0 || len(st.Errors) == 0 {
		t.Errorf("%+v", st)
	}
}
