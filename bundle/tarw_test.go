package bundle

import (
	"archive/tar"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// archiveTarHeader is what archive/tar writes for h, and whether it takes h.
func archiveTarHeader(h *tar.Header) ([]byte, error) {
	var b bytes.Buffer
	err := tar.NewWriter(&b).WriteHeader(h)
	return b.Bytes(), err
}

func checkUSTAR(t *testing.T, h *tar.Header) (fast bool) {
	t.Helper()
	var blk [blockSize]byte
	got, ok := ustarHeader(&blk, h)
	want, err := archiveTarHeader(h)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("%+v: archive/tar refuses (%v), ustarHeader built one", h, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%+v:\n got %q\nwant %q", h, got, want)
	}
	return true
}

func TestUSTARHeaderSameAsArchiveTar(t *testing.T) {
	at := time.Date(2026, 11, 22, 19, 2, 10, 0, time.UTC)
	base := func() *tar.Header {
		return &tar.Header{Name: "files/tmp/a.conf", Mode: 0o644, Size: 4680, ModTime: at, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	}
	fastCases := []func(h *tar.Header){
		func(h *tar.Header) {},
		func(h *tar.Header) { h.Name = strings.Repeat("n", 100) },
		func(h *tar.Header) { h.Name = "a" },
		func(h *tar.Header) { h.Name = "with space/and\x01ctl\x7f" },
		func(h *tar.Header) { h.Size = 0 },
		func(h *tar.Header) { h.Size = 1<<33 - 1 },
		func(h *tar.Header) { h.Mode = 0o7777 },
		func(h *tar.Header) { h.Uid, h.Gid = 1<<21-1, 1000 },
		func(h *tar.Header) { h.ModTime = time.Unix(1, 0) },
		func(h *tar.Header) { h.ModTime = time.Unix(1<<33-1, 0) },
		func(h *tar.Header) { h.ModTime = at.In(time.FixedZone("X", 3600)) },
	}
	for i, f := range fastCases {
		h := base()
		f(h)
		if !checkUSTAR(t, h) {
			t.Errorf("case %d (%+v): expected the fast path", i, h)
		}
	}
	// Headers USTAR cannot hold whole go to archive/tar.
	slowCases := []func(h *tar.Header){
		func(h *tar.Header) { h.Name = strings.Repeat("n", 101) },
		func(h *tar.Header) { h.Name = "files/é" },
		func(h *tar.Header) { h.Name = "" },
		func(h *tar.Header) { h.Size = 1 << 33 },
		func(h *tar.Header) { h.Uid = 1 << 21 },
		func(h *tar.Header) { h.Uid = -1 },
		func(h *tar.Header) { h.ModTime = at.Add(time.Nanosecond) },
		func(h *tar.Header) { h.ModTime = time.Unix(-1, 0) },
		func(h *tar.Header) { h.ModTime = time.Time{} },
		func(h *tar.Header) { h.Typeflag = tar.TypeSymlink; h.Size = 0; h.Linkname = "x" },
		func(h *tar.Header) { h.Uname = "root" },
		func(h *tar.Header) { h.PAXRecords = map[string]string{"comment": "x"} },
		func(h *tar.Header) { h.Format = tar.FormatGNU },
		func(h *tar.Header) { h.Format = tar.FormatUnknown },
	}
	for i, f := range slowCases {
		h := base()
		f(h)
		if checkUSTAR(t, h) {
			t.Errorf("case %d (%+v): took the fast path", i, h)
		}
	}
}

func FuzzUSTARHeader(f *testing.F) {
	f.Add("files/a", int64(0o644), 0, 0, int64(10), int64(1_700_000_000), int64(0))
	f.Add(strings.Repeat("x", 100), int64(0o7777), 1<<21-1, 7, int64(1<<33-1), int64(1<<33-1), int64(0))
	f.Fuzz(func(t *testing.T, name string, mode int64, uid, gid int, size, sec, nsec int64) {
		checkUSTAR(t, &tar.Header{Name: name, Mode: mode, Uid: uid, Gid: gid, Size: size,
			ModTime: time.Unix(sec, nsec), Typeflag: tar.TypeReg, Format: tar.FormatPAX})
	})
}

// TestTarWriterStream: entries written by tarWriter read back with
// archive/tar, and its refusals match archive/tar's.
func TestTarWriterStream(t *testing.T) {
	var out bytes.Buffer
	tw := newTarWriter(&out)
	at := time.Unix(1_700_000_000, 0)
	entries := []struct {
		h    *tar.Header
		data string
	}{
		{&tar.Header{Name: "short", Mode: 0o644, Size: 3, ModTime: at, Typeflag: tar.TypeReg, Format: tar.FormatPAX}, "abc"},
		{&tar.Header{Name: strings.Repeat("long/", 40) + "é", Mode: 0o600, Size: 512, ModTime: at.Add(time.Millisecond), Typeflag: tar.TypeReg, Format: tar.FormatPAX}, strings.Repeat("z", 512)},
		{&tar.Header{Name: "link", Mode: 0o777, ModTime: at, Typeflag: tar.TypeSymlink, Linkname: "short", Format: tar.FormatPAX}, ""},
		{&tar.Header{Name: "empty", Mode: 0o644, ModTime: at, Typeflag: tar.TypeReg, Format: tar.FormatPAX}, ""},
	}
	for _, e := range entries {
		if err := tw.WriteHeader(e.h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if out.Len()%blockSize != 0 {
		t.Fatalf("stream of %d bytes is not whole blocks", out.Len())
	}
	tr := tar.NewReader(&out)
	for _, e := range entries {
		h, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if h.Name != e.h.Name || string(b) != e.data || !h.ModTime.Equal(e.h.ModTime) || h.Linkname != e.h.Linkname {
			t.Errorf("read back %+v %q; wrote %+v %q", h, b, e.h, e.data)
		}
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("after the last entry: %v, want io.EOF", err)
	}

	tw = newTarWriter(io.Discard)
	tw.WriteHeader(entries[0].h)
	if n, err := io.WriteString(tw, "abcd"); n != 3 || err != tar.ErrWriteTooLong {
		t.Errorf("writing past the header's size: %d, %v", n, err)
	}
	tw.WriteHeader(entries[0].h)
	io.WriteString(tw, "a")
	if err := tw.Flush(); err == nil {
		t.Error("Flush of an entry short of its size succeeded")
	}
}
