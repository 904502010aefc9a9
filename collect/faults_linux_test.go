package collect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/manifest"
)

func collectOne(t *testing.T, root string, sink Sink, include ...string) {
	t.Helper()
	collectWithin(t, &Files{Include: include}, root, sink, 2*time.Minute, "collection hung")
}

// TestFilesSparse: a file of 1 TiB apparent size with two 4 KiB blocks of
// data is stored as its 8 KiB of data, with a record listing the ranges;
// a sparse file with fewer holes than sparseMinHoles is read whole.
func TestFilesSparse(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "huge.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	a, b := bytes.Repeat([]byte("A"), 4096), bytes.Repeat([]byte("B"), 4096)
	if _, err := f.WriteAt(a, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(b, 1<<39); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 40); err != nil {
		t.Skipf("file system refuses a 1 TiB sparse file: %v", err)
	}
	f.Close()
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil || st.Blocks*512 > 1<<20 {
		t.Skipf("file system does not keep holes (blocks %d)", st.Blocks)
	}
	small := filepath.Join(root, "small-sparse")
	if err := os.WriteFile(small, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(small, 10<<20); err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	collectOne(t, root, sink, "/**")
	r := sink.find(t, "/huge.img")
	t.Logf("record: size %d outcome %s warnings %q", r.Size, r.Outcome, r.Warnings)
	if r.Entry != manifest.EntryFile || r.Size != 8192 || r.BytesRead != 8192 || r.Outcome != manifest.OutcomePartial {
		t.Fatalf("sparse record: %+v", r)
	}
	if r.File.Size != 1<<40 {
		t.Errorf("file size %d, want 1 TiB", r.File.Size)
	}
	w := strings.Join(r.Warnings, ";")
	if !strings.Contains(w, "sparse file: apparent size 1099511627776 bytes, 8192 bytes of data in 2 ranges") ||
		!strings.Contains(w, "ranges (offset+length): 0+4096 549755813888+4096") {
		t.Errorf("warning: %s", w)
	}
	if got := sink.data["files/huge.img"]; !bytes.Equal(got, append(a, b...)) {
		t.Errorf("data: %d bytes", len(got))
	}
	s := sink.find(t, "/small-sparse")
	if s.Size != 10<<20 || s.Outcome != manifest.OutcomeOK {
		t.Errorf("small sparse file not read whole: %+v", s)
	}
}

// shrinkSink truncates the file after it was opened, before it is read.
type shrinkSink struct {
	memSink
	path string
}

func (s *shrinkSink) Put(rec *manifest.Record, body io.Reader) error {
	if body != nil {
		if err := os.Truncate(s.path, 3); err != nil {
			return err
		}
		// As the bundle writer does: read exactly Size, pad the rest.
		b, _ := io.ReadAll(io.LimitReader(body, rec.Size))
		rec.BytesRead = int64(len(b))
		body.(Reporter).Report(rec)
	}
	s.recs = append(s.recs, rec)
	return nil
}

// TestFilesShrankWhileRead: a file cut short while read records the bytes
// it had, and says it shrank.
func TestFilesShrankWhileRead(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "app.log")
	// Larger than readAheadMax: streamed by the walk, so the sink's
	// truncation lands between open and read (TestReadAheadChangedWhileRead
	// covers small files).
	content := streamedContent()
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	sink := &shrinkSink{path: p}
	collectOne(t, root, sink, "/app.log")
	r := sink.find(t, "/app.log")
	if r.Size != int64(len(content)) || r.BytesRead != 3 || r.Outcome != manifest.OutcomeChanged ||
		!strings.Contains(strings.Join(r.Warnings, ";"), fmt.Sprintf("shrank while read: 3 bytes read of %d", len(content))) {
		t.Errorf("shrunk file: %+v", r)
	}
}

// TestFilesRotatedOrVanished: a file replaced (rotated) or removed between
// listing and opening is recorded as "changed" (metadata of the file
// opened) or "vanished".
func TestFilesRotatedOrVanished(t *testing.T) {
	root := t.TempDir()
	for _, n := range []string{"rotated.log", "gone.log"} {
		if err := os.WriteFile(filepath.Join(root, n), []byte("old contents\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rotFI, _ := os.Lstat(filepath.Join(root, "rotated.log"))
	goneFI, _ := os.Lstat(filepath.Join(root, "gone.log"))
	// logrotate: rename away, create anew.
	if err := os.Rename(filepath.Join(root, "rotated.log"), filepath.Join(root, "rotated.log.1")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "rotated.log"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "gone.log")); err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	c := &fileCopier{f: &Files{}, env: &Env{Root: root, Now: time.Now}, sink: sink}
	dir, _, err := openRootDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer dir.release()
	if err := c.putIn(context.Background(), dir, "rotated.log", "/rotated.log", rotFI); err != nil {
		t.Fatal(err)
	}
	if err := c.putIn(context.Background(), dir, "gone.log", "/gone.log", goneFI); err != nil {
		t.Fatal(err)
	}
	r := sink.find(t, "/rotated.log")
	if r.Outcome != manifest.OutcomeChanged || string(sink.data["files/rotated.log"]) != "new\n" ||
		!strings.Contains(strings.Join(r.Warnings, ";"), "replaced between listing and opening") {
		t.Errorf("rotated: %+v", r)
	}
	g := sink.find(t, "/gone.log")
	if g.Outcome != manifest.OutcomeVanished || g.Entry != manifest.EntryNone || len(g.Errors) == 0 {
		t.Errorf("vanished: %+v", g)
	}
}

// TestFilesSymlinkLoop: links that loop (to each other, to a parent) are
// recorded as links and never followed; the walk ends.
func TestFilesSymlinkLoop(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "d/sub"), 0o755)
	os.Symlink("b", filepath.Join(root, "d/a"))
	os.Symlink("a", filepath.Join(root, "d/b"))
	os.Symlink("../..", filepath.Join(root, "d/sub/up"))
	os.Symlink("self", filepath.Join(root, "d/self"))
	sink := &memSink{}
	collectOne(t, root, sink, "/d/**", "/d/a/x/y")
	for _, n := range []string{"/d/a", "/d/b", "/d/sub/up", "/d/self"} {
		if r := sink.find(t, n); r.Entry != manifest.EntrySymlink {
			t.Errorf("%s: %+v", n, r)
		}
	}
	if len(sink.recs) != 4 {
		t.Errorf("%d records, want 4 (the links)", len(sink.recs))
	}
}

// TestFilesSymlinkAtime: reading a link's target (readlink) may move the
// link's atime on the host, and no flag prevents it; the record keeps the
// atime the link had before it was read.
func TestFilesSymlinkAtime(t *testing.T) {
	root := t.TempDir()
	link := filepath.Join(root, "ln")
	if err := os.Symlink("target", link); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	ts := []unix.Timespec{unix.NsecToTimespec(old.UnixNano()), unix.NsecToTimespec(old.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, link, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		t.Skipf("cannot set a link's times here: %v", err)
	}
	sink := &memSink{}
	collectOne(t, root, sink, "/ln")
	r := sink.find(t, "/ln")
	if r.Entry != manifest.EntrySymlink || r.File == nil || !r.File.Atime.Equal(old) {
		t.Fatalf("record: %+v", r.File)
	}
	var st unix.Stat_t
	if err := unix.Lstat(link, &st); err != nil {
		t.Fatal(err)
	}
	t.Logf("link atime on the host after collect: %v (recorded %v)", time.Unix(st.Atim.Unix()).UTC(), r.File.Atime)
}

// TestFilesNonUTF8Names: names that are not UTF-8 are kept byte for byte.
func TestFilesNonUTF8Names(t *testing.T) {
	root := t.TempDir()
	name := "bad\xff\xfename\x01.log"
	if err := os.WriteFile(filepath.Join(root, name), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	collectOne(t, root, sink, "/**")
	r := sink.find(t, "/"+name)
	if string(r.Path) != "files/"+name || r.Outcome != manifest.OutcomeOK {
		t.Errorf("record: %+v", r)
	}
	raw, err := manifest.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	// Not UTF-8: the record carries the bytes as base64, not U+FFFD.
	if !bytes.Contains(raw, []byte(`"path":{"b64":"`)) {
		t.Errorf("record JSON: %s", raw)
	}
}

// TestFilesLongPath: a file whose path is longer than PATH_MAX (4096) is
// read all the same (with *at calls past the limit), with its metadata; a
// link and a FIFO there are recorded as anywhere else.
func TestFilesLongPath(t *testing.T) {
	root := t.TempDir()
	seg := strings.Repeat("d", 200)
	rel := ""
	dir, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	// Build it with mkdirat/openat, since no path call takes it whole.
	fd := int(dir.Fd())
	for len(rel) < 4300 {
		if err := syscall.Mkdirat(fd, seg, 0o755); err != nil {
			t.Fatal(err)
		}
		nfd, err := syscall.Openat(fd, seg, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if fd != int(dir.Fd()) {
			syscall.Close(fd)
		}
		fd = nfd
		rel += "/" + seg
	}
	ffd, err := syscall.Openat(fd, "deep.txt", syscall.O_CREAT|syscall.O_WRONLY, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Write(ffd, []byte("deep down\n"))
	syscall.Close(ffd)
	if err := unix.Symlinkat("deep.txt", fd, "link"); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifoat(fd, "fifo", 0o600); err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd)
	dir.Close()
	t.Cleanup(func() { removeDeep(root, seg) })
	if err := os.WriteFile(filepath.Join(root, "shallow.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	collectOne(t, root, sink, "/**")
	host := rel + "/deep.txt"
	r := sink.find(t, host)
	t.Logf("record: source of %d bytes, outcome %s, size %d, errors %q", len(r.Source), r.Outcome, r.Size, r.Errors)
	if r.Outcome != manifest.OutcomeOK || string(sink.data[string(r.Path)]) != "deep down\n" ||
		r.File == nil || r.File.ModeBits != 0o640 || r.File.Inode == 0 || r.File.UID == nil {
		t.Errorf("long path: %+v", r)
	}
	if l := sink.find(t, rel+"/link"); l.Entry != manifest.EntrySymlink || *l.File.LinkTarget != "deep.txt" {
		t.Errorf("link: %+v", l)
	}
	if p := sink.find(t, rel+"/fifo"); p.Outcome != manifest.OutcomeSpecial || p.File.Type != "fifo" {
		t.Errorf("fifo: %+v", p)
	}
	if r := sink.find(t, "/shallow.txt"); r.Outcome != manifest.OutcomeOK {
		t.Errorf("walk did not go on: %+v", r)
	}
	if len(sink.recs) != 4 {
		t.Errorf("%d records, want 4", len(sink.recs))
	}
}

// removeDeep removes a chain of directories named seg too deep for
// os.RemoveAll's path calls, from the bottom up, with *at calls.
func removeDeep(root, seg string) {
	var fds []int
	fd, err := syscall.Open(root, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return
	}
	fds = append(fds, fd)
	for {
		nfd, err := syscall.Openat(fd, seg, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		if err != nil {
			break
		}
		fds = append(fds, nfd)
		fd = nfd
	}
	for _, n := range []string{"deep.txt", "link", "fifo"} {
		unlinkat(fds[len(fds)-1], n, 0)
	}
	for i := len(fds) - 1; i > 0; i-- {
		unlinkat(fds[i-1], seg, unix.AT_REMOVEDIR)
		syscall.Close(fds[i])
	}
	syscall.Close(fds[0])
}

func unlinkat(dirfd int, name string, flags int) { unix.Unlinkat(dirfd, name, flags) }

// countSink counts records and bytes and keeps nothing.
type countSink struct {
	n     int
	bytes int64
	peak  uint64
}

func (s *countSink) Put(rec *manifest.Record, body io.Reader) error {
	if body != nil {
		n, _ := io.Copy(io.Discard, io.LimitReader(body, rec.Size))
		s.bytes += n
	}
	s.n++
	if s.n%20000 == 0 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		s.peak = max(s.peak, m.HeapInuse)
	}
	return nil
}

// TestFilesManyFiles: a directory of 200,000 files is collected whole, and
// the heap stays within a bound that does not grow with the directory.
func TestFilesManyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 200,000 files")
	}
	const n = 200000
	root := t.TempDir()
	dir := filepath.Join(root, "many")
	os.Mkdir(dir, 0o755)
	for i := range n {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%06d", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("x\n")
		f.Close()
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	sink := &countSink{}
	collectOne(t, root, sink, "/many/*")
	t.Logf("%d records, %d bytes; heap in use %d MiB before, peak sampled %d MiB",
		sink.n, sink.bytes, before.HeapInuse>>20, sink.peak>>20)
	if sink.n != n || sink.bytes != 2*n {
		t.Errorf("%d records, %d bytes", sink.n, sink.bytes)
	}
	// The walk holds at most walkBatch entries of a directory; reading it
	// whole, as filepath.WalkDir does, took 36 MiB here.
	if sink.peak > before.HeapInuse+24<<20 {
		t.Errorf("heap grew by %d MiB for %d files", (sink.peak-before.HeapInuse)>>20, n)
	}
}

// cancelSink cancels the collection once a file's body is half read, as a
// signal would, then reads on as the bundle writer does.
type cancelSink struct {
	memSink
	cancel context.CancelFunc
}

func (s *cancelSink) Put(rec *manifest.Record, body io.Reader) error {
	if body != nil {
		half, _ := io.ReadFull(body, make([]byte, rec.Size/2))
		s.cancel()
		rest, err := io.Copy(io.Discard, io.LimitReader(body, rec.Size))
		rec.BytesRead = int64(half) + rest
		if err != nil {
			rec.Outcome = manifest.OutcomePartial // as the writer does
			rec.Errors = append(rec.Errors, err.Error())
		}
		body.(Reporter).Report(rec)
	}
	s.recs = append(s.recs, rec)
	return nil
}

// TestFilesInterruptedRead: a file being read when the collection is
// interrupted keeps what was read, and its record says it was
// interrupted, not that the file shrank.
func TestFilesInterruptedRead(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "big"), bytes.Repeat([]byte("x"), 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := &cancelSink{cancel: cancel}
	f := &Files{Include: []string{"/big"}}
	if err := f.Collect(ctx, &Env{Root: root, Now: time.Now}, sink); err != nil {
		t.Fatal(err)
	}
	r := sink.find(t, "/big")
	if r.BytesRead != 1<<19 || r.Outcome != manifest.OutcomePartial || len(r.Warnings) != 0 ||
		!strings.Contains(strings.Join(r.Errors, ";"), "collection interrupted: context canceled") {
		t.Errorf("interrupted read: %+v", r)
	}
}
