package artifact

import (
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// OutcomeAbsent is a login file's outcome when the host has no such file.
const OutcomeAbsent = "absent"

// LoginLayout describes the record layout the login files were parsed with.
const LoginLayout = "glibc struct utmp, 384 bytes, little endian, 32-bit tv_sec read as unsigned"

// LoginFile is one parsed utmp, wtmp or btmp file.
type LoginFile struct {
	Source string `json:"source"`
	Size   int64  `json:"size"`
	// Outcome is a manifest outcome, or OutcomeAbsent.
	Outcome string             `json:"outcome"`
	Errors  []string           `json:"errors,omitempty"`
	Records []LoginRecord      `json:"records"`
	File    *manifest.FileMeta `json:"file,omitempty"`
}

// LoginFiles is the JSON of sessions.json, logins.json and
// failed_logins.json.
type LoginFiles struct {
	Header
	Layout string      `json:"layout"`
	Files  []LoginFile `json:"files"`
}

// LastlogEntry is one uid's last login.
type LastlogEntry struct {
	Lastlog
	// NoAccount marks a uid that /etc/passwd does not name (a deleted
	// account, or one that was never there).
	NoAccount bool `json:"no_account,omitempty"`
}

// LastlogFile is lastlog.json.
type LastlogFile struct {
	Header
	Source  string             `json:"source"`
	Size    int64              `json:"size"`
	Outcome string             `json:"outcome"`
	Errors  []string           `json:"errors,omitempty"`
	Entries []LastlogEntry     `json:"entries"`
	File    *manifest.FileMeta `json:"file,omitempty"`
}

// Account is one line of /etc/passwd.
type Account struct {
	Name  manifest.BString `json:"name"`
	UID   int64            `json:"uid"`
	GID   int64            `json:"gid"`
	GECOS manifest.BString `json:"gecos"`
	Home  manifest.BString `json:"home"`
	Shell manifest.BString `json:"shell"`
	// Line is the 1-based line in /etc/passwd.
	Line int `json:"line"`
}

// Group is one line of /etc/group.
type Group struct {
	Name    manifest.BString   `json:"name"`
	GID     int64              `json:"gid"`
	Members []manifest.BString `json:"members"`
	Line    int                `json:"line"`
}

// Accounts is accounts.json.
type Accounts struct {
	Header
	Users  []Account `json:"users"`
	Groups []Group   `json:"groups"`
	// UID0 names every account with uid 0 (more than root is a finding).
	UID0   []manifest.BString `json:"uid0"`
	Errors []string           `json:"errors,omitempty"`
}

// LoginRecord is one parsed struct utmp. Strings are byte strings: a host may
// hold any bytes there, and they are kept exactly.
type LoginRecord struct {
	// Offset is the record's byte offset in its file.
	Offset   int64            `json:"offset"`
	Type     int16            `json:"type"`
	TypeName string           `json:"type_name"`
	PID      int32            `json:"pid"`
	Line     manifest.BString `json:"line"`
	ID       manifest.BString `json:"id"`
	User     manifest.BString `json:"user"`
	Host     manifest.BString `json:"host"`
	// ExitTermination and ExitStatus are ut_exit (DEAD_PROCESS records).
	ExitTermination int16 `json:"exit_termination"`
	ExitStatus      int16 `json:"exit_status"`
	Session         int32 `json:"session"`
	// Time is ut_tv in UTC; TimeSec is tv_sec as stored.
	Time    time.Time `json:"time"`
	TimeSec uint32    `json:"time_sec"`
	// Address is ut_addr_v6 as an IPv4 or IPv6 address; "" when zero.
	Address string `json:"address,omitempty"`
}

// Lastlog is the last login of one uid.
type Lastlog struct {
	UID uint32 `json:"uid"`
	// User is the name /etc/passwd gives the uid, filled by the caller.
	User    string           `json:"user,omitempty"`
	Time    time.Time        `json:"time"`
	TimeSec uint32           `json:"time_sec"`
	Line    manifest.BString `json:"line"`
	Host    manifest.BString `json:"host"`
}

// NativeSession is a current session as the OS reports it (gopsutil).
type NativeSession struct {
	User     string    `json:"user"`
	Terminal string    `json:"terminal"`
	Host     string    `json:"host"`
	Started  time.Time `json:"started"`
}

// NativeSessions is volatile/users/sessions.json off Linux.
type NativeSessions struct {
	Header
	Source   string          `json:"source"`
	Sessions []NativeSession `json:"sessions"`
	Errors   []string        `json:"errors,omitempty"`
}
