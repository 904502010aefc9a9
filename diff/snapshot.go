package diff

import (
	"time"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/manifest"
)

// Snapshot is what one bundle holds that a comparison needs. A nil slice
// is a section the bundle did not hold (not compared); an empty one is a
// section it held with nothing in it.
type Snapshot struct {
	// Name is the bundle's file name, as the output shows it.
	Name       string           `json:"bundle"`
	BundleID   string           `json:"bundle_id"`
	CaseID     string           `json:"case_id"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt *time.Time       `json:"finished_at,omitempty"`
	Host       manifest.Host    `json:"host"`
	Profile    manifest.Profile `json:"profile"`
	// Status is how the bundle verified; Reason why it is not intact;
	// Records how many records verified.
	Status  bundle.Status `json:"status"`
	Reason  string        `json:"reason,omitempty"`
	Records int64         `json:"records_verified"`

	Processes []Process `json:"-"`
	Sockets   []Socket  `json:"-"`
	Users     []User    `json:"-"`
	Groups    []Group   `json:"-"`
	Logins    []Login   `json:"-"`
	Files     []File    `json:"-"`
	Modules   []Module  `json:"-"`
	Findings  []Finding `json:"-"`

	Persistence  []PersistEntry `json:"-"`
	Packages     []Package      `json:"-"`
	PackageFiles []PackageFile  `json:"-"`
	// VerifyScope is the package verification's scope (programs, all).
	VerifyScope string       `json:"-"`
	RawSockets  []RawSocket  `json:"-"`
	BPFPrograms []BPFProgram `json:"-"`
	Containers  []Container  `json:"-"`

	Notes []string `json:"notes,omitempty"`
}

// Process is one process, as far as a comparison looks.
type Process struct {
	PID        int                `json:"pid"`
	PPID       int                `json:"ppid"`
	Name       manifest.BString   `json:"name"`
	User       string             `json:"user,omitempty"`
	UID        *uint32            `json:"uid,omitempty"`
	EUID       *uint32            `json:"euid,omitempty"`
	Start      *time.Time         `json:"start_time,omitempty"`
	StartTicks uint64             `json:"start_ticks,omitempty"`
	Argv       []manifest.BString `json:"argv"`
	Exe        manifest.BString   `json:"exe,omitempty"`
	ExeSHA256  string             `json:"exe_sha256,omitempty"`
	ExeDeleted bool               `json:"exe_deleted,omitempty"`
	Kernel     bool               `json:"kernel_thread,omitempty"`
}

// Socket is one TCP or UDP socket.
type Socket struct {
	Proto     string   `json:"proto"`
	State     string   `json:"state"`
	Local     string   `json:"local"`
	Remote    string   `json:"remote"`
	NetNS     uint64   `json:"netns,omitempty"`
	Listening bool     `json:"listening"`
	User      string   `json:"user,omitempty"`
	Owners    []string `json:"owners"` // "pid/name", sorted
}

// User is one /etc/passwd entry.
type User struct {
	Name  manifest.BString `json:"name"`
	UID   int64            `json:"uid"`
	GID   int64            `json:"gid"`
	GECOS manifest.BString `json:"gecos"`
	Home  manifest.BString `json:"home"`
	Shell manifest.BString `json:"shell"`
}

// Group is one /etc/group entry.
type Group struct {
	Name    manifest.BString   `json:"name"`
	GID     int64              `json:"gid"`
	Members []manifest.BString `json:"members"`
}

// Login is one utmp or wtmp record.
type Login struct {
	// Kind is "session" (utmp: logged in at collection) or "history"
	// (wtmp).
	Kind    string           `json:"kind"`
	Source  string           `json:"source"`
	Time    time.Time        `json:"time"`
	Type    string           `json:"type"`
	User    manifest.BString `json:"user"`
	Line    manifest.BString `json:"line"`
	Host    manifest.BString `json:"host"`
	Address string           `json:"address,omitempty"`
	PID     int32            `json:"pid"`
}

// File is one record of a collected host file (a path under files/).
type File struct {
	Path    manifest.BString  `json:"path"` // the bundle path
	Source  manifest.BString  `json:"source"`
	Entry   string            `json:"entry"`
	Outcome string            `json:"outcome"`
	SHA256  string            `json:"sha256,omitempty"`
	Size    int64             `json:"size"`
	Mode    string            `json:"mode,omitempty"`
	UID     *int64            `json:"uid,omitempty"`
	GID     *int64            `json:"gid,omitempty"`
	Link    *manifest.BString `json:"link_target,omitempty"`
	Mtime   *time.Time        `json:"mtime,omitempty"`
}

// Module is one loaded kernel module.
type Module struct {
	Name  string `json:"name"`
	Size  int64  `json:"size"`
	State string `json:"state,omitempty"`
	Taint string `json:"taint,omitempty"`
}

// Finding is one finding of the collection's rules.
type Finding struct {
	Rule     string           `json:"rule"`
	Severity string           `json:"severity"`
	Title    string           `json:"title"`
	Path     manifest.BString `json:"path,omitempty"`
	PID      int              `json:"pid,omitempty"`
}
