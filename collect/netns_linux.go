package collect

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/procfs"
)

// MaxNetNamespaces bounds the network namespaces whose socket tables the
// network collector reads besides its own.
const MaxNetNamespaces = 1024

// netnsView is one network namespace's socket tables as read.
type netnsView struct {
	ns artifact.NetNamespace
	// dir is the host path of the tables: "/proc/net", "/proc/PID/net".
	dir string
	raw map[string][]byte
}

// ownNetNS is the inode of the collector's own network namespace, 0 when
// unknown (a root with no /proc/self).
func ownNetNS(env *Env) uint64 {
	t, err := os.Readlink(env.Path("/proc/self/ns/net"))
	if err != nil {
		return 0
	}
	ino, _ := procfs.NamespaceInode(t)
	return ino
}

// netnsMembers groups pids by the network namespace /proc/PID/ns/net
// names, and also returns the errors met.
func netnsMembers(ctx context.Context, env *Env, pids []int) (map[uint64][]int, []string) {
	by := map[uint64][]int{}
	var errs []string
	for i, pid := range pids {
		if i%512 == 0 && ctx.Err() != nil {
			errs = append(errs, "/proc/PID/ns/net: "+ctx.Err().Error())
			break
		}
		t, err := os.Readlink(procDir(env, pid) + "/ns/net")
		if err != nil {
			if !isGone(err) {
				errs = append(errs, fmt.Sprintf("pid %d: ns/net: %v", pid, err))
			}
			continue
		}
		ino, ok := procfs.NamespaceInode(t)
		if !ok {
			errs = append(errs, fmt.Sprintf("pid %d: ns/net: unexpected link %q", pid, t))
			continue
		}
		by[ino] = append(by[ino], pid)
	}
	return by, errs
}

// otherNetNS reads, raw, the socket tables of every network namespace a
// process is in other than self, through /proc/PID/net of the lowest pid
// in it (the next one when that process is gone). A socket belongs to the
// namespace it was created in, and /proc/PID/net shows the namespace of
// PID, so one process per namespace shows all of that namespace's sockets.
func (n *Network) otherNetNS(ctx context.Context, env *Env, sink Sink, self uint64) ([]*netnsView, []string, error) {
	if self == 0 {
		return nil, []string{"/proc/self/ns/net: own network namespace unknown; other namespaces' sockets not read"}, nil
	}
	list := n.list
	if list == nil {
		list = listProcPIDs
	}
	pids, err := list(env)
	var errs []string
	if err != nil {
		errs = append(errs, "/proc: listing: "+err.Error())
	}
	by, nsErrs := netnsMembers(ctx, env, pids)
	errs = append(errs, nsErrs...)
	inodes := slices.Sorted(maps.Keys(by))
	var views []*netnsView
	for _, ino := range inodes {
		if ino == self {
			continue
		}
		if len(views) == MaxNetNamespaces {
			errs = append(errs, fmt.Sprintf("more than %d network namespaces: the others' sockets not read", MaxNetNamespaces))
			break
		}
		members := by[ino]
		v := &netnsView{ns: artifact.NetNamespace{Inode: ino, PIDs: len(members)}}
		const tries = 3
		for k, pid := range members {
			if k == tries {
				break
			}
			// The process must still be in that namespace: a pid that
			// exited and was reused would show another namespace.
			dir := "/proc/" + strconv.Itoa(pid) + "/net"
			raw := map[string][]byte{}
			got := 0
			for _, t := range append(slices.Clone(inetTables), "unix") {
				b, err := PutPseudo(ctx, env, sink, dir+"/"+t, n.Name())
				if err != nil {
					return nil, nil, err
				}
				if b != nil {
					got++
				}
				raw[t] = b
			}
			if again, ok := netnsOf(env, pid); !ok || again != ino {
				v.ns.Errors = append(v.ns.Errors, fmt.Sprintf("pid %d left the namespace while its tables were read", pid))
				continue
			}
			if got == 0 {
				v.ns.Errors = append(v.ns.Errors, fmt.Sprintf("pid %d: %s: nothing readable", pid, dir))
				continue
			}
			v.ns.PID, v.ns.Source, v.dir, v.raw = pid, dir, dir, raw
			break
		}
		views = append(views, v)
	}
	return views, errs, nil
}

func netnsOf(env *Env, pid int) (uint64, bool) {
	t, err := os.Readlink(procDir(env, pid) + "/ns/net")
	if err != nil {
		return 0, false
	}
	return procfs.NamespaceInode(t)
}

// RuleNetNSListening flags a socket listening in a network namespace other
// than hozen's own.
const RuleNetNSListening = "netns-listening"

func netnsListeningFinding(env *Env, s artifact.Socket) {
	f := artifact.Finding{Rule: RuleNetNSListening, Severity: artifact.SeverityInfo,
		Title: fmt.Sprintf("%s %s:%d listening in network namespace %d", s.Proto, s.LocalAddr, s.LocalPort, s.NetNS),
		Reason: "a service listening inside a container or another network namespace: the host's own socket list (ss, netstat on the host) does not show it; " +
			"volatile/containers/processes.json names the container of its owner",
		Evidence: []string{artifact.PathSockets + "#inode=" + strconv.FormatUint(s.Inode, 10), artifact.PathContainerProcesses}}
	if len(s.Owners) > 0 {
		f.PID = s.Owners[0].PID
	}
	env.Finding(f)
}
