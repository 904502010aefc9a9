//go:build unix

package collect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// streamedContent is a file larger than readAheadMax: the walk streams it,
// so what a test sink does before reading lands between open and read.
func streamedContent() []byte {
	return bytes.Repeat([]byte("0123456789abcdef"), readAheadMax/16+64)
}

// digestSink stores like the bundle writer: exactly Size bytes (zero
// padded), the SHA-256 a Prehashed body offers or of the bytes read, then
// Report. It fails the test when a Prehashed digest is not that of the
// bytes.
type digestSink struct {
	t    *testing.T
	mu   sync.Mutex
	recs map[string]*manifest.Record
	data map[string][]byte
	pre  int // bodies that offered a digest
}

func (s *digestSink) Put(rec *manifest.Record, body io.Reader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recs == nil {
		s.recs, s.data = map[string]*manifest.Record{}, map[string][]byte{}
	}
	if body != nil {
		b, _ := io.ReadAll(io.LimitReader(body, rec.Size))
		rec.BytesRead = int64(len(b))
		sum := sha256.Sum256(append(b, make([]byte, rec.Size-int64(len(b)))...))
		if p, ok := body.(Prehashed); ok {
			if psum, ok := p.SHA256(); ok {
				s.pre++
				if !bytes.Equal(p.Bytes(), b) || psum != sha256.Sum256(p.Bytes()) {
					s.t.Errorf("%s: Prehashed bytes or digest differ from what was read", rec.Path)
				}
			}
		}
		rec.SHA256 = hex.EncodeToString(sum[:])
		s.data[string(rec.Source)] = b
		if r, ok := body.(Reporter); ok {
			r.Report(rec)
		}
	}
	s.recs[string(rec.Source)] = rec
	return nil
}

// TestReadAheadChangedWhileRead: small files read ahead say, as streamed
// ones do, that they grew, shrank or changed between open and read, and
// keep what they had; untouched ones are stored whole, in listing order,
// with the digest of their bytes.
func TestReadAheadChangedWhileRead(t *testing.T) {
	if !openFirst {
		t.Skip("files are read ahead only where they can be opened before a stat")
	}
	root := t.TempDir()
	for i := range 100 {
		name := fmt.Sprintf("plain%03d.log", i)
		if err := os.WriteFile(filepath.Join(root, name), []byte(strings.Repeat(name, i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"grow.log", "shrink.log", "touch.log"} {
		if err := os.WriteFile(filepath.Join(root, n), []byte("0123456789"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A file that fills its read buffer exactly has no room for the byte
	// past its size, and is probed with a second read.
	if err := os.WriteFile(filepath.Join(root, "grow4k.log"), bytes.Repeat([]byte("x"), 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file empty at open is read too (a pseudo-file can say 0 bytes).
	if err := os.WriteFile(filepath.Join(root, "grow0.log"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	aheadOpenedHook = func(local string) {
		switch filepath.Base(local) {
		case "grow.log", "grow4k.log", "grow0.log":
			f, _ := os.OpenFile(local, os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("more")
			f.Close()
		case "shrink.log":
			os.Truncate(local, 4)
		case "touch.log":
			os.Chtimes(local, time.Now(), time.Now().Add(time.Hour))
		}
	}
	defer func() { aheadOpenedHook = nil }()
	sink := &digestSink{t: t}
	f := &Files{Include: []string{"/**"}}
	if err := f.Collect(context.Background(), &Env{Root: root, Now: time.Now}, sink); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		outcome    string
		size, read int64
		words      string
	}{
		"/grow.log":   {manifest.OutcomeChanged, 10, 10, "grew while read: stored the 10 bytes it had at open"},
		"/grow4k.log": {manifest.OutcomeChanged, 4096, 4096, "grew while read: stored the 4096 bytes it had at open"},
		"/grow0.log":  {manifest.OutcomeChanged, 0, 0, "grew while read: stored the 0 bytes it had at open"},
		"/shrink.log": {manifest.OutcomeChanged, 10, 4, "shrank while read: 4 bytes read of 10"},
		"/touch.log":  {manifest.OutcomeChanged, 10, 10, "changed while read: mtime"},
	}
	for src, w := range want {
		r := sink.recs[src]
		if r == nil {
			t.Fatalf("%s: no record", src)
		}
		text := strings.Join(r.Warnings, ";")
		if r.Outcome != w.outcome || r.Size != w.size || r.BytesRead != w.read || !strings.Contains(text, w.words) {
			t.Errorf("%s: outcome %s size %d read %d %q; want %s, size %d, read %d, %q", src, r.Outcome, r.Size, r.BytesRead, text, w.outcome, w.size, w.read, w.words)
		}
	}
	for i := range 100 {
		src := fmt.Sprintf("/plain%03d.log", i)
		r := sink.recs[src]
		content := strings.Repeat(src[1:], i)
		sum := sha256.Sum256([]byte(content))
		if r == nil || r.Outcome != manifest.OutcomeOK || string(sink.data[src]) != content || r.SHA256 != hex.EncodeToString(sum[:]) || r.File == nil || r.File.Size != int64(len(content)) {
			t.Errorf("%s: %+v", src, r)
		}
	}
	if sink.pre < 100 {
		t.Errorf("%d bodies offered their digest; want the 100 untouched files at least", sink.pre)
	}
}

// TestReadAheadOrderAndMix: read-ahead files, streamed ones, links,
// FIFOs and unreadable files come out in listing order, whatever finishes
// first.
func TestReadAheadOrderAndMix(t *testing.T) {
	root := t.TempDir()
	var names []string
	for i := range 3 * readAheadWindow {
		name := fmt.Sprintf("f%03d", i)
		var err error
		switch i % 7 {
		case 1:
			err = os.Symlink("f000", filepath.Join(root, name))
		case 2:
			err = os.WriteFile(filepath.Join(root, name), streamedContent(), 0o644)
		case 3:
			err = syscall.Mkfifo(filepath.Join(root, name), 0o600)
		case 4:
			err = os.WriteFile(filepath.Join(root, name), []byte("secret"), 0)
		default:
			err = os.WriteFile(filepath.Join(root, name), []byte(name), 0o644)
		}
		if err != nil {
			t.Skipf("fixture %s: %v", name, err)
		}
		names = append(names, "/"+name)
	}
	sink := &memSink{}
	collectWithin(t, &Files{Include: []string{"/**"}}, root, sink, time.Minute, "collect did not return (a FIFO opened for reading?)")
	var got []string
	for _, r := range sink.recs {
		got = append(got, string(r.Source))
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("records in order\n%v\nwant\n%v", got, names)
	}
	for _, r := range sink.recs {
		i := 0
		fmt.Sscanf(string(r.Source), "/f%03d", &i)
		switch i % 7 {
		case 1:
			if r.Entry != manifest.EntrySymlink {
				t.Errorf("%s: %+v, want a symlink", r.Source, r)
			}
		case 2:
			if r.Size != int64(len(streamedContent())) || !bytes.Equal(sink.data[string(r.Path)], streamedContent()) {
				t.Errorf("%s: streamed file of %d bytes stored as %d", r.Source, len(streamedContent()), r.Size)
			}
		case 3:
			if r.Outcome != manifest.OutcomeSpecial {
				t.Errorf("%s: %+v, want special", r.Source, r)
			}
		case 4:
			if os.Geteuid() != 0 && r.Outcome != manifest.OutcomeDenied {
				t.Errorf("%s: %+v, want denied", r.Source, r)
			}
		default:
			if r.Outcome != manifest.OutcomeOK || string(sink.data[string(r.Path)]) != filepath.Base(string(r.Source)) {
				t.Errorf("%s: %+v", r.Source, r)
			}
		}
	}
}

// TestReadAheadWatchdog: a file whose read does not come back (a hung
// mount) gets a timeout record once the deadline passes, the files after
// it are stored, and the collection returns without waiting for the read.
func TestReadAheadWatchdog(t *testing.T) {
	if !openFirst {
		t.Skip("files are read ahead only where they can be opened before a stat")
	}
	root := t.TempDir()
	for _, n := range []string{"a.log", "hang.log", "z.log"} {
		if err := os.WriteFile(filepath.Join(root, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The hung reader is never waited on by Collect, so nothing orders its
	// read of aheadOpenedHook before the test puts the hook back: release
	// it and wait until it is past the hook first (the race detector
	// rightly reported this when the hook was reset at once).
	release, resumed := make(chan struct{}), make(chan struct{})
	aheadOpenedHook = func(local string) {
		if filepath.Base(local) == "hang.log" {
			<-release
			close(resumed)
		}
	}
	saved := aheadDeadline
	aheadDeadline = 300 * time.Millisecond
	defer func() {
		close(release)
		select {
		case <-resumed:
		case <-time.After(30 * time.Second):
			t.Error("the hung reader never reached its hook")
		}
		aheadOpenedHook = nil
		aheadDeadline = saved
	}()

	sink := &memSink{}
	collectWithin(t, &Files{Include: []string{"/**"}}, root, sink, 30*time.Second, "collect waited for the hung read")
	var got []string
	for _, r := range sink.recs {
		got = append(got, fmt.Sprintf("%s %s", r.Source, r.Outcome))
		if r.Source == "/hang.log" && (r.Entry != manifest.EntryNone || !strings.Contains(strings.Join(r.Errors, ";"), "watchdog")) {
			t.Errorf("hung file: %+v", r)
		}
	}
	if want := "/a.log ok,/hang.log timeout,/z.log ok"; strings.Join(got, ",") != want {
		t.Errorf("records %q, want %q", strings.Join(got, ","), want)
	}
}
