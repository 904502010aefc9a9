package rpmdb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hozen-dfir/hozen/collect/sqlitemem"
)

const fixture = "../testdata/rpm/rpmdb.sqlite"

func readFixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func walkAll(t testing.TB, db []byte) []*Package {
	t.Helper()
	var out []*Package
	err := Walk(context.Background(), db, func(_ int64, p *Package, err error) error {
		if err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func nevra(p *Package) string {
	e := "(none)"
	if p.Epoch != nil {
		e = fmt.Sprint(*p.Epoch)
	}
	return fmt.Sprintf("%s %s %s-%s %s", p.Name, e, p.Version, p.Release, p.Arch)
}

// TestFixture checks the recorded database against what rpm itself said
// of it when it was made (testdata/rpm/README.md).
func TestFixture(t *testing.T) {
	pkgs := walkAll(t, readFixture(t))
	var got []string
	for _, p := range pkgs {
		got = append(got, nevra(p))
	}
	want := []string{"hozen-fixture 4 1.2-3 noarch", "hozen-fixture-two (none) 0.9-1.fx noarch"}
	if !slices.Equal(got, want) {
		t.Fatalf("packages %q, want %q", got, want)
	}
	one := pkgs[0]
	if one.Vendor != "hozen tests" || one.Packager != "hozen <tests@example.invalid>" || !strings.HasPrefix(one.SourceRPM, "hozen-fixture-1.2-3.src.rpm") || one.InstallTime == 0 || one.DigestAlgo != DigestSHA256 {
		t.Errorf("package fields %+v", one)
	}
	if pkgs[1].DigestAlgo != DigestMD5 {
		t.Errorf("hozen-fixture-two: digest algorithm %d, want MD5 (no FILEDIGESTALGO)", pkgs[1].DigestAlgo)
	}
	files := map[string]File{}
	for _, f := range one.Files {
		files[f.Path] = f
	}
	prog, conf := files["/usr/bin/hozen-fixture"], files["/etc/hozen-fixture.conf"]
	// The contents the spec writes (testdata/rpm/README.md).
	body := "#!/bin/sh\necho hozen fixture\n"
	sum := sha256.Sum256([]byte(body))
	if !prog.Regular() || prog.Mode&0o777 != 0o755 || prog.Size != int64(len(body)) || prog.Digest != hex.EncodeToString(sum[:]) {
		t.Errorf("program %+v, want a regular 0755 file of %d bytes, SHA-256 %x", prog, len(body), sum)
	}
	if conf.Flags&FileConfig == 0 || conf.Digest == "" {
		t.Errorf("config file %+v", conf)
	}
}

// TestLive compares the parse with rpm's own query of the fixture,
// where rpm is installed.
func TestLive(t *testing.T) {
	if _, err := exec.LookPath("rpm"); err != nil {
		t.Skip("rpm is not installed")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rpmdb.sqlite"), readFixture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("rpm", "-qa", "--dbpath", dir, "--qf", `%{NAME} %{EPOCH} %{VERSION}-%{RELEASE} %{ARCH} %{SIZE} %{INSTALLTIME} %{VENDOR}\n`).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(string(out)), "\n")
	var got []string
	for _, p := range walkAll(t, readFixture(t)) {
		got = append(got, fmt.Sprintf("%s %d %d %s", nevra(p), p.Size, p.InstallTime, p.Vendor))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("parsed\n%s\nrpm -qa says\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every file with its digest, as rpm --dump lists them.
	out, err = exec.Command("rpm", "-qa", "--dbpath", dir, "--dump").Output()
	if err != nil {
		t.Fatal(err)
	}
	want = nil
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line) // path size mtime digest mode ...
		want = append(want, f[0]+" "+f[1]+" "+f[3]+" "+strings.TrimLeft(f[4], "0"))
	}
	got = nil
	for _, p := range walkAll(t, readFixture(t)) {
		for _, f := range p.Files {
			got = append(got, fmt.Sprintf("%s %d %s %o", f.Path, f.Size, f.Digest, f.Mode))
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("parsed files\n%s\nrpm --dump says\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestWAL: a change committed to the -wal but not checkpointed is seen
// once sqlitemem.MergeWAL applied it, and not before.
func TestWAL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rpmdb.sqlite")
	if err := os.WriteFile(path, readFixture(t), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{"PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0",
		"DELETE FROM Packages WHERE hnum=(SELECT max(hnum) FROM Packages)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	// Read while the connection is open: the WAL is not yet checkpointed.
	main, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wal, err := os.ReadFile(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(walkAll(t, main)); n != 2 {
		t.Fatalf("main file alone: %d packages, want 2 (the delete is only in the WAL)", n)
	}
	merged, res, err := sqlitemem.MergeWAL(main, wal, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if res.Frames == 0 {
		t.Fatalf("no frames merged: %+v", res)
	}
	if pk := walkAll(t, merged); len(pk) != 1 || pk[0].Name != "hozen-fixture" {
		t.Fatalf("merged: %d packages, want hozen-fixture alone", len(pk))
	}
	// A torn last frame (its checksum broken) is ignored, as SQLite does.
	torn := slices.Clone(wal)
	torn[len(torn)-1] ^= 0xff
	_, res2, err := sqlitemem.MergeWAL(main, torn, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Frames >= res.Frames {
		t.Errorf("torn WAL: %d frames merged, want fewer than %d", res2.Frames, res.Frames)
	}
	if _, _, err := sqlitemem.MergeWAL(main, wal, 4096); err == nil {
		t.Error("a merge over the bound did not fail")
	}
}

func TestParseHeaderBounds(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":         nil,
		"counts only":   {0, 0, 0, 1, 0, 0, 0, 0},
		"data too long": {0, 0, 0, 1, 0xff, 0, 0, 0},
		"entry past":    append([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 3, 0xe8, 0, 0, 0, 6, 0, 0, 0, 2, 0, 0, 0, 1}, 'x'),
		"no NUL":        append([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 3, 0xe8, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 1}, 'x'),
	} {
		if _, err := ParseHeader(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzRPMHeader(f *testing.F) {
	err := Walk(context.Background(), readFixture(f), func(_ int64, _ *Package, _ error) error { return nil })
	if err != nil {
		f.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+fixture+"?mode=ro&immutable=1")
	if err != nil {
		f.Fatal(err)
	}
	rows, err := db.Query("SELECT blob FROM Packages")
	if err != nil {
		f.Fatal(err)
	}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	rows.Close()
	db.Close()
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseHeader(b)
		if err == nil && p == nil {
			t.Fatal("no package and no error")
		}
		if p != nil {
			for _, fl := range p.Files {
				_ = fl.Regular()
			}
		}
	})
}
