package report

import (
	"archive/tar"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/logparse"
	"github.com/hozen-dfir/hozen/manifest"
)

// KindLog is a timeline event read from a log file or the journal.
const KindLog = "log"

// logState is what the builder keeps of the logs while the bundle streams.
type logState struct {
	// Read from the data entry; its record follows, and only a record
	// that vouches for it lets it into the report.
	pending        *logparse.SyslogFile
	pendingJournal *pendingJournal
	files          []syslogFile
	events         []logparse.Event
	notes          []string
}

// pendingJournal is a journal file read from its data entry, waiting for
// its record.
type pendingJournal struct {
	source string
	events []logparse.Event
	notes  []string
}

// syslogFile is a syslog-style file and its record: its mtime dates the
// lines that carry no year.
type syslogFile struct {
	f     *logparse.SyslogFile
	mtime time.Time
	host  manifest.BString
}

// logData reads a data entry that is a log (logparse.Classify). It reports
// whether the entry was one.
func (b *builder) logData(h *tar.Header, body io.Reader) (bool, error) {
	kind, gz := logparse.Classify(h.Name)
	switch kind {
	case logparse.KindSyslog:
		f, err := logparse.ReadSyslog(body, h.Name, gz, b.opts.LogLimits)
		b.logs.pending = f
		return true, err
	case logparse.KindJournal:
		max := cmp.Or(b.opts.LogLimits.MaxBytes, logparse.DefaultMaxBytes)
		data, err := io.ReadAll(io.LimitReader(body, max))
		if err != nil {
			return true, err
		}
		jf := logparse.ReadJournal(data, h.Name, b.opts.LogLimits)
		pj := &pendingJournal{source: h.Name, events: jf.Events}
		if h.Size > max {
			pj.notes = append(pj.notes, fmt.Sprintf("%s: only the first %d of its %d bytes are read (the limit)", h.Name, max, h.Size))
		}
		pj.notes = append(pj.notes, jf.Notes...)
		b.logs.pendingJournal = pj
		return true, nil
	}
	return false, nil
}

// logRecord pairs a log read from its data entry with its record: the
// verifier hands over a record only once it verified, so a log whose
// record failed, or never came (a cut bundle), stays out of the report.
func (b *builder) logRecord(rec *manifest.Record) {
	f, pj := b.logs.pending, b.logs.pendingJournal
	b.logs.pending, b.logs.pendingJournal = nil, nil
	if rec.Entry != manifest.EntryFile {
		return
	}
	if pj != nil && string(rec.Path) == pj.source {
		b.logs.events = append(b.logs.events, pj.events...)
		b.logs.notes = append(b.logs.notes, pj.notes...)
		return
	}
	if f == nil || string(rec.Path) != f.Source {
		return
	}
	var mt time.Time
	if rec.File != nil {
		mt = rec.File.Mtime
	}
	b.logs.files = append(b.logs.files, syslogFile{f: f, mtime: mt, host: rec.Source})
}

// addLogs dates the syslog lines (in the host's zone, from
// system.json) and keeps every log event for the timeline.
func (r *Report) addLogs(b *builder) {
	if len(b.logs.files) == 0 && len(b.logs.events) == 0 && len(b.logs.notes) == 0 {
		return
	}
	loc, how := r.hostZone(b)
	if len(b.logs.files) > 0 {
		r.Notes = append(r.Notes, "syslog lines with no year are read in "+how)
	}
	for _, sf := range b.logs.files {
		r.Logs = append(r.Logs, sf.f.Events(sf.mtime, loc)...)
		b.logs.notes = append(b.logs.notes, sf.f.Notes...)
	}
	r.Logs = append(r.Logs, b.logs.events...)
	r.Notes = append(r.Notes, b.logs.notes...)
}

// hostZone is the zone the host wrote its syslog lines in: the zone named
// by /etc/localtime or /etc/timezone, when this machine knows it; else the
// collector's own UTC offset (no daylight saving); else UTC. It says which.
func (r *Report) hostZone(b *builder) (*time.Location, string) {
	var sys artifact.SystemInfo
	if raw, ok := b.json[artifact.PathSystem]; ok {
		_ = json.Unmarshal(raw, &sys)
	}
	for _, name := range []string{sys.TimeZone.FromLink, sys.TimeZone.Name, r.Summary.Clock.TimeZone} {
		if name == "" || strings.ContainsAny(name, " \x00") {
			continue
		}
		if loc, err := time.LoadLocation(name); err == nil {
			return loc, "the host's zone " + name
		}
	}
	if off := sys.TimeZone.UTCOffsetSeconds; off != nil {
		return time.FixedZone(fmt.Sprintf("UTC%+03d:%02d", *off/3600, abs(*off%3600)/60), *off), "the host's UTC offset at collection (no daylight saving change applied)"
	}
	return time.UTC, "UTC: the host's zone is not known (assumed)"
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// logEvent is a log line or journal entry as a timeline event.
func logEvent(e logparse.Event) Event {
	desc := "Log Entry"
	if e.Format == logparse.FormatJournal {
		desc = "Journal Entry"
	}
	msg := e.Message
	if e.Ident != "" {
		if e.PID != 0 {
			msg = fmt.Sprintf("%s[%d]: %s", e.Ident, e.PID, msg)
		} else {
			msg = e.Ident + ": " + msg
		}
	}
	if e.Unit != "" {
		msg += " (" + e.Unit + ")"
	}
	note := e.Note
	if e.Decompressed {
		note = strings.TrimPrefix(note+"; offset in the decompressed stream", "; ")
	}
	off := e.Offset
	host := strings.TrimPrefix(e.Source, "files")
	return Event{Time: e.Time, Desc: desc, Kind: KindLog, Message: Display(msg), Path: manifest.BString(host),
		Artifact: manifest.BString(e.Source), PID: e.PID, Host: Display(e.Host), Offset: &off, Note: note}
}
