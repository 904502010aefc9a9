//go:build !linux

package collect

import (
	"context"
	"net"
	"runtime"
	"strings"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/shirou/gopsutil/v4/process"
)

// Collect implements [Collector]. The socket tables come from the OS
// (listSockets: the kernel's PCB lists on macOS, gopsutil on Windows),
// interfaces from the Go runtime.
func (n *Network) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(n.Name())
	}
	now := envNow(env)
	st := artifact.SocketTable{CollectedAt: now, Source: socketSource, Sockets: []artifact.Socket{}}
	if !isLiveRoot(env) {
		st.Errors = append(st.Errors, socketSource+" reads the running system only; root "+env.Root+" not read")
	} else if err := n.listSockets(ctx, sink, &st); err != nil {
		return err
	}
	st.Count = len(st.Sockets)
	lis := artifact.Listening{CollectedAt: now, Inet: []artifact.Socket{}, Unix: []artifact.UnixSocket{}}
	un := artifact.UnownedSockets{CollectedAt: now, Method: ownerMethod, Sockets: []artifact.Socket{}}
	for _, s := range st.Sockets {
		if s.Listening {
			lis.Inet = append(lis.Inet, s)
		}
		if s.OwnerStatus == artifact.OwnerNone {
			un.Sockets = append(un.Sockets, s)
		}
	}
	it := artifact.InterfaceTable{CollectedAt: now, Source: []string{"Go net.Interfaces"}, Interfaces: []artifact.Interface{}}
	if isLiveRoot(env) {
		ifs, err := net.Interfaces()
		if err != nil {
			it.Errors = append(it.Errors, err.Error())
		}
		for _, ifc := range ifs {
			o := artifact.Interface{Index: ifc.Index, Name: ifc.Name, MAC: ifc.HardwareAddr.String(), MTU: ifc.MTU, Addresses: []string{}}
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
		v    artifact.Doc
	}{
		{artifact.PathSockets, &st},
		{artifact.PathListening, &lis},
		{artifact.PathUnowned, &un},
		{artifact.PathInterfaces, &it},
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

// processName is the name gopsutil gives a pid: on macOS kinfo_proc's
// p_comm (sysctl kern.proc.pid), lengthened from argv[0] (sysctl
// kern.procargs2) when cut at 15 bytes; on Windows the process image's
// name. It runs no program.
func processName(ctx context.Context, pid int) string {
	p, err := process.NewProcessWithContext(ctx, int32(pid))
	if err != nil {
		return ""
	}
	name, _ := p.NameWithContext(ctx)
	return name
}
