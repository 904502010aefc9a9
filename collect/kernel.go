package collect

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// Kernel collects the kernel's defences and what can hide behind them: raw
// and packet sockets with their owners, loaded eBPF objects, /proc/modules
// against /sys/module, the kernel log (/dev/kmsg), sysctl values and
// binfmt_misc handlers. See docs/collectors.md.
type Kernel struct {
	// NoOwners skips mapping sockets and eBPF programs to processes.
	NoOwners bool
	// Bounds; 0 takes the defaults below.
	KmsgMaxBytes   int64
	SysctlMaxFiles int
	Deadline       time.Duration
}

// Defaults of the kernel collector's bounds.
const (
	DefaultKmsgMaxBytes   = 16 << 20
	DefaultSysctlMaxFiles = 20000
	DefaultKernelDeadline = 20 * time.Second
)

// Name implements [Collector].
func (*Kernel) Name() string { return "kernel" }

// Rule ids of the kernel collector (docs/collectors.md).
const (
	RuleRawSocket      = "raw-socket"
	RuleModuleHidden   = "module-hidden"
	RuleBPFTracing     = "bpf-tracing-program"
	RuleSysctlForward  = "sysctl-ip-forward"
	RuleSysctlPtrace   = "sysctl-ptrace-scope"
	RuleSysctlASLR     = "sysctl-aslr-weakened"
	RuleSysctlCore     = "sysctl-core-pattern-pipe"
	RuleSysctlModprobe = "sysctl-modprobe-path"
	RuleBinfmtTemp     = "binfmt-interpreter-unusual"
	RuleTaintModule    = "kernel-taint-module"
)

// tempPlace reports whether an executable path is in a temporary or
// memory-only place, or deleted: where a dropped tool runs from.
func tempPlace(exe string) bool {
	return strings.HasSuffix(exe, " (deleted)") || strings.HasPrefix(exe, "/memfd:") || strings.HasPrefix(exe, "memfd:") ||
		inTmpPlace(exe) || strings.HasPrefix(exe, "/dev/mqueue/")
}

// systemDir reports whether path is under a directory of installed
// programs (where package managers put them).
func systemDir(path string) bool {
	for _, p := range []string{"/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// rawSocketFindings flags every raw and packet socket: each can read
// traffic not addressed to a listening port (BPFDoor-style backdoors
// wait for a magic packet on one). High when no process holds it or an
// owner runs a deleted or temporary-place program; low when every owner
// runs a program of an installed package (DHCP clients, network
// daemons); medium otherwise, 60 when the package database lists none of
// the owners' programs.
func rawSocketFindings(env *Env, socks []artifact.RawSocket) {
	env.RuleRan(RuleRawSocket)
	if len(socks) == 0 {
		return
	}
	owns, haveDB := PackageOwns(env)
	for _, s := range socks {
		if s.OwnerStatus == artifact.OwnerClosed {
			continue
		}
		kind := s.Table + " socket"
		if s.Table == "packet" {
			kind = "packet socket (" + s.Type + ")"
		}
		proto := s.ProtocolName
		if proto == "" {
			proto = "0x" + strconv.FormatUint(uint64(s.Protocol), 16)
		}
		f := artifact.Finding{
			Rule: RuleRawSocket, Severity: artifact.SeverityMedium, Score: 50,
			Evidence: []string{artifact.PathRawSockets + "#inode=" + strconv.FormatUint(s.Inode, 10)},
		}
		var names, unpackaged []string
		bad := ""
		for _, o := range s.Owners {
			exe := string(s.OwnerExes[o.PID])
			names = append(names, fmt.Sprintf("%s (pid %d, %s)", o.Name, o.PID, orUnknown(exe)))
			if !haveDB || exe == "" || !owns(exe) {
				unpackaged = append(unpackaged, orUnknown(exe))
			}
			if tempPlace(exe) && bad == "" {
				bad = fmt.Sprintf("its owner pid %d runs %s, a deleted or temporary-place program", o.PID, exe)
				f.PID = o.PID
				f.Path = manifest.BString(exe)
			}
			if f.PID == 0 {
				f.PID = o.PID
			}
		}
		switch {
		case s.OwnerStatus == artifact.OwnerNone:
			f.Severity, f.Score = artifact.SeverityHigh, 90
			f.Title = fmt.Sprintf("%s for %s held by no process", kind, proto)
			f.Reason = "a raw or packet socket sees traffic no listening port shows; no process's descriptors point at this one (a hidden process, or a kernel-held socket)"
		case bad != "":
			f.Severity, f.Score = artifact.SeverityHigh, 80
			f.Title = fmt.Sprintf("%s for %s held by %s", kind, proto, strings.Join(names, ", "))
			f.Reason = "a raw or packet socket sees traffic no listening port shows, and " + bad
		case len(names) == 0:
			f.Title = fmt.Sprintf("%s for %s (owners not mapped)", kind, proto)
			f.Reason = "a raw or packet socket sees traffic no listening port shows (sniffers and magic-packet backdoors use them; so do DHCP clients and network daemons): its owners could not be read"
		case len(unpackaged) == 0:
			f.Severity, f.Score = artifact.SeverityLow, 20
			f.Title = fmt.Sprintf("%s for %s held by %s", kind, proto, strings.Join(names, ", "))
			f.Reason = "a raw or packet socket sees traffic no listening port shows; every owner runs a program an installed package lists (DHCP clients and network daemons hold them), so it is low unless that program fails its package check (rule package-file-modified)"
		case haveDB:
			f.Score = 60
			f.Title = fmt.Sprintf("%s for %s held by %s", kind, proto, strings.Join(names, ", "))
			f.Reason = "a raw or packet socket sees traffic no listening port shows, and no installed package lists " + strings.Join(unpackaged, ", ") + ": sniffers and magic-packet backdoors use them (process names are not trusted: BPFDoor renames itself)"
		default:
			f.Title = fmt.Sprintf("%s for %s held by %s", kind, proto, strings.Join(names, ", "))
			f.Reason = "a raw or packet socket sees traffic no listening port shows (sniffers and magic-packet backdoors use them; so do DHCP clients and network daemons: check the owner; no package database to tell them apart)"
		}
		env.Finding(f)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "exe unknown"
	}
	return s
}

// moduleFindings flags loadable modules seen in only one of /proc/modules
// and /sys/module in two reads: rootkits unlink themselves from the
// module list (diamorphine, reptile) or delete their sysfs kobject.
func moduleFindings(env *Env, mism []artifact.ModuleView) {
	env.RuleRan(RuleModuleHidden)
	for _, m := range mism {
		f := artifact.Finding{Rule: RuleModuleHidden, Severity: artifact.SeverityHigh, Score: 95,
			Evidence: []string{artifact.PathModuleCheck, artifact.PathModules}}
		if m.InSysModule {
			f.Title = "module " + m.Name + " is in /sys/module but not in /proc/modules"
			f.Reason = "a loadable module (initstate " + orUnknown(m.InitState) + ") that the module list does not show: rootkits hide by unlinking themselves from it"
			f.Path = manifest.BString("/sys/module/" + m.Name)
		} else {
			f.Title = "module " + m.Name + " is in /proc/modules but not in /sys/module"
			f.Reason = "a loaded module without its sysfs entry: rootkits delete their kobject to hide from tools that list /sys/module"
		}
		env.Finding(f)
	}
}

// bpfTracingTypes are the program types that can read or change kernel and
// process data (kprobes, tracepoints, fentry/fexit, LSM hooks): what eBPF
// rootkits (ebpfkit, TripleCross, boopkit) attach.
var bpfTracingTypes = map[string]bool{"kprobe": true, "tracepoint": true, "raw_tracepoint": true,
	"raw_tracepoint_writable": true, "perf_event": true, "tracing": true, "lsm": true}

// bpfFindings flags tracing-type programs not held by systemd (which loads
// cgroup and LSM programs of its own from /usr/lib/systemd). Monitoring
// agents (falco, tetragon, bpftrace) load such programs too, hence medium:
// the holder named tells them apart.
func bpfFindings(env *Env, progs []artifact.BPFProgram, exes map[int]string) {
	env.RuleRan(RuleBPFTracing)
	for _, p := range progs {
		if !bpfTracingTypes[p.TypeName] {
			continue
		}
		systemd := false
		var names []string
		bad := ""
		for _, h := range p.Holders {
			exe := exes[h.PID]
			if exe != "" && !tempPlace(exe) && (strings.HasPrefix(exe, "/usr/lib/systemd/") || strings.HasPrefix(exe, "/lib/systemd/")) {
				systemd = true
			}
			if tempPlace(exe) {
				bad = exe
			}
			names = append(names, fmt.Sprintf("%s (pid %d, %s)", h.Name, h.PID, orUnknown(exe)))
		}
		if systemd {
			continue
		}
		f := artifact.Finding{Rule: RuleBPFTracing, Severity: artifact.SeverityMedium, Score: 60,
			Evidence: []string{artifact.PathBPF + "#id=" + strconv.FormatUint(uint64(p.ID), 10)},
			Title:    fmt.Sprintf("eBPF %s program %q (id %d) loaded", p.TypeName, p.Name, p.ID),
			Reason:   "tracing programs can read and rewrite kernel and process data; eBPF rootkits use them, and so do monitoring agents: check who holds it"}
		if p.LoadedAt != nil {
			f.Time = p.LoadedAt
		}
		switch {
		case bad != "":
			f.Severity, f.Score = artifact.SeverityHigh, 85
			f.Reason += "; held by a deleted or temporary-place program " + bad
		case len(names) == 0:
			f.Reason += "; no process holds it (pinned in bpffs or attached through a link)"
		default:
			f.Reason += "; held by " + strings.Join(names, ", ")
		}
		env.Finding(f)
	}
}

// sysctlFindings flags a few values with a clear meaning for an incident.
func sysctlFindings(env *Env, v map[string]string) {
	for _, r := range []string{RuleSysctlForward, RuleSysctlPtrace, RuleSysctlASLR, RuleSysctlCore, RuleSysctlModprobe} {
		env.RuleRan(r)
	}
	ev := func(k string) []string { return []string{artifact.PathSysctl + "#" + k} }
	for _, k := range []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"} {
		if v[k] == "1" {
			env.Finding(artifact.Finding{Rule: RuleSysctlForward, Severity: artifact.SeverityInfo, Score: 10, Evidence: ev(k),
				Title: k + " = 1", Reason: "the host routes packets between interfaces: normal for routers and container hosts, a pivot or NAT point otherwise"})
		}
	}
	if v["kernel.yama.ptrace_scope"] == "0" {
		env.Finding(artifact.Finding{Rule: RuleSysctlPtrace, Severity: artifact.SeverityLow, Score: 20, Evidence: ev("kernel.yama.ptrace_scope"),
			Title: "kernel.yama.ptrace_scope = 0", Reason: "any process may attach to its user's other processes and read their memory (credentials, keys)"})
	}
	if s, ok := v["kernel.randomize_va_space"]; ok && s != "2" {
		env.Finding(artifact.Finding{Rule: RuleSysctlASLR, Severity: artifact.SeverityLow, Score: 30, Evidence: ev("kernel.randomize_va_space"),
			Title: "kernel.randomize_va_space = " + s, Reason: "address space randomization is weakened or off (2 is the default); exploits turn it off"})
	}
	if cp := v["kernel.core_pattern"]; strings.HasPrefix(cp, "|") {
		prog, _, _ := strings.Cut(strings.TrimSpace(cp[1:]), " ")
		if !systemDir(prog) || tempPlace(prog) {
			env.Finding(artifact.Finding{Rule: RuleSysctlCore, Severity: artifact.SeverityHigh, Score: 80, Evidence: ev("kernel.core_pattern"),
				Path: manifest.BString(prog), Title: "kernel.core_pattern pipes core dumps to " + prog,
				Reason: "the kernel runs this program as root on every crash; outside the program directories it is a known persistence hook"})
		}
	}
	if mp, ok := v["kernel.modprobe"]; ok && mp != "" && (!systemDir(mp) && !strings.HasPrefix(mp, "/sbin/") || tempPlace(mp)) {
		env.Finding(artifact.Finding{Rule: RuleSysctlModprobe, Severity: artifact.SeverityHigh, Score: 80, Evidence: ev("kernel.modprobe"),
			Path: manifest.BString(mp), Title: "kernel.modprobe is " + mp,
			Reason: "the kernel runs this program as root to load modules; outside the program directories it is a known persistence hook"})
	}
}

// binfmtFindings flags handlers whose interpreter is outside the program
// directories: every matching exec runs it (a binfmt_misc persistence).
func binfmtFindings(env *Env, es []artifact.BinfmtEntry) {
	env.RuleRan(RuleBinfmtTemp)
	for _, e := range es {
		in := string(e.Interpreter)
		if in == "" || (systemDir(in) && !tempPlace(in)) {
			continue
		}
		sev, score := artifact.SeverityMedium, 60
		if tempPlace(in) {
			sev, score = artifact.SeverityHigh, 85
		}
		env.Finding(artifact.Finding{Rule: RuleBinfmtTemp, Severity: sev, Score: score, Path: e.Interpreter,
			Evidence: []string{artifact.PathBinfmt + "#name=" + e.Name},
			Title:    "binfmt_misc handler " + e.Name + " runs " + in,
			Reason:   "the kernel hands every matching executable to this interpreter; one outside the program directories intercepts execs"})
	}
}

// taintFindings flags a kernel tainted by module loading (forced,
// unsigned or out-of-tree), the taint a rootkit module leaves.
func taintFindings(env *Env, flags []artifact.TaintFlag) {
	env.RuleRan(RuleTaintModule)
	var hit []string
	for _, f := range flags {
		switch f.Letter {
		case "F", "R", "O", "E":
			hit = append(hit, f.Letter+": "+f.Meaning)
		}
	}
	if len(hit) > 0 {
		env.Finding(artifact.Finding{Rule: RuleTaintModule, Severity: artifact.SeverityLow, Score: 40,
			Evidence: []string{artifact.PathSystem, artifact.PathModules},
			Title:    "kernel tainted by module loading (" + strings.Join(hit, "; ") + ")",
			Reason:   "rootkit modules are out-of-tree and unsigned; so are some drivers (virtualbox, nvidia, zfs): check the modules with O or E taint"})
	}
}
