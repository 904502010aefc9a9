package procfs

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strconv"
)

// TCPStates names the kernel's TCP states (include/net/tcp_states.h), by
// the number /proc/net/tcp prints in its "st" column.
var TCPStates = map[uint8]string{
	0x01: "ESTABLISHED",
	0x02: "SYN_SENT",
	0x03: "SYN_RECV",
	0x04: "FIN_WAIT1",
	0x05: "FIN_WAIT2",
	0x06: "TIME_WAIT",
	0x07: "CLOSE",
	0x08: "CLOSE_WAIT",
	0x09: "LAST_ACK",
	0x0A: "LISTEN",
	0x0B: "CLOSING",
	0x0C: "NEW_SYN_RECV",
}

// TCP state numbers used by callers.
const (
	TCPEstablished = 0x01
	TCPClose       = 0x07
	TCPListen      = 0x0A
)

// InetSocket is one line of /proc/net/{tcp,tcp6,udp,udp6,raw,raw6,udplite}.
type InetSocket struct {
	Local  netip.AddrPort
	Remote netip.AddrPort
	// State is the kernel's state number ("st"); StateName its name.
	State     uint8
	StateName string
	TxQueue   uint64
	RxQueue   uint64
	UID       uint32
	// Inode is the socket's inode; 0 for sockets no file refers to
	// (TIME_WAIT, request sockets).
	Inode uint64
}

// ParseInet parses /proc/net/tcp, tcp6, udp, udp6 (and the raw and
// udplite tables, which share the layout). The header line is skipped.
func ParseInet(data []byte) ([]InetSocket, []LineError) {
	var out []InetSocket
	var errs []LineError
	forLines(data, func(n int, line []byte) {
		f := bytes.Fields(line)
		if len(f) == 0 || (n == 1 && string(f[0]) == "sl") {
			return
		}
		if len(f) < 10 {
			errs = append(errs, lineErr(n, line, "fewer than 10 fields"))
			return
		}
		var s InetSocket
		var ok bool
		if s.Local, ok = parseHexAddrPort(f[1]); !ok {
			errs = append(errs, lineErr(n, line, "bad local address"))
			return
		}
		if s.Remote, ok = parseHexAddrPort(f[2]); !ok {
			errs = append(errs, lineErr(n, line, "bad remote address"))
			return
		}
		st, err := strconv.ParseUint(string(f[3]), 16, 8)
		if err != nil {
			errs = append(errs, lineErr(n, line, "bad state"))
			return
		}
		s.State = uint8(st)
		s.StateName = TCPStates[s.State]
		if tx, rx, found := bytes.Cut(f[4], []byte{':'}); found {
			s.TxQueue, _ = strconv.ParseUint(string(tx), 16, 64)
			s.RxQueue, _ = strconv.ParseUint(string(rx), 16, 64)
		}
		uid, err := strconv.ParseUint(string(f[7]), 10, 32)
		if err != nil {
			errs = append(errs, lineErr(n, line, "bad uid"))
			return
		}
		s.UID = uint32(uid)
		if s.Inode, err = strconv.ParseUint(string(f[9]), 10, 64); err != nil {
			errs = append(errs, lineErr(n, line, "bad inode"))
			return
		}
		out = append(out, s)
	})
	return out, errs
}

// parseHexAddrPort decodes "0100007F:0035" (IPv4) or the 32-hex-digit IPv6
// form: the address is a sequence of 32-bit words in host byte order.
func parseHexAddrPort(b []byte) (netip.AddrPort, bool) {
	a, p, ok := bytes.Cut(b, []byte{':'})
	if !ok {
		return netip.AddrPort{}, false
	}
	port, err := strconv.ParseUint(string(p), 16, 16)
	if err != nil {
		return netip.AddrPort{}, false
	}
	addr, ok := parseHexWords(a)
	if !ok {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(addr, uint16(port)), true
}

// parseHexWords decodes 8 or 32 hex digits printed as host-order 32-bit
// words (%08X of each word).
func parseHexWords(a []byte) (netip.Addr, bool) {
	if len(a) != 8 && len(a) != 32 {
		return netip.Addr{}, false
	}
	var buf [16]byte
	for i := 0; i < len(a)/8; i++ {
		w, err := strconv.ParseUint(string(a[i*8:i*8+8]), 16, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		binary.NativeEndian.PutUint32(buf[i*4:], uint32(w))
	}
	if len(a) == 8 {
		return netip.AddrFrom4([4]byte(buf[:4])), true
	}
	return netip.AddrFrom16(buf), true
}

// parseHexBytes decodes 32 hex digits in network byte order (the %pi6 form
// of /proc/net/ipv6_route and if_inet6).
func parseHexBytes(a []byte) (netip.Addr, bool) {
	if len(a) != 32 {
		return netip.Addr{}, false
	}
	var buf [16]byte
	if _, err := hex.Decode(buf[:], a); err != nil {
		return netip.Addr{}, false
	}
	return netip.AddrFrom16(buf), true
}

// Unix socket types and states, as /proc/net/unix prints them.
var (
	UnixTypes  = map[uint16]string{1: "stream", 2: "dgram", 3: "raw", 4: "rdm", 5: "seqpacket"}
	UnixStates = map[uint8]string{0: "free", 1: "unconnected", 2: "connecting", 3: "connected", 4: "disconnecting"}
)

// unixAcceptCon is __SO_ACCEPTCON in the Flags column: a listening socket.
const unixAcceptCon = 1 << 16

// UnixSocket is one line of /proc/net/unix.
type UnixSocket struct {
	RefCount  uint32
	Flags     uint32
	Type      uint16
	TypeName  string
	State     uint8
	StateName string
	Inode     uint64
	// Path is the bound name: a file path, "@name" for the abstract
	// namespace (the kernel prints NUL bytes as '@'), empty if unbound.
	Path      string
	Listening bool
}

// ParseUnix parses /proc/net/unix. The path is the rest of the line after
// the inode, so names with spaces survive.
func ParseUnix(data []byte) ([]UnixSocket, []LineError) {
	var out []UnixSocket
	var errs []LineError
	forLines(data, func(n int, line []byte) {
		if n == 1 && bytes.HasPrefix(line, []byte("Num")) {
			return
		}
		rest := line
		var f [7][]byte
		for i := range f {
			rest = bytes.TrimLeft(rest, " ")
			j := bytes.IndexByte(rest, ' ')
			if j < 0 {
				j = len(rest)
			}
			f[i], rest = rest[:j], rest[j:]
		}
		if len(f[0]) == 0 {
			return
		}
		if len(f[6]) == 0 {
			errs = append(errs, lineErr(n, line, "fewer than 7 fields"))
			return
		}
		var s UnixSocket
		rc, err1 := strconv.ParseUint(string(f[1]), 16, 32)
		fl, err2 := strconv.ParseUint(string(f[3]), 16, 32)
		ty, err3 := strconv.ParseUint(string(f[4]), 16, 16)
		st, err4 := strconv.ParseUint(string(f[5]), 16, 8)
		ino, err5 := strconv.ParseUint(string(f[6]), 10, 64)
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				errs = append(errs, lineErr(n, line, "bad number"))
				return
			}
		}
		s.RefCount, s.Flags, s.Type, s.State, s.Inode = uint32(rc), uint32(fl), uint16(ty), uint8(st), ino
		s.TypeName, s.StateName = UnixTypes[s.Type], UnixStates[s.State]
		s.Listening = s.Flags&unixAcceptCon != 0
		if len(rest) > 0 && rest[0] == ' ' {
			s.Path = string(rest[1:])
		}
		out = append(out, s)
	})
	return out, errs
}

// Route is one route from /proc/net/route or /proc/net/ipv6_route.
type Route struct {
	Iface   string
	Dest    netip.Prefix
	Gateway netip.Addr
	// Source is the source prefix (IPv6 policy routes only).
	Source netip.Prefix
	Flags  uint32
	Metric uint32
	MTU    uint32
}

// Route flags (RTF_*) callers may test.
const (
	RouteUp      = 0x1
	RouteGateway = 0x2
	RouteHost    = 0x4
	RouteReject  = 0x200
)

// ParseRoute parses /proc/net/route (IPv4: host-order hex words).
func ParseRoute(data []byte) ([]Route, []LineError) {
	var out []Route
	var errs []LineError
	forLines(data, func(n int, line []byte) {
		f := bytes.Fields(line)
		if len(f) == 0 || (n == 1 && string(f[0]) == "Iface") {
			return
		}
		if len(f) < 8 {
			errs = append(errs, lineErr(n, line, "fewer than 8 fields"))
			return
		}
		dst, ok1 := parseHexWords(f[1])
		gw, ok2 := parseHexWords(f[2])
		mask, ok3 := parseHexWords(f[7])
		flags, err1 := strconv.ParseUint(string(f[3]), 16, 32)
		metric, err2 := strconv.ParseUint(string(f[6]), 10, 32)
		if !ok1 || !ok2 || !ok3 || err1 != nil || err2 != nil {
			errs = append(errs, lineErr(n, line, "bad field"))
			return
		}
		m := mask.As4()
		bits := maskBits(m[:])
		if bits < 0 {
			errs = append(errs, lineErr(n, line, "non-contiguous mask"))
			return
		}
		r := Route{Iface: string(f[0]), Dest: netip.PrefixFrom(dst, bits), Gateway: gw, Flags: uint32(flags), Metric: uint32(metric)}
		if len(f) > 8 {
			mtu, _ := strconv.ParseUint(string(f[8]), 10, 32)
			r.MTU = uint32(mtu)
		}
		out = append(out, r)
	})
	return out, errs
}

func maskBits(m []byte) int {
	bits := 0
	seenZero := false
	for _, b := range m {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) != 0 {
				if seenZero {
					return -1
				}
				bits++
			} else {
				seenZero = true
			}
		}
	}
	return bits
}

// ParseIPv6Route parses /proc/net/ipv6_route (addresses in network order).
func ParseIPv6Route(data []byte) ([]Route, []LineError) {
	var out []Route
	var errs []LineError
	forLines(data, func(n int, line []byte) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			return
		}
		if len(f) < 10 {
			errs = append(errs, lineErr(n, line, "fewer than 10 fields"))
			return
		}
		dst, ok1 := parseHexBytes(f[0])
		dlen, err1 := strconv.ParseUint(string(f[1]), 16, 8)
		src, ok2 := parseHexBytes(f[2])
		slen, err2 := strconv.ParseUint(string(f[3]), 16, 8)
		nh, ok3 := parseHexBytes(f[4])
		metric, err3 := strconv.ParseUint(string(f[5]), 16, 32)
		flags, err4 := strconv.ParseUint(string(f[8]), 16, 32)
		if !ok1 || !ok2 || !ok3 || err1 != nil || err2 != nil || err3 != nil || err4 != nil || dlen > 128 || slen > 128 {
			errs = append(errs, lineErr(n, line, "bad field"))
			return
		}
		out = append(out, Route{
			Iface:   string(f[9]),
			Dest:    netip.PrefixFrom(dst, int(dlen)),
			Source:  netip.PrefixFrom(src, int(slen)),
			Gateway: nh,
			Metric:  uint32(metric),
			Flags:   uint32(flags),
		})
	})
	return out, errs
}

// ARPEntry is one line of /proc/net/arp.
type ARPEntry struct {
	IP     netip.Addr
	HWType uint32
	Flags  uint32
	HWAddr string
	Mask   string
	Device string
}

// ARP flags (ATF_*).
const (
	ARPComplete  = 0x2
	ARPPermanent = 0x4
)

// ParseARP parses /proc/net/arp.
func ParseARP(data []byte) ([]ARPEntry, []LineError) {
	var out []ARPEntry
	var errs []LineError
	forLines(data, func(n int, line []byte) {
		f := bytes.Fields(line)
		if len(f) == 0 || (n == 1 && string(f[0]) == "IP") {
			return
		}
		if len(f) < 6 {
			errs = append(errs, lineErr(n, line, "fewer than 6 fields"))
			return
		}
		ip, err := netip.ParseAddr(string(f[0]))
		ht, err1 := strconv.ParseUint(string(bytes.TrimPrefix(f[1], []byte("0x"))), 16, 32)
		fl, err2 := strconv.ParseUint(string(bytes.TrimPrefix(f[2], []byte("0x"))), 16, 32)
		if err != nil || err1 != nil || err2 != nil {
			errs = append(errs, lineErr(n, line, "bad field"))
			return
		}
		out = append(out, ARPEntry{IP: ip, HWType: uint32(ht), Flags: uint32(fl), HWAddr: string(f[3]), Mask: string(f[4]), Device: string(f[5])})
	})
	return out, errs
}

// IfAddr6 is one line of /proc/net/if_inet6.
type IfAddr6 struct {
	Addr      netip.Addr
	Index     uint32
	PrefixLen int
	Scope     uint32
	Flags     uint32
	Iface     string
}

// ParseIfInet6 parses /proc/net/if_inet6.
func ParseIfInet6(data []byte) ([]IfAddr6, []LineError) {
	var out []IfAddr6
	var errs []LineError
	forLines(data, func(n int, line []byte) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			return
		}
		if len(f) < 6 {
			errs = append(errs, lineErr(n, line, "fewer than 6 fields"))
			return
		}
		a, ok := parseHexBytes(f[0])
		idx, err1 := strconv.ParseUint(string(f[1]), 16, 32)
		pl, err2 := strconv.ParseUint(string(f[2]), 16, 8)
		sc, err3 := strconv.ParseUint(string(f[3]), 16, 32)
		fl, err4 := strconv.ParseUint(string(f[4]), 16, 32)
		if !ok || err1 != nil || err2 != nil || err3 != nil || err4 != nil || pl > 128 {
			errs = append(errs, lineErr(n, line, "bad field"))
			return
		}
		out = append(out, IfAddr6{Addr: a, Index: uint32(idx), PrefixLen: int(pl), Scope: uint32(sc), Flags: uint32(fl), Iface: string(f[5])})
	})
	return out, errs
}

// forLines calls fn for each line (1-based numbers), without the newline.
func forLines(data []byte, fn func(n int, line []byte)) {
	n := 0
	for len(data) > 0 {
		n++
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		fn(n, line)
	}
}
