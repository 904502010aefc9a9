package collect

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// Packages records the package inventory and checks the installed files
// against the package database, as `dpkg -V` does, without running dpkg:
// the dpkg status file (stored raw and as [artifact.PathDpkgPackages]),
// every package file in scope hashed with MD5 and compared with
// /var/lib/dpkg/info/PKG.md5sums and the status file's Conffiles
// ([artifact.PathDpkgVerify]). RPM databases are stored raw, and
// rpmdb.sqlite is parsed and its package files checked the same way (see
// collectRPM), within the same budget. Processes whose executable no
// package owns, by either database, are findings.
type Packages struct {
	// All checks every package file; otherwise only files in the
	// program directories, shared objects in the library directories,
	// and conffiles.
	All bool
	// MaxBytes bounds the bytes hashed (0: DefaultVerifyBytes, or none
	// with All); MaxTime bounds the check's time (0: the default).
	MaxBytes int64
	MaxTime  time.Duration
	// Priority checks the files in the order of [orderChecks] (running
	// programs first), so that a short MaxTime covers what matters most.
	Priority bool
}

// Bounds of the package check.
const (
	// triageMaxFile: in the triage scope a file larger than this is
	// not hashed (counted in SkippedLarge): a toolchain's or browser's
	// 100 MiB binaries would take the time the rest needs.
	triageMaxFile        = 32 << 20
	DefaultVerifyBytes   = 1 << 30
	DefaultVerifyTime    = 20 * time.Second
	DefaultVerifyAllTime = 15 * time.Minute
	// dpkgMaxFile bounds a status, md5sums or list file read whole.
	dpkgMaxFile = 64 << 20
	// maxFailures bounds the failures listed in dpkg_verify.json.
	maxFailures = 10000
)

// Finding rules of the package collector.
const (
	RulePackageFileModified = "package-file-modified"
	RuleConffileModified    = "package-conffile-modified"
	RulePackageFileReplaced = "package-file-replaced"
	RuleExeUnpackaged       = "process-exe-unpackaged"
)

const dpkgStatus = "/var/lib/dpkg/status"
const dpkgInfo = "/var/lib/dpkg/info"

// Name implements Collector.
func (p *Packages) Name() string {
	if p.All {
		return "packages-all"
	}
	return "packages"
}

// Collect implements Collector.
func (p *Packages) Collect(ctx context.Context, env *Env, sink Sink) error {
	b := p.budget()
	if _, err := os.Lstat(env.Path(dpkgStatus)); err == nil {
		if err := p.collectDpkg(ctx, env, sink, b); err != nil {
			return err
		}
	}
	if err := p.collectRPM(ctx, env, sink, b); err != nil {
		return err
	}
	exeUnpackaged(env)
	return nil
}

// verifyBudget bounds the package check of one run, dpkg's and RPM's
// together.
type verifyBudget struct {
	all      bool
	deadline time.Time
	maxBytes int64 // 0: no bound
	maxFile  int64 // -1: no bound
	used     int64
	maxTime  time.Duration
}

func (p *Packages) budget() *verifyBudget {
	b := &verifyBudget{all: p.All, maxBytes: p.MaxBytes, maxFile: -1}
	maxTime := p.MaxTime
	if p.All {
		if maxTime == 0 {
			maxTime = DefaultVerifyAllTime
		}
	} else {
		if b.maxBytes == 0 {
			b.maxBytes = DefaultVerifyBytes
		}
		if maxTime == 0 {
			maxTime = DefaultVerifyTime
		}
		b.maxFile = triageMaxFile
	}
	b.deadline, b.maxTime = time.Now().Add(maxTime), maxTime
	return b
}

// limit names the bound that is spent ("time", "bytes"), or "".
func (b *verifyBudget) limit(ctx context.Context) string {
	if ctx.Err() != nil || time.Now().After(b.deadline) {
		return "time"
	}
	if b.maxBytes > 0 && b.used >= b.maxBytes {
		return "bytes"
	}
	return ""
}

// scope reports whether a package file is checked: conffiles always,
// others all or those of the triage scope.
func (b *verifyBudget) scope(p string, conffile bool) bool {
	return conffile || b.all || isCorePath(p)
}

func (p *Packages) collectDpkg(ctx context.Context, env *Env, sink Sink, b *verifyBudget) error {
	res := readBounded(env.Path(dpkgStatus), dpkgMaxFile)
	rec := &manifest.Record{Path: manifest.BString("volatile/raw" + dpkgStatus), Source: dpkgStatus, Collector: p.Name()}
	if !res.describe(rec) {
		return sink.Put(rec, nil)
	}
	if err := sink.Put(rec, bytesReader(res.Data)); err != nil {
		return err
	}
	pkgs, errs := ParseDpkgStatus(res.Data)
	doc := &artifact.DpkgPackages{Source: dpkgStatus, Packages: pkgs, Errors: errs}
	if doc.Packages == nil {
		doc.Packages = []artifact.DpkgPackage{}
	}
	if err := PutJSON(sink, artifact.PathDpkgPackages, p.Name(), doc); err != nil {
		return err
	}
	v := p.verify(ctx, env, pkgs, b)
	return PutJSON(sink, artifact.PathDpkgVerify, p.Name(), v)
}

// readBounded reads a regular file whole, up to max bytes (never through a
// final symlink, without updating its access time).
func readBounded(path string, max int64) PseudoResult {
	f, err := openNoFollow(path)
	if err != nil {
		return PseudoResult{Outcome: outcomeOf(err), Err: err}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return PseudoResult{Outcome: manifest.OutcomeError, Err: fmt.Errorf("%s: not a regular file (%s)", path, fileType(fi.Mode()))}
	}
	data, more, err := readAtMost(f, max)
	res := PseudoResult{Data: data, Outcome: manifest.OutcomeOK}
	if more {
		res.Outcome, res.Err = manifest.OutcomePartial, fmt.Errorf("%s: truncated at %d bytes", path, max)
	}
	if err != nil {
		res.Outcome, res.Err = manifest.OutcomePartial, err
	}
	return res
}

// programDirs are the standard program directories.
var programDirs = []string{"/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"}

// libraryDirs hold shared objects and helper programs.
var libraryDirs = []string{"/lib", "/lib32", "/lib64", "/libx32", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/libexec", "/usr/local/lib"}

func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if underPath(p, d) {
			return true
		}
	}
	return false
}

// isProgramPath: a program or a shared object by where it lies and its
// name: what a rootkit replaces.
func isProgramPath(p string) bool {
	if underAny(p, programDirs) || underAny(p, []string{"/usr/libexec", "/lib/systemd", "/usr/lib/systemd"}) && !strings.Contains(path.Base(p), ".") {
		return true
	}
	b := path.Base(p)
	return underAny(p, libraryDirs) && (strings.HasSuffix(b, ".so") || strings.Contains(b, ".so."))
}

// isCorePath is the triage scope: programs, and the shared objects every
// program loads or a login passes through, directly in a library
// directory or one level below it (/usr/lib/x86_64-linux-gnu/libc.so.6,
// .../security/pam_unix.so), not the deep trees of language runtimes and
// plugins, which [Packages.All] checks.
func isCorePath(p string) bool {
	if underAny(p, programDirs) {
		return true
	}
	if !isProgramPath(p) {
		return false
	}
	for _, d := range libraryDirs {
		if underPath(p, d) {
			rest := p[len(d):]
			return strings.Count(rest, "/") <= 2 || strings.Count(rest, "/") == 3 && strings.Contains(rest, "/security/")
		}
	}
	return false
}

// verify checks the package files in scope against their recorded MD5s:
// it lists them all first (so that a bound says how many of how many were
// checked), orders them (with Priority: what a rootkit replaces first),
// and hashes them on up to [hashWorkers] goroutines.
func (p *Packages) verify(ctx context.Context, env *Env, pkgs []artifact.DpkgPackage, b *verifyBudget) *artifact.DpkgVerify {
	v := &artifact.DpkgVerify{Scope: "programs", Failures: []artifact.DpkgFail{}}
	if p.All {
		v.Scope = "all"
	}
	env.RuleRan(RulePackageFileModified)
	env.RuleRan(RuleConffileModified)
	env.RuleRan(RulePackageFileReplaced)
	root, err := openRoot(env.Path("/"))
	if err != nil {
		v.Errors = append(v.Errors, err.Error())
		return v
	}
	defer root.close()
	divs := readDiversions(env)
	var mu sync.Mutex // guards v from here on
	fail := func(f artifact.DpkgFail) {
		listFailure(&v.Failures, &v.FailuresDropped, f)
		flagPackageFile(env, f, artifact.PathDpkgVerify, "dpkg", "MD5")
	}
	var checks []pkgCheck
	for _, pk := range pkgs {
		if !strings.HasSuffix(pk.Status, " installed") {
			continue
		}
		v.Packages++
		for _, c := range pk.Conffiles {
			if c.Obsolete || c.MD5 == "newconffile" {
				continue
			}
			v.FilesListed++
			checks = append(checks, pkgCheck{pkg: pk.Name, path: c.Path, want: strings.ToLower(c.MD5), conffile: true})
		}
		sums, err := readMD5Sums(env, pk)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && len(v.Errors) < dpkgMaxErrors {
				v.Errors = append(v.Errors, err.Error())
			}
			continue
		}
		conf := map[string]bool{}
		for _, c := range pk.Conffiles {
			conf[c.Path] = true
		}
		parseMD5Sums(sums, func(e md5sumsEntry) bool {
			v.FilesListed++
			if conf[e.Path] || !b.scope(e.Path, false) {
				return true
			}
			at := e.Path
			if d, ok := divs[e.Path]; ok && d.by != pk.Name {
				at = d.to // diverted: this package's file lies there
			}
			checks = append(checks, pkgCheck{pkg: pk.Name, path: at, want: e.MD5})
			return true
		}, func(line int, text string) {
			fail(artifact.DpkgFail{Package: pk.Name, Path: fmt.Sprintf("%s/%s.md5sums:%d", dpkgInfo, pk.Name, line), Kind: "bad-entry", Error: clip(text, 80)})
		})
	}
	v.FilesInScope = int64(len(checks))
	if p.Priority {
		orderChecks(checks, runningExes(env), root, changedWithin(root, time.Now().Add(-recentChange)))
	}
	// b.used counts the bytes of the files being or been hashed, dpkg's
	// and then RPM's: one budget for the package check.
	// start decides, under mu, whether another file may be hashed.
	start := func() bool {
		if v.Limit == "" {
			v.Limit = b.limit(ctx)
		}
		return v.Limit == ""
	}
	// check hashes one file; false when a bound stopped the check.
	check := func(c pkgCheck, buf []byte) bool {
		mu.Lock()
		ok := start()
		mu.Unlock()
		if !ok {
			return false
		}
		got, n, fi, err := hashFile(root, c.path, md5.New(), buf, b.maxFile, func(size int64) bool {
			mu.Lock()
			defer mu.Unlock()
			if !start() {
				return false
			}
			b.used += size
			return true
		})
		mu.Lock()
		defer mu.Unlock()
		switch {
		case errors.Is(err, errTooLarge):
			v.SkippedLarge++
			return true
		case errors.Is(err, errStopped):
			return false
		}
		v.FilesChecked++
		v.BytesChecked += n
		if f, failed := checkFailure(artifact.DpkgFail{Package: c.pkg, Path: c.path, Conffile: c.conffile, Expected: c.want}, got, fi, err); failed {
			fail(f)
		}
		return true
	}
	next := make(chan pkgCheck)
	var wg sync.WaitGroup
	for range hashWorkers() {
		wg.Go(func() {
			buf := make([]byte, 64<<10)
			for c := range next {
				if !check(c, buf) {
					for range next { // drain: the bound holds for all
					}
				}
			}
		})
	}
	for _, c := range checks {
		mu.Lock()
		stop := v.Limit != ""
		mu.Unlock()
		if stop {
			break
		}
		next <- c
	}
	close(next)
	wg.Wait()
	if v.Limit != "" {
		v.Stopped = fmt.Sprintf("%s budget hit: %d of %d files in scope checked", boundName(v.Limit, b.maxTime, b.maxBytes), v.FilesChecked, v.FilesInScope)
	}
	return v
}

// readMD5Sums reads the md5sums file of a package: PKG.md5sums, or
// PKG:ARCH.md5sums for a Multi-Arch: same package.
func readMD5Sums(env *Env, pk artifact.DpkgPackage) ([]byte, error) {
	if strings.ContainsAny(pk.Name, "/\x00") || strings.ContainsAny(pk.Architecture, "/\x00") || pk.Name == ".." {
		return nil, fmt.Errorf("package %q: a name that is not a file name", pk.Name)
	}
	names := []string{pk.Name + ".md5sums"}
	if pk.Architecture != "" {
		names = append(names, pk.Name+":"+pk.Architecture+".md5sums")
	}
	var last error
	for _, n := range names {
		res := readBounded(env.Path(dpkgInfo+"/"+n), dpkgMaxFile)
		if res.Err == nil || res.Outcome == manifest.OutcomePartial {
			return res.Data, nil
		}
		last = res.Err
	}
	return nil, last
}

// diversion is one entry of /var/lib/dpkg/diversions.
type diversion struct{ to, by string }

// readDiversions reads /var/lib/dpkg/diversions: three lines per
// diversion (the path, where the diverted package's file went, and the
// diverting package, ":" for a local one), as dpkg-divert keeps them.
func readDiversions(env *Env) map[string]diversion {
	res := readBounded(env.Path("/var/lib/dpkg/diversions"), dpkgMaxFile)
	return parseDiversions(res.Data)
}

func parseDiversions(b []byte) map[string]diversion {
	out := map[string]diversion{}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	for i := 0; i+2 < len(lines); i += 3 {
		from, to, by := lines[i], lines[i+1], lines[i+2]
		if strings.HasPrefix(from, "/") && strings.HasPrefix(to, "/") {
			out[from] = diversion{to: to, by: by}
		}
	}
	return out
}

var (
	errNotRegular = errors.New("not a regular file")
	errTooLarge   = errors.New("larger than the scope's per-file bound")
	errStopped    = errors.New("a bound stopped the check")
)

// hashFile hashes a package file opened inside the root with h. reserve,
// when not nil, is asked once the file's size is known whether the bounds
// let it be read (errStopped when not).
func hashFile(root *rootDir, hostPath string, h hash.Hash, buf []byte, maxFile int64, reserve func(size int64) bool) (sum string, n int64, fi fs.FileInfo, err error) {
	f, err := root.open(hostPath)
	if err != nil {
		if isLoop(err) {
			return "", 0, nil, fmt.Errorf("%s: a symlink in its place: %w", hostPath, errNotRegular)
		}
		return "", 0, nil, err
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return "", 0, nil, err
	}
	if !fi.Mode().IsRegular() {
		return "", 0, fi, fmt.Errorf("%s: a %s in its place: %w", hostPath, fileType(fi.Mode()), errNotRegular)
	}
	if maxFile >= 0 && fi.Size() > maxFile {
		return "", 0, fi, errTooLarge
	}
	if reserve != nil && !reserve(fi.Size()) {
		return "", 0, fi, errStopped
	}
	n, err = io.CopyBuffer(h, f, buf)
	if err != nil {
		return "", n, fi, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, fi, nil
}

// checkFailure classifies the check of one package file, f naming it and
// its expected digest, got the digest hashFile computed and fi and err
// what it returned: false when the file passed; else f with the kind of
// failure ("checksum", "not-regular", "missing", "unreadable"), the
// digest or error, and the file's times when it could be stat'ed. dpkg's
// and RPM's checks share it.
func checkFailure(f artifact.DpkgFail, got string, fi fs.FileInfo, err error) (artifact.DpkgFail, bool) {
	if fi != nil {
		m := fi.ModTime().UTC()
		f.Mtime, f.Ctime = &m, ctimeOf(fi)
	}
	switch {
	case err == nil && got == f.Expected:
		return f, false
	case err == nil:
		f.Kind, f.Actual = "checksum", got
	case errors.Is(err, errNotRegular):
		f.Kind, f.Error = "not-regular", err.Error()
	case errors.Is(err, fs.ErrNotExist):
		f.Kind = "missing"
	default:
		f.Kind, f.Error = "unreadable", err.Error()
	}
	return f, true
}

// listFailure adds f to a verify document's failures, or counts it in
// dropped once maxFailures are listed.
func listFailure[F any](failures *[]F, dropped *int64, f F) {
	if len(*failures) >= maxFailures {
		*dropped++
	} else {
		*failures = append(*failures, f)
	}
}

// flagPackageFile turns a failed check into a finding; evidence is the
// verify document, db the package manager ("dpkg", "rpm"), algo the
// digest's name.
func flagPackageFile(env *Env, f artifact.DpkgFail, evidence, db, algo string) {
	ev := []string{evidence}
	prog := isProgramPath(f.Path)
	switch {
	case f.Kind == "checksum" && f.Conffile:
		env.Finding(artifact.Finding{Rule: RuleConffileModified, Severity: artifact.SeverityInfo,
			Title:  "configuration file of package " + f.Package + " changed",
			Reason: fmt.Sprintf("a configuration file differs from the %s %s recorded at installation; admins edit these, but so do attackers (PAM, sudoers, sshd)", algo, db),
			Path:   manifest.BString(f.Path), Evidence: ev, Time: f.Mtime})
	case f.Kind == "checksum":
		sev, score := artifact.SeverityMedium, 50
		if prog {
			sev, score = artifact.SeverityHigh, 90
		}
		env.Finding(artifact.Finding{Rule: RulePackageFileModified, Severity: sev, Score: score,
			Title:  "file of package " + f.Package + " fails its checksum",
			Reason: fmt.Sprintf("%s %s, %s recorded %s: the file was changed after installation (a replaced program or library is how rootkits hide)", algo, f.Actual, db, f.Expected),
			Path:   manifest.BString(f.Path), Evidence: ev, Time: f.Mtime})
	case f.Kind == "not-regular" && prog:
		env.Finding(artifact.Finding{Rule: RulePackageFileReplaced, Severity: artifact.SeverityHigh, Score: 80,
			Title:  "program of package " + f.Package + " replaced by something else",
			Reason: f.Error + "; the package installed a regular file there",
			Path:   manifest.BString(f.Path), Evidence: ev, Time: f.Mtime})
	}
}

// Package ownership, for rules that ask whether a file came from a package.

var ownerSeed = maphash.MakeSeed()

// pkgOwners is the set of paths dpkg's file lists name, each also under
// its canonical directory (/bin/ls is /usr/bin/ls on a merged-/usr host),
// kept as 64-bit hashes: some 200,000 paths in a few MiB.
type pkgOwners struct {
	once sync.Once
	set  map[uint64]struct{}
	errs []string
	// evidence are the inventories the set came from.
	evidence []string
}

// PackageOwns returns whether a host path belongs to an installed package
// by dpkg's file lists in /var/lib/dpkg/info/*.list or the file lists of
// RPM's rpmdb.sqlite, and whether the host has such a database at all
// (ok false: the answer means nothing).
// The set is read once per Env and kept (collectors of one run share it).
func PackageOwns(env *Env) (owns func(hostPath string) bool, ok bool) {
	o := env.pkgOwners()
	o.once.Do(func() { o.set, o.errs, o.evidence = loadOwners(env) })
	return func(p string) bool {
		_, in := o.set[maphash.String(ownerSeed, p)]
		return in
	}, len(o.set) > 0
}

func loadOwners(env *Env) (map[uint64]struct{}, []string, []string) {
	set := map[uint64]struct{}{}
	var errs, evidence []string
	root, err := openRoot(env.Path("/"))
	if err != nil {
		return set, []string{err.Error()}, nil
	}
	defer root.close()
	canon := map[string]string{}
	add := func(line string) {
		set[maphash.String(ownerSeed, line)] = struct{}{}
		d, b := path.Split(line)
		d = path.Clean(d)
		c, seen := canon[d]
		if !seen {
			c = root.canonical(d)
			canon[d] = c
		}
		if c != d {
			set[maphash.String(ownerSeed, path.Join(c, b))] = struct{}{}
		}
	}
	if ok, rerrs := rpmOwnedFiles(root, add); ok {
		evidence = append(evidence, artifact.PathRPM)
		errs = append(errs, rerrs...)
	}
	dir := env.Path(dpkgInfo)
	ents, err := readDirNoAtime(dir)
	if err != nil {
		return set, append(errs, err.Error()), evidence
	}
	evidence = append(evidence, artifact.PathDpkgPackages)
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".list") || !e.Type().IsRegular() {
			continue
		}
		res := readBounded(dir+"/"+e.Name(), dpkgMaxFile)
		if res.Err != nil && len(errs) < dpkgMaxErrors {
			errs = append(errs, res.Err.Error())
		}
		for line := range strings.SplitSeq(string(res.Data), "\n") {
			if strings.HasPrefix(line, "/") {
				add(line)
			}
		}
	}
	return set, errs, evidence
}

// exeUnpackaged flags every executable of a running process that no
// package owns (deleted and memory-only programs are left to the rules
// that look for them).
func exeUnpackaged(env *Env) {
	owns, ok := PackageOwns(env)
	if !ok {
		return
	}
	env.RuleRan(RuleExeUnpackaged)
	proc := env.Path("/proc")
	ents, err := readDirNoAtime(proc)
	if err != nil {
		return
	}
	byExe := map[string][]int{}
	var order []string
	for _, e := range ents {
		pid, ok := atoiPID(e.Name())
		if !ok {
			continue
		}
		exe, err := os.Readlink(proc + "/" + e.Name() + "/exe")
		if err != nil || !strings.HasPrefix(exe, "/") || strings.HasSuffix(exe, " (deleted)") {
			continue
		}
		if owns(exe) {
			continue
		}
		if byExe[exe] == nil {
			order = append(order, exe)
		}
		byExe[exe] = append(byExe[exe], pid)
	}
	for _, exe := range order {
		pids := byExe[exe]
		ev := slices.Clone(env.pkgOwners().evidence)
		for _, pid := range pids[:min(len(pids), 10)] {
			ev = append(ev, fmt.Sprintf("%s#pid=%d", artifact.PathProcesses, pid))
		}
		env.Finding(artifact.Finding{Rule: RuleExeUnpackaged, Severity: artifact.SeverityMedium, Score: 40,
			Title:  "process runs a program no package installed",
			Reason: fmt.Sprintf("%d process(es) (pid %d first) run %s, which no installed package lists: installed by hand, built locally, or dropped by an intruder", len(pids), pids[0], exe),
			Path:   manifest.BString(exe), PID: pids[0], Evidence: ev})
	}
}

func atoiPID(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n > 0
}

func (e *Env) pkgOwners() *pkgOwners { return &e.owners }

// pkgCheck is one package file to hash and compare.
type pkgCheck struct {
	pkg, path, want string
	conffile        bool
	tier            int
}

func boundName(limit string, maxTime time.Duration, maxBytes int64) string {
	if limit == "bytes" {
		return fmt.Sprintf("byte (%d)", maxBytes)
	}
	return fmt.Sprintf("time (%v)", maxTime)
}

// hashWorkers is how many files are hashed at once: one per core, at
// most 4 (the disk, not the cores, bounds more).
func hashWorkers() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// runningExes is the set of the programs running processes execute (by
// /proc/PID/exe), as host paths; deleted ones left out.
func runningExes(env *Env) map[string]bool {
	proc := env.Path("/proc")
	ents, err := readDirNoAtime(proc)
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	for _, e := range ents {
		if _, ok := atoiPID(e.Name()); !ok {
			continue
		}
		exe, err := os.Readlink(proc + "/" + e.Name() + "/exe")
		if err == nil && strings.HasPrefix(exe, "/") && !strings.HasSuffix(exe, " (deleted)") {
			out[exe] = true
		}
	}
	return out
}

// orderChecks sorts the checks by what matters most when the time budget
// cannot cover them all: the programs running processes execute, then
// the program directories, then what every login and every program
// passes through (the dynamic loader, libc, PAM, NSS, libkeyutils,
// libaudit, libselinux, libcrypt, and the PAM, ld.so, sudoers and ssh
// configuration), then the other conffiles, then the rest; in the
// database's order within each.
func orderChecks(checks []pkgCheck, running map[string]bool, root *rootDir, recent func(hostPath string) bool) {
	canon := map[string]string{}
	canonical := func(p string) string {
		d, b := path.Split(p)
		d = path.Clean(d)
		c, ok := canon[d]
		if !ok {
			c = root.canonical(d)
			canon[d] = c
		}
		return path.Join(c, b)
	}
	for i := range checks {
		c := &checks[i]
		b := path.Base(c.path)
		switch {
		case running[c.path] || len(running) > 0 && running[canonical(c.path)]:
			c.tier = 0
		case recent != nil && recent(canonical(c.path)):
			// Changed lately: a replaced binary's inode change time
			// cannot be set back (short of the clock), so it is among
			// these whatever the intruder did to its mtime.
			c.tier = 1
		case underAny(c.path, programDirs):
			c.tier = 2
		case isLoginCritical(c.path, b):
			c.tier = 3
		case c.conffile:
			c.tier = 4
		default:
			c.tier = 5
		}
	}
	slices.SortStableFunc(checks, func(a, b pkgCheck) int { return a.tier - b.tier })
}

// recentChange is how recent an inode change must be for a package file to
// be checked first.
const recentChange = 30 * 24 * time.Hour

// changedWithin returns whether a file inside root changed (mtime or ctime)
// after since, by lstat: no file is opened, no access time moves.
func changedWithin(root *rootDir, since time.Time) func(string) bool {
	return func(hostPath string) bool {
		fi, err := os.Lstat(filepath.Join(root.path, filepath.FromSlash(hostPath)))
		if err != nil {
			return false
		}
		if fi.ModTime().After(since) {
			return true
		}
		c := ctimeOf(fi)
		return c != nil && c.After(since)
	}
}

// isLoginCritical: a library or configuration file every program or
// login uses, where userland rootkits hook.
func isLoginCritical(p, base string) bool {
	if underAny(p, []string{"/etc/pam.d", "/etc/security", "/etc/sudoers.d", "/etc/ssh"}) ||
		strings.HasPrefix(p, "/etc/ld.so.") || p == "/etc/sudoers" || p == "/etc/nsswitch.conf" {
		return true
	}
	if !strings.Contains(base, ".so") {
		return false
	}
	for _, pre := range []string{"ld-linux", "ld64.so", "libc.so", "libdl.", "libpthread.", "libpam", "pam_", "libnss_", "libkeyutils", "libaudit", "libselinux", "libcrypt", "libsystemd", "libutil."} {
		if strings.HasPrefix(base, pre) {
			return true
		}
	}
	return strings.Contains(p, "/security/")
}
