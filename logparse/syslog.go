package logparse

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// SyslogFile is a syslog-style file read line by line. The times of its
// RFC 3164 lines have no year until [SyslogFile.Events] infers it from the
// file's modification time, which a bundle records after the file's bytes.
type SyslogFile struct {
	Source       string
	Decompressed bool
	// Notes say what was skipped or cut, and why.
	Notes []string
	lines []line
}

// line is one parsed line; a RFC 3164 line's time is its month, day and
// clock with the year 2000 (a leap year, so that Feb 29 exists).
type line struct {
	off     int64
	rfc3164 bool
	t       time.Time // RFC 3164: in year 2000, UTC fields; else absolute
	host    string
	ident   string
	pid     int
	prio    int
	msg     string
}

// ReadSyslog reads a syslog-style file from r; gz says it is gzip
// compressed (the offsets are then in the decompressed stream). It reads at
// most lim.MaxBytes (decompressed) and keeps lim.MaxEvents lines, and says
// so in Notes when it stops early. The error is one of reading r; what
// was read before it is kept.
func ReadSyslog(r io.Reader, source string, gz bool, lim Limits) (*SyslogFile, error) {
	lim = lim.norm()
	f := &SyslogFile{Source: source, Decompressed: gz}
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			f.Notes = append(f.Notes, fmt.Sprintf("%s: not gzip: %v", source, err))
			return f, nil
		}
		defer zr.Close()
		r = zr
	}
	br := bufio.NewReaderSize(&io.LimitedReader{R: r, N: lim.MaxBytes + 1}, 64<<10)
	var off int64
	var bad int
	badAt := int64(-1)
	for {
		b, n, err := readLine(br, lim.MaxLine)
		if n > 0 {
			if off+int64(n) > lim.MaxBytes {
				f.Notes = append(f.Notes, fmt.Sprintf("%s: stopped after %d bytes%s (the limit); later lines are not in the timeline", source, lim.MaxBytes, decompressedWord(gz)))
				break
			}
			if len(f.lines) >= lim.MaxEvents {
				f.Notes = append(f.Notes, fmt.Sprintf("%s: stopped at %d lines (the limit), at offset %d%s; later lines are not in the timeline", source, lim.MaxEvents, off, decompressedWord(gz)))
				break
			}
			if l, ok := parseLine(b); ok {
				l.off = off
				f.lines = append(f.lines, l)
			} else if len(bytes.TrimSpace(b)) > 0 {
				if bad == 0 {
					badAt = off
				}
				bad++
			}
			off += int64(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			if bad > 0 {
				f.Notes = append(f.Notes, fmt.Sprintf("%s: %d lines in no syslog format were skipped (the first at offset %d)", source, bad, badAt))
			}
			return f, fmt.Errorf("%s: %w", source, err)
		}
	}
	if bad > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%s: %d lines in no syslog format were skipped (the first at offset %d)", source, bad, badAt))
	}
	return f, nil
}

func decompressedWord(gz bool) string {
	if gz {
		return " (decompressed)"
	}
	return ""
}

// readLine returns the next line without its newline, cut to max bytes,
// and the bytes it consumed (n, the line's full length with the newline).
func readLine(br *bufio.Reader, max int) ([]byte, int, error) {
	var out []byte
	n := 0
	for {
		b, err := br.ReadSlice('\n')
		n += len(b)
		if len(out) < max {
			out = append(out, b[:min(len(b), max-len(out))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		out = bytes.TrimRight(out, "\r\n")
		return out, n, err
	}
}

var months = map[string]time.Month{"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}

// parseLine parses one line: an optional <PRI>, then an RFC 3164 time
// (Mmm dd hh:mm:ss), an RFC 3339 one, or RFC 5424's version 1 and time;
// then host, tag (prog[pid]:) and message.
func parseLine(b []byte) (line, bool) {
	l := line{prio: -1}
	s := string(b)
	if len(s) > 2 && s[0] == '<' {
		if i := strings.IndexByte(s, '>'); i > 1 && i <= 4 {
			if p, err := strconv.Atoi(s[1:i]); err == nil && p >= 0 && p <= 191 {
				l.prio = p & 7
				s = s[i+1:]
			}
		}
	}
	rfc5424 := false
	if len(s) > 2 && s[0] == '1' && s[1] == ' ' {
		rfc5424 = true
		s = s[2:]
	}
	tok, rest := cut(s)
	if m, ok := months[tok]; ok && !rfc5424 {
		day, r2 := cut(rest)
		clock, r3 := cut(r2)
		d, err := strconv.Atoi(day)
		if err != nil || d < 1 || d > 31 || len(clock) != 8 || clock[2] != ':' || clock[5] != ':' {
			return l, false
		}
		hh, e1 := strconv.Atoi(clock[0:2])
		mm, e2 := strconv.Atoi(clock[3:5])
		ss, e3 := strconv.Atoi(clock[6:8])
		if e1 != nil || e2 != nil || e3 != nil || hh > 23 || mm > 59 || ss > 60 {
			return l, false
		}
		l.rfc3164 = true
		l.t = time.Date(2000, m, d, hh, mm, ss, 0, time.UTC)
		rest = r3
	} else {
		t, err := time.Parse(time.RFC3339Nano, tok)
		if err != nil {
			return l, false
		}
		l.t = t
	}
	l.host, rest = cut(rest)
	if rfc5424 {
		// APP-NAME PROCID MSGID STRUCTURED-DATA MSG
		var app, procid, sd string
		app, rest = cut(rest)
		procid, rest = cut(rest)
		_, rest = cut(rest)
		if len(rest) > 0 && rest[0] == '[' {
			if i := lastStructEnd(rest); i > 0 {
				sd, rest = rest[:i], strings.TrimPrefix(rest[i:], " ")
			}
		} else {
			sd, rest = cut(rest)
		}
		_ = sd
		l.ident = nilDash(app)
		l.pid, _ = strconv.Atoi(procid)
		l.msg = rest
		if len(l.msg) >= 3 && l.msg[:3] == "\xef\xbb\xbf" {
			l.msg = l.msg[3:]
		}
		return l, true
	}
	l.ident, l.pid, l.msg = tag(rest)
	return l, true
}

// tag splits "prog[pid]: msg" (or "prog: msg"); a message with no tag is
// returned whole.
func tag(s string) (string, int, string) {
	for i := 0; i < len(s) && i < 64; i++ {
		switch s[i] {
		case ' ':
			return "", 0, s
		case ':':
			return s[:i], 0, strings.TrimPrefix(s[i+1:], " ")
		case '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 || i+j+1 >= len(s) || s[i+j+1] != ':' {
				return "", 0, s
			}
			pid, err := strconv.Atoi(s[i+1 : i+j])
			if err != nil {
				return "", 0, s
			}
			return s[:i], pid, strings.TrimPrefix(s[i+j+2:], " ")
		}
	}
	return "", 0, s
}

func lastStructEnd(s string) int {
	// SD-ELEMENTs follow each other without a space: [a x="1"][b]
	i := 0
	for i < len(s) && s[i] == '[' {
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			return -1
		}
		i += j + 1
	}
	return i
}

func nilDash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}

// cut splits s, its leading spaces dropped, at its next space.
func cut(s string) (string, string) {
	s = strings.TrimLeft(s, " ")
	before, after, _ := strings.Cut(s, " ")
	return before, after
}

// Events returns the file's lines as events. RFC 3164 lines carry no year:
// walking from the last line back, the year starts as the year of mtime
// (the file's modification time, the last write) in loc, and steps back
// one each time a line's month and day come more than a day after the
// line that follows it (Dec 31 before Jan 1, walking backwards), so that a
// line dated after mtime's month and day is of the previous year. An RFC
// 3339 line sets the year for the lines before it. Each event's Note
// records the assumption. A zero mtime (not recorded) leaves RFC 3164
// lines out, with a note. loc is the zone the host wrote its lines in.
func (f *SyslogFile) Events(mtime time.Time, loc *time.Location) []Event {
	if loc == nil {
		loc = time.UTC
	}
	out := make([]Event, len(f.lines))
	keep := make([]bool, len(f.lines))
	var year int
	var cursor time.Time
	if !mtime.IsZero() {
		m := mtime.In(loc)
		year = m.Year()
		cursor = inYear2000(m)
	}
	anchor := fmt.Sprintf("the file's mtime %s", mtime.UTC().Format(time.RFC3339))
	skipped := 0
	for i := len(f.lines) - 1; i >= 0; i-- {
		l := f.lines[i]
		e := Event{Source: f.Source, Offset: l.off, Decompressed: f.Decompressed, Host: l.host, Ident: l.ident, PID: l.pid, Priority: l.prio, Message: l.msg}
		if !l.rfc3164 {
			e.Format, e.Time = FormatRFC3339, l.t.UTC()
			t := l.t.In(loc)
			year, cursor = t.Year(), inYear2000(t)
			anchor = fmt.Sprintf("the RFC 3339 line at offset %d", l.off)
			out[i], keep[i] = e, true
			continue
		}
		if year == 0 {
			skipped++
			continue
		}
		if l.t.After(cursor.Add(24 * time.Hour)) {
			year--
		}
		cursor = l.t
		e.Format = FormatRFC3164
		e.Time = time.Date(year, l.t.Month(), l.t.Day(), l.t.Hour(), l.t.Minute(), l.t.Second(), 0, loc).UTC()
		e.Note = fmt.Sprintf("year %d inferred from %s; time read in zone %s", year, anchor, loc)
		out[i], keep[i] = e, true
	}
	if skipped > 0 {
		f.Notes = append(f.Notes, fmt.Sprintf("%s: %d lines with no year left out: the file's mtime is not recorded", f.Source, skipped))
	}
	res := out[:0]
	for i, e := range out {
		if keep[i] {
			res = append(res, e)
		}
	}
	return res
}

func inYear2000(t time.Time) time.Time {
	return time.Date(2000, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}
