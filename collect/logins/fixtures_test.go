package logins

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// The binary fixtures under testdata/linuxroot are generated from the
// records below with
//
//	go test ./collect/logins -run TestFixtureFiles -update
//
// and committed; the test checks that the committed bytes are still what
// the generator writes, so the layout documented in the package comment is
// what the files hold.
var update = flag.Bool("update", false, "rewrite the binary login fixtures under testdata/linuxroot")

const fixtureRoot = "../../testdata/linuxroot"

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func rec(typ int16, pid int32, line, id, user, host string, session int32, t, addr string) artifact.LoginRecord {
	tm := at(t)
	return artifact.LoginRecord{
		Type: typ, TypeName: TypeName(typ), PID: pid,
		Line: bs(line), ID: bs(id), User: bs(user), Host: bs(host),
		Session: session, Time: tm, TimeSec: uint32(tm.Unix()), Address: addr,
	}
}

// fixtureWtmp is /var/log/wtmp: a boot, a v4 login and its logout, a v6
// root login, a user name that is not UTF-8 and a line that fills its
// field with no terminating NUL.
var fixtureWtmp = []artifact.LoginRecord{
	rec(BootTime, 0, "~", "~~", "reboot", "6.8.0-45-generic", 0, "2025-03-01T08:00:00Z", ""),
	rec(RunLevel, 53, "~", "~~", "runlevel", "6.8.0-45-generic", 0, "2025-03-01T08:00:05Z", ""),
	rec(UserProcess, 1234, "pts/0", "ts/0", "alice", "203.0.113.7", 1234, "2025-03-01T09:15:30.25Z", "203.0.113.7"),
	{Type: DeadProcess, TypeName: "DEAD_PROCESS", PID: 1234, Line: "pts/0", ID: "ts/0", ExitTermination: 0, ExitStatus: 0,
		Time: at("2025-03-01T10:00:00Z"), TimeSec: uint32(at("2025-03-01T10:00:00Z").Unix())},
	rec(UserProcess, 2345, "pts/1", "ts/1", "root", "2001:db8::42", 2345, "2025-03-02T23:59:59.999999Z", "2001:db8::42"),
	rec(UserProcess, 3456, "pts/2", "ts/2", "ev\xffil", "attacker.example", 3456, "2025-03-03T03:03:03Z", "192.0.2.66"),
	rec(UserProcess, 4567, "0123456789abcdef0123456789abcdef", "x", "bob", "", 4567, "2038-01-19T03:14:08Z", ""),
}

// fixtureUtmp is /run/utmp: the current sessions.
var fixtureUtmp = []artifact.LoginRecord{
	rec(BootTime, 0, "~", "~~", "reboot", "6.8.0-45-generic", 0, "2025-03-01T08:00:00Z", ""),
	rec(RunLevel, 53, "~", "~~", "runlevel", "6.8.0-45-generic", 0, "2025-03-01T08:00:05Z", ""),
	rec(LoginProcess, 812, "tty1", "tty1", "LOGIN", "", 812, "2025-03-01T08:00:07Z", ""),
	rec(UserProcess, 2345, "pts/1", "ts/1", "root", "2001:db8::42", 2345, "2025-03-02T23:59:59.999999Z", "2001:db8::42"),
}

// fixtureBtmp is /var/log/btmp: failed logins as sshd writes them.
var fixtureBtmp = []artifact.LoginRecord{
	rec(LoginProcess, 9001, "ssh:notty", "", "admin", "198.51.100.23", 0, "2025-03-02T04:00:01Z", "198.51.100.23"),
	rec(LoginProcess, 9002, "ssh:notty", "", "oracle", "198.51.100.23", 0, "2025-03-02T04:00:03Z", "198.51.100.23"),
}

// fixtureBtmp1 is /var/log/btmp.1: two records and the first 100 bytes of
// a third, as a file cut short by a full disk would be.
var fixtureBtmp1 = []artifact.LoginRecord{
	rec(LoginProcess, 8001, "ssh:notty", "", "test", "2001:db8:bad::1", 0, "2025-02-20T12:00:00Z", "2001:db8:bad::1"),
	rec(LoginProcess, 8002, "ssh:notty", "", "guest", "198.51.100.99", 0, "2025-02-20T12:00:02Z", "198.51.100.99"),
}

const btmp1Tail = 100

// fixtureLastlog is /var/log/lastlog: uid 0 and 1000 logged in; uid 1002
// has no /etc/passwd entry any more (a deleted account).
var fixtureLastlog = []artifact.Lastlog{
	{UID: 0, TimeSec: uint32(at("2025-03-02T23:59:59Z").Unix()), Line: "pts/1", Host: "2001:db8::42"},
	{UID: 1000, TimeSec: uint32(at("2025-03-01T09:15:30Z").Unix()), Line: "pts/0", Host: "203.0.113.7"},
	{UID: 1002, TimeSec: uint32(at("2024-12-24T18:00:00Z").Unix()), Line: "pts/3", Host: "192.0.2.66"},
}

func encodeAll(rs []artifact.LoginRecord) []byte {
	var b bytes.Buffer
	for _, r := range rs {
		r.Time = r.Time.Truncate(time.Microsecond)
		b.Write(EncodeUtmp(r))
	}
	return b.Bytes()
}

func encodeLastlogFile(ls []artifact.Lastlog) []byte {
	var max uint32
	for _, l := range ls {
		max = max32(max, l.UID)
	}
	b := make([]byte, int(max+1)*LastlogSize)
	for _, l := range ls {
		copy(b[int(l.UID)*LastlogSize:], EncodeLastlog(l))
	}
	return b
}

func max32(a, b uint32) uint32 {
	if a > b {
		return a
	}
	return b
}

func fixtureFiles() map[string][]byte {
	btmp1 := encodeAll(fixtureBtmp1)
	third := EncodeUtmp(rec(LoginProcess, 8003, "ssh:notty", "", "cut", "", 0, "2025-02-20T12:00:04Z", ""))
	btmp1 = append(btmp1, third[:btmp1Tail]...)
	return map[string][]byte{
		"run/utmp":        encodeAll(fixtureUtmp),
		"var/log/wtmp":    encodeAll(fixtureWtmp),
		"var/log/btmp":    encodeAll(fixtureBtmp),
		"var/log/btmp.1":  btmp1,
		"var/log/lastlog": encodeLastlogFile(fixtureLastlog),
	}
}

func TestFixtureFiles(t *testing.T) {
	for name, want := range fixtureFiles() {
		p := filepath.Join(fixtureRoot, filepath.FromSlash(name))
		if *update {
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run with -update to generate)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator; run go test -run TestFixtureFiles -update", p)
		}
	}
}
