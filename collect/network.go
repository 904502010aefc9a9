package collect

import (
	"context"
	"os"
	"path"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// Network collects the host's network state: TCP, UDP and unix sockets
// with their owning processes, listening sockets, interfaces and
// addresses, routes, the neighbour (ARP/NDP) table, and raw copies of
// /etc/resolv.conf and /etc/hosts. On Linux it reads /proc/net, /sys/class/net
// and netlink itself. On macOS it reads the kernel's TCP and UDP PCB lists
// (IPv4 and IPv6) through sysctl net.inet.{tcp,udp}.pcblist_n, as netstat
// does, decoded by [ParsePCBList]; owners are the pids the kernel records
// (xsocket_n so_last_pid, and so_e_pid for delegated sockets), not
// descriptor holders; unix-domain sockets, routes and neighbours are not
// listed there. On Windows it asks the OS through gopsutil. Interfaces
// come from the Go runtime off Linux.
//
// Artifacts (Linux):
//
//	volatile/raw/proc/net/{tcp,tcp6,udp,udp6,unix,route,ipv6_route,arp,if_inet6}
//	volatile/network/sockets.json         a [SocketTable] (TCP and UDP)
//	volatile/network/unix_sockets.json    a [UnixSocketTable]
//	volatile/network/listening.json       a [Listening]
//	volatile/findings/unowned_sockets.json  sockets no process holds (cross-check)
//	volatile/network/interfaces.json      [Interface]s
//	volatile/network/routes.json          a [RouteTable]
//	volatile/network/neighbours.json      a [NeighbourTable]
//	volatile/raw/etc/resolv.conf, volatile/raw/etc/hosts
//
// Artifacts (macOS):
//
//	volatile/raw/sysctl/net.inet.tcp.pcblist_n  the kernel's lists, raw
//	volatile/raw/sysctl/net.inet.udp.pcblist_n
//	volatile/network/sockets.json         a [SocketTable] (TCP and UDP)
//	volatile/network/listening.json       a [Listening]
//	volatile/findings/unowned_sockets.json  sockets the kernel names no process for
//	volatile/network/interfaces.json      [Interface]s
//	volatile/raw/etc/resolv.conf, volatile/raw/etc/hosts
//
// The zero value collects everything with default bounds.
type Network struct {
	// NoOwners skips mapping sockets to processes through /proc/PID/fd.
	NoOwners bool
	// Timeout bounds the reads of one process's descriptors (0:
	// DefaultProcessTimeout); Workers how many run at once (0:
	// DefaultWorkers).
	Timeout time.Duration
	Workers int

	// list lists pids; nil reads the /proc directory.
	list func(env *Env) ([]int, error)
	// noNetlink keeps the collector to files under Root (tests).
	noNetlink bool
}

// Name implements [Collector].
func (*Network) Name() string { return "network" }

// SocketTable is volatile/network/sockets.json.
type SocketTable struct {
	CollectedAt time.Time `json:"collected_at"`
	// Source is "/proc/net" (Linux), "sysctl net.inet.{tcp,udp}.pcblist_n"
	// (macOS) or "gopsutil" (Windows).
	Source string `json:"source"`
	// NetNS is the inode of the network namespace the tables describe
	// (the collector's own), when known.
	NetNS   uint64   `json:"netns,omitempty"`
	Count   int      `json:"count"`
	Unowned int      `json:"unowned"`
	Sockets []Socket `json:"sockets"`
	Errors  []string `json:"errors,omitempty"`
}

// Owner statuses of a socket.
const (
	OwnedBy      = "owned"    // one or more processes hold it
	OwnerNone    = "none"     // no process holds it: a finding
	OwnerNoInode = "no_inode" // no file refers to it (TIME_WAIT, requests)
	OwnerClosed  = "closed"   // gone from a second read of the table
	OwnerSkipped = "skipped"  // owners were not looked up
)

// Socket is one TCP or UDP socket.
type Socket struct {
	// Proto is tcp, tcp6, udp or udp6 (the /proc/net table it came from).
	Proto      string `json:"proto"`
	State      string `json:"state"`
	LocalAddr  string `json:"local_addr"`
	LocalPort  uint16 `json:"local_port"`
	RemoteAddr string `json:"remote_addr"`
	RemotePort uint16 `json:"remote_port"`
	// Listening is set for TCP LISTEN and bound, unconnected UDP.
	Listening bool    `json:"listening"`
	UID       *uint32 `json:"uid,omitempty"`
	User      string  `json:"user,omitempty"`
	Inode     uint64  `json:"inode"`
	TxQueue   uint64  `json:"tx_queue,omitempty"`
	RxQueue   uint64  `json:"rx_queue,omitempty"`
	// OwnerStatus is one of OwnedBy, OwnerNone, OwnerNoInode,
	// OwnerClosed, OwnerSkipped.
	OwnerStatus string        `json:"owner_status"`
	Owners      []SocketOwner `json:"owners"`
}

// SocketOwner is a process holding a socket, and the descriptor.
type SocketOwner struct {
	PID  int              `json:"pid"`
	Name manifest.BString `json:"name"`
	// FD is the descriptor number; -1 where the source names the process
	// only (macOS).
	FD int `json:"fd"`
	// Role is empty where the owner holds a descriptor (Linux). On macOS
	// the kernel records processes, not descriptors: OwnerLast, and
	// OwnerEffective for a socket delegated to another process.
	Role string `json:"role,omitempty"`
}

// Roles of a socket owner on macOS (xsocket_n, bsd/sys/socketvar.h).
const (
	OwnerLast      = "last"      // so_last_pid: the last process to use the socket
	OwnerEffective = "effective" // so_e_pid: the process it was delegated to act for
)

// UnixSocketTable is volatile/network/unix_sockets.json.
type UnixSocketTable struct {
	CollectedAt time.Time    `json:"collected_at"`
	Count       int          `json:"count"`
	Sockets     []UnixSocket `json:"sockets"`
	Errors      []string     `json:"errors,omitempty"`
}

// UnixSocket is one unix domain socket.
type UnixSocket struct {
	// Path is the bound name; "@..." for the abstract namespace.
	Path        manifest.BString `json:"path,omitempty"`
	Type        string           `json:"type"`
	State       string           `json:"state"`
	Listening   bool             `json:"listening"`
	Inode       uint64           `json:"inode"`
	OwnerStatus string           `json:"owner_status"`
	Owners      []SocketOwner    `json:"owners"`
}

// Listening is volatile/network/listening.json: the sockets that accept
// connections or datagrams, the first thing a responder looks at.
type Listening struct {
	CollectedAt time.Time    `json:"collected_at"`
	Inet        []Socket     `json:"inet"`
	Unix        []UnixSocket `json:"unix"`
}

// UnownedSockets is volatile/findings/unowned_sockets.json: sockets with an
// inode that no process's descriptors point at (always written).
type UnownedSockets struct {
	CollectedAt time.Time `json:"collected_at"`
	Method      string    `json:"method"`
	Sockets     []Socket  `json:"sockets"`
}

// Interface is one network interface and its addresses.
type Interface struct {
	Index     int      `json:"index"`
	Name      string   `json:"name"`
	MAC       string   `json:"mac,omitempty"`
	MTU       int      `json:"mtu,omitempty"`
	Flags     []string `json:"flags,omitempty"`
	OperState string   `json:"oper_state,omitempty"`
	// Addresses in CIDR form.
	Addresses []string `json:"addresses"`
}

// InterfaceTable is volatile/network/interfaces.json.
type InterfaceTable struct {
	CollectedAt time.Time   `json:"collected_at"`
	Source      []string    `json:"source"`
	Interfaces  []Interface `json:"interfaces"`
	Errors      []string    `json:"errors,omitempty"`
}

// Route is one routing table entry.
type Route struct {
	Iface       string   `json:"iface"`
	Destination string   `json:"destination"`
	Gateway     string   `json:"gateway,omitempty"`
	Source      string   `json:"source,omitempty"`
	Metric      uint32   `json:"metric"`
	Flags       []string `json:"flags,omitempty"`
}

// RouteTable is volatile/network/routes.json.
type RouteTable struct {
	CollectedAt time.Time `json:"collected_at"`
	IPv4        []Route   `json:"ipv4"`
	IPv6        []Route   `json:"ipv6"`
	Errors      []string  `json:"errors,omitempty"`
}

// Neighbour is one ARP (IPv4) or NDP (IPv6) cache entry.
type Neighbour struct {
	IP     string `json:"ip"`
	MAC    string `json:"mac,omitempty"`
	Device string `json:"device"`
	State  string `json:"state"`
}

// NeighbourTable is volatile/network/neighbours.json.
type NeighbourTable struct {
	CollectedAt time.Time   `json:"collected_at"`
	Source      string      `json:"source"`
	Neighbours  []Neighbour `json:"neighbours"`
	Notes       []string    `json:"notes,omitempty"`
	Errors      []string    `json:"errors,omitempty"`
}

// putFollowing stores a small host file raw. A symlink (resolv.conf often
// is one) is recorded as a link, and its target, resolved inside Root, is
// stored under its own path.
func putFollowing(ctx context.Context, env *Env, sink Sink, hostPath, collector string) error {
	for hop := 0; hop < 8; hop++ {
		t, err := os.Readlink(env.Path(hostPath))
		if err != nil {
			break
		}
		target := manifest.BString(t)
		meta := &manifest.FileMeta{Type: "symlink", LinkTarget: &target}
		if fi, err := os.Lstat(env.Path(hostPath)); err == nil {
			meta.Mode, meta.ModeBits, meta.Mtime = fi.Mode().String(), uint32(fi.Mode()), fi.ModTime().UTC()
		}
		rec := &manifest.Record{
			Path: manifest.BString("volatile/raw" + hostPath), Entry: manifest.EntrySymlink,
			Source: manifest.BString(hostPath), Collector: collector, Outcome: manifest.OutcomeOK,
			File: meta,
		}
		if err := sink.Put(rec, nil); err != nil {
			return err
		}
		if !path.IsAbs(t) {
			t = path.Join(path.Dir(hostPath), t)
		}
		hostPath = path.Clean(t)
	}
	_, err := PutPseudo(ctx, env, sink, hostPath, collector)
	return err
}
