package pcblist

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the pcblist_n fixtures under testdata")

// pcbBlob builds a pcblist_n blob field by field, the way xnu lays it out
// (bsd/netinet/in_pcblist.c get_pcblist_n; structures from
// bsd/netinet/in_pcb.h, bsd/sys/socketvar.h, bsd/netinet/tcp_var.h, all
// under #pragma pack(4)). Each field keeps a note naming its struct member,
// so the fixture files are annotated hex a reader can check against the
// headers.
type pcbBlob struct {
	b     []byte
	lines []hexLine
}

type hexLine struct {
	off  int
	n    int
	note string
}

func (w *pcbBlob) put(note string, v []byte) {
	w.lines = append(w.lines, hexLine{off: len(w.b), n: len(v), note: note})
	w.b = append(w.b, v...)
}

func (w *pcbBlob) u8(note string, v uint8) { w.put(note, []byte{v}) }
func (w *pcbBlob) u16(note string, v uint16) {
	w.put(note, binary.LittleEndian.AppendUint16(nil, v))
}
func (w *pcbBlob) u32(note string, v uint32) {
	w.put(note, binary.LittleEndian.AppendUint32(nil, v))
}
func (w *pcbBlob) u64(note string, v uint64) {
	w.put(note, binary.LittleEndian.AppendUint64(nil, v))
}

// port is a u_short in network byte order.
func (w *pcbBlob) port(note string, v uint16) {
	w.put(note, binary.BigEndian.AppendUint16(nil, v))
}
func (w *pcbBlob) zero(note string, n int) { w.put(note, make([]byte, n)) }

// pad ends an item at the next multiple of 8 (ROUNDUP64).
func (w *pcbBlob) pad(start int) {
	if n := (len(w.b)-start+7)&^7 - (len(w.b) - start); n > 0 {
		w.zero("ROUNDUP64 padding", n)
	}
}

// at panics unless the next field starts off bytes into the item that
// starts at start: it ties the field-by-field layout here to the offsets
// the parser reads.
func (w *pcbBlob) at(start, off int) {
	if got := len(w.b) - start; got != off {
		panic(fmt.Sprintf("field at item offset %d, parser reads it at %d", got, off))
	}
}

// cut keeps the first n bytes, as a read cut short would.
func (w *pcbBlob) cut(n int) {
	w.b = w.b[:n]
	var keep []hexLine
	for _, l := range w.lines {
		if l.off >= n {
			break
		}
		l.n = min(l.n, n-l.off)
		keep = append(keep, l)
	}
	w.lines = keep
}

// xinpgen writes a struct xinpgen (header or trailer).
func (w *pcbBlob) xinpgen(count uint32, gen uint64) {
	w.u32("xinpgen.xig_len = sizeof(struct xinpgen)", xinpgenSize)
	w.u32("xinpgen.xig_count", count)
	w.u64("xinpgen.xig_gen", gen)
	w.u64("xinpgen.xig_sogen", gen+1000)
}

// inpcb writes a struct xinpcb_n (104 bytes) and extra bytes that a newer
// kernel might append, counted in xi_len.
func (w *pcbBlob) inpcb(vflag uint8, local, remote netip.AddrPort, extra int) {
	start := len(w.b)
	w.u32("xinpcb_n.xi_len", uint32(104+extra))
	w.u32("xinpcb_n.xi_kind = XSO_INPCB", xsoInPCB)
	w.u64("xinpcb_n.xi_inpp", 0xfeed0000+uint64(start))
	w.at(start, xinpcbFPort)
	w.port("xinpcb_n.inp_fport (network order)", remote.Port())
	w.at(start, xinpcbLPort)
	w.port("xinpcb_n.inp_lport (network order)", local.Port())
	w.u64("xinpcb_n.inp_ppcb (4-aligned: pack(4))", 0xbeef0000+uint64(start))
	w.u64("xinpcb_n.inp_gencnt", 7)
	w.u32("xinpcb_n.inp_flags", 0)
	w.u32("xinpcb_n.inp_flow", 0)
	w.at(start, xinpcbVFlag)
	w.u8(fmt.Sprintf("xinpcb_n.inp_vflag = %#x", vflag), vflag)
	w.u8("xinpcb_n.inp_ip_ttl", 64)
	w.u8("xinpcb_n.inp_ip_p", 0)
	w.zero("padding to inp_dependfaddr (4-aligned)", 1)
	w.at(start, xinpcbFAddr)
	w.addr("xinpcb_n.inp_dependfaddr", remote.Addr())
	w.at(start, xinpcbLAddr)
	w.addr("xinpcb_n.inp_dependladdr", local.Addr())
	w.u8("xinpcb_n.inp_depend4.inp4_ip_tos", 0)
	w.zero("padding to inp_depend6 (4-aligned)", 3)
	w.zero("xinpcb_n.inp_depend6 {inp6_hlim, inp6_cksum, inp6_ifindex, inp6_hops}", 12)
	w.u32("xinpcb_n.inp_flowhash", 0x1234)
	w.u32("xinpcb_n.inp_flags2", 0)
	w.at(start, 104)
	if extra > 0 {
		w.put("fields of a newer kernel (not decoded)", bytes.Repeat([]byte{0xee}, extra))
	}
	w.pad(start)
}

// addr writes a 16-byte address union: in6_addr, or in_addr_4in6 with the
// IPv4 address in its last 4 bytes.
func (w *pcbBlob) addr(note string, a netip.Addr) {
	if a.Is4() {
		w.zero(note+".inp46_*.ia46_pad32[3]", 12)
		w.put(note+".inp46_*.ia46_addr4 = "+a.String(), a.AsSlice())
		return
	}
	w.put(note+".inp6_* = "+a.String(), a.AsSlice())
}

// socket writes a struct xsocket_n of size bytes: 76 (older kernels,
// through so_e_pid), 104 (current) or more. so is xso_so: 0 for a PCB
// whose socket is gone.
func (w *pcbBlob) socket(so uint64, uid uint32, lastPID, ePID int32, size int) {
	start := len(w.b)
	w.u32("xsocket_n.xso_len", uint32(size))
	w.u32("xsocket_n.xso_kind = XSO_SOCKET", xsoSocket)
	w.at(start, xsocketSo)
	w.u64("xsocket_n.xso_so", so)
	w.u16("xsocket_n.so_type", 1)
	w.zero("padding to so_options (4-aligned)", 2)
	w.u32("xsocket_n.so_options", 0)
	w.u16("xsocket_n.so_linger", 0)
	w.u16("xsocket_n.so_state", 0)
	w.u64("xsocket_n.so_pcb (4-aligned: pack(4))", so+8)
	w.u32("xsocket_n.xso_protocol", 0)
	w.u32("xsocket_n.xso_family", 0)
	w.zero("xsocket_n.so_qlen, so_incqlen, so_qlimit, so_timeo, so_error", 10)
	w.zero("padding to so_pgid (4-aligned)", 2)
	w.u32("xsocket_n.so_pgid", 0)
	w.u32("xsocket_n.so_oobmark", 0)
	w.at(start, xsocketUID)
	w.u32("xsocket_n.so_uid", uid)
	w.at(start, xsocketLastPID)
	w.u32("xsocket_n.so_last_pid", uint32(lastPID))
	w.at(start, xsocketEPID)
	w.u32("xsocket_n.so_e_pid", uint32(ePID))
	w.at(start, xsocketMin)
	if size > xsocketMin {
		n := min(size, 104) - xsocketMin
		w.zero("xsocket_n.so_gencnt, so_flags, so_flags1, so_usecount, so_retaincnt, xso_filter_flags", n)
	}
	if size > 104 {
		w.put("fields of a newer kernel (not decoded)", bytes.Repeat([]byte{0xee}, size-104))
	}
	w.pad(start)
}

// sockbuf writes a struct xsockbuf_n (32 bytes).
func (w *pcbBlob) sockbuf(kind uint32, cc uint32) {
	start := len(w.b)
	name := map[uint32]string{xsoRcvBuf: "XSO_RCVBUF", xsoSndBuf: "XSO_SNDBUF", 0: "0 (no socket)"}[kind]
	w.u32("xsockbuf_n.xsb_len", 32)
	w.u32("xsockbuf_n.xsb_kind = "+name, kind)
	w.at(start, xsockbufCC)
	w.u32("xsockbuf_n.sb_cc", cc)
	w.zero("xsockbuf_n.sb_hiwat, sb_mbcnt, sb_mbmax, sb_lowat, sb_flags, sb_timeo", 20)
	w.at(start, 32)
	w.pad(start)
}

// stats writes a struct xsockstat_n (136 bytes).
func (w *pcbBlob) stats() {
	start := len(w.b)
	w.u32("xsockstat_n.xst_len", 136)
	w.u32("xsockstat_n.xst_kind = XSO_STATS", xsoStats)
	w.zero("xsockstat_n.xst_tc_stats[SO_TC_STATS_MAX = 4] (struct data_stats, 32 bytes each)", 128)
	w.pad(start)
}

// tcpcb writes a struct xtcpcb_n (204 bytes) and extra bytes.
func (w *pcbBlob) tcpcb(state int32, extra int) {
	start := len(w.b)
	w.u32("xtcpcb_n.xt_len", uint32(204+extra))
	w.u32("xtcpcb_n.xt_kind = XSO_TCPCB", xsoTCPCB)
	w.u64("xtcpcb_n.t_segq", 0)
	w.u32("xtcpcb_n.t_dupacks", 0)
	w.zero("xtcpcb_n.t_timer[TCPT_NTIMERS_EXT = 4]", 16)
	w.at(start, xtcpcbState)
	w.u32(fmt.Sprintf("xtcpcb_n.t_state = %d (tcp_fsm.h)", state), uint32(state))
	w.zero("xtcpcb_n.t_flags ... snd_ssthresh_prev (not decoded)", 204-xtcpcbMin)
	if extra > 0 {
		w.put("fields of a newer kernel (not decoded)", bytes.Repeat([]byte{0xee}, extra))
	}
	w.pad(start)
}

// unknown writes an item of a kind this parser does not know.
func (w *pcbBlob) unknown(kind uint32, size int) {
	start := len(w.b)
	w.u32("item len", uint32(size))
	w.u32(fmt.Sprintf("item kind = %#x (unknown to hozen)", kind), kind)
	w.put("item body", bytes.Repeat([]byte{0x5a}, size-8))
	w.pad(start)
}

// pcbSpec is one PCB of a fixture.
type pcbSpec struct {
	vflag           uint8
	local, remote   string
	so              uint64
	uid             uint32
	lastPID, ePID   int32
	rcvCC, sndCC    uint32
	state           int32 // TCP only
	inpcbExtra      int
	socketSize      int // 0: 104
	tcpExtra        int
	unknownKind     uint32 // an extra item after the socket buffers, if not 0
	noSocketBufKind bool   // socket gone: buffers' kinds left 0
}

// pcb writes a PCB as the kernel does: xinpcb_n, xsocket_n, two
// xsockbuf_n, xsockstat_n, and xtcpcb_n for TCP.
func (w *pcbBlob) pcb(tcp bool, p pcbSpec) {
	w.inpcb(p.vflag, netip.MustParseAddrPort(p.local), netip.MustParseAddrPort(p.remote), p.inpcbExtra)
	size := p.socketSize
	if size == 0 {
		size = 104
	}
	w.socket(p.so, p.uid, p.lastPID, p.ePID, size)
	rk, sk := uint32(xsoRcvBuf), uint32(xsoSndBuf)
	if p.noSocketBufKind {
		rk, sk = 0, 0
	}
	w.sockbuf(rk, p.rcvCC)
	w.sockbuf(sk, p.sndCC)
	if p.unknownKind != 0 {
		w.unknown(p.unknownKind, 44)
	}
	w.stats()
	if tcp {
		w.tcpcb(p.state, p.tcpExtra)
	}
}

// hex renders the blob as annotated hex: up to 16 bytes a line, the field
// on the first line of each.
func (w *pcbBlob) hex(title string) []byte {
	var out bytes.Buffer
	fmt.Fprintf(&out, "# %s\n# Generated by TestPCBListFixtures (go test -run TestPCBListFixtures -update); each line: bytes, offset, field.\n", title)
	for _, l := range w.lines {
		for i := 0; i < l.n; i += 16 {
			chunk := w.b[l.off+i : l.off+min(i+16, l.n)]
			note := fmt.Sprintf("%#06x %s", l.off, l.note)
			if i > 0 {
				note = fmt.Sprintf("%#06x   (cont.)", l.off+i)
			}
			h := strings.TrimSpace(fmt.Sprintf("% x", chunk))
			fmt.Fprintf(&out, "%-47s # %s\n", h, note)
		}
	}
	return out.Bytes()
}

// readHexFixture decodes an annotated hex file.
func readHexFixture(t testing.TB, name string) []byte {
	t.Helper()
	txt, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for n, line := range strings.Split(string(txt), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, f := range strings.Fields(line) {
			b, err := hex.DecodeString(f)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, n+1, err)
			}
			out = append(out, b...)
		}
	}
	return out
}

// TCP states (bsd/netinet/tcp_fsm.h).
const (
	tcpsClosed      = 0
	tcpsListen      = 1
	tcpsEstablished = 4
	tcpsTimeWait    = 10
)

// pcbFixtures builds every fixture, by file name.
func pcbFixtures() map[string]struct {
	title string
	blob  *pcbBlob
} {
	out := map[string]struct {
		title string
		blob  *pcbBlob
	}{}
	add := func(name, title string, w *pcbBlob) {
		out[name] = struct {
			title string
			blob  *pcbBlob
		}{title, w}
	}
	tcpPCBs := []pcbSpec{
		{vflag: inpIPv4, local: "0.0.0.0:22", remote: "0.0.0.0:0", so: 0x1000, uid: 0, lastPID: 100, ePID: 100, state: tcpsListen},
		{vflag: inpIPv4, local: "192.168.1.10:22", remote: "203.0.113.5:51234", so: 0x2000, uid: 0, lastPID: 101, ePID: 101, rcvCC: 3, sndCC: 2, state: tcpsEstablished},
		{vflag: inpIPv6 | inpIPv4, local: "[::]:8080", remote: "[::]:0", so: 0x3000, uid: 501, lastPID: 200, ePID: 200, state: tcpsListen},
		{vflag: inpIPv6, local: "[2001:db8::1]:443", remote: "[2001:db8::2]:50000", so: 0x4000, uid: 501, lastPID: 300, ePID: 301, state: tcpsEstablished},
		{vflag: inpIPv6, local: "[::ffff:127.0.0.1]:5000", remote: "[::ffff:127.0.0.1]:6000", so: 0x5000, uid: 501, lastPID: 200, ePID: 200, state: tcpsEstablished},
		{vflag: inpIPv4, local: "10.0.0.2:40000", remote: "198.51.100.7:80", so: 0, noSocketBufKind: true, state: tcpsTimeWait},
	}
	tcp := &pcbBlob{}
	tcp.xinpgen(uint32(len(tcpPCBs)), 42)
	for _, p := range tcpPCBs {
		tcp.pcb(true, p)
	}
	tcp.xinpgen(uint32(len(tcpPCBs)), 42)
	add("tcp.hex", "net.inet.tcp.pcblist_n: IPv4 and IPv6 (dual-stack, v4-mapped), LISTEN, ESTABLISHED, a delegated socket, TIME_WAIT with no socket", tcp)

	udp := &pcbBlob{}
	udp.xinpgen(3, 9)
	udp.pcb(false, pcbSpec{vflag: inpIPv4, local: "0.0.0.0:5353", remote: "0.0.0.0:0", so: 0x6000, uid: 65, lastPID: 50, ePID: 50})
	udp.pcb(false, pcbSpec{vflag: inpIPv6, local: "[::1]:53", remote: "[::1]:40000", so: 0x7000, uid: 0, lastPID: 51, ePID: 51, rcvCC: 512})
	udp.pcb(false, pcbSpec{vflag: inpIPv4, local: "127.0.0.1:9999", remote: "0.0.0.0:0", so: 0x8000, uid: 0})
	udp.xinpgen(3, 9)
	add("udp.hex", "net.inet.udp.pcblist_n: unconnected IPv4, connected IPv6, and a socket no process is named for", udp)

	trunc := &pcbBlob{}
	trunc.xinpgen(2, 42)
	trunc.pcb(true, tcpPCBs[0])
	cutAt := len(trunc.b)
	trunc.pcb(true, tcpPCBs[1])
	trunc.cut(cutAt + 104 + 40) // inside the second PCB's xsocket_n
	add("truncated.hex", "net.inet.tcp.pcblist_n cut short inside the second PCB's xsocket_n, no trailer", trunc)

	unk := &pcbBlob{}
	unk.xinpgen(1, 5)
	unk.pcb(true, pcbSpec{vflag: inpIPv4, local: "127.0.0.1:631", remote: "0.0.0.0:0", so: 0x9000, lastPID: 77, ePID: 77, state: tcpsListen, unknownKind: 0x400})
	unk.xinpgen(1, 5)
	add("unknown_kind.hex", "net.inet.tcp.pcblist_n with an item of a kind hozen does not know (0x400) inside a PCB", unk)

	newer := &pcbBlob{}
	newer.xinpgen(1, 6)
	newer.pcb(true, pcbSpec{vflag: inpIPv6, local: "[fe80::1]:7000", remote: "[fe80::2]:7001", so: 0xa000, uid: 20, lastPID: 88, ePID: 88, state: tcpsEstablished,
		inpcbExtra: 20, socketSize: 116, tcpExtra: 12})
	newer.xinpgen(1, 6)
	add("newer_kernel.hex", "net.inet.tcp.pcblist_n from a kernel whose xinpcb_n, xsocket_n and xtcpcb_n are longer than hozen knows", newer)

	older := &pcbBlob{}
	older.xinpgen(1, 3)
	older.pcb(false, pcbSpec{vflag: inpIPv4, local: "0.0.0.0:137", remote: "0.0.0.0:0", so: 0xb000, uid: 0, lastPID: 33, ePID: 0, socketSize: xsocketMin})
	older.xinpgen(1, 3)
	add("older_kernel.hex", "net.inet.udp.pcblist_n from a kernel whose xsocket_n ends at so_e_pid (76 bytes)", older)
	return out
}

// TestPCBListFixtures checks that the files under testdata are what
// the generator above builds (-update rewrites them).
func TestPCBListFixtures(t *testing.T) {
	for name, f := range pcbFixtures() {
		path := filepath.Join("testdata", name)
		want := f.blob.hex(f.title)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestPCBListFixtures -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator (run go test -run TestPCBListFixtures -update)", path)
		}
		if b := readHexFixture(t, name); !bytes.Equal(b, f.blob.b) {
			t.Errorf("%s: decoded hex is not the generated blob", name)
		}
	}
}
