// Package pcblist decodes the macOS kernel's lists of TCP and UDP protocol
// control blocks, the binary blobs of the sysctls net.inet.tcp.pcblist_n
// and net.inet.udp.pcblist_n, into a [List] of [PCB]s, and a PCB into the
// network artifact's [artifact.Socket].
//
// It decodes bytes only: the network collector (package collect, on
// darwin) reads the sysctls and stores each blob raw before decoding it,
// so the decoder runs, and is tested and fuzzed, on every platform. [Parse]
// never panics on a hostile or damaged blob; it keeps what decoded and
// names each problem in an [*Error].
package pcblist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// The macOS kernel lists its TCP and UDP protocol control blocks (PCBs)
// through the sysctls net.inet.tcp.pcblist_n and net.inet.udp.pcblist_n
// (xnu bsd/netinet/in_pcblist.c, get_pcblist_n). The blob is:
//
//	struct xinpgen                 header: xig_len, xig_count, xig_gen, xig_sogen
//	for each PCB, items in this order, each starting with
//	u_int32_t len; u_int32_t kind; and each padded to 8 bytes (ROUNDUP64):
//	    struct xinpcb_n    XSO_INPCB   addresses, ports, vflag
//	    struct xsocket_n   XSO_SOCKET  so_uid, so_last_pid, so_e_pid
//	    struct xsockbuf_n  XSO_RCVBUF  sb_cc
//	    struct xsockbuf_n  XSO_SNDBUF  sb_cc
//	    struct xsockstat_n XSO_STATS   (not decoded)
//	    struct xtcpcb_n    XSO_TCPCB   t_state (TCP list only)
//	struct xinpgen                 trailer: an item of length sizeof(xinpgen)
//
// The structures are declared under #pragma pack(4) (bsd/netinet/in_pcb.h,
// bsd/sys/socketvar.h, bsd/netinet/tcp_var.h), so a 64-bit field may sit at
// an offset that is a multiple of 4 only; the offsets below are computed
// with that packing. Every Mac (x86_64, arm64) is little-endian; ports and
// addresses are in network byte order.
//
// Items are walked by their own length, so a kernel that appends fields to
// a structure (xsocket_n grew from 76 to 104 bytes) or adds an item kind
// still parses; the trailer is recognised, as netstat does, by a length of
// at most sizeof(struct xinpgen).

// Item kinds (bsd/sys/socketvar.h XSO_*).
const (
	xsoSocket = 0x001
	xsoRcvBuf = 0x002
	xsoSndBuf = 0x004
	xsoStats  = 0x008
	xsoInPCB  = 0x010
	xsoTCPCB  = 0x020
)

// Sizes and offsets, bsd/netinet/in_pcb.h and friends under pack(4).
const (
	// struct xinpgen: xig_len u32 @0, xig_count u32 @4, xig_gen u64 @8,
	// xig_sogen u64 @16.
	xinpgenSize = 24

	// struct xinpcb_n: xi_len @0, xi_kind @4, xi_inpp u64 @8,
	// inp_fport u16 @16, inp_lport u16 @18, inp_ppcb u64 @20,
	// inp_gencnt u64 @28, inp_flags @36, inp_flow @40, inp_vflag u8 @44,
	// inp_ip_ttl @45, inp_ip_p @46, inp_dependfaddr (16 bytes, 4-aligned)
	// @48, inp_dependladdr @64, inp_depend4 @80, inp_depend6 @84,
	// inp_flowhash @96, inp_flags2 @100; sizeof 104.
	xinpcbFPort = 16
	xinpcbLPort = 18
	xinpcbVFlag = 44
	xinpcbFAddr = 48
	xinpcbLAddr = 64
	xinpcbMin   = 80 // through inp_dependladdr: what is decoded

	// struct xsocket_n: xso_len @0, xso_kind @4, xso_so u64 @8,
	// so_type i16 @16, so_options u32 @20, so_linger @24, so_state @26,
	// so_pcb u64 @28, xso_protocol @36, xso_family @40, so_qlen @44,
	// so_incqlen @46, so_qlimit @48, so_timeo @50, so_error @52,
	// so_pgid @56, so_oobmark @60, so_uid @64, so_last_pid @68,
	// so_e_pid @72; then (newer kernels) so_gencnt u64 @76, so_flags @84,
	// so_flags1 @88, so_usecount @92, so_retaincnt @96,
	// xso_filter_flags @100; sizeof 104 (76 in older kernels).
	xsocketSo      = 8
	xsocketUID     = 64
	xsocketLastPID = 68
	xsocketEPID    = 72
	xsocketMin     = 76 // through so_e_pid

	// struct xsockbuf_n: xsb_len @0, xsb_kind @4, sb_cc @8, sb_hiwat @12,
	// sb_mbcnt @16, sb_mbmax @20, sb_lowat @24, sb_flags @28,
	// sb_timeo @30; sizeof 32.
	xsockbufCC  = 8
	xsockbufMin = 12

	// struct xtcpcb_n: xt_len @0, xt_kind @4, t_segq u64 @8,
	// t_dupacks @16, t_timer[TCPT_NTIMERS_EXT = 4] @20 (tcp_timer.h),
	// t_state @36, ...; sizeof 204.
	xtcpcbState = 36
	xtcpcbMin   = 40
)

// inp_vflag bits (bsd/netinet/in_pcb.h).
const (
	inpIPv4 = 0x1
	inpIPv6 = 0x2
)

// Bounds on what a hostile blob can make the parser keep.
const (
	pcbMaxErrors       = 32
	pcbMaxUnknownKinds = 16
)

// bsdTCPStates names the BSD TCP states (bsd/netinet/tcp_fsm.h TCPS_*),
// in the words the Linux collector uses for the same states.
var bsdTCPStates = [...]string{
	0:  "CLOSE", // TCPS_CLOSED
	1:  "LISTEN",
	2:  "SYN_SENT",
	3:  "SYN_RECV", // TCPS_SYN_RECEIVED
	4:  "ESTABLISHED",
	5:  "CLOSE_WAIT",
	6:  "FIN_WAIT1",
	7:  "CLOSING",
	8:  "LAST_ACK",
	9:  "FIN_WAIT2",
	10: "TIME_WAIT",
}

const bsdTCPListen = 1

// List is what one pcblist_n blob holds.
type List struct {
	// Count and Gen are xig_count and xig_gen of the leading xinpgen.
	Count uint32
	Gen   uint64
	// Ended is set when the trailing xinpgen was found; EndCount and
	// EndGen are its xig_count and xig_gen.
	Ended    bool
	EndCount uint32
	EndGen   uint64
	PCBs     []PCB
	// Unknown counts the items of kinds this parser does not know, by
	// kind (at most pcbMaxUnknownKinds kinds; the rest count under
	// 0xffffffff). They are skipped by their length.
	Unknown map[uint32]int
}

// PCB is one protocol control block with what its items said.
type PCB struct {
	// Offset is where its xinpcb_n starts in the blob.
	Offset int
	// VFlag is inp_vflag: inpIPv4, inpIPv6 or both (a dual-stack IPv6
	// socket).
	VFlag  uint8
	Local  netip.AddrPort
	Remote netip.AddrPort
	// HasSocket is set when an xsocket_n item came with a non-zero xso_so
	// (the kernel writes the item zeroed for a PCB whose socket is gone).
	HasSocket bool
	UID       uint32
	LastPID   int32 // so_last_pid: the last process to use the socket
	EPID      int32 // so_e_pid: the effective owner (delegated sockets)
	// RecvQ and SendQ are sb_cc of the receive and send buffers.
	RecvQ, SendQ uint32
	// TCP is set when an xtcpcb_n item came; TCPState is its t_state.
	TCP      bool
	TCPState int32
}

// Error is one thing wrong in a pcblist_n blob.
type Error struct {
	Offset int    // byte offset of the item (or field) concerned
	Msg    string // what is wrong
}

func (e *Error) Error() string {
	return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
}

// Parse decodes a net.inet.{tcp,udp}.pcblist_n blob. It never
// panics and keeps what decoded before and around damage; the error, when
// not nil, joins one [*Error] per problem (at most 32, then a
// count of the rest). Counts in the blob are never trusted for
// allocation: the walk is bounded by the blob's length, and every step
// advances at least 8 bytes.
func Parse(b []byte) (List, error) {
	var (
		out    List
		errs   []error
		more   int
		cur    *PCB
		seen   uint32 // kinds already seen in cur
		broken bool   // cur's xinpcb_n was unusable: skip to the next
	)
	fail := func(off int, format string, args ...any) {
		if len(errs) < pcbMaxErrors {
			errs = append(errs, &Error{Offset: off, Msg: fmt.Sprintf(format, args...)})
		} else {
			more++
		}
	}
	finish := func() {
		if cur != nil {
			out.PCBs = append(out.PCBs, *cur)
		}
		cur, seen, broken = nil, 0, false
	}
	le := binary.LittleEndian

	if len(b) < xinpgenSize {
		fail(0, "%d bytes: shorter than struct xinpgen (%d bytes)", len(b), xinpgenSize)
		return out, errors.Join(errs...)
	}
	hlen := le.Uint32(b[0:])
	out.Count = le.Uint32(b[4:])
	out.Gen = le.Uint64(b[8:])
	if hlen < xinpgenSize || uint64(hlen) > uint64(len(b)) {
		fail(0, "xinpgen.xig_len %d: not between %d and the blob's %d bytes", hlen, xinpgenSize, len(b))
		return out, errors.Join(errs...)
	}
	off := int(roundup8(uint64(hlen)))
	for off < len(b) {
		if len(b)-off < 8 {
			fail(off, "%d stray bytes: too few for an item header", len(b)-off)
			break
		}
		l, kind := le.Uint32(b[off:]), le.Uint32(b[off+4:])
		if l == xinpgenSize {
			out.Ended = true
			out.EndCount = kind // xig_count sits where an item's kind would
			if len(b)-off >= xinpgenSize {
				out.EndGen = le.Uint64(b[off+8:])
			} else {
				fail(off, "trailing xinpgen cut short: %d of %d bytes", len(b)-off, xinpgenSize)
			}
			if rest := len(b) - off - xinpgenSize; rest > 0 {
				fail(off+xinpgenSize, "%d bytes after the trailing xinpgen", rest)
			}
			break
		}
		if l < xinpgenSize {
			// No item is this short; the walk cannot go on from a length
			// it cannot trust.
			fail(off, "item length %d (kind %#x): shorter than any item", l, kind)
			break
		}
		if uint64(l) > uint64(len(b)-off) {
			fail(off, "item length %d (kind %#x): runs past the end of the blob (%d bytes left)", l, kind, len(b)-off)
			break
		}
		it := b[off : off+int(l)]
		next := off + int(min(roundup8(uint64(l)), uint64(len(b)-off)))

		if kind == xsoInPCB {
			finish()
			if len(it) < xinpcbMin {
				fail(off, "xinpcb_n of %d bytes: shorter than the %d that hold the addresses; PCB skipped", l, xinpcbMin)
				broken = true
			} else {
				cur = decodeInPCB(it, off)
				seen = xsoInPCB
				if cur.VFlag&(inpIPv4|inpIPv6) == 0 {
					fail(off, "inp_vflag %#x names neither IPv4 nor IPv6; addresses read as IPv4", cur.VFlag)
				}
			}
			off = next
			continue
		}
		switch {
		case broken:
			// Items of a PCB already reported as unusable.
		case kind == 0:
			// The kernel zeroes an item before filling it; a PCB whose
			// socket is gone leaves its socket buffers' kinds at 0.
		case kind&^(xsoSocket|xsoRcvBuf|xsoSndBuf|xsoStats|xsoTCPCB) != 0 || kind&(kind-1) != 0:
			if out.Unknown == nil {
				out.Unknown = map[uint32]int{}
			}
			k := kind
			if _, ok := out.Unknown[k]; !ok && len(out.Unknown) >= pcbMaxUnknownKinds {
				k = 0xffffffff
			}
			out.Unknown[k]++
		case cur == nil:
			fail(off, "item kind %#x before any xinpcb_n", kind)
		case seen&kind != 0:
			fail(off, "second item of kind %#x in the PCB at offset %d; ignored", kind, cur.Offset)
		default:
			seen |= kind
			decodeItem(cur, kind, it, off, fail)
		}
		off = next
	}
	finish()
	if !out.Ended {
		fail(len(b), "no trailing xinpgen: the list is cut short")
	}
	if n := uint64(len(out.PCBs)); n > uint64(max(out.Count, out.EndCount)) {
		fail(0, "%d PCBs listed, more than the kernel counted (xig_count %d, then %d)", n, out.Count, out.EndCount)
	}
	if more > 0 {
		errs = append(errs, fmt.Errorf("and %d more problems", more))
	}
	return out, errors.Join(errs...)
}

func roundup8(n uint64) uint64 { return (n + 7) &^ 7 }

// decodeInPCB reads an xinpcb_n of at least xinpcbMin bytes.
func decodeInPCB(it []byte, off int) *PCB {
	p := &PCB{Offset: off, VFlag: it[xinpcbVFlag]}
	be := binary.BigEndian
	fport, lport := be.Uint16(it[xinpcbFPort:]), be.Uint16(it[xinpcbLPort:])
	addr := func(at int) netip.Addr {
		if p.VFlag&inpIPv6 != 0 {
			return netip.AddrFrom16([16]byte(it[at : at+16]))
		}
		// struct in_addr_4in6: ia46_pad32[3], then ia46_addr4.
		return netip.AddrFrom4([4]byte(it[at+12 : at+16]))
	}
	p.Local = netip.AddrPortFrom(addr(xinpcbLAddr), lport)
	p.Remote = netip.AddrPortFrom(addr(xinpcbFAddr), fport)
	return p
}

// decodeItem reads the items that follow an xinpcb_n.
func decodeItem(p *PCB, kind uint32, it []byte, off int, fail func(int, string, ...any)) {
	le := binary.LittleEndian
	switch kind {
	case xsoSocket:
		if len(it) < xsocketMin {
			fail(off, "xsocket_n of %d bytes: shorter than the %d through so_e_pid; owner unknown", len(it), xsocketMin)
			return
		}
		p.HasSocket = le.Uint64(it[xsocketSo:]) != 0
		if p.HasSocket {
			p.UID = le.Uint32(it[xsocketUID:])
			p.LastPID = int32(le.Uint32(it[xsocketLastPID:]))
			p.EPID = int32(le.Uint32(it[xsocketEPID:]))
		}
	case xsoRcvBuf, xsoSndBuf:
		if len(it) < xsockbufMin {
			fail(off, "xsockbuf_n of %d bytes: no sb_cc", len(it))
			return
		}
		if kind == xsoRcvBuf {
			p.RecvQ = le.Uint32(it[xsockbufCC:])
		} else {
			p.SendQ = le.Uint32(it[xsockbufCC:])
		}
	case xsoTCPCB:
		if len(it) < xtcpcbMin {
			fail(off, "xtcpcb_n of %d bytes: no t_state", len(it))
			return
		}
		p.TCP = true
		p.TCPState = int32(le.Uint32(it[xtcpcbState:]))
	case xsoStats:
		// Per-traffic-class counters: not decoded.
	}
}

// Proto is tcp, tcp6, udp or udp6 for a PCB of the given transport ("tcp"
// or "udp"): an IPv6 socket (dual-stack ones too) is "6", as in the Linux
// tables.
func (p PCB) Proto(transport string) string {
	if p.VFlag&inpIPv6 != 0 {
		return transport + "6"
	}
	return transport
}

// Socket turns a PCB of the given transport into an [artifact.Socket]. Owners are
// the processes the kernel names, not descriptor holders: so_last_pid,
// and so_e_pid when another process delegated the socket (FD -1: the
// table has no descriptor numbers). name looks up a process name.
func (p PCB) Socket(transport string, name func(pid int) string) artifact.Socket {
	s := artifact.Socket{Proto: p.Proto(transport),
		LocalAddr: p.Local.Addr().String(), LocalPort: p.Local.Port(),
		RemoteAddr: p.Remote.Addr().String(), RemotePort: p.Remote.Port(),
		RxQueue: uint64(p.RecvQ), TxQueue: uint64(p.SendQ), Owners: []artifact.SocketOwner{}}
	switch {
	case transport != "tcp":
		// UDP has no states; named as on Linux.
		s.State = "ESTABLISHED"
		if p.Remote.Port() == 0 {
			s.State, s.Listening = "UNCONN", true
		}
	case !p.TCP:
		s.State = "UNKNOWN"
	case p.TCPState >= 0 && int(p.TCPState) < len(bsdTCPStates):
		s.State = bsdTCPStates[p.TCPState]
		s.Listening = p.TCPState == bsdTCPListen
	default:
		s.State = "0x" + strconv.FormatUint(uint64(uint32(p.TCPState)), 16)
	}
	if !p.HasSocket {
		// A PCB with no socket (TIME_WAIT): nothing refers to it.
		s.OwnerStatus = artifact.OwnerNoInode
		return s
	}
	uid := p.UID
	s.UID = &uid
	if p.LastPID > 0 {
		s.Owners = append(s.Owners, artifact.SocketOwner{PID: int(p.LastPID), Name: manifest.BString(name(int(p.LastPID))), FD: -1, Role: artifact.OwnerLast})
	}
	if p.EPID > 0 && p.EPID != p.LastPID {
		s.Owners = append(s.Owners, artifact.SocketOwner{PID: int(p.EPID), Name: manifest.BString(name(int(p.EPID))), FD: -1, Role: artifact.OwnerEffective})
	}
	s.OwnerStatus = artifact.OwnerNone
	if len(s.Owners) > 0 {
		s.OwnerStatus = artifact.OwnedBy
	}
	return s
}
