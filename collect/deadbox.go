package collect

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hozen-dfir/hozen/collect/etc"
	"github.com/hozen-dfir/hozen/manifest"
)

// LiveCollector is implemented by collectors that read the running
// host's state (/proc, /sys, sockets, the kernel) rather than files. In a
// dead-box collection ([Env.DeadBox]) they do not run: [Run] stores a
// record saying so instead.
type LiveCollector interface {
	Collector
	// LiveState says what live state the collector reads.
	LiveState() string
}

// skipLive stores the record of a live collector that a dead-box
// collection does not run: metadata only, outcome skipped, the reason in
// its warnings.
func skipLive(env *Env, c LiveCollector, sink Sink) error {
	rec := &manifest.Record{
		Path:      manifest.BString("volatile/" + c.Name() + "/not-collected"),
		Entry:     manifest.EntryNone,
		Source:    manifest.BString(c.Name()),
		Collector: c.Name(),
		Outcome:   manifest.OutcomeSkipped,
		Warnings: []string{fmt.Sprintf("not collected: dead-box collection of %s; the %s collector reads %s of the running host, which a file system image does not hold",
			env.Root, c.Name(), c.LiveState())},
	}
	return sink.Put(rec, nil)
}

// SkippedLive returns the names of the collectors a dead-box collection
// skips.
func SkippedLive(cs []Collector) []string {
	out := []string{}
	for _, c := range cs {
		if _, ok := c.(LiveCollector); ok {
			out = append(out, c.Name())
		}
	}
	return out
}

// HostIdentityDeadBox reads a dead-box image's identity from its files:
// /etc/hostname, /etc/machine-id and /etc/os-release under env.Root (the
// running host's kernel, addresses and boot id are not the image's, and
// are left empty).
func HostIdentityDeadBox(ctx context.Context, env *Env) manifest.Host {
	h := manifest.Host{}
	read := func(p string) string {
		r := readLinked(ctx, env, p, 64<<10)
		return strings.TrimSpace(string(r.Data))
	}
	h.Hostname = read("/etc/hostname")
	if i := strings.IndexAny(h.Hostname, "\n \t"); i >= 0 {
		h.Hostname = h.Hostname[:i]
	}
	h.MachineID = read("/etc/machine-id")
	osr := etc.ParseOSRelease(read("/etc/os-release"))
	h.OSRelease = osr["PRETTY_NAME"]
	h.OS = "linux"
	if _, err := os.Lstat(env.Path("/etc")); err != nil {
		h.OS = "unknown"
	}
	h.Arch = "unknown"
	return h
}

// LiveState implements [LiveCollector].
func (*Network) LiveState() string { return "the kernel's socket tables (/proc/net) and interfaces" }

// LiveState implements [LiveCollector].
func (*Processes) LiveState() string { return "the process table (/proc/PID)" }

// LiveState implements [LiveCollector].
func (*System) LiveState() string {
	return "the running kernel's state (/proc: modules, mounts, boot time; /sys/block)"
}

// LiveState implements [LiveCollector].
func (*Kernel) LiveState() string {
	return "the running kernel (raw sockets, eBPF through bpf(2), /dev/kmsg, /sys/module, /proc/sys)"
}

// LiveState implements [LiveCollector].
func (*Firewall) LiveState() string { return "the running kernel's firewall (netlink, getsockopt)" }

// LiveState implements [LiveCollector].
func (*ProcMaps) LiveState() string { return "processes' memory maps and open files (/proc/PID)" }
