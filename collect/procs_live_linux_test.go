package collect

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// liveSnapshot runs Network and Processes against the real root.
func liveSnapshot(t testing.TB, p *Processes) *memSink {
	t.Helper()
	env := &Env{Root: "/", Now: time.Now}
	sink := &memSink{}
	ctx := context.Background()
	if err := (&Network{}).Collect(ctx, env, sink); err != nil {
		t.Fatal(err)
	}
	if err := p.Collect(ctx, env, sink); err != nil {
		t.Fatal(err)
	}
	return sink
}

// TestLive starts a listener, collects, and finds this test's process, its
// argv and the listening socket tied to its pid; then compares the pids
// with `ps -e` and the listening TCP sockets with `ss -ltn`, taken at about
// the same moment.
func TestLive(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)

	psBefore := psPIDs(t)
	ssBefore := ssListening(t)
	sink := liveSnapshot(t, &Processes{})
	psAfter := psPIDs(t)
	ssAfter := ssListening(t)

	var pt artifact.ProcessTable
	sink.decode(t, "volatile/processes/processes.json", &pt)
	var me *artifact.Process
	got := map[int]bool{}
	for i := range pt.Processes {
		got[pt.Processes[i].PID] = true
		if pt.Processes[i].PID == os.Getpid() {
			me = &pt.Processes[i]
		}
	}
	if me == nil {
		t.Fatalf("own pid %d not in the table", os.Getpid())
	}
	if len(me.Argv) != len(os.Args) {
		t.Fatalf("argv %q, want %q", me.Argv, os.Args)
	}
	for i := range os.Args {
		if string(me.Argv[i]) != os.Args[i] {
			t.Errorf("argv[%d] = %q, want %q", i, me.Argv[i], os.Args[i])
		}
	}
	if me.ExeHash == nil || len(me.ExeHash.SHA256) != 64 || me.ExeDeleted || me.StartTime == nil || me.Outcome != "ok" {
		t.Errorf("own process: %+v", me)
	}
	exe, _ := os.Executable()
	if string(me.Exe) != exe {
		t.Errorf("exe %q, want %q", me.Exe, exe)
	}

	var st artifact.SocketTable
	sink.decode(t, "volatile/network/sockets.json", &st)
	found := false
	for _, s := range st.Sockets {
		if s.Proto == "tcp" && s.LocalPort == port && s.Listening {
			for _, o := range s.Owners {
				if o.PID == os.Getpid() {
					found = true
				}
			}
			if s.OwnerStatus != artifact.OwnedBy {
				t.Errorf("listener: %+v", s)
			}
		}
	}
	if !found {
		t.Fatalf("listener 127.0.0.1:%d owned by %d not found", port, os.Getpid())
	}

	// ps: every pid in both ps listings (alive throughout) must be ours.
	for pid := range psBefore {
		if psAfter[pid] && !got[pid] {
			t.Errorf("pid %d in ps before and after, not in the table", pid)
		}
	}
	// And ours: all but those that came or went must be in ps.
	missing := 0
	for pid := range got {
		if !psBefore[pid] && !psAfter[pid] {
			missing++
		}
	}
	if missing > 3 {
		t.Errorf("%d pids in the table but in neither ps listing", missing)
	}
	var hid artifact.HiddenPIDs
	sink.decode(t, "volatile/findings/hidden_pids.json", &hid)
	if len(hid.Hidden) != 0 {
		t.Errorf("hidden pids on this host: %+v", hid.Hidden)
	}
	if hid.StatProbedTo == 0 || hid.SignalProbedTo == 0 {
		t.Errorf("probe: %+v", hid)
	}

	ours := map[string]bool{}
	for _, s := range st.Sockets {
		if s.Listening && strings.HasPrefix(s.Proto, "tcp") {
			ours[net.JoinHostPort(s.LocalAddr, strconv.Itoa(int(s.LocalPort)))] = true
		}
	}
	for a := range ssBefore {
		if ssAfter[a] && !ours[a] {
			t.Errorf("ss lists %s before and after; we do not", a)
		}
	}
	for a := range ours {
		if !ssBefore[a] && !ssAfter[a] {
			t.Errorf("we list %s; ss does not", a)
		}
	}
	t.Logf("%d processes, %d sockets, %d listening tcp; ps %d, ss %d", len(pt.Processes), len(st.Sockets), len(ours), len(psAfter), len(ssAfter))
}

func psPIDs(t testing.TB) map[int]bool {
	out, err := exec.Command("ps", "-e", "-o", "pid=").Output()
	if err != nil {
		t.Skipf("ps: %v", err)
	}
	m := map[int]bool{}
	for _, f := range strings.Fields(string(out)) {
		if n, err := strconv.Atoi(f); err == nil {
			m[n] = true
		}
	}
	return m
}

// ssListening returns "addr:port" of listening TCP sockets, as ss prints
// them normalised: "[::]:22", "127.0.0.1:80".
func ssListening(t testing.TB) map[string]bool {
	out, err := exec.Command("ss", "-ltnH").Output()
	if err != nil {
		t.Skipf("ss: %v", err)
	}
	m := map[string]bool{}
	for line := range strings.SplitSeq(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		local := f[3]
		i := strings.LastIndexByte(local, ':')
		host, port := strings.Trim(local[:i], "[]"), local[i+1:]
		host, _, _ = strings.Cut(host, "%") // "0.0.0.0%lo"
		if host == "*" {
			host = "::"
		}
		m[net.JoinHostPort(host, port)] = true
	}
	return m
}
