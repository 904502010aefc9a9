package collect

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/procfs"
	"github.com/hozen-dfir/hozen/manifest"
)

// inetTables are the /proc/net socket tables, in the order read.
var inetTables = []string{"tcp", "tcp6", "udp", "udp6"}

// Collect implements [Collector].
func (n *Network) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(n.Name())
	}
	now := envNow(env)
	// Most volatile first: the socket tables, raw, then their owners.
	raw := map[string][]byte{}
	for _, t := range append(slices.Clone(inetTables), "unix") {
		b, err := PutPseudo(ctx, env, sink, "/proc/net/"+t, n.Name())
		if err != nil {
			return err
		}
		raw[t] = b
	}
	self := ownNetNS(env)
	views := []*netnsView{{ns: artifact.NetNamespace{Inode: self, Self: true, Source: "/proc/net"}, dir: "/proc/net", raw: raw}}
	others, nsErrs, err := n.otherNetNS(ctx, env, sink, self)
	if err != nil {
		return err
	}
	views = append(views, others...)
	var ownerErrs []string
	owners := map[uint64][]artifact.SocketOwner{}
	if !n.NoOwners {
		owners, ownerErrs = n.socketOwners(ctx, env)
	}
	var ids idNames
	var idErrs []string
	ids = readIDNames(ctx, env, &idErrs)

	st := artifact.SocketTable{CollectedAt: now, Source: "/proc/net", Sockets: []artifact.Socket{}, Errors: append(nsErrs, ownerErrs...), NetNS: self}
	ut := artifact.UnixSocketTable{CollectedAt: now, Sockets: []artifact.UnixSocket{}}
	for _, v := range views {
		if v.raw == nil {
			st.Namespaces = append(st.Namespaces, v.ns)
			continue
		}
		before := len(st.Sockets) + len(ut.Sockets)
		for _, t := range inetTables {
			socks, errs := procfs.ParseInet(v.raw[t])
			for _, e := range errs {
				st.Errors = append(st.Errors, v.dir+"/"+t+": "+e.Error())
			}
			for _, s := range socks {
				so := artifact.Socket{
					Proto: t, State: s.StateName,
					LocalAddr: s.Local.Addr().String(), LocalPort: s.Local.Port(),
					RemoteAddr: s.Remote.Addr().String(), RemotePort: s.Remote.Port(),
					NetNS: v.ns.Inode,
					UID:   ptr(s.UID), User: ids.users[s.UID], Inode: s.Inode,
					TxQueue: s.TxQueue, RxQueue: s.RxQueue,
				}
				if so.State == "" {
					so.State = "0x" + strconv.FormatUint(uint64(s.State), 16)
				}
				if strings.HasPrefix(t, "udp") {
					// UDP has no LISTEN: a bound socket with no peer receives.
					so.Listening = s.State == procfs.TCPClose && s.Remote.Port() == 0 && s.Remote.Addr().IsUnspecified()
					if so.State == "CLOSE" {
						so.State = "UNCONN"
					}
				} else {
					so.Listening = s.State == procfs.TCPListen
				}
				// Socket inodes come from one file system (sockfs) for
				// all namespaces, so an inode names one socket whatever
				// namespace its holder is in; a holder may be in another
				// namespace than the socket (setns, descriptor passing).
				so.OwnerStatus, so.Owners = ownerStatus(n.NoOwners, s.Inode, owners)
				st.Sockets = append(st.Sockets, so)
			}
		}
		usocks, uerrs := procfs.ParseUnix(v.raw["unix"])
		for _, e := range uerrs {
			ut.Errors = append(ut.Errors, v.dir+"/unix: "+e.Error())
		}
		for _, s := range usocks {
			u := artifact.UnixSocket{Path: manifest.BString(s.Path), Type: s.TypeName, State: s.StateName, Listening: s.Listening, Inode: s.Inode, NetNS: v.ns.Inode}
			u.OwnerStatus, u.Owners = ownerStatus(n.NoOwners, s.Inode, owners)
			ut.Sockets = append(ut.Sockets, u)
		}
		v.ns.Sockets = len(st.Sockets) + len(ut.Sockets) - before
		st.Namespaces = append(st.Namespaces, v.ns)
	}
	ut.Count = len(ut.Sockets)

	// Cross-check: an inet socket no process holds. A second read of the
	// tables tells those closed meanwhile from those really unowned.
	unowned := artifact.UnownedSockets{CollectedAt: now, Sockets: []artifact.Socket{},
		Method: "inodes of /proc/net/{tcp,tcp6,udp,udp6} (and of /proc/PID/net/* for one process in each other network namespace) against the socket:[INODE] links of every /proc/PID/fd; unowned sockets re-checked in a second read of the tables"}
	if !n.NoOwners {
		still := map[uint64]bool{}
		for _, v := range views {
			if v.raw == nil {
				continue
			}
			for _, t := range inetTables {
				res := ReadPseudo(ctx, env.Path(v.dir+"/"+t), PseudoMaxBytes)
				socks, _ := procfs.ParseInet(res.Data)
				for _, s := range socks {
					still[s.Inode] = true
				}
			}
		}
		for i := range st.Sockets {
			s := &st.Sockets[i]
			if s.OwnerStatus != artifact.OwnerNone {
				continue
			}
			if !still[s.Inode] {
				s.OwnerStatus = artifact.OwnerClosed
				continue
			}
			st.Unowned++
			unowned.Sockets = append(unowned.Sockets, *s)
		}
	}
	if !n.NoOwners {
		unownedFindings(env, unowned.Sockets)
	}
	st.Count = len(st.Sockets)
	st.Errors = append(st.Errors, idErrs...)

	lis := artifact.Listening{CollectedAt: now, Inet: []artifact.Socket{}, Unix: []artifact.UnixSocket{}}
	env.RuleRan(RuleNetNSListening)
	for _, s := range st.Sockets {
		if s.Listening {
			lis.Inet = append(lis.Inet, s)
			if s.NetNS != 0 && s.NetNS != self {
				netnsListeningFinding(env, s)
			}
		}
	}
	for _, s := range ut.Sockets {
		if s.Listening {
			lis.Unix = append(lis.Unix, s)
		}
	}
	for _, a := range []struct {
		path string
		v    artifact.Doc
	}{
		{artifact.PathSockets, &st},
		{artifact.PathUnixSockets, &ut},
		{artifact.PathListening, &lis},
		{artifact.PathUnowned, &unowned},
	} {
		if err := PutJSON(sink, a.path, n.Name(), a.v); err != nil {
			return err
		}
	}

	if err := n.interfaces(ctx, env, sink, now); err != nil {
		return err
	}
	if err := n.routes(ctx, env, sink, now); err != nil {
		return err
	}
	if err := n.neighbours(ctx, env, sink, now); err != nil {
		return err
	}
	for _, p := range []string{"/etc/resolv.conf", "/etc/hosts"} {
		if err := putFollowing(ctx, env, sink, p, n.Name()); err != nil {
			return err
		}
	}
	return nil
}

func ownerStatus(skipped bool, inode uint64, owners map[uint64][]artifact.SocketOwner) (string, []artifact.SocketOwner) {
	switch {
	case inode == 0:
		return artifact.OwnerNoInode, []artifact.SocketOwner{}
	case skipped:
		return artifact.OwnerSkipped, []artifact.SocketOwner{}
	case len(owners[inode]) > 0:
		return artifact.OwnedBy, owners[inode]
	default:
		return artifact.OwnerNone, []artifact.SocketOwner{}
	}
}

// socketOwners maps socket inodes to the processes whose descriptors point
// at them, reading every /proc/PID/fd (bounded per process).
func (n *Network) socketOwners(ctx context.Context, env *Env) (map[uint64][]artifact.SocketOwner, []string) {
	owners, _, errs := n.scanFDs(ctx, env)
	return owners, errs
}

// procFD is one open descriptor of a process.
type procFD struct{ pid, fd int }

// bpfProgLink is what /proc/PID/fd/N links to for a descriptor holding an
// eBPF program.
const bpfProgLink = "anon_inode:bpf-prog"

// scanFDs is socketOwners that also returns the descriptors holding an
// eBPF program, in pid and fd order: the kernel collector needs both, and
// one pass over every /proc/PID/fd serves them.
func (n *Network) scanFDs(ctx context.Context, env *Env) (map[uint64][]artifact.SocketOwner, []procFD, []string) {
	list := n.list
	if list == nil {
		list = listProcPIDs
	}
	var errs []string
	pids, err := list(env)
	if err != nil {
		errs = append(errs, "/proc: listing: "+err.Error())
	}
	timeout := n.Timeout
	if timeout <= 0 {
		timeout = DefaultProcessTimeout
	}
	workers := n.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	type hits struct {
		owners []artifact.SocketOwner
		inodes []uint64
		progs  []int // fds holding an eBPF program
		err    string
	}
	res := runBounded(ctx, len(pids), workers, timeout, func(ctx context.Context, i int) hits {
		var h hits
		base := procDir(env, pids[i])
		fds, err := listNumericAll(base + "/fd")
		if err != nil && !isGone(err) {
			h.err = fmt.Sprintf("pid %d: fd: %v", pids[i], err)
		}
		for j, fd := range fds {
			if j%256 == 0 && ctx.Err() != nil {
				h.err = fmt.Sprintf("pid %d: fd: %v", pids[i], ctx.Err())
				break
			}
			t, err := os.Readlink(base + "/fd/" + strconv.Itoa(fd))
			if err != nil {
				continue
			}
			if ino, ok := procfs.SocketInode(t); ok {
				h.owners = append(h.owners, artifact.SocketOwner{PID: pids[i], FD: fd})
				h.inodes = append(h.inodes, ino)
			} else if t == bpfProgLink {
				h.progs = append(h.progs, fd)
			}
		}
		if len(h.owners) > 0 {
			r := ReadPseudo(ctx, base+"/comm", 4096)
			name := manifest.BString(strings.TrimSuffix(string(r.Data), "\n"))
			for k := range h.owners {
				h.owners[k].Name = name
			}
		}
		return h
	}, func(i int) hits {
		return hits{err: fmt.Sprintf("pid %d: fd: no answer within %v", pids[i], timeout)}
	})
	owners := map[uint64][]artifact.SocketOwner{}
	var progs []procFD
	for i, h := range res {
		if h.err != "" {
			errs = append(errs, h.err)
		}
		for k, ino := range h.inodes {
			owners[ino] = append(owners[ino], h.owners[k])
		}
		for _, fd := range h.progs {
			progs = append(progs, procFD{pids[i], fd})
		}
	}
	return owners, progs, errs
}

// ifFlags names the IFF_* bits of /sys/class/net/IF/flags.
var ifFlags = []struct {
	bit  uint64
	name string
}{{0x1, "up"}, {0x2, "broadcast"}, {0x8, "loopback"}, {0x10, "pointtopoint"}, {0x40, "running"}, {0x80, "noarp"}, {0x100, "promisc"}, {0x1000, "multicast"}}

// interfaces reads /sys/class/net and the addresses: netlink on a live
// root, /proc/net/if_inet6 (IPv6 only) otherwise.
func (n *Network) interfaces(ctx context.Context, env *Env, sink Sink, now time.Time) error {
	tab := artifact.InterfaceTable{CollectedAt: now, Source: []string{"/sys/class/net"}, Interfaces: []artifact.Interface{}}
	inet6, err := PutPseudo(ctx, env, sink, "/proc/net/if_inet6", n.Name())
	if err != nil {
		return err
	}
	names, err := listDir(env.Path("/sys/class/net"))
	if err != nil {
		tab.Errors = append(tab.Errors, "/sys/class/net: "+err.Error())
	}
	read := func(ifname, f string) string {
		r := ReadPseudo(ctx, env.Path(path.Join("/sys/class/net", ifname, f)), 4096)
		return strings.TrimSpace(string(r.Data))
	}
	byIndex := map[int]*artifact.Interface{}
	for _, name := range names {
		ifc := artifact.Interface{Name: name, Addresses: []string{}}
		ifc.Index, _ = strconv.Atoi(read(name, "ifindex"))
		ifc.MAC = read(name, "address")
		ifc.MTU, _ = strconv.Atoi(read(name, "mtu"))
		ifc.OperState = read(name, "operstate")
		if fl, err := strconv.ParseUint(strings.TrimPrefix(read(name, "flags"), "0x"), 16, 64); err == nil {
			for _, f := range ifFlags {
				if fl&f.bit != 0 {
					ifc.Flags = append(ifc.Flags, f.name)
				}
			}
		}
		tab.Interfaces = append(tab.Interfaces, ifc)
	}
	for i := range tab.Interfaces {
		byIndex[tab.Interfaces[i].Index] = &tab.Interfaces[i]
	}
	if isLiveRoot(env) && !n.noNetlink {
		tab.Source = append(tab.Source, "netlink RTM_GETADDR")
		ifs, err := net.Interfaces()
		if err != nil {
			tab.Errors = append(tab.Errors, "netlink: "+err.Error())
		}
		for _, ifc := range ifs {
			dst := byIndex[ifc.Index]
			if dst == nil {
				// In netlink but not in sysfs: keep it, and say so.
				tab.Interfaces = append(tab.Interfaces, artifact.Interface{Index: ifc.Index, Name: ifc.Name, MAC: ifc.HardwareAddr.String(), MTU: ifc.MTU, Addresses: []string{}})
				tab.Errors = append(tab.Errors, fmt.Sprintf("interface %d %q: in netlink but not in /sys/class/net", ifc.Index, ifc.Name))
				dst = &tab.Interfaces[len(tab.Interfaces)-1]
				for i := range tab.Interfaces {
					byIndex[tab.Interfaces[i].Index] = &tab.Interfaces[i]
				}
			}
			addrs, err := ifc.Addrs()
			if err != nil {
				tab.Errors = append(tab.Errors, ifc.Name+": addresses: "+err.Error())
			}
			for _, a := range addrs {
				dst.Addresses = append(dst.Addresses, a.String())
			}
		}
	} else {
		tab.Source = append(tab.Source, "/proc/net/if_inet6 (IPv4 addresses need netlink on a live root)")
		a6, errs := procfs.ParseIfInet6(inet6)
		for _, e := range errs {
			tab.Errors = append(tab.Errors, "/proc/net/if_inet6: "+e.Error())
		}
		for _, a := range a6 {
			if dst := byIndex[int(a.Index)]; dst != nil {
				dst.Addresses = append(dst.Addresses, netip.PrefixFrom(a.Addr, a.PrefixLen).String())
			} else {
				tab.Errors = append(tab.Errors, fmt.Sprintf("/proc/net/if_inet6: %s on unknown interface %d %q", a.Addr, a.Index, a.Iface))
			}
		}
	}
	slices.SortFunc(tab.Interfaces, func(a, b artifact.Interface) int { return a.Index - b.Index })
	return PutJSON(sink, artifact.PathInterfaces, n.Name(), &tab)
}

func listDir(dir string) ([]string, error) {
	f, err := openDirNoAtime(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	slices.Sort(names)
	return names, err
}

func routeFlags(f uint32) []string {
	var out []string
	for _, x := range []struct {
		bit  uint32
		name string
	}{{procfs.RouteUp, "up"}, {procfs.RouteGateway, "gateway"}, {procfs.RouteHost, "host"}, {procfs.RouteReject, "reject"}} {
		if f&x.bit != 0 {
			out = append(out, x.name)
		}
	}
	return out
}

func (n *Network) routes(ctx context.Context, env *Env, sink Sink, now time.Time) error {
	tab := artifact.RouteTable{CollectedAt: now, IPv4: []artifact.Route{}, IPv6: []artifact.Route{}}
	for _, t := range []string{"route", "ipv6_route"} {
		b, err := PutPseudo(ctx, env, sink, "/proc/net/"+t, n.Name())
		if err != nil {
			return err
		}
		parse, dst := procfs.ParseRoute, &tab.IPv4
		if t == "ipv6_route" {
			parse, dst = procfs.ParseIPv6Route, &tab.IPv6
		}
		rs, errs := parse(b)
		for _, e := range errs {
			tab.Errors = append(tab.Errors, "/proc/net/"+t+": "+e.Error())
		}
		for _, r := range rs {
			o := artifact.Route{Iface: r.Iface, Destination: r.Dest.String(), Metric: r.Metric, Flags: routeFlags(r.Flags)}
			if r.Gateway.IsValid() && !r.Gateway.IsUnspecified() {
				o.Gateway = r.Gateway.String()
			}
			if r.Source.IsValid() && r.Source.Bits() > 0 {
				o.Source = r.Source.String()
			}
			*dst = append(*dst, o)
		}
	}
	return PutJSON(sink, artifact.PathRoutes, n.Name(), &tab)
}

// nudStates names the NUD_* neighbour states.
var nudStates = []struct {
	bit  uint16
	name string
}{{0x01, "incomplete"}, {0x02, "reachable"}, {0x04, "stale"}, {0x08, "delay"}, {0x10, "probe"}, {0x20, "failed"}, {0x40, "noarp"}, {0x80, "permanent"}}

func (n *Network) neighbours(ctx context.Context, env *Env, sink Sink, now time.Time) error {
	tab := artifact.NeighbourTable{CollectedAt: now, Neighbours: []artifact.Neighbour{}}
	arp, err := PutPseudo(ctx, env, sink, "/proc/net/arp", n.Name())
	if err != nil {
		return err
	}
	if isLiveRoot(env) && !n.noNetlink {
		nb, err := netlinkNeighbours()
		if err == nil {
			tab.Source = "netlink RTM_GETNEIGH (ARP and NDP)"
			tab.Neighbours = nb
			return PutJSON(sink, artifact.PathNeighbours, n.Name(), &tab)
		}
		tab.Errors = append(tab.Errors, "netlink: "+err.Error())
	}
	tab.Source = "/proc/net/arp"
	tab.Notes = append(tab.Notes, "IPv6 neighbours (NDP) are only in netlink: not read here")
	es, errs := procfs.ParseARP(arp)
	for _, e := range errs {
		tab.Errors = append(tab.Errors, "/proc/net/arp: "+e.Error())
	}
	for _, e := range es {
		state := "incomplete"
		switch {
		case e.Flags&procfs.ARPPermanent != 0:
			state = "permanent"
		case e.Flags&procfs.ARPComplete != 0:
			state = "complete"
		}
		tab.Neighbours = append(tab.Neighbours, artifact.Neighbour{IP: e.IP.String(), MAC: e.HWAddr, Device: e.Device, State: state})
	}
	return PutJSON(sink, artifact.PathNeighbours, n.Name(), &tab)
}

// netlinkNeighbours dumps the kernel's neighbour tables (IPv4 ARP and IPv6
// NDP) over a netlink route socket.
func netlinkNeighbours() ([]artifact.Neighbour, error) {
	rib, err := syscall.NetlinkRIB(syscall.RTM_GETNEIGH, syscall.AF_UNSPEC)
	if err != nil {
		return nil, err
	}
	msgs, err := syscall.ParseNetlinkMessage(rib)
	if err != nil {
		return nil, err
	}
	names := map[int]string{}
	if ifs, err := net.Interfaces(); err == nil {
		for _, i := range ifs {
			names[i.Index] = i.Name
		}
	}
	out := []artifact.Neighbour{}
	for _, m := range msgs {
		if m.Header.Type != syscall.RTM_NEWNEIGH || len(m.Data) < 12 {
			continue
		}
		// struct ndmsg: family u8, pad u8, pad u16, ifindex s32, state
		// u16, flags u8, type u8; then rtattrs.
		idx := int(int32(binary.NativeEndian.Uint32(m.Data[4:8])))
		state := binary.NativeEndian.Uint16(m.Data[8:10])
		nb := artifact.Neighbour{Device: names[idx]}
		if nb.Device == "" {
			nb.Device = strconv.Itoa(idx)
		}
		var states []string
		for _, s := range nudStates {
			if state&s.bit != 0 {
				states = append(states, s.name)
			}
		}
		nb.State = strings.Join(states, ",")
		if nb.State == "" {
			nb.State = "none"
		}
		for a := m.Data[12:]; len(a) >= 4; {
			l := int(binary.NativeEndian.Uint16(a[0:2]))
			typ := binary.NativeEndian.Uint16(a[2:4])
			if l < 4 || l > len(a) {
				break
			}
			v := a[4:l]
			switch typ {
			case 1: // NDA_DST
				if ip, ok := netip.AddrFromSlice(v); ok {
					nb.IP = ip.String()
				}
			case 2: // NDA_LLADDR
				nb.MAC = net.HardwareAddr(v).String()
			}
			a = a[min(len(a), (l+3)&^3):]
		}
		if nb.IP != "" {
			out = append(out, nb)
		}
	}
	return out, nil
}
