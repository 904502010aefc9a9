//go:build !linux && !darwin

package collect

import (
	"context"
	"strings"
	"syscall"

	gnet "github.com/shirou/gopsutil/v4/net"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// How sockets and their owners are listed here: gopsutil asks the OS
// (GetExtendedTcpTable and GetExtendedUdpTable on Windows).
const (
	socketSource = "gopsutil"
	ownerMethod  = "owner pid from the OS socket table (gopsutil)"
)

// listSockets lists TCP and UDP sockets through gopsutil into st.
func (n *Network) listSockets(ctx context.Context, _ Sink, st *artifact.SocketTable) error {
	conns, err := gnet.ConnectionsWithContext(ctx, "all")
	if err != nil {
		st.Errors = append(st.Errors, "connections: "+err.Error())
	}
	names := map[int32]string{}
	for _, c := range conns {
		s := artifact.Socket{Proto: gopsProto(c), State: c.Status,
			LocalAddr: c.Laddr.IP, LocalPort: uint16(c.Laddr.Port),
			RemoteAddr: c.Raddr.IP, RemotePort: uint16(c.Raddr.Port), Owners: []artifact.SocketOwner{}}
		s.Listening = c.Status == "LISTEN" || strings.HasPrefix(s.Proto, "udp") && c.Raddr.Port == 0
		if c.Pid > 0 {
			name, ok := names[c.Pid]
			if !ok {
				name = processName(ctx, int(c.Pid))
				names[c.Pid] = name
			}
			s.OwnerStatus = artifact.OwnedBy
			s.Owners = append(s.Owners, artifact.SocketOwner{PID: int(c.Pid), Name: manifest.BString(name), FD: int(c.Fd)})
		} else {
			s.OwnerStatus = artifact.OwnerNone
			st.Unowned++
		}
		st.Sockets = append(st.Sockets, s)
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
