package collect

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hozen-dfir/hozen/artifact"
)

func TestParseDpkgStatusFixture(t *testing.T) {
	b, err := os.ReadFile("testdata/dpkg/status")
	if err != nil {
		t.Fatal(err)
	}
	pkgs, errs := ParseDpkgStatus(b)
	var names []string
	for _, p := range pkgs {
		names = append(names, p.Name)
	}
	if want := []string{"coreutils", "openssh-server", "libc6", "last-one"}; !slices.Equal(names, want) {
		t.Fatalf("packages %q, want %q (errors %q)", names, want, errs)
	}
	cu := pkgs[0]
	if cu.Version != "9.1-1" || cu.Architecture != "amd64" || cu.Status != "install ok installed" || cu.InstalledSize != 18062 || cu.MultiArch != "foreign" || cu.Maintainer != "Michael Stone <mstone@debian.org>" {
		t.Errorf("coreutils: %+v", cu)
	}
	ssh := pkgs[1]
	want := []artifact.DpkgConffile{
		{Path: "/etc/default/ssh", MD5: "500e3cf069fe9a7b9936108eb9d9c035"},
		{Path: "/etc/init.d/ssh", MD5: "3649a6fe8c18ad1d5245fd91737de507"},
		{Path: "/etc/pam.d/sshd", MD5: "8b4c7a12b031424b2a9946881da59812"},
		{Path: "/etc/ssh/moduli.old", MD5: "00000000000000000000000000000000", Obsolete: true},
		{Path: "/etc/with space/x.conf", MD5: "0123456789abcdef0123456789ABCDEF"},
	}
	if !slices.Equal(ssh.Conffiles, want) || ssh.Source != "openssh" || ssh.Version != "1:9.2p1-2+deb12u3" {
		t.Errorf("openssh-server: %+v\nwant conffiles %+v", ssh, want)
	}
	if lc := pkgs[2]; lc.Status != "deinstall ok config-files" || len(lc.Conffiles) != 1 || lc.Conffiles[0].MD5 != "newconffile" {
		t.Errorf("libc6: %+v", lc)
	}
	if lo := pkgs[3]; lo.Version != "2" || lo.Status != "install ok installed" {
		t.Errorf("last-one (CRLF lines): %+v", lo)
	}
	// Three defects, each said with its line: the bad conffile line, the
	// stanza without a Package, the line that is no field.
	if len(errs) != 3 || !strings.Contains(errs[0], "line 35:") || !strings.Contains(errs[1], "without a Package") || !strings.Contains(errs[2], "line 40:") {
		t.Errorf("errors %q", errs)
	}
}

func TestParseMD5Sums(t *testing.T) {
	in := "0123456789abcdef0123456789abcdef  usr/bin/ls\n" +
		"0123456789ABCDEF0123456789abcdef  usr/share/doc/a b/c d\n" +
		"nothex6789abcdef0123456789abcdef  usr/bin/x\n" +
		"\n" +
		"0123456789abcdef0123456789abcdef *bin/binary-mode\r\n" +
		"0123456789abcdef0123456789abcdef  \n"
	var got []md5sumsEntry
	var bad []int
	parseMD5Sums([]byte(in), func(e md5sumsEntry) bool { got = append(got, e); return true }, func(n int, _ string) { bad = append(bad, n) })
	want := []md5sumsEntry{
		{"0123456789abcdef0123456789abcdef", "/usr/bin/ls"},
		{"0123456789abcdef0123456789abcdef", "/usr/share/doc/a b/c d"},
		{"0123456789abcdef0123456789abcdef", "/bin/binary-mode"},
	}
	if !slices.Equal(got, want) || !slices.Equal(bad, []int{3, 6}) {
		t.Errorf("got %q bad %v", got, bad)
	}
}

// FuzzParseDpkgStatus: the status file is the suspect host's; no input
// may crash the parser, and every package it returns has a name and
// conffiles with a path and an MD5.
func FuzzParseDpkgStatus(f *testing.F) {
	if b, err := os.ReadFile("testdata/dpkg/status"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("Package: a\nConffiles:\n /x 0123456789abcdef0123456789abcdef obsolete\n"))
	f.Add([]byte(" \n:\nPackage:\n\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkgs, errs := ParseDpkgStatus(b)
		if len(errs) > dpkgMaxErrors {
			t.Fatalf("%d errors kept", len(errs))
		}
		for _, p := range pkgs {
			if p.Name == "" {
				t.Fatalf("a package without a name: %+v", p)
			}
			for _, c := range p.Conffiles {
				if !strings.HasPrefix(c.Path, "/") || c.MD5 == "" {
					t.Fatalf("conffile %+v", c)
				}
			}
		}
		parseMD5Sums(b, func(e md5sumsEntry) bool {
			if len(e.MD5) != 32 || !strings.HasPrefix(e.Path, "/") {
				t.Fatalf("md5sums entry %+v", e)
			}
			return true
		}, func(int, string) {})
	})
}
