package collect

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// dpkgRoot builds a host root with a dpkg database whose one package,
// fakepkg, lists its files with their true MD5s, as dpkg leaves them.
func dpkgRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"/usr/bin/fakeprog":             "#!/bin/sh\necho fake\n",
		"/usr/bin/fakeprog2":            "\x7fELF fake two\n",
		"/usr/bin/fakeprog3":            "\x7fELF fake three\n",
		"/usr/lib/fake/libfake.so.1":    "\x7fELF a library\n",
		"/usr/share/doc/fakepkg/README": "read me\n",
		"/etc/fake.conf":                "setting=1\n",
		"/opt/evil":                     "\x7fELF evil\n",
	}
	for p, c := range files {
		write(t, root+p, c)
	}
	if err := os.Symlink("usr/bin", root+"/bin"); err != nil { // a merged /usr
		t.Fatal(err)
	}
	sum := func(p string) string { h := md5.Sum([]byte(files[p])); return hex.EncodeToString(h[:]) }
	write(t, root+"/var/lib/dpkg/status", "Package: fakepkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n"+
		"Conffiles:\n /etc/fake.conf "+sum("/etc/fake.conf")+"\n\n"+
		"Package: gonepkg\nStatus: deinstall ok config-files\nVersion: 0.1\n")
	write(t, root+"/var/lib/dpkg/info/fakepkg.md5sums",
		sum("/usr/bin/fakeprog")+"  usr/bin/fakeprog\n"+
			sum("/usr/bin/fakeprog2")+"  bin/fakeprog2\n"+ // listed under /bin, reached through the link
			sum("/usr/bin/fakeprog3")+"  usr/bin/fakeprog3\n"+
			sum("/usr/lib/fake/libfake.so.1")+"  usr/lib/fake/libfake.so.1\n"+
			sum("/usr/share/doc/fakepkg/README")+"  usr/share/doc/fakepkg/README\n")
	write(t, root+"/var/lib/dpkg/info/fakepkg.list", "/.\n/usr\n/usr/bin\n/usr/bin/fakeprog\n/bin/fakeprog2\n/usr/bin/fakeprog3\n/usr/lib/fake/libfake.so.1\n/usr/share/doc/fakepkg/README\n/etc/fake.conf\n")
	// Another package diverted /usr/bin/fakeprog: fakepkg's file is at
	// /usr/bin/fakeprog.real, and what lies at the path is not fakepkg's.
	write(t, root+"/usr/bin/fakeprog.real", files["/usr/bin/fakeprog"])
	write(t, root+"/usr/bin/fakeprog", "#!/bin/sh\necho the diverting package's wrapper\n")
	write(t, root+"/var/lib/dpkg/diversions", "/usr/bin/fakeprog\n/usr/bin/fakeprog.real\notherpkg\n")
	for pid, exe := range map[string]string{"100": "/usr/bin/fakeprog", "101": "/usr/bin/fakeprog2", "102": "/opt/evil", "103": "/opt/evil", "104": "/tmp/x (deleted)"} {
		if err := os.MkdirAll(root+"/proc/"+pid, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(exe, root+"/proc/"+pid+"/exe"); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func write(t *testing.T, p, c string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(c), 0o755); err != nil {
		t.Fatal(err)
	}
}

func runPackages(t *testing.T, root string, p *Packages) (*recSink, *Env, *artifact.DpkgVerify) {
	t.Helper()
	env := &Env{Root: root, Now: time.Now}
	sink := &recSink{}
	if err := p.Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	var v artifact.DpkgVerify
	sink.decode(t, artifact.PathDpkgVerify, &v)
	return sink, env, &v
}

func findingsOf(env *Env, rule string) []artifact.Finding {
	var out []artifact.Finding
	for _, f := range env.findings().List() {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// An untouched package verifies clean; its inventory and the raw status
// file are stored; a running program no package lists is a finding, one
// the package lists (under /bin, run as /usr/bin) is not.
func TestPackagesFixtureClean(t *testing.T) {
	root := dpkgRoot(t)
	sink, env, v := runPackages(t, root, &Packages{All: true})
	if len(v.Failures) != 0 || v.FilesChecked != 6 || v.Packages != 1 || v.Limit != "" {
		t.Fatalf("verify %+v", v)
	}
	var inv artifact.DpkgPackages
	sink.decode(t, artifact.PathDpkgPackages, &inv)
	if len(inv.Packages) != 2 || inv.Packages[0].Name != "fakepkg" || inv.Schema != artifact.Version {
		t.Errorf("inventory %+v", inv)
	}
	sink.record(t, "volatile/raw/var/lib/dpkg/status")
	ex := findingsOf(env, RuleExeUnpackaged)
	if len(ex) != 1 || ex[0].Path != "/opt/evil" || ex[0].PID != 102 || !strings.Contains(ex[0].Reason, "2 process(es)") {
		t.Fatalf("unpackaged exe findings %+v", ex)
	}
	if len(findingsOf(env, RulePackageFileModified)) != 0 {
		t.Error("a finding on an untouched package")
	}
}

// Changed package files are findings: a program or library high, another
// file medium, a conffile info; a program replaced by a symlink high.
func TestPackagesFixtureModified(t *testing.T) {
	root := dpkgRoot(t)
	write(t, root+"/usr/bin/fakeprog2", "\x7fELF trojaned\n")
	write(t, root+"/usr/lib/fake/libfake.so.1", "\x7fELF hooked\n")
	write(t, root+"/usr/share/doc/fakepkg/README", "changed\n")
	write(t, root+"/etc/fake.conf", "setting=2\n")
	os.Remove(root + "/usr/bin/fakeprog3")
	if err := os.Symlink("/opt/evil", root+"/usr/bin/fakeprog3"); err != nil {
		t.Fatal(err)
	}
	_, env, v := runPackages(t, root, &Packages{All: true})
	kinds := map[string]string{}
	for _, f := range v.Failures {
		kinds[f.Path] = f.Kind
	}
	want := map[string]string{"/bin/fakeprog2": "checksum", "/usr/lib/fake/libfake.so.1": "checksum",
		"/usr/share/doc/fakepkg/README": "checksum", "/etc/fake.conf": "checksum", "/usr/bin/fakeprog3": "not-regular"}
	if len(kinds) != len(want) {
		t.Fatalf("failures %+v", v.Failures)
	}
	for p, k := range want {
		if kinds[p] != k {
			t.Errorf("%s: kind %q, want %q", p, kinds[p], k)
		}
	}
	sev := map[string]string{}
	for _, f := range env.findings().List() {
		sev[f.Rule+" "+string(f.Path)] = f.Severity
	}
	for k, s := range map[string]string{
		RulePackageFileModified + " /bin/fakeprog2":                "high",
		RulePackageFileModified + " /usr/lib/fake/libfake.so.1":    "high",
		RulePackageFileModified + " /usr/share/doc/fakepkg/README": "medium",
		RuleConffileModified + " /etc/fake.conf":                   "info",
		RulePackageFileReplaced + " /usr/bin/fakeprog3":            "high",
	} {
		if sev[k] != s {
			t.Errorf("%s: severity %q, want %q (all: %v)", k, sev[k], s, sev)
		}
	}
	// The triage scope checks programs, libraries and conffiles, not docs.
	_, _, v = runPackages(t, root, &Packages{})
	var paths []string
	for _, f := range v.Failures {
		paths = append(paths, f.Path)
	}
	slices.Sort(paths)
	if want := []string{"/bin/fakeprog2", "/etc/fake.conf", "/usr/bin/fakeprog3", "/usr/lib/fake/libfake.so.1"}; !slices.Equal(paths, want) || v.Scope != "programs" {
		t.Errorf("programs scope: failures %q, want %q", paths, want)
	}
}

// The byte bound stops the check and says so.
func TestPackagesBytesBound(t *testing.T) {
	_, _, v := runPackages(t, dpkgRoot(t), &Packages{All: true, MaxBytes: 1})
	if v.Limit != "bytes" || v.FilesChecked != 1 {
		t.Fatalf("verify %+v", v)
	}
}

// A symlink in the root pointing outside it (absolute) is resolved inside
// the root: a dead-box image's /bin -> /usr/bin must not reach the
// responder's own /usr/bin.
func TestPackagesAbsoluteLinkStaysInRoot(t *testing.T) {
	root := dpkgRoot(t)
	os.Remove(root + "/bin")
	if err := os.Symlink("/usr/bin", root+"/bin"); err != nil {
		t.Fatal(err)
	}
	_, _, v := runPackages(t, root, &Packages{All: true})
	if len(v.Failures) != 0 || v.FilesChecked != 6 {
		t.Fatalf("verify %+v", v)
	}
}

// The real host: a package the test does not touch verifies clean.
func TestPackagesLive(t *testing.T) {
	if _, err := os.Stat(dpkgStatus); err != nil {
		t.Skip("no dpkg database on this host")
	}
	if testing.Short() {
		t.Skip("reads the host's programs")
	}
	start := time.Now()
	sink, env, v := runPackages(t, "/", &Packages{})
	t.Logf("checked %d files, %d MiB, in %v; limit %q; failures %+v", v.FilesChecked, v.BytesChecked>>20, time.Since(start), v.Limit, v.Failures)
	if v.FilesChecked < 100 {
		t.Fatalf("only %d files checked", v.FilesChecked)
	}
	for _, f := range v.Failures {
		if f.Package == "coreutils" {
			t.Errorf("coreutils: %+v", f)
		}
	}
	var inv artifact.DpkgPackages
	sink.decode(t, artifact.PathDpkgPackages, &inv)
	if !slices.ContainsFunc(inv.Packages, func(p artifact.DpkgPackage) bool { return p.Name == "coreutils" }) {
		t.Error("coreutils not in the inventory")
	}
	owns, ok := PackageOwns(env)
	if !ok || !owns("/usr/bin/ls") || owns("/usr/bin/no-such-program-hozen") {
		t.Errorf("PackageOwns: ok %v, /usr/bin/ls %v", ok, owns("/usr/bin/ls"))
	}
}

// The time budget stops the check and records how much of the scope was
// checked.
func TestPackagesTimeBudgetRecorded(t *testing.T) {
	_, _, v := runPackages(t, dpkgRoot(t), &Packages{All: true, MaxTime: time.Nanosecond, Priority: true})
	if v.Limit != "time" || v.FilesInScope != 6 || v.FilesChecked != 0 ||
		!strings.Contains(v.Stopped, "time (1ns) budget hit: 0 of 6 files in scope checked") {
		t.Fatalf("verify %+v", v)
	}
	// Without a bound hit, no such record.
	_, _, v = runPackages(t, dpkgRoot(t), &Packages{All: true, Priority: true})
	if v.Limit != "" || v.Stopped != "" || v.FilesChecked != 6 || v.FilesInScope != 6 {
		t.Fatalf("verify %+v", v)
	}
}

// With Priority, the programs running processes execute come first (also
// when dpkg lists them under /bin and the process runs /usr/bin), then the
// program directories, then the loader, libc and PAM, then conffiles.
func TestPackagesPriorityOrder(t *testing.T) {
	root := dpkgRoot(t)
	r, err := openRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	checks := []pkgCheck{
		{path: "/usr/share/doc/x/README"},
		{path: "/etc/fake.conf", conffile: true},
		{path: "/usr/lib/x86_64-linux-gnu/security/pam_unix.so"},
		{path: "/usr/lib/x86_64-linux-gnu/libz.so.1"},
		{path: "/usr/bin/fakeprog3"},
		{path: "/etc/pam.d/sshd", conffile: true},
		{path: "/bin/fakeprog2"},
		{path: "/usr/lib/x86_64-linux-gnu/libc.so.6"},
	}
	orderChecks(checks, runningExes(&Env{Root: root}), r, func(p string) bool { return p == "/usr/lib/x86_64-linux-gnu/libz.so.1" })
	var got []string
	for _, c := range checks {
		got = append(got, c.path)
	}
	want := []string{"/bin/fakeprog2", "/usr/lib/x86_64-linux-gnu/libz.so.1", "/usr/bin/fakeprog3", "/usr/lib/x86_64-linux-gnu/security/pam_unix.so", "/etc/pam.d/sshd",
		"/usr/lib/x86_64-linux-gnu/libc.so.6", "/etc/fake.conf", "/usr/share/doc/x/README"}
	if !slices.Equal(got, want) {
		t.Fatalf("order\n got %q\nwant %q", got, want)
	}
}
