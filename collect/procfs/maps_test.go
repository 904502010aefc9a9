package procfs

import (
	"os"
	"strings"
	"testing"
)

func TestParseMapsFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/maps/mixed.txt")
	if err != nil {
		t.Fatal(err)
	}
	regs, errs := ParseMaps(b)
	if len(errs) != 1 || errs[0].Line != 10 {
		t.Fatalf("errors %v, want one at line 10", errs)
	}
	if len(regs) != 12 {
		t.Fatalf("%d regions, want 12", len(regs))
	}
	type want struct {
		i               int
		path            string
		perms           string
		deleted, exec   bool
		anon            bool
		start, end, ino uint64
	}
	for _, w := range []want{
		{0, "/usr/bin/cat", "r--p", false, false, false, 0x561ddaa90000, 0x561ddaa92000, 247026},
		{1, "/usr/bin/cat", "r-xp", false, true, false, 0x561ddaa92000, 0x561ddaa97000, 247026},
		{2, "[heap]", "rw-p", false, false, true, 0x561df4213000, 0x561df4234000, 0},
		{3, "", "rw-p", false, false, true, 0x7fb442294000, 0x7fb4422b6000, 0},
		{4, "", "rwxp", false, true, true, 0x7f0000000000, 0x7f0000001000, 0},
		{5, "[anon:jit code]", "r-xp", false, true, true, 0x7f0000100000, 0x7f0000101000, 0},
		{6, "/usr/lib/x86_64-linux-gnu/libc.so.6", "r-xp", true, true, false, 0x7fb44233f000, 0x7fb442495000, 326269},
		{7, "/memfd:payload", "r-xp", true, true, false, 0x7fb442600000, 0x7fb442601000, 4242},
		{8, "/tmp/my lib.so", "r-xp", false, true, false, 0x7fb442700000, 0x7fb442701000, 99},
		{11, "[vsyscall]", "--xp", false, true, true, 0xffffffffff600000, 0xffffffffff601000, 0},
	} {
		r := regs[w.i]
		if r.Path != w.path || r.Perms != w.perms || r.Deleted != w.deleted || r.Exec() != w.exec ||
			r.Anonymous() != w.anon || r.Start != w.start || r.End != w.end || r.Inode != w.ino {
			t.Errorf("region %d = %+v (exec %v anon %v), want %+v", w.i, r, r.Exec(), r.Anonymous(), w)
		}
	}
	if regs[6].Offset != 0x26000 || regs[6].Dev != "fe:00" {
		t.Errorf("offset/dev = %x %s", regs[6].Offset, regs[6].Dev)
	}
	if !regs[4].Write() || regs[5].Write() {
		t.Error("Write() wrong")
	}
}

func TestParseMapsRejects(t *testing.T) {
	for _, line := range []string{
		"1000-0fff r-xp 00000000 00:00 0",       // end before start
		"1000-2000 rxxp 00000000 00:00 0",       // perms
		"1000-2000 r-xp 0000000g 00:00 0",       // offset
		"1000-2000 r-xp 00000000 0000 0",        // device
		"1000-2000 r-xp 00000000 00:00 -1",      // inode
		"10002000 r-xp 00000000 00:00 0",        // range
		"1000-2000 r-xp",                        // short
		"1000-2000 r-xpp 00000000 00:00 0 /x/y", // perms length
	} {
		regs, errs := ParseMaps([]byte(line + "\n"))
		if len(regs) != 0 || len(errs) != 1 {
			t.Errorf("%q: regions %v errors %v, want one error", line, regs, errs)
		}
	}
}

func TestEnvValue(t *testing.T) {
	env := []byte("A=1\x00LD_PRELOAD=/tmp/a.so\x00LD_PRELOAD_X=no\x00LD_PRELOAD=/tmp/b.so\x00")
	if v, ok := EnvValue(env, "LD_PRELOAD"); !ok || v != "/tmp/b.so" {
		t.Errorf("EnvValue = %q %v", v, ok)
	}
	if vs := EnvValues(env, "LD_PRELOAD"); strings.Join(vs, ",") != "/tmp/a.so,/tmp/b.so" {
		t.Errorf("EnvValues = %q", vs)
	}
	if _, ok := EnvValue(env, "B"); ok {
		t.Error("B set?")
	}
}

// FuzzParseMaps checks that the parser never panics, that every region it
// returns is well formed, and that formatting a region and parsing it again
// gives the same region.
func FuzzParseMaps(f *testing.F) {
	if b, err := os.ReadFile("testdata/maps/mixed.txt"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("0-0 ---s 0 0:0 0  (deleted)\n"))
	f.Add([]byte("1-2 rwxp 3 a:b 4 /x (deleted) (deleted)"))
	f.Fuzz(func(t *testing.T, b []byte) {
		regs, errs := ParseMaps(b)
		for _, e := range errs {
			if e.Line < 1 || len(e.Text) > 200 {
				t.Fatalf("bad line error %+v", e)
			}
		}
		for _, r := range regs {
			if r.End < r.Start || len(r.Perms) != 4 {
				t.Fatalf("bad region %+v", r)
			}
			again, errs := ParseMaps([]byte(r.String()))
			if len(errs) != 0 || len(again) != 1 || again[0] != r {
				t.Fatalf("round trip of %+v: %+v %v", r, again, errs)
			}
		}
	})
}
