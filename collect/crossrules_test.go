package collect

import (
	"testing"

	"github.com/hozen-dfir/hozen/artifact"
)

func TestHiddenPIDFindings(t *testing.T) {
	env := &Env{}
	hiddenFindings(env, &artifact.HiddenPIDs{Hidden: []artifact.HiddenPID{
		{PID: 4242, Tgid: 4242, Kind: "process", Name: "x\xfe", SeenBy: []string{"stat", "signal"}},
		{PID: 4300, Tgid: 4242, Kind: "thread", SeenBy: []string{"stat"}},
	}})
	fs := env.findings().List()
	if len(fs) != 2 || fs[0].PID != 4242 || fs[0].Severity != artifact.SeverityHigh || fs[1].Severity != artifact.SeverityMedium {
		t.Fatalf("findings %+v", fs)
	}
	if fs[0].Title != `hidden process 4242 "x\xfe": it answers probes but /proc does not list it` {
		t.Errorf("title %q: want the name quoted, its odd bytes escaped", fs[0].Title)
	}
	if fs[0].Evidence[0] != artifact.PathHiddenPIDs {
		t.Errorf("evidence %v", fs[0].Evidence)
	}
}

func TestUnownedSocketFindings(t *testing.T) {
	env := &Env{}
	unownedFindings(env, []artifact.Socket{
		{Proto: "tcp", State: "LISTEN", LocalAddr: "0.0.0.0", LocalPort: 31337, Listening: true, Inode: 99},
		{Proto: "udp", State: "CLOSE", LocalAddr: "0.0.0.0", LocalPort: 68, Inode: 98},
	})
	fs := env.findings().List()
	if !Privileges().Root {
		if len(fs) != 0 {
			t.Fatalf("not root: %d findings, want none (other users' sockets look unowned)", len(fs))
		}
		return
	}
	if len(fs) != 2 || fs[0].Severity != artifact.SeverityHigh || fs[1].Severity != artifact.SeverityMedium {
		t.Fatalf("findings %+v: want the listening socket high, the other medium", fs)
	}
}
