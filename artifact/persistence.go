package artifact

import (
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// PathPersistence is the persistence collector's document.
const PathPersistence = "volatile/persistence/persistence.json"

// DirPersistence is the persistence collector's directory in a bundle.
const DirPersistence = "volatile/persistence/"

// Kinds of persistence entry.
const (
	PersistCron    = "cron"            // crontab, cron.d, cron.{hourly,...}, spool crontabs
	PersistSystemd = "systemd"         // a unit file (system or user)
	PersistRC      = "rc"              // rc.local, /etc/init.d scripts
	PersistPreload = "preload"         // /etc/ld.so.preload
	PersistShell   = "shell"           // shell start-up files, system-wide and per user
	PersistKeys    = "authorized_keys" // a user's ~/.ssh/authorized_keys*
)

// Persistence is volatile/persistence/persistence.json: every place a
// program can be made to start again (cron, systemd units, rc scripts,
// ld.so.preload, shell start-up files, authorized_keys) with its times and
// the lines of it that say what runs. Entries flagged by a rule come
// first; the raw files are in the cron, systemd, rc, preload, shell and
// accounts file groups.
type Persistence struct {
	Header
	CollectedAt time.Time `json:"collected_at"`
	// Places lists the host directories and files looked at.
	Places  []string           `json:"places"`
	Count   int                `json:"count"`
	Flagged int                `json:"flagged"`
	Entries []PersistenceEntry `json:"entries"`
	// Limits says which bound was hit (entries, bytes, time), if any.
	Limits []string `json:"limits,omitempty"`
	Errors []string `json:"errors,omitempty"`
}

// PersistenceEntry is one file that can start a program.
type PersistenceEntry struct {
	Kind string           `json:"kind"`
	Path manifest.BString `json:"path"`
	// User is the account whose home holds the file, or the crontab's
	// owner, when there is one.
	User  string     `json:"user,omitempty"`
	Mode  string     `json:"mode,omitempty"`
	UID   *int64     `json:"uid,omitempty"`
	Size  int64      `json:"size"`
	MTime time.Time  `json:"mtime"`
	CTime *time.Time `json:"ctime,omitempty"`
	// DirMedian is the median change time (the later of mtime and
	// ctime) of the entries of the same directory, when it has three or
	// more: the baseline an entry's own time is judged against.
	DirMedian *time.Time `json:"dir_median,omitempty"`
	// Lines are the lines that say what runs (cron jobs, Exec*= lines,
	// preload paths, key lines) and any line a rule flagged; at most a
	// few dozen, each cut at 1 KiB.
	Lines []PersistenceLine `json:"lines"`
	// Flags are the ids of the rules that flagged this entry.
	Flags []string `json:"flags,omitempty"`
	// Truncated is set when only the first bytes or lines were read.
	Truncated bool   `json:"truncated,omitempty"`
	Error     string `json:"error,omitempty"`
}

// PersistenceLine is one line of a persistence file.
type PersistenceLine struct {
	N    int              `json:"n"`
	Text manifest.BString `json:"text"`
	// Flag is the rule that flagged this line, if any.
	Flag string `json:"flag,omitempty"`
}
