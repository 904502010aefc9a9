package procfs

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

const tcp4 = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 12345 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C40 0100007F:0035 01 00000002:00000003 00:00000000 00000000  1000        0 12346 1 0000000000000000 20 4 30 10 -1
   2: garbage
`

func TestParseInet4(t *testing.T) {
	s, errs := ParseInet([]byte(tcp4))
	if len(s) != 2 || len(errs) != 1 || errs[0].Line != 4 {
		t.Fatalf("got %d sockets, errs %v", len(s), errs)
	}
	want := netip.MustParseAddrPort("127.0.0.1:53")
	if s[0].Local != want || s[0].State != TCPListen || s[0].StateName != "LISTEN" || s[0].UID != 101 || s[0].Inode != 12345 {
		t.Errorf("socket 0: %+v", s[0])
	}
	if s[1].Remote != want || s[1].Local.Port() != 40000 || s[1].TxQueue != 2 || s[1].RxQueue != 3 || s[1].StateName != "ESTABLISHED" {
		t.Errorf("socket 1: %+v", s[1])
	}
}

func TestParseInet6(t *testing.T) {
	// ::1 port 22 and ::ffff:127.0.0.1 as the kernel prints them on a
	// little-endian host.
	in := "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 00000000000000000000000001000000:0016 0000000000000000FFFF00000100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 777 1\n"
	s, errs := ParseInet([]byte(in))
	if len(errs) != 0 || len(s) != 1 {
		t.Fatal(errs)
	}
	if s[0].Local != netip.MustParseAddrPort("[::1]:22") || s[0].Remote != netip.MustParseAddrPort("[::ffff:127.0.0.1]:8080") {
		t.Errorf("%v %v", s[0].Local, s[0].Remote)
	}
}

func TestParseUnix(t *testing.T) {
	in := "Num       RefCount Protocol Flags    Type St Inode Path\n" +
		"0000000000000000: 00000002 00000000 00010000 0001 01 20001 /run/a b.sock\n" +
		"0000000000000000: 00000003 00000000 00000000 0001 03  1072\n" +
		"0000000000000000: 00000002 00000000 00000000 0002 01 20003 @abstract\n"
	s, errs := ParseUnix([]byte(in))
	if len(errs) != 0 || len(s) != 3 {
		t.Fatal(s, errs)
	}
	if !s[0].Listening || s[0].Path != "/run/a b.sock" || s[0].TypeName != "stream" || s[0].Inode != 20001 {
		t.Errorf("%+v", s[0])
	}
	if s[1].Listening || s[1].Path != "" || s[1].StateName != "connected" || s[1].Inode != 1072 {
		t.Errorf("%+v", s[1])
	}
	if s[2].Path != "@abstract" || s[2].TypeName != "dgram" {
		t.Errorf("%+v", s[2])
	}
}

func TestParseRoutes(t *testing.T) {
	in := "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
		"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
	r, errs := ParseRoute([]byte(in))
	if len(errs) != 0 || len(r) != 2 {
		t.Fatal(errs)
	}
	if r[0].Dest.String() != "0.0.0.0/0" || r[0].Gateway.String() != "192.0.2.1" || r[0].Metric != 100 || r[0].Flags&RouteGateway == 0 {
		t.Errorf("%+v", r[0])
	}
	if r[1].Dest.String() != "192.0.2.0/24" {
		t.Errorf("%+v", r[1])
	}
	in6 := "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n"
	r, errs = ParseIPv6Route([]byte(in6))
	if len(errs) != 0 || len(r) != 1 || r[0].Dest.String() != "::/0" || r[0].Gateway.String() != "fd00::1" || r[0].Metric != 1024 || r[0].Iface != "eth0" {
		t.Fatal(r, errs)
	}
}

func TestParseARPAndIfInet6(t *testing.T) {
	arp := "IP address       HW type     Flags       HW address            Mask     Device\n192.0.2.1        0x1         0x2         02:fc:00:00:00:05     *        eth0\n"
	a, errs := ParseARP([]byte(arp))
	if len(errs) != 0 || len(a) != 1 || a[0].IP.String() != "192.0.2.1" || a[0].HWAddr != "02:fc:00:00:00:05" || a[0].Flags != ARPComplete || a[0].Device != "eth0" {
		t.Fatal(a, errs)
	}
	i6, errs := ParseIfInet6([]byte("fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n"))
	if len(errs) != 0 || len(i6) != 1 || i6[0].Addr.String() != "fe80::fc:ff:fe00:1" || i6[0].Index != 4 || i6[0].PrefixLen != 64 || i6[0].Iface != "eth0" {
		t.Fatal(i6, errs)
	}
}

func TestParseStat(t *testing.T) {
	in := "4242 (evil) (x) S 1 4242 4242 0 -1 4194560 10 0 0 0 7 3 0 0 20 0 2 0 123456 10485760 256 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	s, err := ParseStat([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.PID != 4242 || s.Comm != "evil) (x" || s.State != "S" || s.PPID != 1 || s.UTime != 7 || s.STime != 3 || s.NumThreads != 2 || s.StartTime != 123456 || s.VSize != 10485760 || s.RSS != 256 {
		t.Errorf("%+v", s)
	}
	for _, bad := range []string{"", "1 (x", "x (y) S 1", "1 (a) S 1 2 3"} {
		if _, err := ParseStat([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseStatus(t *testing.T) {
	in := "Name:\tsleep\\nx\nState:\tS (sleeping)\nTgid:\t10\nPid:\t11\nPPid:\t1\nTracerPid:\t0\nUid:\t1000\t0\t0\t0\nGid:\t100\t100\t100\t100\nGroups:\t4 27 \nNSpid:\t11\t1\nVmSize:\t    1000 kB\nVmRSS:\t     200 kB\nThreads:\t3\nSeccomp:\t2\n"
	s, err := ParseStatus([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "sleep\nx" || s.Tgid != 10 || s.PID != 11 || s.UID != [4]uint32{1000, 0, 0, 0} || s.GID[1] != 100 ||
		!slices.Equal(s.Groups, []uint32{4, 27}) || !slices.Equal(s.NSpid, []int{11, 1}) || s.VmRSSKB != 200 || !s.HasVM || s.Threads != 3 || s.Seccomp != 2 {
		t.Errorf("%+v", s)
	}
}

func TestSplitNULAndNames(t *testing.T) {
	if got := SplitNUL([]byte("a\x00b c\x00\xff\x00")); !slices.Equal(got, []string{"a", "b c", "\xff"}) {
		t.Errorf("%q", got)
	}
	if got := SplitNUL([]byte("proctitle rewritten")); !slices.Equal(got, []string{"proctitle rewritten"}) {
		t.Errorf("%q", got)
	}
	if got := SplitNUL([]byte("a\x00\x00")); !slices.Equal(got, []string{"a", ""}) {
		t.Errorf("%q", got)
	}
	if n, ok := SocketInode("socket:[123]"); !ok || n != 123 {
		t.Error(n, ok)
	}
	if _, ok := SocketInode("pipe:[123]"); ok {
		t.Error("pipe as socket")
	}
	if n, ok := NamespaceInode("net:[4026531840]"); !ok || n != 4026531840 {
		t.Error(n, ok)
	}
	if bt, err := BootTime([]byte("cpu 1 2\nbtime 1700000000\n")); err != nil || !bt.Equal(time.Unix(1700000000, 0)) || bt.Location() != time.UTC {
		t.Error(bt, err)
	}
	for in, want := range map[string]string{"cpu 1\n": "no btime line", "btime x\n": `btime "x"`} {
		if _, err := BootTime([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}

// FuzzNet feeds the /proc/net parsers anything: they must not panic, and
// what they return must be consistent (every line accounted for at most once).
func FuzzNet(f *testing.F) {
	f.Add([]byte(tcp4))
	f.Add([]byte("0000000000000000: 00000002 00000000 00010000 0001 01 20001 /x\n"))
	f.Add([]byte("eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"))
	f.Add([]byte("IP address HW\n1.2.3.4 0x1 0x2 aa * eth0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := 0
		forLines(data, func(int, []byte) { lines++ })
		check := func(n, e int) {
			if n+e > lines {
				t.Fatalf("%d results + %d errors from %d lines", n, e, lines)
			}
		}
		a, e1 := ParseInet(data)
		check(len(a), len(e1))
		b, e2 := ParseUnix(data)
		check(len(b), len(e2))
		c, e3 := ParseRoute(data)
		check(len(c), len(e3))
		d, e4 := ParseIPv6Route(data)
		check(len(d), len(e4))
		g, e5 := ParseARP(data)
		check(len(g), len(e5))
		h, e6 := ParseIfInet6(data)
		check(len(h), len(e6))
		ParseStat(data)
		ParseStatus(data)
		SplitNUL(data)
	})
}
