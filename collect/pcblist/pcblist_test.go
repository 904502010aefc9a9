package pcblist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hozen-dfir/hozen/artifact"
)

// sock is the part of a Socket the fixture tables check.
type sock struct {
	proto, state     string
	local, remote    string
	listening        bool
	uid              int64 // -1: none
	owners           string
	ownerStatus      string
	rxQueue, txQueue uint64
}

func sockOf(s artifact.Socket) sock {
	o := sock{proto: s.Proto, state: s.State, listening: s.Listening, uid: -1, ownerStatus: s.OwnerStatus,
		local:  hostPortString(s.LocalAddr, s.LocalPort),
		remote: hostPortString(s.RemoteAddr, s.RemotePort), rxQueue: s.RxQueue, txQueue: s.TxQueue}
	if s.UID != nil {
		o.uid = int64(*s.UID)
	}
	var ow []string
	for _, x := range s.Owners {
		ow = append(ow, fmt.Sprintf("%d/%s/%s/%d", x.PID, x.Name, x.Role, x.FD))
	}
	o.owners = strings.Join(ow, ",")
	return o
}

func hostPortString(a string, p uint16) string {
	if strings.Contains(a, ":") {
		return fmt.Sprintf("[%s]:%d", a, p)
	}
	return fmt.Sprintf("%s:%d", a, p)
}

func fakeNames(pid int) string { return fmt.Sprintf("p%d", pid) }

func TestParsePCBListFixtures(t *testing.T) {
	for _, tc := range []struct {
		file      string
		transport string
		want      []sock
		errs      []string // substrings, in order
		ended     bool
		unknown   map[uint32]int
	}{{
		file: "tcp.hex", transport: "tcp", ended: true,
		want: []sock{
			{proto: "tcp", state: "LISTEN", local: "0.0.0.0:22", remote: "0.0.0.0:0", listening: true, uid: 0, owners: "100/p100/last/-1", ownerStatus: artifact.OwnedBy},
			{proto: "tcp", state: "ESTABLISHED", local: "192.168.1.10:22", remote: "203.0.113.5:51234", uid: 0, owners: "101/p101/last/-1", ownerStatus: artifact.OwnedBy, rxQueue: 3, txQueue: 2},
			{proto: "tcp6", state: "LISTEN", local: "[::]:8080", remote: "[::]:0", listening: true, uid: 501, owners: "200/p200/last/-1", ownerStatus: artifact.OwnedBy},
			{proto: "tcp6", state: "ESTABLISHED", local: "[2001:db8::1]:443", remote: "[2001:db8::2]:50000", uid: 501, owners: "300/p300/last/-1,301/p301/effective/-1", ownerStatus: artifact.OwnedBy},
			{proto: "tcp6", state: "ESTABLISHED", local: "[::ffff:127.0.0.1]:5000", remote: "[::ffff:127.0.0.1]:6000", uid: 501, owners: "200/p200/last/-1", ownerStatus: artifact.OwnedBy},
			{proto: "tcp", state: "TIME_WAIT", local: "10.0.0.2:40000", remote: "198.51.100.7:80", uid: -1, ownerStatus: artifact.OwnerNoInode},
		},
	}, {
		file: "udp.hex", transport: "udp", ended: true,
		want: []sock{
			{proto: "udp", state: "UNCONN", local: "0.0.0.0:5353", remote: "0.0.0.0:0", listening: true, uid: 65, owners: "50/p50/last/-1", ownerStatus: artifact.OwnedBy},
			{proto: "udp6", state: "ESTABLISHED", local: "[::1]:53", remote: "[::1]:40000", uid: 0, owners: "51/p51/last/-1", ownerStatus: artifact.OwnedBy, rxQueue: 512},
			{proto: "udp", state: "UNCONN", local: "127.0.0.1:9999", remote: "0.0.0.0:0", listening: true, uid: 0, ownerStatus: artifact.OwnerNone},
		},
	}, {
		file: "truncated.hex", transport: "tcp",
		want: []sock{
			{proto: "tcp", state: "LISTEN", local: "0.0.0.0:22", remote: "0.0.0.0:0", listening: true, uid: 0, owners: "100/p100/last/-1", ownerStatus: artifact.OwnedBy},
			// The second PCB's xinpcb_n arrived whole; its socket did not.
			{proto: "tcp", state: "UNKNOWN", local: "192.168.1.10:22", remote: "203.0.113.5:51234", uid: -1, ownerStatus: artifact.OwnerNoInode},
		},
		errs: []string{"item length 104 (kind 0x1): runs past the end of the blob (40 bytes left)", "no trailing xinpgen"},
	}, {
		file: "unknown_kind.hex", transport: "tcp", ended: true, unknown: map[uint32]int{0x400: 1},
		want: []sock{
			{proto: "tcp", state: "LISTEN", local: "127.0.0.1:631", remote: "0.0.0.0:0", listening: true, uid: 0, owners: "77/p77/last/-1", ownerStatus: artifact.OwnedBy},
		},
	}, {
		file: "newer_kernel.hex", transport: "tcp", ended: true,
		want: []sock{
			{proto: "tcp6", state: "ESTABLISHED", local: "[fe80::1]:7000", remote: "[fe80::2]:7001", uid: 20, owners: "88/p88/last/-1", ownerStatus: artifact.OwnedBy},
		},
	}, {
		file: "older_kernel.hex", transport: "udp", ended: true,
		want: []sock{
			{proto: "udp", state: "UNCONN", local: "0.0.0.0:137", remote: "0.0.0.0:0", listening: true, uid: 0, owners: "33/p33/last/-1", ownerStatus: artifact.OwnedBy},
		},
	}} {
		t.Run(tc.file, func(t *testing.T) {
			list, err := Parse(readHexFixture(t, tc.file))
			var got []sock
			for _, p := range list.PCBs {
				got = append(got, sockOf(p.Socket(tc.transport, fakeNames)))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("sockets:\n got %+v\nwant %+v", got, tc.want)
			}
			checkErrs(t, err, tc.errs)
			if list.Ended != tc.ended {
				t.Errorf("ended %v, want %v", list.Ended, tc.ended)
			}
			if !reflect.DeepEqual(list.Unknown, tc.unknown) {
				t.Errorf("unknown kinds %v, want %v", list.Unknown, tc.unknown)
			}
		})
	}
}

// checkErrs asserts that err joins exactly the errors named by want
// (substrings, in order), each a *Error.
func checkErrs(t *testing.T, err error, want []string) {
	t.Helper()
	var got []error
	if err != nil {
		got = unwrapAll(err)
	}
	if len(got) != len(want) {
		t.Fatalf("errors %q, want %d like %q", got, len(want), want)
	}
	for i, e := range got {
		var pe *Error
		if !errors.As(e, &pe) {
			t.Errorf("error %d %q is %T, not *Error", i, e, e)
		}
		if !strings.Contains(e.Error(), want[i]) {
			t.Errorf("error %d %q does not say %q", i, e, want[i])
		}
	}
}

// TestParsePCBListHeaderAndCounts checks what the xinpgen records say.
func TestParsePCBListHeaderAndCounts(t *testing.T) {
	list, err := Parse(readHexFixture(t, "tcp.hex"))
	if err != nil {
		t.Fatal(err)
	}
	if list.Count != 6 || list.Gen != 42 || list.EndCount != 6 || list.EndGen != 42 {
		t.Errorf("header %d/%d, trailer %d/%d", list.Count, list.Gen, list.EndCount, list.EndGen)
	}
	if list.PCBs[0].Offset != 24 {
		t.Errorf("first PCB at %d, want 24 (after the 24-byte xinpgen)", list.PCBs[0].Offset)
	}
	// A PCB's items: 104 + 104 + 32 + 32 + 136 + 208 (xtcpcb_n 204, rounded).
	if d := list.PCBs[1].Offset - list.PCBs[0].Offset; d != 616 {
		t.Errorf("PCB stride %d, want 616", d)
	}
}

// hostile builds a blob from a header, raw item bytes and a trailer.
func hostile(count uint32, items ...[]byte) []byte {
	w := &pcbBlob{}
	w.xinpgen(count, 1)
	for _, it := range items {
		w.put("item", it)
	}
	return w.b
}

func item(l, kind uint32, size int) []byte {
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b, l)
	binary.LittleEndian.PutUint32(b[4:], kind)
	return b
}

func trailer(count uint32) []byte {
	w := &pcbBlob{}
	w.xinpgen(count, 1)
	return w.b
}

// onePCB is a well-formed UDP PCB (127.0.0.1:9, pid 5).
func onePCB() []byte {
	w := &pcbBlob{}
	w.pcb(false, pcbSpec{vflag: inpIPv4, local: "127.0.0.1:9", remote: "0.0.0.0:0", so: 1, lastPID: 5, ePID: 5})
	return w.b
}

// TestParsePCBListHostile feeds blobs a broken or lying kernel (or a
// tampered copy) could give: the parser keeps what decoded and names the
// problem.
func TestParsePCBListHostile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		blob  []byte
		pcbs  int
		ended bool
		errs  []string
	}{
		{"empty", nil, 0, false, []string{"0 bytes: shorter than struct xinpgen"}},
		{"short header", make([]byte, 23), 0, false, []string{"23 bytes: shorter than struct xinpgen"}},
		{"header length 0", make([]byte, 24), 0, false, []string{"xig_len 0: not between 24"}},
		{"header length past end", append(item(4096, 0, 8), make([]byte, 16)...), 0, false, []string{"xig_len 4096"}},
		{"header only", trailer(0), 0, false, []string{"no trailing xinpgen"}},
		{"empty list", hostile(0, trailer(0)), 0, true, nil},
		{"item length 0", hostile(1, item(0, xsoInPCB, 8)), 0, false,
			[]string{"offset 24: item length 0 (kind 0x10): shorter than any item", "no trailing xinpgen"}},
		{"item length 7", hostile(1, item(7, xsoSocket, 8)), 0, false,
			[]string{"item length 7 (kind 0x1): shorter than any item", "no trailing xinpgen"}},
		{"item length past end", hostile(1, onePCB(), item(0xffffffff, xsoInPCB, 16)), 1, false,
			[]string{"item length 4294967295 (kind 0x10): runs past the end", "no trailing xinpgen"}},
		{"stray bytes", hostile(1, onePCB(), []byte{1, 2, 3}), 1, false,
			[]string{"3 stray bytes", "no trailing xinpgen"}},
		{"count lies high", hostile(0xffffffff, onePCB(), trailer(0xffffffff)), 1, true, nil},
		{"count lies low", hostile(0, onePCB(), onePCB(), trailer(0)), 2, true,
			[]string{"2 PCBs listed, more than the kernel counted (xig_count 0, then 0)"}},
		{"socket before any pcb", hostile(0, item(104, xsoSocket, 104), trailer(0)), 0, true,
			[]string{"offset 24: item kind 0x1 before any xinpcb_n"}},
		{"short xinpcb_n", hostile(1, item(40, xsoInPCB, 40), item(104, xsoSocket, 104), trailer(1)), 0, true,
			[]string{"xinpcb_n of 40 bytes: shorter than the 80"}},
		{"short xsocket_n", hostile(1, onePCB()[:104], item(40, xsoSocket, 40), trailer(1)), 1, true,
			[]string{"xsocket_n of 40 bytes: shorter than the 76 through so_e_pid"}},
		{"short xtcpcb_n", hostile(1, onePCB()[:104], item(32, xsoTCPCB, 32), trailer(1)), 1, true,
			[]string{"xtcpcb_n of 32 bytes: no t_state"}},
		{"duplicate socket", hostile(1, onePCB(), item(104, xsoSocket, 104), trailer(1)), 1, true,
			[]string{"second item of kind 0x1 in the PCB at offset 24"}},
		{"vflag 0", hostile(1, item(104, xsoInPCB, 104), trailer(1)), 1, true,
			[]string{"inp_vflag 0x0 names neither IPv4 nor IPv6"}},
		{"bytes after trailer", hostile(1, onePCB(), trailer(1), []byte("junk")), 1, true,
			[]string{"4 bytes after the trailing xinpgen"}},
		{"trailer cut short", hostile(1, onePCB(), trailer(1)[:12]), 1, true,
			[]string{"trailing xinpgen cut short: 12 of 24 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := Parse(tc.blob)
			if len(list.PCBs) != tc.pcbs || list.Ended != tc.ended {
				t.Errorf("%d PCBs, ended %v; want %d, %v", len(list.PCBs), list.Ended, tc.pcbs, tc.ended)
			}
			checkErrs(t, err, tc.errs)
		})
	}
}

// TestParsePCBListBounds: a blob of many broken items gives a bounded
// error list, and many unknown kinds a bounded map.
func TestParsePCBListBounds(t *testing.T) {
	var items [][]byte
	for range 100 {
		items = append(items, item(104, xsoSocket, 104)) // orphans
	}
	for k := range 40 {
		items = append(items, item(32, 0x10000<<(k%16)|uint32(k), 32))
	}
	_, err := Parse(hostile(0, append(items, trailer(0))...))
	errs := unwrapAll(err)
	if len(errs) != pcbMaxErrors+1 || !strings.Contains(errs[pcbMaxErrors].Error(), "and 68 more problems") {
		t.Errorf("%d errors, last %q", len(errs), errs[len(errs)-1])
	}
	list, _ := Parse(hostile(1, append([][]byte{onePCB()}, append(items[100:], trailer(1))...)...))
	if len(list.Unknown) != pcbMaxUnknownKinds+1 || list.Unknown[0xffffffff] != 40-pcbMaxUnknownKinds {
		t.Errorf("unknown kinds %v", list.Unknown)
	}
}

// FuzzPCBList: any bytes parse without panic, within bounds, the same way
// twice, and every PCB lies inside the blob.
func FuzzPCBList(f *testing.F) {
	for _, fx := range pcbFixtures() {
		f.Add(fx.blob.b)
	}
	f.Add(hostile(1, onePCB(), item(0xffffffff, xsoInPCB, 16)))
	f.Add(hostile(0, item(104, xsoSocket, 104), trailer(0)))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := Parse(b)
		if len(list.PCBs) > len(b)/xinpcbMin {
			t.Fatalf("%d PCBs from %d bytes", len(list.PCBs), len(b))
		}
		if err != nil && len(unwrapAll(err)) > pcbMaxErrors+1 {
			t.Fatalf("%d errors", len(unwrapAll(err)))
		}
		if err == nil && !list.Ended {
			t.Fatal("no error, but no trailer")
		}
		if len(list.Unknown) > pcbMaxUnknownKinds+1 {
			t.Fatalf("%d unknown kinds", len(list.Unknown))
		}
		for _, p := range list.PCBs {
			if p.Offset < xinpgenSize || p.Offset+xinpcbMin > len(b) {
				t.Fatalf("PCB at %d outside a %d-byte blob", p.Offset, len(b))
			}
			for _, tr := range []string{"tcp", "udp"} {
				s := p.Socket(tr, fakeNames)
				if s.Proto != tr && s.Proto != tr+"6" || s.State == "" || s.OwnerStatus == "" {
					t.Fatalf("socket %+v", s)
				}
			}
		}
		again, err2 := Parse(b)
		if !reflect.DeepEqual(list, again) || fmt.Sprint(err) != fmt.Sprint(err2) {
			t.Fatal("two parses differ")
		}
	})
}

// unwrapAll lists the errors an errors.Join holds, or err alone.
func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
