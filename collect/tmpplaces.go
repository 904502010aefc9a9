package collect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// TmpPlacesCollector walks the temporary places ([TmpPlaces]: /tmp,
// /var/tmp, /dev/shm, /run/shm, /run/user) with the files collector's walk
// (openat, never through a symlink, access times kept), storing every
// entry's metadata and each file's contents up to a per-file cap at
// files/<host path>, and flags executables there: ELF programs, scripts
// (#!), files with an execute bit, and set-user-ID or set-group-ID files
// whatever their contents (rule [RuleExecInTmp]). It is bounded
// by a file count and a byte total of its own (within the collection's),
// and says in volatile/tmpplaces/tmpplaces.json where it stopped.
type TmpPlacesCollector struct {
	// Places to walk; nil for [TmpPlaces].
	Places []string
	// MaxFileBytes caps the contents stored per file (0:
	// DefaultTmpFileBytes); MaxBytes all of them (0: DefaultTmpBytes).
	MaxFileBytes int64
	MaxBytes     int64
	// MaxFiles bounds the entries recorded per place (0: DefaultTmpFiles).
	MaxFiles int
	// MaxTime bounds the time spent storing contents (0: none): past it,
	// the walks go on listing entries with their metadata only.
	MaxTime time.Duration
}

// Defaults of [TmpPlacesCollector].
const (
	DefaultTmpFileBytes = 16 << 20
	DefaultTmpBytes     = 1 << 30
	DefaultTmpFiles     = 20_000 // per place
)

// The rules of the tmpplaces collector: an executable or script in a
// temporary place; a walk of one that stopped at its bound.
const (
	RuleExecInTmp  = "exec-in-tmp"
	RuleTmpBounded = "tmp-walk-bounded"
)

// tmpExcludes are FUSE mounts under /run/user that serve remote or
// sandboxed files (gvfs, the document portal): not the host's, and slow.
var tmpExcludes = []string{"/run/user/*/gvfs/**", "/run/user/*/doc/**"}

// Name implements [Collector].
func (*TmpPlacesCollector) Name() string { return "tmpplaces" }

var errTmpFiles = errors.New("file-count bound reached")

// Collect implements [Collector].
func (t *TmpPlacesCollector) Collect(ctx context.Context, env *Env, sink Sink) error {
	places := t.Places
	if places == nil {
		places = TmpPlaces
	}
	sum := artifact.TmpPlaces{
		CollectedAt: envNow(env), Places: slices.Clone(places),
		MaxFiles: orDefault(t.MaxFiles, DefaultTmpFiles), MaxBytes: orDefault(t.MaxBytes, DefaultTmpBytes),
		MaxFileBytes: orDefault(t.MaxFileBytes, DefaultTmpFileBytes),
	}
	// The walk takes its bytes from a budget of its own, drawn from the
	// collection's. Each place has its own file-count bound, so that a
	// flood of files in one cannot hide another.
	budget := &Budget{max: sum.MaxBytes, parent: env.Budget}
	wenv := &Env{Root: env.Root, Now: env.Now, Progress: env.Progress, Redactor: env.Redactor,
		Budget: budget, Findings: env.findings(), files: env.runFiles()}
	env.RuleRan(RuleExecInTmp)
	env.RuleRan(RuleTmpBounded)
	var deadline time.Time
	if t.MaxTime > 0 {
		deadline = time.Now().Add(t.MaxTime)
	}
	for _, place := range places {
		f := &Files{Group: t.Name(), Include: []string{place + "/**"}, Exclude: tmpExcludes, MaxFileBytes: sum.MaxFileBytes}
		tap := &tmpTap{sink: sink, env: env, max: sum.MaxFiles, deadline: deadline, budget: budget, maxTime: t.MaxTime}
		if !deadline.IsZero() && time.Now().After(deadline) {
			tap.closeBudget()
		}
		err := f.Collect(ctx, wenv, tap)
		sum.Files += tap.n
		sum.Executables += tap.flagged
		stop := ""
		switch {
		case errors.Is(err, errTmpFiles):
			stop = fmt.Sprintf("%s: stopped after %d entries (file-count bound); the rest not listed", place, tap.n)
		case err != nil && tap.sinkErr:
			return err
		case err != nil:
			stop = fmt.Sprintf("%s: %v", place, err)
		}
		if stop != "" {
			sum.Stopped = append(sum.Stopped, stop)
			env.Finding(artifact.Finding{Rule: RuleTmpBounded, Severity: artifact.SeverityMedium, Score: 30,
				Title:    "the walk of a temporary place stopped early: " + stop,
				Reason:   "what lies past the bound was not seen; a flood of files can be made to hide a dropped tool, so look at this place by hand",
				Path:     manifest.BString(place),
				Evidence: []string{artifact.PathTmpPlaces}})
		}
	}
	if budget.closed.Load() != nil {
		sum.Stopped = append(sum.Stopped, budget.reached()+" (later files listed with their metadata only)")
		env.Finding(artifact.Finding{Rule: RuleTmpBounded, Severity: artifact.SeverityLow, Score: 20,
			Title:    fmt.Sprintf("contents of temporary places stored for %v only; later files listed with their metadata", t.MaxTime),
			Reason:   "the collection's time budget for temporary places ran out: files past it were listed (name, size, times, mode) but not copied; collect them by hand or with the full profile",
			Evidence: []string{artifact.PathTmpPlaces}})
	} else if budget.used.Load() >= sum.MaxBytes {
		sum.Stopped = append(sum.Stopped, fmt.Sprintf("byte bound of %d reached: later files listed with their metadata only", sum.MaxBytes))
	}
	return PutJSON(sink, artifact.PathTmpPlaces, t.Name(), &sum)
}

// tmpTap passes the walk's records on and applies the rule to each.
type tmpTap struct {
	sink    Sink
	env     *Env
	n, max  int
	flagged int
	sinkErr bool
	// deadline, when set, closes budget once passed.
	deadline time.Time
	maxTime  time.Duration
	budget   *Budget
}

func (t *tmpTap) closeBudget() {
	if t.budget.closed.Load() == nil {
		t.budget.closeFor(fmt.Sprintf("tmpplaces time budget of %v spent", t.maxTime))
	}
}

func (t *tmpTap) Put(rec *manifest.Record, body io.Reader) error {
	if t.n >= t.max {
		return errTmpFiles
	}
	t.n++
	if !t.deadline.IsZero() && time.Now().After(t.deadline) {
		t.closeBudget() // this file's bytes were granted; later ones get none
	}
	var head *headBody
	var ahead []byte
	if p, ok := body.(Prehashed); ok {
		ahead = p.Bytes() // read ahead already: look, do not wrap
	} else if body != nil {
		head = &headBody{r: body}
		body = head
	}
	if err := t.sink.Put(rec, body); err != nil {
		t.sinkErr = true
		return err
	}
	if head != nil {
		ahead = head.head
	}
	if execInTmp(t.env, rec, ahead) {
		t.flagged++
	}
	return nil
}

// headBody keeps the first bytes of a body as the sink reads it.
type headBody struct {
	r    io.Reader
	head []byte
}

func (h *headBody) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if k := min(n, 4-len(h.head)); k > 0 {
		h.head = append(h.head, p[:k]...)
	}
	return n, err
}

// Report implements [Reporter] for the body it wraps.
func (h *headBody) Report(rec *manifest.Record) {
	if r, ok := h.r.(Reporter); ok {
		r.Report(rec)
	}
}

// execInTmp applies RuleExecInTmp to one stored entry whose contents
// start with head (nil when none were stored); it reports whether it
// flagged it.
func execInTmp(env *Env, rec *manifest.Record, head []byte) bool {
	if rec.File == nil || rec.File.Type != "file" {
		return false
	}
	execBit := rec.File.ModeBits&0o111 != 0
	elf := bytes.HasPrefix(head, []byte("\x7fELF"))
	script := bytes.HasPrefix(head, []byte("#!"))
	read := len(head) > 0 || rec.Entry == manifest.EntryFile
	f := artifact.Finding{Rule: RuleExecInTmp, Path: rec.Source, Evidence: []string{string(rec.Path)}}
	if !rec.File.Mtime.IsZero() {
		mt := rec.File.Mtime
		f.Time = &mt
	}
	mode := rec.File.Mode
	suid := rec.File.ModeBits&uint32(fs.ModeSetuid) != 0
	sgid := rec.File.ModeBits&uint32(fs.ModeSetgid) != 0
	switch {
	case suid || sgid:
		// Whatever its contents: a set-ID file where anyone can write
		// is a copy of a program (often a shell) made to run with its
		// owner's rights, the way an intruder keeps root.
		what := "set-user-ID"
		if !suid {
			what = "set-group-ID"
		} else if sgid {
			what = "set-user-ID and set-group-ID"
		}
		f.Severity, f.Score = artifact.SeverityHigh, 75
		f.Title = fmt.Sprintf("%s file in a temporary place: %s (%s)", what, rec.Source, mode)
		f.Reason = "a file that runs with its owner's or group's rights in /tmp, /var/tmp, /dev/shm or /run/user: a copied shell or program left as a way back to root"
		if elf {
			f.Reason += "; it is an ELF program"
		}
	case elf:
		f.Severity, f.Score = artifact.SeverityHigh, 60
		f.Title = fmt.Sprintf("ELF program in a temporary place: %s (%s)", rec.Source, mode)
		f.Reason = "a compiled program in /tmp, /var/tmp, /dev/shm or /run/user: intruders drop their tools where any user can write, often on tmpfs that vanishes at reboot"
	case script:
		f.Severity, f.Score = artifact.SeverityMedium, 45
		if execBit {
			f.Score = 50
		}
		f.Title = fmt.Sprintf("script in a temporary place: %s (%s)", rec.Source, mode)
		f.Reason = "a script (#!) in a temporary place: droppers and installers stage their scripts there"
	case execBit && !read:
		f.Severity, f.Score = artifact.SeverityMedium, 40
		f.Title = fmt.Sprintf("executable file in a temporary place: %s (%s)", rec.Source, mode)
		f.Reason = "a file with an execute bit in a temporary place; its contents were not stored (a bound), so whether it is a program is not known"
	case execBit:
		f.Severity, f.Score = artifact.SeverityLow, 20
		f.Title = fmt.Sprintf("file with an execute bit in a temporary place: %s (%s)", rec.Source, mode)
		f.Reason = "an execute bit on a file that is neither an ELF program nor a #! script; possibly a program for another loader, possibly a careless mode"
	default:
		return false
	}
	env.Finding(f)
	return true
}
