//go:build darwin

package collect

import (
	"context"
	"errors"

	"github.com/hozen-dfir/hozen/artifact"
	"golang.org/x/sys/unix"
)

// How sockets and their owners are listed on macOS: the kernel's own PCB
// lists, read through sysctl(3) as netstat does, not through lsof.
const (
	socketSource = "sysctl net.inet.{tcp,udp}.pcblist_n"
	ownerMethod  = "owner pids from the kernel's PCB lists (xsocket_n so_last_pid, and so_e_pid for delegated sockets): the last process to use a socket, not every descriptor holder; a socket with neither is listed here"
)

// listSockets lists TCP and UDP sockets (IPv4 and IPv6) from the kernel's
// PCB lists into st, storing the raw lists.
func (n *Network) listSockets(ctx context.Context, sink Sink, st *artifact.SocketTable) error {
	src := pcbSource{sysctl: readSysctl, name: processName}
	if err := src.sockets(ctx, sink, n.Name(), st); err != nil {
		return err
	}
	st.Errors = append(st.Errors, "unix-domain sockets are not listed on darwin (net.local.{stream,dgram}.pcblist_n is not decoded)")
	return nil
}

// readSysctl reads a sysctl whole. The kernel sizes its answer to the
// list's length plus an eighth; a list that outgrew that between sizing and
// reading gives ENOMEM, and is read again.
func readSysctl(name string) ([]byte, error) {
	var err error
	for range 3 {
		var b []byte
		if b, err = unix.SysctlRaw(name); !errors.Is(err, unix.ENOMEM) {
			return b, err
		}
	}
	return nil, err
}
