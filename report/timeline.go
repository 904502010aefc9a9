package report

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hozen-dfir/hozen/manifest"
)

// Kinds of timeline events.
const (
	KindFile       = "file"
	KindProcess    = "process"
	KindLogin      = "login"
	KindCustody    = "custody"
	KindCollection = "collection"
)

// Event is one point of the timeline. Its JSON (and CSV columns) follow
// Timesketch's import format: message, datetime (ISO 8601, UTC),
// timestamp_desc, and extra fields.
type Event struct {
	Time time.Time `json:"-"`
	// Desc says what the time is: "Modification Time", "Process Start"...
	Desc    string `json:"timestamp_desc"`
	Kind    string `json:"data_type"`
	Message string `json:"message"`
	// Path is a host path (files), Artifact the path in the bundle.
	Path     manifest.BString `json:"path,omitempty"`
	Artifact manifest.BString `json:"artifact,omitempty"`
	PID      int              `json:"pid,omitempty"`
	User     string           `json:"user,omitempty"`
	Host     string           `json:"host,omitempty"`
	SHA256   string           `json:"sha256,omitempty"`
	// Argv is a process's exact command line.
	Argv []manifest.BString `json:"argv,omitempty"`
	// Offset is where a log event is in Artifact: a line's first byte (in
	// the decompressed stream of a .gz file), a journal entry's object.
	Offset *int64 `json:"offset,omitempty"`
	// Note records an assumption the time rests on (a syslog line's
	// inferred year and zone).
	Note string `json:"note,omitempty"`
}

// Format of the datetime column: ISO 8601 in UTC with microseconds, as
// Timesketch writes it.
const datetimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// Timeline returns the events of the report, oldest first: the m/a/c/b
// times of every file record, process starts, logins (wtmp, btmp, the
// sessions of utmp), custody events and the collection itself.
func (r *Report) Timeline() []Event {
	var out []Event
	host := r.Summary.Host.Hostname
	add := func(e Event) {
		if e.Time.IsZero() {
			return
		}
		e.Time = e.Time.UTC()
		if e.Host == "" {
			e.Host = host
		}
		out = append(out, e)
	}
	for _, a := range r.Artifacts {
		f := a.File
		if f == nil {
			continue
		}
		src := Display(string(a.Source))
		for _, t := range []struct {
			t    *time.Time
			desc string
			flag string
		}{{&f.Mtime, "Modification Time", "m"}, {f.Atime, "Last Access Time", "a"}, {f.Ctime, "Metadata Modification Time", "c"}, {f.Btime, "Creation Time", "b"}} {
			if t.t == nil {
				continue
			}
			add(Event{Time: *t.t, Desc: t.desc, Kind: KindFile, Message: fmt.Sprintf("[%s] %s (%s, %s)", t.flag, src, f.Type, a.Collector),
				Path: a.Source, Artifact: a.Path, SHA256: a.SHA256, User: ownerOf(f)})
		}
	}
	r.Walk(func(p *Process) {
		if p.Start == nil {
			return
		}
		msg := fmt.Sprintf("process %d (%s) started by %s: %s", p.PID, Display(string(p.Name)), p.User, Cmdline(p.Argv))
		if p.ExeDeleted {
			msg += " [executable deleted]"
		}
		if p.Hidden {
			msg += " [hidden from /proc]"
		}
		add(Event{Time: *p.Start, Desc: "Process Start", Kind: KindProcess, Message: msg, Path: p.Exe, PID: p.PID, User: p.User, SHA256: p.ExeSHA256, Argv: p.Argv})
	})
	for _, l := range r.Logins.History {
		add(loginEvent(l, false))
	}
	for _, l := range r.Logins.Failed {
		add(loginEvent(l, true))
	}
	if len(r.Logins.History) == 0 {
		for _, l := range r.Logins.Sessions {
			add(loginEvent(l, false))
		}
	}
	if c := r.Custody; c != nil {
		for _, e := range c.Events {
			msg := fmt.Sprintf("custody: %s by %s", e.Action, e.Actor)
			if e.Recipient != "" {
				msg += " to " + e.Recipient
			}
			if e.Location != "" {
				msg += " at " + e.Location
			}
			if e.Reason != "" {
				msg += ": " + e.Reason
			}
			add(Event{Time: e.At, Desc: "Custody " + string(e.Action), Kind: KindCustody, Message: msg, User: e.Actor, Host: e.Host, SHA256: e.BundleSHA256})
		}
	}
	for _, l := range r.Logs {
		add(logEvent(l))
	}
	s := r.Summary
	add(Event{Time: s.StartedAt, Desc: "Collection Start", Kind: KindCollection, Message: fmt.Sprintf("hozen collection %s of case %s started by %s", s.BundleID, s.CaseID, s.Examiner), User: s.Examiner})
	if s.FinishedAt != nil {
		add(Event{Time: *s.FinishedAt, Desc: "Collection End", Kind: KindCollection, Message: fmt.Sprintf("hozen collection %s sealed", s.BundleID), User: s.Examiner})
	}
	slices.SortStableFunc(out, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return out
}

func ownerOf(f *manifest.FileMeta) string {
	switch {
	case f.Owner != "":
		return f.Owner
	case f.UID != nil:
		return strconv.FormatInt(*f.UID, 10)
	}
	return ""
}

func loginEvent(l Login, failed bool) Event {
	desc, verb := "Login", "login"
	switch {
	case failed:
		desc, verb = "Failed Login", "failed login"
	case l.Type == "DEAD_PROCESS":
		desc, verb = "Logout", "logout"
	case l.Type == "BOOT_TIME":
		desc, verb = "Boot", "boot"
	case l.Type == "RUN_LVL":
		desc, verb = "Runlevel Change", "runlevel change"
	case l.Type != "USER_PROCESS":
		desc, verb = l.Type, strings.ToLower(l.Type)
	}
	msg := fmt.Sprintf("%s of %s on %s", verb, Display(string(l.User)), Display(string(l.Line)))
	if l.Host != "" {
		msg += " from " + Display(string(l.Host))
	}
	if l.Address != "" && l.Address != string(l.Host) {
		msg += " (" + l.Address + ")"
	}
	msg += " [" + l.Source + "]"
	return Event{Time: l.Time, Desc: desc, Kind: KindLogin, Message: msg, PID: int(l.PID), User: Display(string(l.User)), Path: manifest.BString(l.Source)}
}

// CSVColumns are the columns of [WriteCSV], Timesketch's three first.
var CSVColumns = []string{"message", "datetime", "timestamp_desc", "timestamp", "data_type", "path", "artifact", "pid", "user", "host", "sha256", "command_line", "offset", "note"}

// WriteCSV writes the events as CSV (RFC 4180) with a header row, in the
// columns Timesketch imports. Paths that are not printable UTF-8 are
// written as Display shows them. command_line is a process's arguments
// joined by single spaces, as they were (commas, quotes and newlines kept;
// CSV quoting holds them), with only bytes that are not UTF-8 escaped; the
// message carries the unambiguous shell-quoted form.
func WriteCSV(w io.Writer, events []Event) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	for _, e := range events {
		pid := ""
		if e.PID != 0 {
			pid = strconv.Itoa(e.PID)
		}
		off := ""
		if e.Offset != nil {
			off = strconv.FormatInt(*e.Offset, 10)
		}
		if err := cw.Write([]string{e.Message, e.Time.UTC().Format(datetimeFormat), e.Desc, strconv.FormatInt(e.Time.UnixMicro(), 10),
			e.Kind, Display(string(e.Path)), Display(string(e.Artifact)), pid, e.User, e.Host, e.SHA256, rawCmdline(e.Argv), off, e.Note}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSONL writes one JSON object per event and line, with Timesketch's
// fields (message, datetime, timestamp_desc, timestamp in microseconds)
// and the extra ones. Paths keep their exact bytes as manifest.BString
// does ({"b64":...} for bytes that are not UTF-8).
func WriteJSONL(w io.Writer, events []Event) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, e := range events {
		v := struct {
			Event
			Datetime  string `json:"datetime"`
			Timestamp int64  `json:"timestamp"`
		}{e, e.Time.UTC().Format(datetimeFormat), e.Time.UnixMicro()}
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteBodyfile writes The Sleuth Kit 3.x body format, one line per file
// record and one per other event:
//
//	MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime
//
// Times are Unix seconds. A file's name is its host path, and a time the
// record lacks is 0 (TSK's own "unknown"; mactime lists it at time 0, as
// it does for fls output); a record with no time at all is left out.
// Other events (processes, logins, log lines, the collection) are named
// "[kind] message", with the event's time in all four columns, so that
// mactime shows each once, as "macb", at its time and never at time 0: a
// non-file line's "macb" means "the event's time". A log line is
// "[log] /var/log/auth.log@OFFSET: prog[pid]: msg". A name's '|',
// backslash and unprintable bytes are escaped as \xNN (and \\), so every
// line has exactly 11 fields and `mactime -b` reads it.
func WriteBodyfile(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	secs := func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "0"
		}
		return strconv.FormatInt(t.Unix(), 10)
	}
	for _, a := range r.Artifacts {
		f := a.File
		if f == nil {
			continue
		}
		mt := f.Mtime
		if mt.IsZero() && zeroTime(f.Atime) && zeroTime(f.Ctime) && zeroTime(f.Btime) {
			continue
		}
		md5 := cmp.Or(a.MD5, "0")
		uid, gid := "0", "0"
		if f.UID != nil {
			uid = strconv.FormatInt(*f.UID, 10)
		}
		if f.GID != nil {
			gid = strconv.FormatInt(*f.GID, 10)
		}
		name := bodyName(string(a.Source))
		if f.LinkTarget != nil {
			name += " -> " + bodyName(string(*f.LinkTarget))
		}
		fmt.Fprintf(bw, "%s|%s|%d|%s|%s|%s|%d|%s|%s|%s|%s\n", md5, name, f.Inode, cmp.Or(f.Mode, "----------"), uid, gid, f.Size,
			secs(f.Atime), secs(&mt), secs(f.Ctime), secs(f.Btime))
	}
	for _, e := range r.Timeline() {
		if e.Kind == KindFile {
			continue
		}
		t := secs(&e.Time)
		name := "[" + e.Kind + "] " + e.Message
		if e.Kind == KindLog && e.Offset != nil {
			name = fmt.Sprintf("[%s] %s@%d: %s", e.Kind, Display(string(e.Path)), *e.Offset, e.Message)
		}
		fmt.Fprintf(bw, "0|%s|0|----------|0|0|0|%s|%s|%s|%s\n", bodyName(name), t, t, t, t)
	}
	return bw.Flush()
}

func zeroTime(t *time.Time) bool { return t == nil || t.IsZero() }

func bodyName(s string) string {
	d := Display(s)
	if strings.ContainsRune(d, '|') {
		if d == s {
			d = strings.ReplaceAll(d, `\`, `\\`)
		}
		d = strings.ReplaceAll(d, "|", `\x7c`)
	}
	return d
}

// rawCmdline joins argv with spaces, keeping every valid UTF-8 argument as
// it is and escaping only one that is not.
func rawCmdline(argv []manifest.BString) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = string(a)
		if !utf8.ValidString(parts[i]) {
			parts[i] = Display(parts[i])
		}
	}
	return strings.Join(parts, " ")
}
