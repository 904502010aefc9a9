package procfs

import (
	"bytes"
	"strconv"
)

// RawSocket is one line of /proc/net/raw or raw6: the inet layout, where
// the local "port" is the IP protocol the socket receives.
type RawSocket struct {
	InetSocket
	Protocol uint16
	Drops    uint64
}

// ParseRaw parses /proc/net/raw and raw6.
func ParseRaw(data []byte) ([]RawSocket, []LineError) {
	var out []RawSocket
	var errs []LineError
	forLines(data, func(n int, line []byte) {
		in, e := ParseInet(line)
		for _, le := range e {
			le.Line = n
			errs = append(errs, le)
		}
		if len(in) != 1 {
			return
		}
		r := RawSocket{InetSocket: in[0], Protocol: in[0].Local.Port()}
		// Drops is the last column, after ref and the socket pointer.
		if f := bytes.Fields(line); len(f) >= 13 {
			r.Drops, _ = strconv.ParseUint(string(f[12]), 10, 64)
		}
		out = append(out, r)
	})
	return out, errs
}

// PacketTypes names packet socket types (SOCK_*).
var PacketTypes = map[uint16]string{1: "stream", 2: "dgram", 3: "raw", 5: "seqpacket", 10: "packet"}

// PacketSocket is one line of /proc/net/packet.
type PacketSocket struct {
	RefCount uint32
	Type     uint16
	TypeName string
	// Proto is the ethertype in host order (0x0003: ETH_P_ALL).
	Proto   uint16
	Iface   int
	Running bool
	Rmem    uint64
	UID     uint32
	Inode   uint64
}

// ParsePacket parses /proc/net/packet:
// "sk RefCnt Type Proto Iface R Rmem User Inode", Proto in hex.
func ParsePacket(data []byte) ([]PacketSocket, []LineError) {
	var out []PacketSocket
	var errs []LineError
	forLines(data, func(n int, line []byte) {
		f := bytes.Fields(line)
		if len(f) == 0 || (n == 1 && bytes.HasPrefix(f[0], []byte("sk"))) {
			return
		}
		if len(f) < 9 {
			errs = append(errs, lineErr(n, line, "fewer than 9 fields"))
			return
		}
		rc, e1 := strconv.ParseUint(string(f[1]), 10, 32)
		ty, e2 := strconv.ParseUint(string(f[2]), 10, 16)
		pr, e3 := strconv.ParseUint(string(f[3]), 16, 16)
		ifi, e4 := strconv.ParseInt(string(f[4]), 10, 32)
		run, e5 := strconv.ParseUint(string(f[5]), 10, 8)
		rm, e6 := strconv.ParseUint(string(f[6]), 10, 64)
		uid, e7 := strconv.ParseUint(string(f[7]), 10, 32)
		ino, e8 := strconv.ParseUint(string(f[8]), 10, 64)
		for _, err := range []error{e1, e2, e3, e4, e5, e6, e7, e8} {
			if err != nil {
				errs = append(errs, lineErr(n, line, "bad number"))
				return
			}
		}
		out = append(out, PacketSocket{
			RefCount: uint32(rc), Type: uint16(ty), TypeName: PacketTypes[uint16(ty)],
			Proto: uint16(pr), Iface: int(ifi), Running: run != 0, Rmem: rm,
			UID: uint32(uid), Inode: ino,
		})
	})
	return out, errs
}

// EtherTypes names the ethertypes packet sockets commonly ask for.
var EtherTypes = map[uint16]string{
	0x0003: "ETH_P_ALL", 0x0800: "ETH_P_IP", 0x0806: "ETH_P_ARP", 0x86DD: "ETH_P_IPV6",
	0x888E: "ETH_P_PAE", 0x88CC: "ETH_P_LLDP", 0x0004: "ETH_P_802_2",
}

// IPProtocols names the IP protocols raw sockets commonly ask for.
var IPProtocols = map[uint16]string{
	1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 58: "ipv6-icmp", 112: "vrrp", 255: "raw",
}
