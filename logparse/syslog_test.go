package logparse

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"
)

func readSyslog(t *testing.T, text string, gz bool, lim Limits) *SyslogFile {
	t.Helper()
	var r = strings.NewReader(text)
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(text))
		zw.Close()
		f, err := ReadSyslog(&buf, "files/var/log/auth.log.2.gz", true, lim)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f, err := ReadSyslog(r, "files/var/log/auth.log", false, lim)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSyslogRFC3164(t *testing.T) {
	text := "Mar  1 12:00:00 web1 sshd[4242]: Accepted publickey for ana from 10.0.0.5 port 51234 ssh2\n" +
		"Mar 1 12:00:01 web1 CRON[77]: (root) CMD (run-parts /etc/cron.hourly)\n" +
		"not a syslog line\n" +
		"<38>Mar 10 08:09:10 web1 kernel: [ 1.0] usb 1-1: new device\n"
	f := readSyslog(t, text, false, Limits{})
	mtime := time.Date(2024, 3, 10, 8, 9, 11, 0, time.UTC)
	ev := f.Events(mtime, time.UTC)
	if len(ev) != 3 {
		t.Fatalf("%d events: %+v", len(ev), ev)
	}
	want := []struct {
		t      time.Time
		off    int64
		ident  string
		pid    int
		prio   int
		prefix string
	}{
		{time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), 0, "sshd", 4242, -1, "Accepted publickey"},
		{time.Date(2024, 3, 1, 12, 0, 1, 0, time.UTC), 90, "CRON", 77, -1, "(root) CMD"},
		{time.Date(2024, 3, 10, 8, 9, 10, 0, time.UTC), 178, "kernel", 0, 6, "[ 1.0] usb"},
	}
	for i, w := range want {
		e := ev[i]
		if !e.Time.Equal(w.t) || e.Offset != w.off || e.Ident != w.ident || e.PID != w.pid || e.Priority != w.prio || !strings.HasPrefix(e.Message, w.prefix) || e.Host != "web1" || e.Format != FormatRFC3164 {
			t.Errorf("line %d: %+v, want %+v", i, e, w)
		}
		if !strings.Contains(e.Note, "year 2024 inferred from the file's mtime 2024-03-10T08:09:11Z") {
			t.Errorf("line %d: note %q", i, e.Note)
		}
		if got := text[e.Offset:]; !strings.HasPrefix(got, text[w.off:w.off+3]) {
			t.Errorf("line %d: offset %d does not start the line", i, e.Offset)
		}
	}
	if len(f.Notes) != 1 || !strings.Contains(f.Notes[0], "1 lines in no syslog format were skipped (the first at offset 160)") {
		t.Errorf("notes %v", f.Notes)
	}
}

// The year: lines after the mtime's month and day are of the previous
// year, and walking backwards over Jan 1 steps the year back.
func TestSyslogYearInference(t *testing.T) {
	text := "Nov 30 23:00:00 h a: 1\n" +
		"Dec 31 23:59:59 h a: 2\n" +
		"Jan  1 00:00:01 h a: 3\n" +
		"Jan  5 10:00:00 h a: 4\n"
	f := readSyslog(t, text, false, Limits{})
	ev := f.Events(time.Date(2025, 1, 5, 10, 0, 1, 0, time.UTC), time.UTC)
	years := []int{2024, 2024, 2025, 2025}
	for i, e := range ev {
		if e.Time.Year() != years[i] {
			t.Errorf("line %d (%s): year %d, want %d", i, e.Message, e.Time.Year(), years[i])
		}
	}
	// A file last written in March holding lines of June: last year's.
	f = readSyslog(t, "Jun 10 10:00:00 h a: old\nMar  1 00:00:00 h a: new\n", false, Limits{})
	ev = f.Events(time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), time.UTC)
	if ev[0].Time.Year() != 2023 || ev[1].Time.Year() != 2024 {
		t.Errorf("june %v, march %v", ev[0].Time, ev[1].Time)
	}
	// Two years of log: each Dec → Jan crossing steps back once more.
	f = readSyslog(t, "Feb  1 00:00:00 h a: y1\nDec 31 00:00:00 h a: y1\nJan  1 00:00:00 h a: y2\nDec 31 00:00:00 h a: y2\nJan  1 00:00:00 h a: y3\n", false, Limits{})
	ev = f.Events(time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC), time.UTC)
	for i, y := range []int{2022, 2022, 2023, 2023, 2024} {
		if ev[i].Time.Year() != y {
			t.Errorf("two years: line %d year %d, want %d", i, ev[i].Time.Year(), y)
		}
	}
	// The host's zone: 12:00 in Berlin (CET, +01:00 in March) is 11:00 UTC.
	if berlin, err := time.LoadLocation("Europe/Berlin"); err == nil {
		f = readSyslog(t, "Mar  1 12:00:00 h a: z\n", false, Limits{})
		ev = f.Events(time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), berlin)
		if !ev[0].Time.Equal(time.Date(2024, 3, 1, 11, 0, 0, 0, time.UTC)) || !strings.Contains(ev[0].Note, "zone Europe/Berlin") {
			t.Errorf("berlin: %v %q", ev[0].Time, ev[0].Note)
		}
	}
	// No mtime: the lines with no year are left out, and said so.
	f = readSyslog(t, "Mar  1 12:00:00 h a: z\n", false, Limits{})
	if ev = f.Events(time.Time{}, time.UTC); len(ev) != 0 || !strings.Contains(strings.Join(f.Notes, ""), "mtime is not recorded") {
		t.Errorf("no mtime: %v %v", ev, f.Notes)
	}
}

func TestSyslogRFC3339AndGzip(t *testing.T) {
	text := "Mar  1 11:00:09 web1 sudo: ana : COMMAND=/bin/sh\n" +
		"2024-03-01T12:00:00.123456+01:00 web1 sshd[4242]: Failed password for root\n" +
		"<34>1 2024-03-01T12:00:05.5Z web1 su 99 - [meta x=\"1\"][b] su: session opened\n"
	f := readSyslog(t, text, true, Limits{})
	ev := f.Events(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC)
	if len(ev) != 3 {
		t.Fatalf("%+v", ev)
	}
	if !ev[1].Time.Equal(time.Date(2024, 3, 1, 11, 0, 0, 123456000, time.UTC)) || ev[1].Format != FormatRFC3339 || ev[1].Note != "" || !ev[1].Decompressed {
		t.Errorf("iso: %+v", ev[1])
	}
	if ev[2].Ident != "su" || ev[2].PID != 99 || ev[2].Priority != 2 || ev[2].Message != "su: session opened" || ev[2].Offset != int64(strings.Index(text, "<34>")) {
		t.Errorf("5424: %+v", ev[2])
	}
	// The RFC 3164 line before RFC 3339 ones takes its year from them,
	// not from the (much later) mtime.
	if ev[0].Time.Year() != 2024 || ev[0].Offset != 0 || ev[0].Ident != "sudo" || !strings.Contains(ev[0].Note, "the RFC 3339 line at offset 49") {
		t.Errorf("3164 before iso: %+v", ev[0])
	}
}

// A gzip bomb stops at MaxBytes decompressed; long lines are cut; the
// event cap holds; each says so.
func TestSyslogBounds(t *testing.T) {
	line := "Mar  1 12:00:00 h a: " + strings.Repeat("x", 100) + "\n"
	f := readSyslog(t, strings.Repeat(line, 10000), true, Limits{MaxBytes: 4096})
	if n := len(f.lines); n == 0 || n > 4096/len(line) || !strings.Contains(strings.Join(f.Notes, ""), "stopped after 4096 bytes (decompressed)") {
		t.Errorf("bomb: %d lines, notes %v", n, f.Notes)
	}
	f = readSyslog(t, strings.Repeat(line, 10), false, Limits{MaxEvents: 3})
	if len(f.lines) != 3 || !strings.Contains(strings.Join(f.Notes, ""), "stopped at 3 lines") {
		t.Errorf("cap: %d, %v", len(f.lines), f.Notes)
	}
	f = readSyslog(t, "Mar  1 12:00:00 h a: "+strings.Repeat("y", 200000)+"\nMar  1 12:00:01 h a: next\n", false, Limits{MaxLine: 100})
	ev := f.Events(time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), time.UTC)
	if len(ev) != 2 || len(ev[0].Message) > 100 || ev[1].Offset != 21+200000+1 || ev[1].Message != "next" {
		t.Errorf("long line: %d events; second %+v", len(ev), ev[len(ev)-1])
	}
}

func TestClassify(t *testing.T) {
	for p, want := range map[string]string{
		"files/var/log/auth.log": KindSyslog, "files/var/log/auth.log.1": KindSyslog, "files/var/log/auth.log.2.gz": KindSyslog,
		"files/var/log/secure-20240301": KindSyslog, "files/var/log/kern.log": KindSyslog, "files/var/log/messages": KindSyslog,
		"files/var/log/syslog.7.gz": KindSyslog, "files/var/log/auth.logx": KindNone, "files/var/log/apt/history.log": KindNone,
		"files/etc/syslog": KindNone, "volatile/var/log/syslog": KindNone,
		"files/var/log/journal/0123/system.journal": KindJournal, "files/var/log/journal/0123/user-1000.journal": KindJournal,
		"files/var/log/journal/0123/system@0001-0002.journal": KindJournal, "files/var/log/journal/0123/system.journal~": KindJournal,
		"files/run/log/journal/0123/system.journal": KindJournal, "files/var/log/journal/0123/x.txt": KindNone,
	} {
		if got, _ := Classify(p); got != want {
			t.Errorf("Classify(%q) = %q, want %q", p, got, want)
		}
	}
	if _, gz := Classify("files/var/log/auth.log.2.gz"); !gz {
		t.Error("auth.log.2.gz not gzip")
	}
}

func FuzzSyslog(f *testing.F) {
	f.Add([]byte("Mar  1 12:00:00 web1 sshd[4242]: Accepted\n<34>1 2024-03-01T12:00:05.5Z web1 su 99 - [m] x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sf, err := ReadSyslog(bytes.NewReader(b), "s", false, Limits{MaxLine: 256})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range sf.Events(time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), time.UTC) {
			if e.Offset < 0 || e.Offset >= int64(len(b)) || len(e.Message) > 256 {
				t.Fatalf("offset %d of %d, message %d bytes", e.Offset, len(b), len(e.Message))
			}
		}
	})
}
