//go:build !linux

package collect

import (
	"context"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/shirou/gopsutil/v4/host"
)

// collectNative asks the OS for the current sessions (macOS reads
// /var/run/utmpx; Windows has none through gopsutil, which is recorded).
func (u *Users) collectNative(ctx context.Context, env *Env, sink Sink) error {
	doc := artifact.NativeSessions{Source: "gopsutil host.Users", Sessions: []artifact.NativeSession{}}
	us, err := host.UsersWithContext(ctx)
	if err != nil {
		doc.Errors = append(doc.Errors, "sessions: "+err.Error())
	}
	for _, s := range us {
		doc.Sessions = append(doc.Sessions, artifact.NativeSession{
			User: s.User, Terminal: s.Terminal, Host: s.Host,
			Started: time.Unix(int64(s.Started), 0).UTC(),
		})
	}
	return putJSONErrs(sink, artifact.PathSessions, "users", &doc, doc.Errors)
}
