package logparse

import (
	"path"
	"strings"
	"time"
)

// Formats of events.
const (
	FormatRFC3164 = "rfc3164" // Mmm dd hh:mm:ss host prog[pid]: msg
	FormatRFC3339 = "rfc3339" // 2024-03-01T12:00:00.123456+01:00 host prog[pid]: msg (and RFC 5424)
	FormatJournal = "journal" // a systemd journal entry
)

// Event is one log line or journal entry.
type Event struct {
	Time time.Time
	// Source is the path of the log in the bundle.
	Source string
	// Offset is where the line starts in Source (in the decompressed
	// stream when Decompressed), or the offset of a journal entry object.
	Offset       int64
	Decompressed bool
	Format       string
	Host         string
	Ident        string // program: the syslog tag, SYSLOG_IDENTIFIER or _COMM
	PID          int
	Priority     int // 0..7; -1 when not known
	Unit         string
	Message      string
	// Note records an assumption the time rests on (the inferred year of
	// an RFC 3164 line, the zone it was read in).
	Note string
}

// Limits bound what the parsers read. Zero fields take the defaults.
type Limits struct {
	// MaxEvents is the most events kept of one file.
	MaxEvents int
	// MaxBytes is the most bytes read of one text file, after
	// decompression (a gzip bomb stops here), and of one journal file.
	MaxBytes int64
	// MaxLine is the longest line kept; longer lines are cut.
	MaxLine int
	// MaxField is the most bytes of one decompressed journal field.
	MaxField int
}

// Default limits.
const (
	DefaultMaxEvents = 200_000
	DefaultMaxBytes  = 512 << 20
	DefaultMaxLine   = 16 << 10
	DefaultMaxField  = 1 << 20
)

func (l Limits) norm() Limits {
	if l.MaxEvents <= 0 {
		l.MaxEvents = DefaultMaxEvents
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxLine <= 0 {
		l.MaxLine = DefaultMaxLine
	}
	if l.MaxField <= 0 {
		l.MaxField = DefaultMaxField
	}
	return l
}

// Kinds of log files, as Classify names them.
const (
	KindNone    = ""
	KindSyslog  = "syslog"
	KindJournal = "journal"
)

// syslogNames are the base names of the syslog-style files read.
var syslogNames = []string{"auth.log", "syslog", "messages", "secure", "kern.log"}

// Classify says whether the bundle path p is a log this package reads, and
// whether it is gzip compressed. Syslog files are read under files/var/log/
// with their rotations (auth.log, auth.log.1, auth.log.2.gz, and the
// dated rotations of other distributions: secure-20240301); journal files
// under files/var/log/journal/ or files/run/log/journal/ (system.journal,
// user-1000.journal, system@...journal, ...journal~).
func Classify(p string) (kind string, gz bool) {
	rest, ok := strings.CutPrefix(p, "files/")
	if !ok {
		return KindNone, false
	}
	dir, base := path.Split(rest)
	if strings.HasPrefix(dir, "var/log/journal/") || strings.HasPrefix(dir, "run/log/journal/") {
		if strings.HasSuffix(base, ".journal") || strings.HasSuffix(base, ".journal~") {
			return KindJournal, false
		}
		return KindNone, false
	}
	if dir != "var/log/" {
		return KindNone, false
	}
	base, gz = strings.CutSuffix(base, ".gz")
	for _, n := range syslogNames {
		r, ok := strings.CutPrefix(base, n)
		if !ok {
			continue
		}
		if r == "" || rotation(r) {
			return KindSyslog, gz
		}
	}
	return KindNone, false
}

// rotation reports whether s is a rotation suffix: .N or -YYYYMMDD.
func rotation(s string) bool {
	var digits string
	switch {
	case strings.HasPrefix(s, "."):
		digits = s[1:]
	case strings.HasPrefix(s, "-"):
		digits = s[1:]
	default:
		return false
	}
	if digits == "" || len(digits) > 10 {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
