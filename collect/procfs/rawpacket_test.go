package procfs

import (
	"net/netip"
	"testing"
)

// Lines as a Linux 6.18 kernel printed them for a packet socket
// (ETH_P_ALL), a raw ICMP socket and a raw ICMPv6 socket.
const (
	packetFixture = "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n" +
		"00000000ca313fbf 3      3    0003   0     1 0      0      597576\n" +
		"0000000000000000 3      2    0800   2     1 4352   1000   597580\n" +
		"0000000000000000 3      3    zz03   0     1 0      0      597581\n"
	rawFixture = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
		"  11: 00000000:0001 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 597577 2 00000000c18523a8 5\n" +
		"  12: short line\n"
	raw6Fixture = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
		"  126: 00000000000000000000000000000000:003A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 597578 2 0000000025960c39 0\n"
)

func TestParsePacket(t *testing.T) {
	s, errs := ParsePacket([]byte(packetFixture))
	if len(s) != 2 || len(errs) != 1 || errs[0].Line != 4 {
		t.Fatalf("got %+v, errs %v", s, errs)
	}
	if s[0].Proto != 0x0003 || s[0].TypeName != "raw" || s[0].Iface != 0 || !s[0].Running || s[0].Inode != 597576 || s[0].UID != 0 {
		t.Errorf("socket 0: %+v", s[0])
	}
	if s[1].Proto != 0x0800 || s[1].TypeName != "dgram" || s[1].Iface != 2 || s[1].UID != 1000 || s[1].Rmem != 4352 {
		t.Errorf("socket 1: %+v", s[1])
	}
}

func TestParseRaw(t *testing.T) {
	s, errs := ParseRaw([]byte(rawFixture))
	if len(s) != 1 || len(errs) != 1 || errs[0].Line != 3 {
		t.Fatalf("got %+v, errs %v", s, errs)
	}
	if s[0].Protocol != 1 || s[0].Inode != 597577 || s[0].Drops != 5 || s[0].Local.Addr() != netip.IPv4Unspecified() {
		t.Errorf("%+v", s[0])
	}
	s, errs = ParseRaw([]byte(raw6Fixture))
	if len(s) != 1 || len(errs) != 0 || s[0].Protocol != 58 || s[0].Inode != 597578 {
		t.Fatalf("%+v %v", s, errs)
	}
}

// FuzzRawPacket feeds the raw and packet parsers anything: no panic, and
// no more results and errors than lines.
func FuzzRawPacket(f *testing.F) {
	f.Add([]byte(packetFixture))
	f.Add([]byte(rawFixture))
	f.Add([]byte(raw6Fixture))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := 0
		forLines(data, func(int, []byte) { lines++ })
		a, e1 := ParseRaw(data)
		if len(a)+len(e1) > lines {
			t.Fatalf("raw: %d+%d from %d lines", len(a), len(e1), lines)
		}
		b, e2 := ParsePacket(data)
		if len(b)+len(e2) > lines {
			t.Fatalf("packet: %d+%d from %d lines", len(b), len(e2), lines)
		}
		for _, s := range a {
			if s.Protocol != s.Local.Port() {
				t.Fatalf("protocol %d, port %d", s.Protocol, s.Local.Port())
			}
		}
	})
}
