package collect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/procfs"
	"github.com/hozen-dfir/hozen/manifest"
)

// mapsRead is what the parallel phase read of one process.
type mapsRead struct {
	pid     int
	maps    PseudoResult
	name    string
	exe     string // the link's target as the kernel gives it
	exeErr  error
	preload []string
	delFDs  []artifact.DeletedFD
	errs    []string
	timeout bool
}

// mapsBatch is how many processes are read before their artifacts are
// stored: it bounds the raw maps held in memory at once.
const mapsBatch = 32

// Collect implements [Collector].
func (p *ProcMaps) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(p.Name())
	}
	doc := artifact.ProcMaps{CollectedAt: envNow(env), EnvironSkipped: p.NoEnviron, Processes: []artifact.ProcessMaps{}}
	list := p.list
	if list == nil {
		list = listProcPIDs
	}
	pids, err := list(env)
	if err != nil {
		doc.Errors = append(doc.Errors, fmt.Sprintf("/proc: listing: %v", err))
	}
	live := isLiveRoot(env)
	self := -1
	if live {
		self = os.Getpid()
	}
	pres := &preserver{p: p, env: env, sink: sink, byKey: map[devIno]int{}, bySHA: map[string]string{},
		doc: artifact.Preserved{CollectedAt: doc.CollectedAt, MaxBytes: orDefault(p.MaxBytes, DefaultPreserveBytes),
			MaxFileBytes: orDefault(p.MaxFileBytes, DefaultPreserveFileBytes), Files: []artifact.PreservedFile{}}}
	var rawUsed int64
	maxRaw := orDefault(p.MaxRawBytes, DefaultMaxRawMapsBytes)
	timeout := orDefault(p.Timeout, DefaultProcessTimeout)
	for chunk := range slices.Chunk(pids, mapsBatch) {
		if ctx.Err() != nil {
			doc.Errors = append(doc.Errors, fmt.Sprintf("interrupted: %v", ctx.Err()))
			break
		}
		reads := runBounded(ctx, len(chunk), orDefault(p.Workers, DefaultWorkers), timeout,
			func(ctx context.Context, i int) mapsRead { return p.readOne(ctx, env, chunk[i]) },
			func(i int) mapsRead {
				return mapsRead{pid: chunk[i], timeout: true, errs: []string{fmt.Sprintf("no answer within %v", timeout)}}
			})
		for _, r := range reads {
			pm := artifact.ProcessMaps{PID: r.pid, Name: manifest.BString(r.name), Outcome: manifest.OutcomeOK, Errors: r.errs}
			if r.timeout {
				pm.Outcome = manifest.OutcomeTimeout
				doc.Processes = append(doc.Processes, pm)
				continue
			}
			// The raw maps, within the total.
			raw := artifact.RawMapsPath(r.pid)
			rec := &manifest.Record{Path: manifest.BString(raw), Source: manifest.BString("/proc/" + strconv.Itoa(r.pid) + "/maps"), Collector: p.Name()}
			var body io.Reader
			if r.maps.describe(rec) {
				if rawUsed+rec.Size > maxRaw {
					rec.Entry, rec.Size, rec.Outcome = manifest.EntryNone, 0, manifest.OutcomePartial
					rec.Errors = append(rec.Errors, fmt.Sprintf("raw maps budget of %d bytes reached; parsed, not stored", maxRaw))
				} else {
					rawUsed += rec.Size
					body = bytesReader(r.maps.Data)
					pm.Raw = raw
				}
			}
			if err := sink.Put(rec, body); err != nil {
				return err
			}
			if r.maps.Err != nil {
				pm.Errors = append(pm.Errors, "maps: "+r.maps.Err.Error())
			}
			regs, lerrs := procfs.ParseMaps(r.maps.Data)
			for _, le := range first(lerrs, 5) {
				pm.Errors = append(pm.Errors, "maps: "+le.Error())
			}
			summarise(&pm, regs)
			if r.exe != "" {
				name, suffixed := strings.CutSuffix(r.exe, " (deleted)")
				pm.Exe = manifest.BString(name)
				pm.ExeDeleted = suffixed && !reallyNamed(env, r.exe, exeInode(regs, r.exe))
				if !pm.ExeDeleted {
					pm.Exe = manifest.BString(r.exe)
				}
			}
			if r.exeErr != nil && !isGone(r.exeErr) {
				pm.Errors = append(pm.Errors, "exe: "+r.exeErr.Error())
			}
			for i := range pm.Files {
				f := &pm.Files[i]
				if f.Deleted && reallyNamed(env, string(f.Path)+" (deleted)", f.Inode) {
					f.Path, f.Deleted = f.Path+" (deleted)", false
				}
			}
			for _, v := range r.preload {
				pm.LDPreload = append(pm.LDPreload, manifest.BString(v))
			}
			pm.DeletedFDs = r.delFDs
			if live && r.pid != self {
				if pm.ExeDeleted {
					sha, err := pres.preserve(ctx, "exe", r.pid, nil, string(pm.Exe))
					if err != nil {
						return err
					}
					pm.ExeSHA256 = sha
				}
				for i := range pm.DeletedFDs {
					d := &pm.DeletedFDs[i]
					name, _ := strings.CutSuffix(string(d.Target), " (deleted)")
					sha, err := pres.preserve(ctx, "fd", r.pid, &d.FD, name)
					if err != nil {
						return err
					}
					d.SHA256 = sha
				}
			}
			if len(pm.Errors) > 0 {
				pm.Outcome = manifest.OutcomePartial
				if r.maps.Outcome == manifest.OutcomeVanished {
					pm.Outcome = manifest.OutcomeVanished
				}
			}
			mapRules(env, &pm, !p.NoEnviron)
			doc.Processes = append(doc.Processes, pm)
		}
	}
	doc.Count = len(doc.Processes)
	if err := PutJSON(sink, artifact.PathPreserved, p.Name(), &pres.doc); err != nil {
		return err
	}
	return PutJSON(sink, artifact.PathProcMaps, p.Name(), &doc)
}

// exeInode is the inode the maps give for the executable's name.
func exeInode(regs []procfs.MapRegion, exeTarget string) uint64 {
	name, _ := strings.CutSuffix(exeTarget, " (deleted)")
	for _, r := range regs {
		if r.Path == name && r.Deleted {
			return r.Inode
		}
	}
	return 0
}

// reallyNamed reports whether a file really named printed (" (deleted)"
// and all) is there with inode ino: a name chosen to look deleted, not a
// deleted file.
func reallyNamed(env *Env, printed string, ino uint64) bool {
	if ino == 0 || !strings.HasPrefix(printed, "/") {
		return false
	}
	var st unix.Stat_t
	if err := unix.Lstat(env.Path(printed), &st); err != nil {
		return false
	}
	return st.Ino == ino
}

// readOne reads what the rules need of one process.
func (p *ProcMaps) readOne(ctx context.Context, env *Env, pid int) mapsRead {
	r := mapsRead{pid: pid}
	base := procDir(env, pid)
	r.maps = ReadPseudo(ctx, base+"/maps", orDefault(p.MaxMapsBytes, DefaultMaxMapsBytes))
	if res := ReadPseudo(ctx, base+"/comm", 4096); res.Err == nil {
		r.name = strings.TrimSuffix(string(res.Data), "\n")
	}
	r.exe, r.exeErr = os.Readlink(base + "/exe")
	if !p.NoEnviron {
		res := ReadPseudo(ctx, base+"/environ", 8<<20)
		if res.Err != nil && !isGone(res.Err) && len(res.Data) == 0 {
			r.errs = append(r.errs, "environ: "+res.Err.Error())
		}
		r.preload = procfs.EnvValues(res.Data, "LD_PRELOAD")
	}
	fds, err := listNumericAll(base + "/fd")
	if err != nil && !isGone(err) {
		r.errs = append(r.errs, "fd: "+errnoText(err))
	}
	for _, fd := range fds {
		if ctx.Err() != nil {
			break
		}
		t, err := os.Readlink(base + "/fd/" + strconv.Itoa(fd))
		if err != nil || !strings.HasPrefix(t, "/") || !strings.HasSuffix(t, " (deleted)") {
			continue
		}
		if len(r.delFDs) >= maxDeletedFDs {
			r.errs = append(r.errs, fmt.Sprintf("fd: more than %d deleted files open; the rest not listed", maxDeletedFDs))
			break
		}
		r.delFDs = append(r.delFDs, artifact.DeletedFD{FD: fd, Target: manifest.BString(t)})
	}
	return r
}

// preserver stores preserved files once each.
type preserver struct {
	p     *ProcMaps
	env   *Env
	sink  Sink
	byKey map[devIno]int    // index in doc.Files
	bySHA map[string]string // SHA-256 to bundle path stored
	doc   artifact.Preserved
}

// preserve stores the file pid runs (kind "exe") or holds open as fd
// (kind "fd"), once per file, and returns the SHA-256 of the bytes stored
// ("" when none). It returns an error only when the sink fails.
func (s *preserver) preserve(ctx context.Context, kind string, pid int, fd *int, original string) (string, error) {
	link := procDir(s.env, pid) + "/exe"
	if kind == "fd" {
		link = procDir(s.env, pid) + "/fd/" + strconv.Itoa(*fd)
	}
	holder := artifact.PreservedHolder{PID: pid, FD: fd, Original: manifest.BString(original)}
	fail := func(err error) (string, error) {
		if isGone(err) {
			return "", nil // exited or closed meanwhile
		}
		s.doc.Files = append(s.doc.Files, artifact.PreservedFile{Kind: kind, Holders: []artifact.PreservedHolder{holder}, Error: err.Error()})
		return "", nil
	}
	// A descriptor may be a device or FIFO put there after it was listed:
	// stat through the link first, open only a regular file, without
	// blocking, and check that what opened is what was stat'ed.
	var pre unix.Stat_t
	if err := unix.Stat(link, &pre); err != nil {
		return fail(&fs.PathError{Op: "stat", Path: link, Err: err})
	}
	if pre.Mode&unix.S_IFMT != unix.S_IFREG {
		return "", nil
	}
	key := devIno{uint64(pre.Dev), pre.Ino}
	if i, ok := s.byKey[key]; ok {
		s.doc.Files[i].Holders = append(s.doc.Files[i].Holders, holder)
		return s.doc.Files[i].SHA256, nil
	}
	f, err := os.OpenFile(link, os.O_RDONLY|unix.O_NOATIME|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil && errors.Is(err, syscall.EPERM) {
		f, err = os.OpenFile(link, os.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	}
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !ok || !fi.Mode().IsRegular() || uint64(st.Dev) != key.dev || st.Ino != key.ino {
		return fail(fmt.Errorf("%s: changed between stat and open; not read", link))
	}
	pf := artifact.PreservedFile{Kind: kind, Size: fi.Size(), Device: key.dev, Inode: key.ino, Holders: []artifact.PreservedHolder{holder}}
	s.byKey[key] = len(s.doc.Files)
	idx := len(s.doc.Files)
	s.doc.Files = append(s.doc.Files, pf)
	p := &s.doc.Files[idx]

	want := min(fi.Size(), s.doc.MaxFileBytes, s.doc.MaxBytes-s.doc.UsedBytes)
	want = max(want, 0)
	got := s.env.Budget.Take(want)
	if got < fi.Size() {
		p.Truncated = true
		if got < min(fi.Size(), s.doc.MaxFileBytes) {
			s.doc.BudgetHit = true
		}
	}
	if got == 0 && fi.Size() > 0 {
		p.Error = "byte budget reached; not stored"
		return "", nil
	}
	// First pass: the name is the SHA-256 of the bytes to be stored.
	deadline := time.Now().Add(fileDeadline(got))
	h := sha256.New()
	n, err := io.Copy(h, &deadlineReader{r: io.LimitReader(f, got), ctx: ctx, deadline: deadline})
	if err != nil || n < got {
		if err == nil {
			err = fmt.Errorf("read %d of %d bytes: the file shrank", n, got)
		}
		p.Error = err.Error()
		return "", nil
	}
	sha := hex.EncodeToString(h.Sum(nil))
	p.SHA256, p.Stored = sha, got
	dir := artifact.DirPreservedExe
	if kind == "fd" {
		dir = artifact.DirPreservedFD
	}
	if stored, ok := s.bySHA[sha]; ok {
		p.Path = stored // the same bytes under another inode: stored once
		return sha, nil
	}
	p.Path = dir + sha
	s.bySHA[sha] = p.Path
	s.doc.UsedBytes += got
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		p.Error = err.Error()
		return sha, nil
	}
	rec := &manifest.Record{
		Path: manifest.BString(p.Path), Source: manifest.BString(link), Collector: s.p.Name(),
		Entry: manifest.EntryFile, Size: got, Outcome: manifest.OutcomeOK, File: fileMetaOpened(f, fi),
	}
	if p.Truncated {
		rec.Outcome = manifest.OutcomePartial
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("capped at %d of %d bytes (preservation budget)", got, fi.Size()))
	}
	body := &preservedBody{deadlineReader: deadlineReader{r: io.LimitReader(f, got), ctx: ctx, deadline: time.Now().Add(fileDeadline(got))}, h: sha256.New(), want: sha}
	return sha, s.sink.Put(rec, body)
}

// deadlineReader stops at a deadline or when ctx ends.
type deadlineReader struct {
	r        io.Reader
	ctx      context.Context
	deadline time.Time
}

func (d *deadlineReader) Read(b []byte) (int, error) {
	if err := d.ctx.Err(); err != nil {
		return 0, err
	}
	if time.Now().After(d.deadline) {
		return 0, errWatchdog
	}
	return d.r.Read(b)
}

// preservedBody is the second read of a preserved file: it checks that the
// bytes stored are those the name was computed from.
type preservedBody struct {
	deadlineReader
	h    hash.Hash
	want string
}

func (b *preservedBody) Read(p []byte) (int, error) {
	n, err := b.deadlineReader.Read(p)
	b.h.Write(p[:n])
	return n, err
}

// Report implements [Reporter].
func (b *preservedBody) Report(rec *manifest.Record) {
	if got := hex.EncodeToString(b.h.Sum(nil)); got != b.want {
		rec.Outcome = manifest.OutcomeChanged
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("changed while read: the name is the SHA-256 of the first read (%s), the bytes stored hash to %s", b.want, got))
	}
}
