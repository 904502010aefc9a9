package collect

// collectorWhat says, for `hozen profiles`, what each collector stores.
// A collector without a line here is listed by name only.
var collectorWhat = map[string]string{
	"network":      "sockets with their owning processes, unowned sockets, interfaces, routes, neighbours (volatile/network/)",
	"processes":    "every process: argv, exe and its SHA-256, cwd, fds, environment, hidden pids (volatile/processes/)",
	"users":        "accounts, sessions (utmp), login history (wtmp), failed logins (btmp), lastlog (volatile/users/)",
	"system":       "hostname, OS, kernel, boot time, modules, mounts, block devices, clock (volatile/system/)",
	"persistence":  "cron, systemd units, rc scripts, ld.so.preload, shell start-up files, authorized_keys, flagged (volatile/persistence/)",
	"kernel":       "raw and packet sockets with owners, eBPF programs, /sys/module against /proc/modules, the kernel log, sysctl, binfmt_misc, taint (volatile/kernel/)",
	"firewall":     "nftables rules through netlink and iptables tables as the kernel reports them, raw and decoded (volatile/firewall/)",
	"procmaps":     "every process's memory maps, LD_PRELOAD, and the bytes of deleted or memfd programs and deleted open files (volatile/processes/maps.json, exe/, fd/)",
	"containers":   "Docker, containerd and Podman (bolt and SQLite state) containers and images from their state files, processes tied to containers (volatile/containers/)",
	"tmpplaces":    "every file in /tmp, /var/tmp, /dev/shm, /run/shm, /run/user with contents within a budget, executables flagged (files/, volatile/tmpplaces/)",
	"packages":     "the dpkg and RPM (rpmdb.sqlite) inventories, and programs, libraries and config files checked against their recorded digests within a budget; RPM databases stored raw (volatile/packages/)",
	"packages-all": "as packages, every file of every package checked (volatile/packages/)",
	"exe-hashes":   "SHA-256 of every executable in the standard program directories, packaged or not (volatile/filesystem/exe_hashes.json)",
	"filesystem":   "a Sleuth Kit bodyfile of every file on local file systems, SUID/SGID, capabilities, immutable, world-writable, unowned and hidden executables flagged (volatile/filesystem/)",
}

// DescribeCollector says what collector name stores, or "" if unknown.
func DescribeCollector(name string) string { return collectorWhat[name] }
