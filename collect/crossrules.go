package collect

import (
	"fmt"
	"strings"

	"github.com/hozen-dfir/hozen/artifact"
)

// Cross-check rules over what the processes and network collectors found.
//
//	hidden-pid      a pid answers probes but the /proc listing omits it
//	unowned-socket  a socket in the kernel's tables that no process's
//	                descriptors hold (only when running as root: without
//	                root other users' descriptors cannot be read)

// hiddenFindings flags what probeHidden found.
func hiddenFindings(env *Env, h *artifact.HiddenPIDs) {
	env.RuleRan("hidden-pid")
	for _, p := range h.Hidden {
		sev, score, what := artifact.SeverityHigh, 90, "process"
		if p.Kind == "thread" {
			sev, score, what = artifact.SeverityMedium, 60, "thread"
		}
		env.Finding(artifact.Finding{Rule: "hidden-pid", Severity: sev, Score: score, PID: p.PID,
			Title: fmt.Sprintf("hidden %s %d %q: it answers probes but /proc does not list it", what, p.PID, string(p.Name)),
			Reason: fmt.Sprintf("seen by %s, missing from the directory listing of /proc; rootkits (Diamorphine, Reptile, libprocesshider) hide processes this way. %s",
				strings.Join(p.SeenBy, " and "), p.Note),
			Evidence: []string{artifact.PathHiddenPIDs, fmt.Sprintf("%s#pid=%d", artifact.PathProcesses, p.PID)}})
	}
}

// unownedFindings flags the inet sockets no process holds.
func unownedFindings(env *Env, socks []artifact.Socket) {
	if !Privileges().Root {
		return // every other user's socket would look unowned
	}
	env.RuleRan("unowned-socket")
	for _, s := range socks {
		sev, score := artifact.SeverityMedium, 50
		if s.Listening {
			sev, score = artifact.SeverityHigh, 75
		}
		env.Finding(artifact.Finding{Rule: "unowned-socket", Severity: sev, Score: score,
			Title: fmt.Sprintf("%s socket %s:%d -> %s:%d (%s) held by no process", s.Proto, s.LocalAddr, s.LocalPort, s.RemoteAddr, s.RemotePort, s.State),
			Reason: fmt.Sprintf("inode %d: ", s.Inode) + "the kernel lists the socket, still there on a second read, but no process's descriptors point at it: a process hidden from /proc, " +
				"or a kernel-side socket (NFS, a tunnel); a listening one is how rootkit backdoors wait.",
			Evidence: []string{artifact.PathUnowned, artifact.PathSockets}})
	}
}
