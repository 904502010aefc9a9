//go:build !linux

package collect

import (
	"context"
	"net"
	"runtime"
	"strings"
	"syscall"

	gnet "github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"

	"github.com/hozen-dfir/hozen/manifest"
)

// Collect implements [Collector] through gopsutil and the Go runtime. On
// macOS gopsutil lists sockets by running lsof, so hozen does not list
// them there and says so in the record.
func (n *Network) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(n.Name())
	}
	now := envNow(env)
	st := SocketTable{CollectedAt: now, Source: "gopsutil", Sockets: []Socket{}}
	switch {
	case !isLiveRoot(env):
		st.Errors = append(st.Errors, "gopsutil reads the running system only; root "+env.Root+" not read")
	case runtime.GOOS == "darwin":
		st.Errors = append(st.Errors, "sockets not listed on darwin: gopsutil would run lsof, and hozen runs no program of the host")
	default:
		conns, err := gnet.ConnectionsWithContext(ctx, "all")
		if err != nil {
			st.Errors = append(st.Errors, "connections: "+err.Error())
		}
		names := map[int32]string{}
		for _, c := range conns {
			s := Socket{Proto: gopsProto(c), State: c.Status,
				LocalAddr: c.Laddr.IP, LocalPort: uint16(c.Laddr.Port),
				RemoteAddr: c.Raddr.IP, RemotePort: uint16(c.Raddr.Port), Owners: []SocketOwner{}}
			s.Listening = c.Status == "LISTEN" || strings.HasPrefix(s.Proto, "udp") && c.Raddr.Port == 0
			if c.Pid > 0 {
				name, ok := names[c.Pid]
				if !ok {
					if p, err := process.NewProcessWithContext(ctx, c.Pid); err == nil {
						name, _ = p.NameWithContext(ctx)
					}
					names[c.Pid] = name
				}
				s.OwnerStatus = OwnedBy
				s.Owners = append(s.Owners, SocketOwner{PID: int(c.Pid), Name: manifest.BString(name), FD: int(c.Fd)})
			} else {
				s.OwnerStatus = OwnerNone
				st.Unowned++
			}
			st.Sockets = append(st.Sockets, s)
		}
	}
	st.Count = len(st.Sockets)
	lis := Listening{CollectedAt: now, Inet: []Socket{}, Unix: []UnixSocket{}}
	un := UnownedSockets{CollectedAt: now, Method: "owner pid from the OS socket table (gopsutil)", Sockets: []Socket{}}
	for _, s := range st.Sockets {
		if s.Listening {
			lis.Inet = append(lis.Inet, s)
		}
		if s.OwnerStatus == OwnerNone {
			un.Sockets = append(un.Sockets, s)
		}
	}
	it := InterfaceTable{CollectedAt: now, Source: []string{"Go net.Interfaces"}, Interfaces: []Interface{}}
	if isLiveRoot(env) {
		ifs, err := net.Interfaces()
		if err != nil {
			it.Errors = append(it.Errors, err.Error())
		}
		for _, ifc := range ifs {
			o := Interface{Index: ifc.Index, Name: ifc.Name, MAC: ifc.HardwareAddr.String(), MTU: ifc.MTU, Addresses: []string{}}
			for f := range strings.SplitSeq(ifc.Flags.String(), "|") {
				if f != "" && f != "0" {
					o.Flags = append(o.Flags, f)
				}
			}
			addrs, _ := ifc.Addrs()
			for _, a := range addrs {
				o.Addresses = append(o.Addresses, a.String())
			}
			it.Interfaces = append(it.Interfaces, o)
		}
	}
	for _, a := range []struct {
		path string
		v    any
	}{
		{"volatile/network/sockets.json", st},
		{"volatile/network/listening.json", lis},
		{"volatile/findings/unowned_sockets.json", un},
		{"volatile/network/interfaces.json", it},
	} {
		if err := PutJSON(sink, a.path, n.Name(), a.v); err != nil {
			return err
		}
	}
	hosts := []string{"/etc/resolv.conf", "/etc/hosts"}
	if runtime.GOOS == "windows" {
		hosts = []string{"/Windows/System32/drivers/etc/hosts"}
	}
	for _, p := range hosts {
		if err := putFollowing(ctx, env, sink, p, n.Name()); err != nil {
			return err
		}
	}
	return nil
}

func gopsProto(c gnet.ConnectionStat) string {
	p := "tcp"
	if c.Type == syscall.SOCK_DGRAM {
		p = "udp"
	}
	if c.Family == syscall.AF_INET6 {
		p += "6"
	}
	return p
}
