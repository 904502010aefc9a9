package artifact

import (
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// SocketTable is volatile/network/sockets.json.
type SocketTable struct {
	Header
	CollectedAt time.Time `json:"collected_at"`
	// Source is "/proc/net" (Linux), "sysctl net.inet.{tcp,udp}.pcblist_n"
	// (macOS) or "gopsutil" (Windows).
	Source string `json:"source"`
	// NetNS is the inode of the collector's own network namespace, when
	// known: the one /proc/net describes.
	NetNS uint64 `json:"netns,omitempty"`
	// Namespaces lists every network namespace whose tables were read:
	// the collector's own first, then one per other namespace a process
	// is in (containers), read through one of its processes.
	Namespaces []NetNamespace `json:"namespaces,omitempty"`
	Count      int            `json:"count"`
	Unowned    int            `json:"unowned"`
	Sockets    []Socket       `json:"sockets"`
	Errors     []string       `json:"errors,omitempty"`
}

// NetNamespace is one network namespace whose socket tables were read.
type NetNamespace struct {
	// Inode is the namespace's inode (/proc/PID/ns/net).
	Inode uint64 `json:"inode"`
	// Self marks the collector's own namespace (read from /proc/net).
	Self bool `json:"self,omitempty"`
	// PID is the process through whose /proc/PID/net the tables were
	// read (0 for the collector's own); PIDs counts the processes in it.
	PID  int `json:"pid,omitempty"`
	PIDs int `json:"pids"`
	// Source is the directory read ("/proc/net", "/proc/PID/net").
	Source  string `json:"source"`
	Sockets int    `json:"sockets"`
	// Errors says what could not be read in this namespace.
	Errors []string `json:"errors,omitempty"`
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
	// NetNS is the inode of the network namespace the socket lives in
	// (0 when unknown); the same port may be bound in many namespaces.
	NetNS uint64 `json:"netns,omitempty"`
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
	Header
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
	NetNS       uint64           `json:"netns,omitempty"`
	OwnerStatus string           `json:"owner_status"`
	Owners      []SocketOwner    `json:"owners"`
}

// Listening is volatile/network/listening.json: the sockets that accept
// connections or datagrams, the first thing a responder looks at.
type Listening struct {
	Header
	CollectedAt time.Time    `json:"collected_at"`
	Inet        []Socket     `json:"inet"`
	Unix        []UnixSocket `json:"unix"`
}

// UnownedSockets is volatile/findings/unowned_sockets.json: sockets with an
// inode that no process's descriptors point at (always written).
type UnownedSockets struct {
	Header
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
	Header
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
	Header
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
	Header
	CollectedAt time.Time   `json:"collected_at"`
	Source      string      `json:"source"`
	Neighbours  []Neighbour `json:"neighbours"`
	Notes       []string    `json:"notes,omitempty"`
	Errors      []string    `json:"errors,omitempty"`
}
