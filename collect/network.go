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
