package collect

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/procfs"
	"github.com/hozen-dfir/hozen/manifest"
)

// ProcMaps reads every process's memory map (/proc/PID/maps), stored raw
// and summarised, and preserves the bytes of programs and files that exist
// only in a process's hands: an executable that was deleted or never had a
// name (memfd:), read through /proc/PID/exe, and deleted files still held
// open, read through /proc/PID/fd/N. Each distinct file is stored once,
// named by its SHA-256, within a byte budget. Rules over what it read flag
// deleted and memory-only programs, programs and libraries run from
// temporary places, anonymous executable memory, deleted code mappings and
// LD_PRELOAD in a process's environment (see docs/collectors.md).
//
// Artifacts:
//
//	volatile/raw/proc/PID/maps            raw, one per process
//	volatile/processes/maps.json          an [artifact.ProcMaps]
//	volatile/processes/exe/SHA256         a deleted or memfd: executable
//	volatile/processes/fd/SHA256          a deleted file held open
//	volatile/processes/preserved.json     an [artifact.Preserved]
//
// Bytes are preserved on a live root only: elsewhere the links would lead
// into the analyst's machine.
type ProcMaps struct {
	// NoEnviron skips reading environments (and so the LD_PRELOAD rule).
	NoEnviron bool
	// MaxBytes bounds the preserved bytes in all (0: DefaultPreserveBytes).
	MaxBytes int64
	// MaxFileBytes bounds the bytes preserved per file (0:
	// DefaultPreserveFileBytes); a larger file keeps its first bytes.
	MaxFileBytes int64
	// MaxMapsBytes bounds one process's raw maps (0: DefaultMaxMapsBytes);
	// MaxRawBytes all raw maps together (0: DefaultMaxRawMapsBytes).
	MaxMapsBytes int64
	MaxRawBytes  int64
	// Timeout bounds the reads of one process (0: DefaultProcessTimeout).
	Timeout time.Duration
	// Workers is how many processes are read at once (0: DefaultWorkers).
	Workers int

	// list lists pids; nil reads the /proc directory.
	list func(env *Env) ([]int, error)
}

// Defaults of [ProcMaps].
const (
	DefaultPreserveBytes     = 512 << 20
	DefaultPreserveFileBytes = 64 << 20
	DefaultMaxMapsBytes      = 4 << 20
	DefaultMaxRawMapsBytes   = 256 << 20
	// maxDeletedFDs and maxMappedFiles bound one process's lists in the
	// summary; maxAnonExec its anonymous executable regions listed.
	maxDeletedFDs  = 256
	maxMappedFiles = 4096
	maxAnonExec    = 64
)

// Name implements [Collector].
func (*ProcMaps) Name() string { return "procmaps" }

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// TmpPlaces are the temporary places: world-writable directories, often
// memory-backed, where an intruder drops tools.
var TmpPlaces = []string{"/dev/shm", "/run/shm", "/run/user", "/tmp", "/var/tmp"}

// inTmpPlace reports whether a host path lies in a temporary place.
func inTmpPlace(p string) bool {
	for _, t := range TmpPlaces {
		if underPath(p, t) && p != t {
			return true
		}
	}
	return false
}

// kernelRegions are the kernel's own executable pseudo-mappings.
var kernelRegions = map[string]bool{"[vdso]": true, "[vsyscall]": true, "[uprobes]": true}

// jitMarkers are names of mapped files whose presence makes anonymous
// executable memory expected: runtimes that compile code at run time.
var jitMarkers = []string{
	"libjvm.so", "libv8", "libnode.so", "libmozjs", "libxul.so", "libjavascriptcoregtk",
	"libLLVM", "libluajit", "libmono", "libcoreclr.so", "libclrjit.so", "libpcre2-8.so",
	"libpcre.so", "libQt5Qml", "libQt6Qml", "libwebkit2gtk", "libpypy", "libjulia",
}

// jitMarker returns the first mapped file that marks a JIT runtime, or "".
func jitMarker(files []artifact.MappedFile, exe string) string {
	for _, n := range []string{"/node", "/java", "/chrome", "/firefox", "/electron", "/code", "/dotnet"} {
		if strings.HasSuffix(exe, n) {
			return exe
		}
	}
	for _, f := range files {
		for _, m := range jitMarkers {
			if strings.Contains(string(f.Path), m) {
				return string(f.Path)
			}
		}
	}
	return ""
}

// summarise fills pm's files and anonymous executable regions from regs.
func summarise(pm *artifact.ProcessMaps, regs []procfs.MapRegion) {
	pm.Regions = len(regs)
	idx := map[string]int{}
	for _, r := range regs {
		if r.Anonymous() {
			if r.Exec() && !kernelRegions[r.Path] && len(pm.AnonExec) < maxAnonExec {
				pm.AnonExec = append(pm.AnonExec, artifact.MapRegion{
					Start: strconv.FormatUint(r.Start, 16), End: strconv.FormatUint(r.End, 16),
					Perms: r.Perms, Name: manifest.BString(r.Path),
				})
			}
			continue
		}
		key := r.Dev + " " + strconv.FormatUint(r.Inode, 10) + " " + r.Path
		i, ok := idx[key]
		if !ok {
			if len(pm.Files) >= maxMappedFiles {
				continue
			}
			i = len(pm.Files)
			idx[key] = i
			pm.Files = append(pm.Files, artifact.MappedFile{
				Path: manifest.BString(r.Path), Deleted: r.Deleted, Dev: r.Dev, Inode: r.Inode,
			})
		}
		pm.Files[i].Regions++
		if r.Exec() {
			pm.Files[i].Exec = true
		}
	}
}

// The rules of the procmaps collector.
const (
	RuleMemfdExe       = "memfd-exe"
	RuleDeletedExe     = "deleted-exe"
	RuleExeInTmp       = "exe-in-tmp"
	RuleLibInTmp       = "lib-in-tmp"
	RuleDeletedMapping = "deleted-code-mapping"
	RuleAnonExec       = "anon-exec-memory"
	RuleLDPreloadEnv   = "ld-preload-env"
)

// mapRules applies the rules to one process's summary.
func mapRules(env *Env, pm *artifact.ProcessMaps, environRead bool) {
	for _, r := range []string{RuleMemfdExe, RuleDeletedExe, RuleExeInTmp, RuleLibInTmp, RuleDeletedMapping, RuleAnonExec} {
		env.RuleRan(r)
	}
	if environRead {
		env.RuleRan(RuleLDPreloadEnv)
	}
	who := fmt.Sprintf("pid %d (%s)", pm.PID, pm.Name)
	ev := func(extra ...string) []string {
		out := []string{artifact.PathProcesses + "#pid=" + strconv.Itoa(pm.PID), artifact.PathProcMaps + "#pid=" + strconv.Itoa(pm.PID)}
		if pm.Raw != "" {
			out = append(out, pm.Raw)
		}
		return append(out, extra...)
	}
	var exeEv []string
	if pm.ExeSHA256 != "" {
		exeEv = []string{artifact.DirPreservedExe + pm.ExeSHA256}
	}
	exe := string(pm.Exe)
	memfd := strings.HasPrefix(exe, "/memfd:")
	switch {
	case memfd:
		env.Finding(artifact.Finding{Rule: RuleMemfdExe, Severity: artifact.SeverityHigh, Score: 100,
			Title:  fmt.Sprintf("%s runs a program that exists only in memory (%s)", who, exe),
			Reason: "the executable is a memfd: an anonymous file that never had a name on disk; loaders of fileless malware run programs this way",
			Path:   pm.Exe, PID: pm.PID, Evidence: ev(exeEv...)})
	case pm.ExeDeleted:
		env.Finding(artifact.Finding{Rule: RuleDeletedExe, Severity: artifact.SeverityHigh, Score: 90,
			Title:  fmt.Sprintf("%s runs a deleted program (%s)", who, exe),
			Reason: "the program's file was deleted after it started; intruders delete their tools to hide them (a package upgrade also does this to long-running daemons, but then the path is a system one)",
			Path:   pm.Exe, PID: pm.PID, Evidence: ev(exeEv...)})
	}
	if inTmpPlace(exe) {
		tev := exeEv
		if !pm.ExeDeleted {
			tev = append(tev, BundlePath(exe))
		}
		env.Finding(artifact.Finding{Rule: RuleExeInTmp, Severity: artifact.SeverityHigh, Score: 80,
			Title:  fmt.Sprintf("%s runs a program from a temporary place (%s)", who, exe),
			Reason: "programs are installed in system or user directories; one run from /tmp, /var/tmp, /dev/shm or /run/user is typically dropped there",
			Path:   pm.Exe, PID: pm.PID, Evidence: ev(tev...)})
	}
	var delCode []string
	delSev, delScore := "", 0
	for _, f := range pm.Files {
		p := string(f.Path)
		if !f.Exec || p == exe {
			continue
		}
		if inTmpPlace(p) {
			env.Finding(artifact.Finding{Rule: RuleLibInTmp, Severity: artifact.SeverityHigh, Score: 70,
				Title:  fmt.Sprintf("%s runs code loaded from a temporary place (%s)", who, p),
				Reason: "a library mapped executable from /tmp, /var/tmp, /dev/shm or /run/user: an injected or preloaded library is often dropped there",
				Path:   f.Path, PID: pm.PID, Evidence: ev(BundlePath(p))})
		}
		if f.Deleted {
			delCode = append(delCode, p)
			sev, score := artifact.SeverityMedium, 50
			switch {
			case strings.HasPrefix(p, "/memfd:"):
				sev, score = artifact.SeverityHigh, 75
			case strings.HasPrefix(p, "/usr/") || strings.HasPrefix(p, "/lib"):
				sev, score = artifact.SeverityLow, 20
			}
			if artifact.SeverityRank(sev) < artifact.SeverityRank(delSev) || delSev == "" {
				delSev, delScore = sev, score
			}
		}
	}
	if len(delCode) > 0 {
		env.Finding(artifact.Finding{Rule: RuleDeletedMapping, Severity: delSev, Score: delScore,
			Title:  fmt.Sprintf("%s runs code from %d deleted file(s): %s", who, len(delCode), strings.Join(first(delCode, 5), ", ")),
			Reason: "executable regions map files that are deleted or never had a name (memfd:): code injected from memory, or a library deleted after loading; a system library deleted by a package upgrade is the benign case, ranked low",
			Path:   manifest.BString(delCode[0]), PID: pm.PID, Evidence: ev()})
	}
	if len(pm.AnonExec) > 0 {
		sev, score := artifact.SeverityLow, 30
		var names []string
		for _, r := range pm.AnonExec {
			if r.Perms[1] == 'w' || r.Name == "[heap]" || strings.HasPrefix(string(r.Name), "[stack") {
				sev, score = artifact.SeverityMedium, 40
			}
			names = append(names, r.Start+"-"+r.End+" "+r.Perms+" "+string(r.Name))
		}
		reason := "anonymous executable memory holds code that no file on disk backs: shellcode, an unpacked payload or a reflectively loaded library"
		if m := jitMarker(pm.Files, exe); m != "" {
			sev, score = artifact.SeverityLow, score-20
			reason += fmt.Sprintf("; this process looks like a JIT runtime (%s), which makes such memory expected, so it is ranked low", m)
		}
		env.Finding(artifact.Finding{Rule: RuleAnonExec, Severity: sev, Score: score,
			Title:  fmt.Sprintf("%s has %d anonymous executable region(s): %s", who, len(pm.AnonExec), strings.Join(first(names, 3), "; ")),
			Reason: reason, Path: pm.Exe, PID: pm.PID, Evidence: ev()})
	}
	for _, v := range pm.LDPreload {
		if strings.TrimSpace(string(v)) == "" {
			continue
		}
		sev, score := artifact.SeverityMedium, 60
		for _, lib := range strings.FieldsFunc(string(v), func(r rune) bool { return r == ':' || r == ' ' }) {
			if inTmpPlace(lib) || !strings.HasPrefix(lib, "/") {
				sev, score = artifact.SeverityHigh, 85
			}
		}
		env.Finding(artifact.Finding{Rule: RuleLDPreloadEnv, Severity: sev, Score: score,
			Title:  fmt.Sprintf("%s has LD_PRELOAD=%s in its environment", who, v),
			Reason: "LD_PRELOAD makes the loader run a library's code inside the program before its own: a classic way to hook a process or hide from tools; higher when the library sits in a temporary place or is not an absolute path",
			Path:   v, PID: pm.PID, Evidence: ev()})
	}
}

func first[T any](s []T, n int) []T { return s[:min(n, len(s))] }
