package collect

// collectorWhat says, for `hozen profiles`, what each collector stores.
// A collector without a line here is listed by name only.
var collectorWhat = map[string]string{
	"network":     "sockets with their owning processes, unowned sockets, interfaces, routes, neighbours (volatile/network/)",
	"processes":   "every process: argv, exe and its SHA-256, cwd, fds, environment, hidden pids (volatile/processes/)",
	"users":       "accounts, sessions (utmp), login history (wtmp), failed logins (btmp), lastlog (volatile/users/)",
	"system":      "hostname, OS, kernel, boot time, modules, mounts, block devices, clock (volatile/system/)",
	"persistence": "cron, systemd units, rc scripts, ld.so.preload, shell start-up files, authorized_keys, flagged (volatile/persistence/)",
}

// DescribeCollector says what collector name stores, or "" if unknown.
func DescribeCollector(name string) string { return collectorWhat[name] }
