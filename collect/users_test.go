package collect

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/logins"
	"github.com/hozen-dfir/hozen/manifest"
)

const linuxFixtureRoot = "../testdata/linuxroot"

func fixedEnv(root string) *Env {
	return &Env{Root: root, Now: func() time.Time { return time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC) }}
}

func runUsers(t *testing.T, root string) *recSink {
	t.Helper()
	s := &recSink{}
	if err := (&Users{}).Collect(context.Background(), fixedEnv(root), s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestUsersFixture runs the users collector on the fixture root and checks
// each artifact against the fixture's known records.
func TestUsersFixture(t *testing.T) {
	s := runUsers(t, linuxFixtureRoot)
	want := []string{
		"volatile/users/accounts.json",
		"volatile/users/sessions.json",
		"volatile/users/logins.json",
		"volatile/users/failed_logins.json",
		"volatile/users/lastlog.json",
	}
	if !slices.Equal(s.order, want) {
		t.Fatalf("artifacts %v, want %v", s.order, want)
	}
	for _, r := range s.recs {
		if r.Collector != "users" || r.Entry != manifest.EntryFile {
			t.Errorf("%s: collector %q entry %q", r.Path, r.Collector, r.Entry)
		}
	}

	var accts artifact.Accounts
	s.decode(t, "volatile/users/accounts.json", &accts)
	if len(accts.Users) != 5 || accts.Users[2].Name != "alice" || accts.Users[2].UID != 1000 ||
		accts.Users[2].Home != "/home/alice" || accts.Users[2].GECOS != "Alice Example,,," {
		t.Errorf("passwd: %+v", accts.Users)
	}
	if !slices.Equal(accts.UID0, []manifest.BString{"root"}) {
		t.Errorf("uid0 %v", accts.UID0)
	}
	if g := accts.Groups[2]; g.Name != "sudo" || g.GID != 27 || !slices.Equal(g.Members, []manifest.BString{"alice"}) {
		t.Errorf("group sudo: %+v", g)
	}

	var sess artifact.LoginFiles
	s.decode(t, "volatile/users/sessions.json", &sess)
	if len(sess.Files) != 1 || sess.Files[0].Source != "/run/utmp" || len(sess.Files[0].Records) != 4 {
		t.Fatalf("sessions: %+v", sess)
	}
	root := sess.Files[0].Records[3]
	if root.TypeName != "USER_PROCESS" || root.User != "root" || root.Line != "pts/1" ||
		root.Address != "2001:db8::42" || root.PID != 2345 ||
		!root.Time.Equal(time.Date(2025, 3, 2, 23, 59, 59, 999999000, time.UTC)) {
		t.Errorf("root session: %+v", root)
	}
	if sess.Files[0].File == nil || sess.Files[0].File.Size != 4*logins.UtmpSize {
		t.Errorf("utmp metadata: %+v", sess.Files[0].File)
	}

	var hist artifact.LoginFiles
	s.decode(t, "volatile/users/logins.json", &hist)
	if len(hist.Files) != 1 || hist.Files[0].Outcome != manifest.OutcomeOK || len(hist.Files[0].Records) != 7 {
		t.Fatalf("wtmp: %+v", hist.Files)
	}
	if r := hist.Files[0].Records[2]; r.User != "alice" || r.Address != "203.0.113.7" || r.Host != "203.0.113.7" {
		t.Errorf("alice login: %+v", r)
	}
	if r := hist.Files[0].Records[5]; r.User != "ev\xffil" {
		t.Errorf("non-UTF-8 user came through JSON as %q", r.User)
	}
	if rec := s.record(t, "volatile/users/logins.json"); rec.Outcome != manifest.OutcomeOK || len(rec.Errors) != 0 {
		t.Errorf("logins record: %s %v", rec.Outcome, rec.Errors)
	}

	// btmp and its truncated rotation btmp.1: two whole records kept, the
	// cut one recorded as an error, in the JSON and in the record.
	var failed artifact.LoginFiles
	s.decode(t, "volatile/users/failed_logins.json", &failed)
	if len(failed.Files) != 2 || failed.Files[1].Source != "/var/log/btmp.1" {
		t.Fatalf("btmp files: %+v", failed.Files)
	}
	b1 := failed.Files[1]
	if b1.Outcome != manifest.OutcomePartial || len(b1.Records) != 2 || len(b1.Errors) != 1 ||
		!strings.Contains(b1.Errors[0], "truncated record at offset 768: 100 of 384 bytes") {
		t.Errorf("btmp.1: outcome %s, %d records, errors %v", b1.Outcome, len(b1.Records), b1.Errors)
	}
	rec := s.record(t, "volatile/users/failed_logins.json")
	if rec.Outcome != manifest.OutcomePartial || len(rec.Errors) != 1 || !strings.HasPrefix(rec.Errors[0], "/var/log/btmp.1: truncated") {
		t.Errorf("failed_logins record: %s %v", rec.Outcome, rec.Errors)
	}

	var ll artifact.LastlogFile
	s.decode(t, "volatile/users/lastlog.json", &ll)
	if ll.Outcome != manifest.OutcomeOK || len(ll.Entries) != 3 {
		t.Fatalf("lastlog: %+v", ll)
	}
	wantLL := []struct {
		uid       uint32
		user      string
		noAccount bool
		host      manifest.BString
	}{{0, "root", false, "2001:db8::42"}, {1000, "alice", false, "203.0.113.7"}, {1002, "", true, "192.0.2.66"}}
	for i, w := range wantLL {
		e := ll.Entries[i]
		if e.UID != w.uid || e.User != w.user || e.NoAccount != w.noAccount || e.Host != w.host {
			t.Errorf("lastlog %d: %+v, want %+v", i, e, w)
		}
	}
}

// TestUsersMissingFiles: an empty root gives every artifact, with absent
// login files noted and the missing /etc/passwd as an error.
func TestUsersMissingFiles(t *testing.T) {
	s := runUsers(t, t.TempDir())
	if len(s.order) != 5 {
		t.Fatalf("artifacts %v", s.order)
	}
	var sess artifact.LoginFiles
	s.decode(t, "volatile/users/sessions.json", &sess)
	if f := sess.Files[0]; f.Source != "/var/run/utmp" || f.Outcome != artifact.OutcomeAbsent || len(f.Errors) != 0 {
		t.Errorf("absent utmp: %+v", f)
	}
	if rec := s.record(t, "volatile/users/sessions.json"); rec.Outcome != manifest.OutcomeOK {
		t.Errorf("an absent file is not an error: %s", rec.Outcome)
	}
	rec := s.record(t, "volatile/users/accounts.json")
	if rec.Outcome != manifest.OutcomePartial || len(rec.Errors) != 2 {
		t.Errorf("accounts with no passwd: %s %v", rec.Outcome, rec.Errors)
	}
}

// TestLastlogSparse: a uid far past the scanned part is still found by
// its /etc/passwd entry, without reading the hole before it.
func TestLastlogSparse(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(os.MkdirAll(filepath.Join(root, "var/log"), 0o755))
	must(os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("far:x:4000000:4000000::/:/bin/sh\n"), 0o644))
	f, err := os.Create(filepath.Join(root, "var/log/lastlog"))
	must(err)
	const uid = 4000000 // 1.1 GiB into the file: past lastlogScanBytes
	_, err = f.WriteAt(logins.EncodeLastlog(artifact.Lastlog{TimeSec: 1700000000, Line: "pts/9", Host: "far.example"}), uid*logins.LastlogSize)
	must(err)
	must(f.Close())
	s := runUsers(t, root)
	var ll artifact.LastlogFile
	s.decode(t, "volatile/users/lastlog.json", &ll)
	if len(ll.Entries) != 1 || ll.Entries[0].UID != uid || ll.Entries[0].User != "far" || ll.Entries[0].Host != "far.example" {
		t.Errorf("sparse lastlog: %+v", ll)
	}
}
