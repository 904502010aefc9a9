package profile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/manifest"
)

const (
	profileDir       = "../../testdata/profiles"
	linuxFixtureRoot = "../../testdata/linuxroot"
)

// recSink keeps the records the collectors put; a path put twice, or a
// body shorter than its record says, fails the collector.
type recSink struct {
	recs  []*manifest.Record
	paths map[string]bool
}

func (s *recSink) Put(rec *manifest.Record, body io.Reader) error {
	if s.paths == nil {
		s.paths = map[string]bool{}
	}
	if s.paths[string(rec.Path)] {
		return fmt.Errorf("artifact %s put twice", rec.Path)
	}
	s.paths[string(rec.Path)] = true
	if body != nil {
		n, err := io.Copy(io.Discard, io.LimitReader(body, rec.Size))
		if err != nil {
			return err
		}
		if n != rec.Size {
			return fmt.Errorf("%s: body %d bytes, record says %d", rec.Path, n, rec.Size)
		}
	}
	s.recs = append(s.recs, rec)
	return nil
}

func TestBuiltinProfiles(t *testing.T) {
	ps := Builtins()
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
		if p.Source != "builtin" || p.Description == "" || len(p.SHA256()) != 64 {
			t.Errorf("%s: source %q, description %q, sha %q", p.Name, p.Source, p.Description, p.SHA256())
		}
		want := map[string][]string{"triage": {"network", "processes", "kernel", "procmaps", "containers", "tmpplaces", "users", "system", "firewall", "persistence", "packages", "exe-hashes"}, "full": {"network", "processes", "kernel", "procmaps", "containers", "tmpplaces", "users", "system", "firewall", "persistence", "packages-all", "exe-hashes", "filesystem"}}[p.Name]
		if p.Name == "volatile" {
			want = []string{"network", "processes", "kernel", "users", "system", "firewall"}
		}
		if !slices.Equal(p.CollectorNames, want) {
			t.Errorf("%s: collectors %v", p.Name, p.CollectorNames)
		}
		q, err := Load(p.Name)
		if err != nil || q.SHA256() != p.SHA256() {
			t.Errorf("Load(%q): %v", p.Name, err)
		}
	}
	if !slices.Equal(names, []string{"triage", "full", "volatile"}) || !ps[0].Default {
		t.Fatalf("built-ins %v", names)
	}
	def, err := Load("")
	if err != nil || def.Name != "triage" {
		t.Fatalf("default profile: %v", err)
	}
	triage, full, volatile := ps[0], ps[1], ps[2]
	if len(volatile.Files) != 0 {
		t.Errorf("volatile copies files: %v", volatile.Files)
	}
	if triage.MaxTotalBytes != 8<<30 || full.MaxTotalBytes != 0 {
		t.Errorf("budgets: triage %d, full %d", triage.MaxTotalBytes, full.MaxTotalBytes)
	}
	// full is triage without caps (same groups, same globs), plus the
	// whole of /etc and the web roots.
	if len(full.Files) != len(triage.Files)+2 || full.Files[len(triage.Files)].Name != "etc" || full.Files[len(triage.Files)+1].Name != "webroots" {
		t.Fatalf("full has %d groups, triage %d", len(full.Files), len(triage.Files))
	}
	for i, g := range triage.Files {
		f := full.Files[i]
		if f.Name != g.Name || !slices.Equal(f.Include, g.Include) || !slices.Equal(f.Exclude, g.Exclude) || f.MaxFileBytes != 0 {
			t.Errorf("group %s differs between triage and full", g.Name)
		}
	}
	groups := map[string]FileGroup{}
	var order []string
	for _, g := range triage.Files {
		groups[g.Name] = g
		order = append(order, g.Name)
	}
	if groups["logs"].MaxFileBytes != 64<<20 || groups["journal"].MaxFileBytes != 64<<20 {
		t.Errorf("triage logs not capped at 64 MiB")
	}
	if groups["cron"].MaxFileBytes != 0 {
		t.Errorf("triage caps persistence")
	}
	// Persistence groups come before the logs.
	logs := slices.Index(order, "logs")
	for _, g := range []string{"accounts", "cron", "systemd", "rc", "preload", "shell", "sshd"} {
		if i := slices.Index(order, g); i < 0 || i > logs {
			t.Errorf("group %s at %d, logs at %d (order %v)", g, i, logs, order)
		}
	}
}

// TestTriageOnFixture runs the triage profile's file groups on the
// fixture root: each file lands in its group once, private host keys
// stay out, and links are kept as links.
func TestTriageOnFixture(t *testing.T) {
	p, err := Load("triage")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := p.Collectors(BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	env := &collect.Env{Root: linuxFixtureRoot, Now: func() time.Time { return time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC) }}
	s := &recSink{}
	for _, c := range cs {
		if _, ok := c.(*collect.Files); !ok {
			continue
		}
		if err := c.Collect(context.Background(), env, s); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{} // host path → group
	for _, r := range s.recs {
		if prev, dup := got[string(r.Source)]; dup {
			t.Errorf("%s collected by %s and %s", r.Source, prev, r.Collector)
		}
		got[string(r.Source)] = r.Collector
	}
	want := map[string]string{
		"/etc/passwd":                      "accounts",
		"/etc/shadow":                      "accounts",
		"/etc/sudoers":                     "accounts",
		"/home/alice/.ssh/authorized_keys": "accounts",
		"/home/alice/.bash_history":        "accounts",
		"/root/.bash_history":              "accounts",
		"/run/utmp":                        "accounts",
		"/var/log/wtmp":                    "accounts",
		"/var/log/btmp.1":                  "accounts",
		"/var/log/lastlog":                 "accounts",
		"/etc/crontab":                     "cron",
		"/etc/cron.d/backdoor":             "cron",
		"/var/spool/cron/crontabs/alice":   "cron",
		"/etc/systemd/system/evil.service": "systemd",
		"/etc/systemd/system/multi-user.target.wants/evil.service": "systemd",
		"/etc/ld.so.preload":                   "preload",
		"/etc/profile.d/zz-path.sh":            "shell",
		"/home/alice/.bashrc":                  "shell",
		"/root/.bashrc":                        "shell",
		"/etc/ssh/sshd_config":                 "sshd",
		"/var/log/auth.log":                    "logs",
		"/var/log/auth.log.2.gz":               "logs",
		"/var/log/syslog":                      "logs",
		"/var/log/journal/0123/system.journal": "journal",
	}
	for path, group := range want {
		if got[path] != group {
			t.Errorf("%s: collected by %q, want %q", path, got[path], group)
		}
	}
	if g, ok := got["/etc/ssh/ssh_host_ed25519_key"]; ok {
		t.Errorf("private host key collected by %s", g)
	}
	for _, r := range s.recs {
		if r.Source == "/etc/systemd/system/multi-user.target.wants/evil.service" && r.Entry != manifest.EntrySymlink {
			t.Errorf("unit link stored as %s", r.Entry)
		}
	}
}

func TestLoadProfileFile(t *testing.T) {
	p, err := Load(filepath.Join(profileDir, "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "accounts-and-cron" || p.MaxTotalBytes != 100<<20 || !p.Options.NoEnviron || len(p.Files) != 2 ||
		p.Files[1].MaxFileBytes != 1<<20 || !slices.Equal(p.Files[1].Exclude, []string{"/home/bob/**"}) {
		t.Errorf("%+v", p)
	}
	cs, err := p.Collectors(BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name())
	}
	if !slices.Equal(names, []string{"users", "system", "cron", "keys"}) {
		t.Errorf("collectors %v", names)
	}
	if f := cs[3].(*collect.Files); f.MaxFileBytes != 1<<20 || len(f.Include) != 2 {
		t.Errorf("keys group: %+v", f)
	}
}

func TestProfileErrors(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"unknown_key.yaml", []string{"unknown_key.yaml:6:", `unknown key "max_file_byte"`}},
		{"unknown_top_key.yaml", []string{"unknown_top_key.yaml:2:", `unknown key "colectors"`}},
		{"bad_glob.yaml", []string{"bad_glob.yaml:7:", `/var/log/[abc`, "syntax error in pattern"}},
		{"relative_glob.yaml", []string{"relative_glob.yaml:4:", "not absolute"}},
		{"unknown_collector.yaml", []string{"unknown_collector.yaml:4:", `unknown collector "memory"`, "known: network, processes, kernel, procmaps, containers, tmpplaces, users, system, firewall, persistence, packages, packages-all, exe-hashes, filesystem"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := Load(filepath.Join(profileDir, tc.file))
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *Error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not say %q", err, w)
				}
			}
		})
	}
	if _, err := Load("triag"); !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "hozen profiles") {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := Load(filepath.Join(profileDir, "nonexistent.yaml")); err == nil || !strings.Contains(err.Error(), "nonexistent.yaml") {
		t.Errorf("missing file: %v", err)
	}
	for src, want := range map[string]string{
		"":                                    "empty",
		"name: x\n":                           "collects nothing",
		"collectors: [users]\n---\nname: y\n": "more than one YAML document",
		"collectors: users\n":                 "p.yaml:1: got str (`users`), want a list",
		"collectors: [users, users]\n":        `collector "users" listed twice`,
		"files:\n  - include: [/a]\n":         "file group without a name",
		"files:\n  - group: a\n":              `"a" has no include globs`,
		"files:\n  - group: A B\n    include: [/a]\n":                                "use lower-case",
		"files:\n  - group: users\n    include: [/a]\n":                              "reserved",
		"files:\n  - group: a\n    include: [/a]\n  - group: a\n    include: [/b]\n": "defined twice",
		"files:\n  - group: a\n    include: [/a]\n    max_file_bytes: lots\n":        `size "lots"`,
		"files:\n  - group: a\n    include: [/a]\n    max_file_bytes: 99999999TiB\n": "too large",
		"files:\n  - group: a\n    include: [[/a]]\n":                                `want a string`,
		"files: [/a]\n": "a file group is a mapping",
		"name: a\nname: b\ncollectors: [users]\n": "already defined",
	} {
		_, err := Parse([]byte(src), "p.yaml")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "p.yaml") {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
}

// TestProfileSHA256: the digest is of the file's exact bytes, so any
// change (even a comment) changes it; reloading the same bytes does not.
func TestProfileSHA256(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(profileDir, "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p1 := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(p1, src, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := Load(p1)
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256hex(src); a.SHA256() != want {
		t.Errorf("sha %s, want %s (sha256sum of the file)", a.SHA256(), want)
	}
	b, _ := Load(p1)
	if a.SHA256() != b.SHA256() {
		t.Error("same file, different digest")
	}
	if err := os.WriteFile(p1, append(src, "# changed\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(p1)
	if err != nil {
		t.Fatal(err)
	}
	if c.SHA256() == a.SHA256() {
		t.Error("digest did not change with the file")
	}
	tri, _ := Load("triage")
	full, _ := Load("full")
	if tri.SHA256() == full.SHA256() {
		t.Error("built-ins share a digest")
	}
	embedded, _ := builtinFS.ReadFile("profiles/triage.yaml")
	if tri.SHA256() != sha256hex(embedded) || string(tri.Definition()) != string(embedded) {
		t.Error("built-in digest is not of its embedded YAML")
	}
}

func TestAddFiles(t *testing.T) {
	p, _ := Load("volatile")
	sha := p.SHA256()
	p.AddFiles([]string{"/srv/app/*.log"}, []string{"/srv/app/secret.log"})
	p.AddFiles([]string{"/opt/x"}, nil)
	if len(p.Files) != 1 || p.Files[0].Name != CommandLineGroup || !p.Files[0].FromCommandLine ||
		!slices.Equal(p.Files[0].Include, []string{"/srv/app/*.log", "/opt/x"}) ||
		!slices.Equal(p.Files[0].Exclude, []string{"/srv/app/secret.log"}) {
		t.Errorf("%+v", p.Files)
	}
	if p.SHA256() != sha {
		t.Error("AddFiles changed the definition digest")
	}
	tri, _ := Load("triage")
	n := len(tri.Files)
	tri.AddFiles(nil, []string{"/var/log/huge.log"})
	if len(tri.Files) != n {
		t.Error("an exclude alone added a group")
	}
	for _, g := range tri.Files {
		if !slices.Contains(g.Exclude, "/var/log/huge.log") {
			t.Errorf("group %s lacks the command line's exclude", g.Name)
		}
	}
	cs, err := tri.Collectors(BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if last := cs[len(cs)-1].(*collect.Files); last.Name() != "journal" {
		t.Errorf("last collector %s", last.Name())
	}
	bad, _ := Load("volatile")
	bad.AddFiles([]string{"relative/path"}, nil)
	if _, err := bad.Collectors(BuildOptions{}); err == nil || !strings.Contains(err.Error(), "not absolute") {
		t.Errorf("bad --include: %v", err)
	}
}

// TestCollectorsOrder: volatile collectors first in RFC 3227 order
// whatever order the file lists them in, then file groups in file order;
// options reach the collectors.
func TestCollectorsOrder(t *testing.T) {
	p, err := Parse([]byte("collectors: [system, users, processes, network]\nfiles:\n  - group: z\n    include: [/z]\n  - group: a\n    include: [/a]\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ref := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cs, err := p.Collectors(BuildOptions{ReferenceTime: &ref})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name())
	}
	want := []string{"network", "processes", "users", "system", "z", "a"}
	if !slices.Equal(names, want) {
		t.Errorf("order %v, want %v", names, want)
	}
	if sys := cs[3].(*collect.System); sys.ReferenceTime == nil || !sys.ReferenceTime.Equal(ref) {
		t.Error("reference time not passed to the system collector")
	}
	if procs := cs[1].(*collect.Processes); procs.NoEnviron {
		t.Error("no_environ set without being asked")
	}
	p.Options.NoEnviron = true
	cs, _ = p.Collectors(BuildOptions{})
	if procs := cs[1].(*collect.Processes); !procs.NoEnviron {
		t.Error("the profile's no_environ did not reach the processes collector")
	}
	p.CollectorNames = append(p.CollectorNames, "memory")
	if _, err := p.Collectors(BuildOptions{}); err == nil || !strings.Contains(err.Error(), `"memory"`) {
		t.Errorf("unknown collector: %v", err)
	}
}

func TestParseByteSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1048576": 1 << 20, "64MiB": 64 << 20, "1 GiB": 1 << 30, "1GB": 1e9, "5KB": 5000, "7B": 7, "2TiB": 2 << 40} {
		if got, err := ParseByteSize(in); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5GiB", "10 parsecs", "GiB", "9223372036854775808"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

// FuzzParseProfile: any bytes give a profile or a *Error, never a
// panic; a profile that parses has valid globs and known collectors, and
// builds its collectors.
func FuzzParseProfile(f *testing.F) {
	for _, n := range []string{"triage", "full", "volatile"} {
		b, _ := builtinFS.ReadFile("profiles/" + n + ".yaml")
		f.Add(b)
	}
	ents, _ := os.ReadDir(profileDir)
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join(profileDir, e.Name()))
		f.Add(b)
	}
	f.Add([]byte("files: [{group: a, include: ['/**/x'], max_file_bytes: 1KiB}]"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b, "fuzz.yaml")
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if p.SHA256() != sha256hex(b) {
			t.Fatal("digest is not of the input")
		}
		if len(p.CollectorNames) == 0 && len(p.Files) == 0 {
			// "collectors: []": a profile for what --include names
			// (testdata/fuzz/FuzzParseProfile/8336828c4de9a5a5).
			if _, err := p.Collectors(BuildOptions{}); err == nil {
				t.Fatal("a profile that collects nothing builds without --include")
			}
			p.AddFiles([]string{"/x"}, nil)
		}
		if _, err := p.Collectors(BuildOptions{}); err != nil {
			t.Fatalf("parsed profile does not build: %v", err)
		}
	})
}

func sha256hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestCollectorNames: the collector a profile's name builds calls itself
// by that name, which its records and the collect summary carry. A
// mismatch would file what a profile asked for as "network" under another
// name than the profile, 'hozen profiles' and the docs use.
func TestCollectorNames(t *testing.T) {
	names := KnownCollectors()
	if len(names) != len(collectorOrder) || len(names) == 0 {
		t.Fatalf("KnownCollectors() = %q for %d constructors", names, len(collectorOrder))
	}
	for i, c := range collectorOrder {
		if got := c.make(BuildOptions{}).Name(); got != c.name || names[i] != c.name {
			t.Errorf("profile name %q builds a collector named %q (listed as %q)", c.name, got, names[i])
		}
	}
}

// triage gives its slow collectors a time budget; a bad one is refused
// with its line.
func TestHeavyCollectorTime(t *testing.T) {
	p, err := Load("triage")
	if err != nil {
		t.Fatal(err)
	}
	if p.Options.HeavyCollectorTime != time.Second {
		t.Fatalf("triage heavy_collector_time %v", p.Options.HeavyCollectorTime)
	}
	cs, err := p.Collectors(BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, c := range cs {
		switch c := c.(type) {
		case *collect.Packages:
			n++
			if c.MaxTime != time.Second || !c.Priority {
				t.Errorf("packages %+v", c)
			}
		case *collect.ExeHashes:
			n++
			if c.HashTime != time.Second {
				t.Errorf("exe-hashes %+v", c)
			}
		case *collect.TmpPlacesCollector:
			n++
			if c.MaxTime != time.Second {
				t.Errorf("tmpplaces %+v", c)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d of the 3 slow collectors in triage", n)
	}
	full, err := Load("full")
	if err != nil {
		t.Fatal(err)
	}
	if full.Options.HeavyCollectorTime != 0 {
		t.Errorf("full has a heavy_collector_time: %v", full.Options.HeavyCollectorTime)
	}
	_, err = Parse([]byte("name: x\ncollectors: [packages]\noptions:\n  heavy_collector_time: soon\n"), "x.yaml")
	if err == nil || !strings.Contains(err.Error(), "x.yaml:4:") || !strings.Contains(err.Error(), "positive duration") {
		t.Errorf("bad duration: %v", err)
	}
}
