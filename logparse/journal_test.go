package logparse

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The fixtures were written by systemd itself: systemd-journal-remote
// (systemd 252) turned testdata/fixture.export into compact.journal (the
// default: compact, keyed hash, zstd) and, with SYSTEMD_JOURNAL_COMPACT=0
// SYSTEMD_JOURNAL_KEYED_HASH=0, into regular.journal; the .json files are
// `journalctl --file X -o json` of each. TestJournalRemoteLive makes a
// fresh one when systemd-journal-remote is installed.
func readGz(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// journalctlJSON reads `journalctl -o json` output: one object per line.
func journalctlJSON(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	var out []map[string]string
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		m := map[string]string{}
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("journalctl json: %v: %s", err, l)
		}
		out = append(out, m)
	}
	return out
}

// compareJournal checks hozen's events against journalctl's entries.
func compareJournal(t *testing.T, got *JournalFile, want []map[string]string) {
	t.Helper()
	if len(got.Events) != len(want) {
		t.Fatalf("%d events, journalctl shows %d; notes %v", len(got.Events), len(want), got.Notes)
	}
	for i, w := range want {
		e := got.Events[i]
		us, _ := strconv.ParseInt(w["__REALTIME_TIMESTAMP"], 10, 64)
		if !e.Time.Equal(time.UnixMicro(us)) || e.Time.Location() != time.UTC {
			t.Errorf("entry %d: time %v, journalctl %v", i, e.Time, time.UnixMicro(us).UTC())
		}
		if e.Message != w["MESSAGE"] {
			t.Errorf("entry %d: message %q, journalctl %q", i, e.Message, w["MESSAGE"])
		}
		if e.Host != w["_HOSTNAME"] || strconv.Itoa(e.PID) != w["_PID"] || e.Unit != w["_SYSTEMD_UNIT"] {
			t.Errorf("entry %d: host %q pid %d unit %q; journalctl %q %q %q", i, e.Host, e.PID, e.Unit, w["_HOSTNAME"], w["_PID"], w["_SYSTEMD_UNIT"])
		}
		ident := w["SYSLOG_IDENTIFIER"]
		if ident == "" {
			ident = w["_COMM"]
		}
		if e.Ident != ident || strconv.Itoa(e.Priority) != w["PRIORITY"] {
			t.Errorf("entry %d: ident %q prio %d; journalctl %q %q", i, e.Ident, e.Priority, ident, w["PRIORITY"])
		}
		if e.Offset <= 0 || e.Offset%8 != 0 || e.Format != FormatJournal {
			t.Errorf("entry %d: offset %d format %q", i, e.Offset, e.Format)
		}
	}
}

func TestJournalFixtures(t *testing.T) {
	for _, name := range []string{"compact", "regular"} {
		t.Run(name, func(t *testing.T) {
			b := readGz(t, name+".journal.gz")
			want, err := os.ReadFile(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			jf := ReadJournal(b, "files/var/log/journal/m/system.journal", Limits{})
			if len(jf.Notes) != 0 {
				t.Errorf("notes on a whole file: %v", jf.Notes)
			}
			compareJournal(t, jf, journalctlJSON(t, want))
			// The long message is stored zstd compressed (systemd
			// compresses payloads over 512 bytes): it must be decoded.
			if !strings.HasPrefix(jf.Events[1].Message, "hozen fixture long message") || len(jf.Events[1].Message) < 1000 {
				t.Errorf("the compressed message: %.60q", jf.Events[1].Message)
			}
		})
	}
}

// A journal written now by the real systemd-journal-remote, read by hozen
// and by the real journalctl.
func TestJournalRemoteLive(t *testing.T) {
	remote := "/lib/systemd/systemd-journal-remote"
	if _, err := os.Stat(remote); err != nil {
		t.Skip("systemd-journal-remote is not installed")
	}
	if _, err := exec.LookPath("journalctl"); err != nil {
		t.Skip("journalctl is not installed")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "live.journal")
	if b, err := exec.Command(remote, "--output="+out, filepath.Join("testdata", "fixture.export")).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", remote, err, b)
	}
	js, err := exec.Command("journalctl", "--file", out, "-o", "json", "--no-pager").Output()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	compareJournal(t, ReadJournal(b, "x.journal", Limits{}), journalctlJSON(t, js))
}

// compressFlag marks the data object holding the long message as
// compressed with alg (its object flags), in a copy of the file.
func markCompressed(t *testing.T, b []byte, flag byte) []byte {
	t.Helper()
	b = bytes.Clone(b)
	i := bytes.Index(b, []byte{joData, jcZSTD})
	for i >= 0 && i%8 != 0 {
		j := bytes.Index(b[i+1:], []byte{joData, jcZSTD})
		if j < 0 {
			i = -1
			break
		}
		i += 1 + j
	}
	if i < 0 {
		t.Fatal("no zstd data object in the fixture")
	}
	b[i+1] = flag
	return b
}

func TestJournalLZ4XZNotDecoded(t *testing.T) {
	b := readGz(t, "compact.journal.gz")
	for _, c := range []struct {
		flag byte
		alg  string
	}{{jcLZ4, "LZ4"}, {jcXZ, "XZ"}} {
		jf := ReadJournal(markCompressed(t, b, c.flag), "j", Limits{})
		if len(jf.Events) != 3 {
			t.Fatalf("%s: %d events", c.alg, len(jf.Events))
		}
		if m := jf.Events[1].Message; m != "[a field compressed with "+c.alg+": not decoded]" {
			t.Errorf("%s: message %q", c.alg, m)
		}
		if !strings.Contains(strings.Join(jf.Notes, "\n"), "compressed with "+c.alg+" are not decoded") {
			t.Errorf("%s: notes %v", c.alg, jf.Notes)
		}
	}
}

// A journal cut anywhere (a file being written, copied half-way) yields
// the entries whose objects are whole, and notes; it never panics.
func TestJournalTruncated(t *testing.T) {
	b := readGz(t, "compact.journal.gz")
	full := ReadJournal(b, "j", Limits{})
	// The objects end with the tail object; beyond it the file is zeros.
	le := binary.LittleEndian
	tail := le.Uint64(b[136:])
	end := int(tail + le.Uint64(b[tail+8:]))
	for n := 0; n <= end+8; n += 8 {
		jf := ReadJournal(b[:n], "j", Limits{})
		if len(jf.Events) > len(full.Events) {
			t.Fatalf("cut at %d: %d events, more than the whole file's", n, len(jf.Events))
		}
		if len(jf.Events) < len(full.Events) && len(jf.Notes) == 0 {
			t.Fatalf("cut at %d: %d of %d events and no note", n, len(jf.Events), len(full.Events))
		}
	}
}

// An entry array that points back to itself stops; the event cap holds.
func TestJournalLoopAndCap(t *testing.T) {
	b := bytes.Clone(readGz(t, "compact.journal.gz"))
	arr := binary.LittleEndian.Uint64(b[jhEntryArray:])
	binary.LittleEndian.PutUint64(b[arr+16:], arr)
	jf := ReadJournal(b, "j", Limits{})
	if !strings.Contains(strings.Join(jf.Notes, "\n"), "points backwards") {
		t.Errorf("no note of the loop: %v", jf.Notes)
	}
	jf = ReadJournal(readGz(t, "compact.journal.gz"), "j", Limits{MaxEvents: 2})
	if len(jf.Events) != 2 || !strings.Contains(strings.Join(jf.Notes, "\n"), "stopped at 2 entries") {
		t.Errorf("cap 2: %d events, notes %v", len(jf.Events), jf.Notes)
	}
}

func FuzzJournal(f *testing.F) {
	f.Add(tinyJournal(false))
	f.Add(tinyJournal(true))
	f.Add([]byte(jSignature))
	f.Fuzz(func(t *testing.T, b []byte) {
		jf := ReadJournal(b, "j", Limits{MaxEvents: 1000, MaxField: 1 << 16})
		for _, e := range jf.Events {
			if e.Offset <= 0 || e.Offset >= int64(len(b)) {
				t.Fatalf("offset %d out of %d bytes", e.Offset, len(b))
			}
		}
	})
}

// tinyJournal builds a small journal from the format's description: a
// header, one entry array, two entries and their data objects (no hash
// tables: a sequential reader needs none). The fuzz seeds are these; the
// files systemd writes are megabytes of mostly empty hash table.
func tinyJournal(compact bool) []byte {
	le := binary.LittleEndian
	b := make([]byte, 272)
	copy(b, jSignature)
	if compact {
		le.PutUint32(b[jhIncompatible:], jfCompact)
	}
	le.PutUint64(b[jhHeaderSize:], 272)
	obj := func(typ byte, body []byte) uint64 {
		off := uint64(len(b))
		h := make([]byte, 16)
		h[0] = typ
		le.PutUint64(h[8:], uint64(16+len(body)))
		b = append(b, h...)
		b = append(b, body...)
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
		return off
	}
	payload := jdPayload
	if compact {
		payload = jdPayloadCompact
	}
	data := func(s string) uint64 {
		return obj(joData, append(make([]byte, payload-16), s...))
	}
	var entries []uint64
	for i, msg := range []string{"first", "second"} {
		ds := []uint64{data("MESSAGE=" + msg), data("_PID=" + strconv.Itoa(100+i)), data("_COMM=sshd"), data("PRIORITY=6")}
		body := make([]byte, jeItems-16)
		le.PutUint64(body[24-16:], uint64(1709294400000000+i))
		for _, d := range ds {
			if compact {
				body = le.AppendUint32(body, uint32(d))
			} else {
				body = le.AppendUint64(body, d)
				body = le.AppendUint64(body, 0)
			}
		}
		entries = append(entries, obj(joEntry, body))
	}
	arr := make([]byte, jaItems-16)
	for _, e := range entries {
		if compact {
			arr = le.AppendUint32(arr, uint32(e))
		} else {
			arr = le.AppendUint64(arr, e)
		}
	}
	arr = append(arr, make([]byte, 16)...) // an unused tail
	a := obj(joEntryArray, arr)
	le.PutUint64(b[jhEntryArray:], a)
	le.PutUint64(b[jhNEntries:], uint64(len(entries)))
	le.PutUint64(b[jhArenaSize:], uint64(len(b)-272))
	return b
}

func TestJournalFromSpec(t *testing.T) {
	for _, compact := range []bool{false, true} {
		jf := ReadJournal(tinyJournal(compact), "j", Limits{})
		if len(jf.Events) != 2 || len(jf.Notes) != 0 {
			t.Fatalf("compact %v: %+v", compact, jf)
		}
		e := jf.Events[1]
		if e.Message != "second" || e.PID != 101 || e.Ident != "sshd" || e.Priority != 6 || e.Time.UnixMicro() != 1709294400000001 {
			t.Errorf("compact %v: %+v", compact, e)
		}
	}
}
