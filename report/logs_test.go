package report

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// The syslog files and a journal written by systemd (logparse's fixture)
// in a bundle: their lines are timeline events with source and offset.
func TestTimelineLogs(t *testing.T) {
	jz, err := os.ReadFile("../logparse/testdata/compact.journal.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(jz))
	if err != nil {
		t.Fatal(err)
	}
	journal, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("Dec 31 23:59:00 web-01 sshd[77]: old year\n"))
	zw.Close()
	arts := fixtureArtifacts(t)
	arts = append(arts,
		fileArt("/var/log/auth.log.2.gz", "logs", gz.String(), "-rw-r-----", 0, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), nil),
		fileArt("/var/log/journal/0123456789abcdef0123456789abcdef/system.journal", "logs", string(journal), "-rw-r-----", 0, t0, nil))
	path := writeFixture(t, t.TempDir(), arts)
	trust := manifest.Trust{{Key: testSigner(t).PublicKey(), Principals: []string{"ana@lab"}}}

	if r := buildFile(t, path, Options{Trust: trust}); len(r.Logs) != 0 {
		t.Fatalf("logs read without Options.Logs: %d", len(r.Logs))
	}
	r := buildFile(t, path, Options{Trust: trust, Logs: true})
	var logs []Event
	for _, e := range r.Timeline() {
		if e.Kind == KindLog {
			logs = append(logs, e)
		}
	}
	byMsg := map[string]Event{}
	for _, e := range logs {
		byMsg[e.Message] = e
	}
	// auth.log: "Mar 14 07:00:00" on a host in Europe/Berlin (CET, +01:00),
	// the file's mtime in 2026.
	e, ok := byMsg["sshd[1234]: Accepted publickey for alice"]
	if !ok || !e.Time.Equal(time.Date(2026, 3, 14, 6, 0, 0, 0, time.UTC)) || string(e.Artifact) != "files/var/log/auth.log" || string(e.Path) != "/var/log/auth.log" ||
		e.Offset == nil || *e.Offset != 0 || !strings.Contains(e.Note, "year 2026 inferred") || !strings.Contains(e.Note, "Europe/Berlin") || e.Host != "web-01" || e.PID != 1234 {
		t.Errorf("auth.log line: %+v (offset %v)", e, e.Offset)
	}
	// auth.log.2.gz, last written Jan 1 2026 (UTC): its Dec 31 line is of 2025.
	e, ok = byMsg["sshd[77]: old year"]
	if !ok || e.Time.Year() != 2025 || !strings.Contains(e.Note, "decompressed stream") || string(e.Artifact) != "files/var/log/auth.log.2.gz" {
		t.Errorf("auth.log.2.gz line: %+v", e)
	}
	// The journal's entries, at their realtime.
	e, ok = byMsg["sshd[4242]: hozen fixture: accepted publickey for ana (ssh.service)"]
	if !ok || !e.Time.Equal(time.UnixMicro(1709294400123456)) || e.Desc != "Journal Entry" || e.Offset == nil || *e.Offset == 0 ||
		!strings.HasSuffix(string(e.Artifact), "/system.journal") {
		t.Errorf("journal entry: %+v", e)
	}
	if len(logs) != 5 {
		t.Errorf("%d log events, want 5 (1 auth.log, 1 auth.log.2.gz, 3 journal)", len(logs))
	}
	var csv bytes.Buffer
	if err := WriteCSV(&csv, r.Timeline()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), ",log,/var/log/auth.log,files/var/log/auth.log,1234,,web-01,,,0,year 2026 inferred") {
		t.Errorf("csv lacks the auth.log line with its offset:\n%s", csv.String())
	}
}

// TestLogsWaitForTheirRecord: a syslog file and a journal read from their
// data entries enter the report only with the record that vouches for
// them; one whose record never comes (a cut or tampered bundle) does not.
func TestLogsWaitForTheirRecord(t *testing.T) {
	jz, err := os.ReadFile("../logparse/testdata/compact.journal.gz")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(jz))
	if err != nil {
		t.Fatal(err)
	}
	journal, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	logs := map[string]string{
		"files/var/log/journal/0123456789abcdef0123456789abcdef/system.journal": string(journal),
		"files/var/log/auth.log": "Mar 14 07:00:00 web-01 sshd[1234]: Accepted publickey for alice\n",
	}
	for name, body := range logs {
		for _, vouched := range []bool{false, true} {
			b := &builder{opts: Options{Logs: true, MaxJSON: 1 << 20}, json: map[string][]byte{}}
			if err := b.Data(&tar.Header{Name: name, Size: int64(len(body))}, strings.NewReader(body)); err != nil {
				t.Fatal(err)
			}
			if vouched {
				if err := b.Record(&manifest.Record{Path: manifest.BString(name), Entry: manifest.EntryFile, File: &manifest.FileMeta{Mtime: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)}}); err != nil {
					t.Fatal(err)
				}
			}
			r := &Report{}
			r.addLogs(b)
			if got := len(r.Logs) > 0; got != vouched {
				t.Errorf("%s, record verified %v: %d events in the report", name, vouched, len(r.Logs))
			}
		}
	}
}
