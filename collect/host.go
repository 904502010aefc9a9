package collect

import (
	"context"
	"net"
	"os"
	"runtime"
	"strings"

	"github.com/hozen-dfir/hozen/manifest"
)

// HostIdentity reads who the host is for the bundle header: hostname,
// machine-id, boot id, OS, kernel and addresses. Missing pieces stay empty:
// the header is written before any collector runs and must not fail.
func HostIdentity(ctx context.Context, env *Env) manifest.Host {
	h := manifest.Host{OS: runtime.GOOS, Arch: runtime.GOARCH}
	read := func(p string) string {
		r := ReadPseudo(ctx, env.path(p), 64<<10)
		return strings.TrimSpace(string(r.Data))
	}
	if runtime.GOOS == "linux" || env.Root != "/" && env.Root != "" {
		h.Hostname = read("/proc/sys/kernel/hostname")
		h.MachineID = read("/etc/machine-id")
		h.BootID = read("/proc/sys/kernel/random/boot_id")
		h.Kernel = read("/proc/sys/kernel/osrelease")
		if osr := read("/etc/os-release"); osr != "" {
			for line := range strings.SplitSeq(osr, "\n") {
				if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
					h.OSRelease = strings.Trim(v, `"'`)
				}
			}
		}
	}
	if h.Hostname == "" && (env.Root == "/" || env.Root == "") {
		h.Hostname, _ = os.Hostname()
	}
	if env.Root == "/" || env.Root == "" {
		if ifs, err := net.Interfaces(); err == nil {
			for _, ifc := range ifs {
				addrs, err := ifc.Addrs()
				if err != nil {
					continue
				}
				for _, a := range addrs {
					h.Addresses = append(h.Addresses, ifc.Name+" "+a.String())
				}
			}
		}
	}
	return h
}
