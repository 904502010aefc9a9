//go:build !linux

package collect

import (
	"context"
	"time"

	"github.com/shirou/gopsutil/v4/host"
)

// NativeSession is a current session as the OS reports it (gopsutil).
type NativeSession struct {
	User     string    `json:"user"`
	Terminal string    `json:"terminal"`
	Host     string    `json:"host"`
	Started  time.Time `json:"started"`
}

// NativeSessions is volatile/users/sessions.json off Linux.
type NativeSessions struct {
	Source   string          `json:"source"`
	Sessions []NativeSession `json:"sessions"`
	Errors   []string        `json:"errors,omitempty"`
}

// collectNative asks the OS for the current sessions (macOS reads
// /var/run/utmpx; Windows has none through gopsutil, which is recorded).
func (u *Users) collectNative(ctx context.Context, env *Env, sink Sink) error {
	doc := NativeSessions{Source: "gopsutil host.Users", Sessions: []NativeSession{}}
	us, err := host.UsersWithContext(ctx)
	if err != nil {
		doc.Errors = append(doc.Errors, "sessions: "+err.Error())
	}
	for _, s := range us {
		doc.Sessions = append(doc.Sessions, NativeSession{
			User: s.User, Terminal: s.Terminal, Host: s.Host,
			Started: time.Unix(int64(s.Started), 0).UTC(),
		})
	}
	return putJSONErrs(sink, "volatile/users/sessions.json", "users", doc, doc.Errors)
}
