package bundle

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// TestManyTinyEntries writes a consistent (unsigned) bundle of many tiny
// artifacts, streaming, then verifies it while sampling the heap. The
// verifier keeps O(records) state (the chain's hashes and Merkle tree, as
// the manifest lists every record), so the test reports bytes per record;
// it fails if that grows past a bound. HOZEN_MANY_ENTRIES sets the count
// (default 200,000; -short: 20,000), e.g. 10000000 for the figure in
// docs/reliability.md.
func TestManyTinyEntries(t *testing.T) {
	n := 200000
	if testing.Short() {
		n = 20000
	}
	if s := os.Getenv("HOZEN_MANY_ENTRIES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	hdr := &manifest.Header{BundleID: "0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", CaseID: "many", Examiner: "tester",
		StartedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	w, err := Create(dir, "many.tar.zst", hdr, Options{Now: fixedClock()})
	if err != nil {
		t.Fatal(err)
	}
	one := []byte("x")
	for i := range n {
		rec := &manifest.Record{Path: manifest.BString(fmt.Sprintf("files/m/%08d", i)), Entry: manifest.EntryFile,
			Source: "/m", Collector: "files", Size: 1}
		if err := w.Put(rec, bytes.NewReader(one)); err != nil {
			t.Fatal(err)
		}
	}
	s, err := w.Seal(manifest.StatusSealed, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "many.tar.zst"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	res, err := Verify(f, VerifyOptions{})
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Intact || res.Records != int64(n) {
		t.Fatalf("%s, %d records: %v", res.Outcome, res.Records, res.Err)
	}
	grew := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("%d records, bundle %d bytes; verify heap peak +%d MiB, %d bytes per record", n, s.Size, grew>>20, grew/int64(n))
	if grew/int64(n) > 2048 {
		t.Errorf("verify holds %d bytes per record", grew/int64(n))
	}
}

// TestTooManyRecords: past the most records a manifest can list, the walk
// stops with a StreamError (tampered) instead of reading on; the limit is
// lowered here to 1,000 so the test stays small.
func TestTooManyRecords(t *testing.T) {
	dir := t.TempDir()
	arts := make([]artifact, 0, 1001)
	for i := range 1001 {
		arts = append(arts, artifact{rec: manifest.Record{Path: manifest.BString(fmt.Sprintf("files/m/%d", i)), Entry: manifest.EntryNone,
			Source: "/m", Collector: "files"}})
	}
	s := writeBundle(t, dir, nil, arts)
	f, err := os.Open(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := verify(f, VerifyOptions{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var se *StreamError
	if res.Outcome != Tampered || !errors.As(res.Err, &se) || res.Records != 1000 ||
		!strings.Contains(res.Err.Error(), "more records than a manifest of at most 1073741824 bytes can list (1000)") {
		t.Fatalf("%s after %d records: %v", res.Outcome, res.Records, res.Err)
	}
	if maxRecords != 16025997 {
		t.Errorf("maxRecords = %d", maxRecords)
	}
}
