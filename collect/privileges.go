package collect

import (
	"os"
	"runtime"

	"github.com/hozen-dfir/hozen/manifest"
)

// Privileges returns the identity hozen runs with and, when it is not
// root, what collection cannot reach because of it. Collect prints it at
// the start and in the summary, and records it in the bundle header.
func Privileges() *manifest.Privileges {
	p := &manifest.Privileges{UID: os.Getuid(), EUID: os.Geteuid()}
	p.Capabilities = effectiveCaps()
	switch runtime.GOOS {
	case "windows":
		// No uid: whether the process is elevated is not known here.
		p.Root = false
		p.Missing = []string{"unknown on windows: run from an elevated prompt"}
		return p
	}
	p.Root = p.EUID == 0
	if !p.Root {
		p.Missing = NotRootCosts()
	}
	return p
}

// NotRootCosts lists what a collection run without root loses.
func NotRootCosts() []string {
	return []string{
		"other users' processes: open files, environments, executables (no exe hash, no deleted-program bytes)",
		"owners of sockets held by other users' processes (their sockets look unowned; the unowned-socket rule is off)",
		"/etc/shadow, /etc/gshadow, /etc/sudoers and other root-only files (recorded as denied)",
		"other users' home directories: histories, authorized_keys, shell start-up files",
		"root-only logs under /var/log (auth.log, the journal) and /var/spool/cron/crontabs",
	}
}
