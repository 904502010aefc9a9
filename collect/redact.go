package collect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// Secrets of hozen's own (a key's passphrase, the files that hold the key
// and the passphrase) never go into a bundle, whoever's environment,
// command line or file holds them on the host. Two layers keep them out:
//
//   - A [Redactor] set in [Env.Redactor] wraps the sink of [Run]: every
//     artifact's bytes pass through a streaming redactor on the way into
//     the bundle, before they are hashed, which replaces every occurrence
//     of a secret value (also in its JSON-escaped form) with a mask of the
//     same length ([MaskByte]); the record's strings (path, source, link
//     target, messages) are masked the same way. A record whose bytes were
//     masked says so: its outcome is [manifest.OutcomeRedacted] (when it
//     was ok) and a warning names the secret and counts the occurrences,
//     because its digest is no longer sha256sum's of the source file.
//     Records of hozen's own key and passphrase files (matched by device
//     and inode, not by path) are stored as metadata only.
//   - The processes collector redacts, in every process, the value of the
//     variables through which hozen takes secrets ([SecretEnvNames]),
//     whatever their value, and masks secret values in command lines and
//     other fields; each process lists what was redacted.

// SecretEnvNames lists the environment variables through which hozen takes
// secrets (a key's passphrase). Their values are redacted in every
// process's environment hozen records.
func SecretEnvNames() []string { return []string{"HOZEN_PASSPHRASE"} }

// RedactedValue replaces the value of a [SecretEnvNames] variable in a
// process's recorded environment.
const RedactedValue = "[redacted by hozen: a passphrase]"

// MaskByte replaces each byte of a secret value found in an artifact.
const MaskByte = '*'

// ShortSecret is the length below which a secret value is likely to occur
// by chance in unrelated evidence: it is still masked wherever it occurs
// (secrecy comes first), and hozen warns that unrelated bytes may have been
// masked with it.
const ShortSecret = 8

// Secret is one secret value hozen holds.
type Secret struct {
	// Name says what it is, never what it holds: "HOZEN_PASSPHRASE",
	// "--passphrase-file", "the key's passphrase (prompt)".
	Name  string
	Value []byte
}

// ProtectedFile is one of hozen's own secret files (its signing key, its
// passphrase file): never collected, whatever path leads to it.
type ProtectedFile struct {
	// Path is the path as given, for messages.
	Path string
	// Why says what the file is: "hozen's signing key (--key)".
	Why string
	// dev and ino identify the file where the OS has them (hasID);
	// elsewhere abs is compared with a record's source.
	dev, ino uint64
	hasID    bool
	abs      string
}

// ProtectFile describes the file at path (following a symlink: the file
// whose bytes hozen reads) as one not to collect.
func ProtectFile(path, why string) (ProtectedFile, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return ProtectedFile{}, err
	}
	p := ProtectedFile{Path: path, Why: why}
	p.dev, p.ino, p.hasID = fileDevIno(fi)
	if abs, err := filepath.Abs(path); err == nil {
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
		p.abs = filepath.ToSlash(abs)
	}
	return p, nil
}

// matches reports whether m (a record's file metadata) or source (its host
// path) is this file.
func (p *ProtectedFile) matches(m *manifest.FileMeta, source string) bool {
	if p.hasID && m != nil && (m.Device != 0 || m.Inode != 0) {
		return m.Device == p.dev && m.Inode == p.ino
	}
	if p.abs == "" {
		return false
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return strings.EqualFold(source, p.abs)
	}
	return source == p.abs
}

// Redactor keeps hozen's secrets out of what it stores. The zero value and
// nil redact nothing. It is safe for concurrent use.
type Redactor struct {
	secrets []Secret
	needles []needle
	maxLen  int
	files   []ProtectedFile

	mu    sync.Mutex
	stats RedactStats
}

// needle is one byte form of a secret: the raw value or its JSON escape.
type needle struct {
	b      []byte
	secret int
}

// RedactStats is what a [Redactor] did.
type RedactStats struct {
	// Artifacts counts records whose bytes or strings had a secret masked.
	Artifacts int64 `json:"artifacts"`
	// Occurrences counts the secret values masked.
	Occurrences int64 `json:"occurrences"`
	// Skipped counts hozen's own secret files stored as metadata only.
	Skipped int64 `json:"skipped_files"`
	// Short names the secrets shorter than [ShortSecret] bytes.
	Short []string `json:"short_secrets,omitempty"`
}

// NewRedactor returns a redactor for secrets (empty values are ignored,
// equal ones kept once under the first name) and files.
func NewRedactor(secrets []Secret, files []ProtectedFile) *Redactor {
	r := &Redactor{files: files}
	for _, s := range secrets {
		if len(s.Value) == 0 || slices.ContainsFunc(r.secrets, func(o Secret) bool { return bytes.Equal(o.Value, s.Value) }) {
			continue
		}
		idx := len(r.secrets)
		r.secrets = append(r.secrets, Secret{Name: s.Name, Value: bytes.Clone(s.Value)})
		if len(s.Value) < ShortSecret {
			r.stats.Short = append(r.stats.Short, s.Name)
		}
		for _, form := range secretForms(s.Value) {
			if !slices.ContainsFunc(r.needles, func(n needle) bool { return bytes.Equal(n.b, form) }) {
				r.needles = append(r.needles, needle{b: form, secret: idx})
				r.maxLen = max(r.maxLen, len(form))
			}
		}
	}
	return r
}

// secretForms is v and the forms in which JSON output holds it (with and
// without HTML escaping), so that a secret inside a JSON artifact is found
// whatever characters it has.
func secretForms(v []byte) [][]byte {
	forms := [][]byte{v}
	add := func(b []byte) {
		b = bytes.TrimSuffix(b, []byte("\n"))
		if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
			b = b[1 : len(b)-1]
		}
		if len(b) > 0 && !slices.ContainsFunc(forms, func(f []byte) bool { return bytes.Equal(f, b) }) {
			forms = append(forms, b)
		}
	}
	if b, err := json.Marshal(string(v)); err == nil {
		add(b)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(string(v)) == nil {
		add(buf.Bytes())
	}
	return forms
}

func (r *Redactor) active() bool { return r != nil && (len(r.needles) > 0 || len(r.files) > 0) }

// Stats returns what the redactor did so far.
func (r *Redactor) Stats() RedactStats {
	if r == nil {
		return RedactStats{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.Short = slices.Clone(s.Short)
	return s
}

func (r *Redactor) count(artifacts, occurrences, skipped int64) {
	r.mu.Lock()
	r.stats.Artifacts += artifacts
	r.stats.Occurrences += occurrences
	r.stats.Skipped += skipped
	r.mu.Unlock()
}

// Sink wraps s: what reaches s carries no secret.
func (r *Redactor) Sink(s Sink) Sink {
	if !r.active() {
		return s
	}
	return &redactSink{r: r, sink: s}
}

// Bytes masks every secret in b, in place, and returns how many
// occurrences of each secret (by index) it masked.
func (r *Redactor) Bytes(b []byte) []int64 {
	if r == nil || len(r.needles) == 0 {
		return nil
	}
	counts := make([]int64, len(r.secrets))
	rr := &redactReader{r: r, counts: counts}
	spans := rr.find(b, 0, len(b))
	spans = append(spans, rr.tail(b, 0, spans)...)
	for _, sp := range spans {
		for i := sp.start; i < sp.end; i++ {
			b[i] = MaskByte
		}
	}
	return counts
}

// String is Bytes for a string; n counts the occurrences masked.
func (r *Redactor) String(s string) (out string, n int64) {
	if r == nil || len(r.needles) == 0 {
		return s, 0
	}
	b := []byte(s)
	for _, c := range r.Bytes(b) {
		n += c
	}
	if n == 0 {
		return s, 0
	}
	return string(b), n
}

// describe turns per-secret counts into record warnings.
func (r *Redactor) describe(counts []int64, where string) (warnings []string, total int64) {
	for i, c := range counts {
		if c == 0 {
			continue
		}
		total += c
		s := r.secrets[i]
		w := fmt.Sprintf("redacted by hozen: %d occurrence(s) of a secret of hozen's (%s, %d bytes) in %s replaced with as many %q bytes",
			c, s.Name, len(s.Value), where, MaskByte)
		if len(s.Value) < ShortSecret {
			w += fmt.Sprintf("; the secret is shorter than %d bytes, so some may be unrelated bytes that match it by chance", ShortSecret)
		}
		warnings = append(warnings, w)
	}
	return warnings, total
}

// redactSink applies a [Redactor] to every artifact on its way to sink.
type redactSink struct {
	r    *Redactor
	sink Sink
}

func (s *redactSink) Put(rec *manifest.Record, body io.Reader) error {
	r := s.r
	for i := range r.files {
		if f := &r.files[i]; f.matches(rec.File, string(rec.Source)) && rec.Entry != manifest.EntrySymlink {
			// Metadata only: its bytes are a secret of hozen's own.
			rec.Entry = manifest.EntryNone
			rec.Size = 0
			rec.Outcome = manifest.OutcomeSkipped
			rec.Warnings = append(rec.Warnings, fmt.Sprintf("not collected: this is %s, matched by device and inode; metadata only", f.Why))
			body = nil
			r.count(0, 0, 1)
			break
		}
	}
	masked := s.redactRecord(rec)
	if rec.Entry != manifest.EntryFile || body == nil || len(r.needles) == 0 {
		if masked > 0 {
			r.count(1, masked, 0)
			if rec.Outcome == manifest.OutcomeOK {
				rec.Outcome = manifest.OutcomeRedacted
			}
		}
		return s.sink.Put(rec, body)
	}
	if p, ok := body.(Prehashed); ok {
		if b := p.Bytes(); int64(len(b)) == rec.Size && !r.contains(b) {
			// Read ahead and clean: keep the body, and its digest.
			if masked > 0 {
				r.count(1, masked, 0)
				if rec.Outcome == manifest.OutcomeOK {
					rec.Outcome = manifest.OutcomeRedacted
				}
			}
			return s.sink.Put(rec, body)
		}
	}
	rb := &redactBody{redactReader: newRedactReader(r, io.LimitReader(body, rec.Size)), inner: body, recMasked: masked}
	return s.sink.Put(rec, rb)
}

// contains reports whether b holds a secret, or ends with the start of one.
func (r *Redactor) contains(b []byte) bool {
	rr := &redactReader{r: r, counts: make([]int64, len(r.secrets))}
	return len(rr.find(b, 0, len(b))) > 0 || len(rr.tail(b, 0, nil)) > 0
}

// redactRecord masks secrets in the record's strings and says so in its
// warnings; it returns the occurrences masked.
func (s *redactSink) redactRecord(rec *manifest.Record) int64 {
	r := s.r
	if len(r.needles) == 0 {
		return 0
	}
	var total int64
	var notes []string
	field := func(name string, v *string) {
		out, n := r.String(*v)
		if n == 0 {
			return
		}
		*v = out
		total += n
		notes = append(notes, fmt.Sprintf("redacted by hozen: %d occurrence(s) of a secret of hozen's in the record's %s replaced with %q bytes", n, name, MaskByte))
	}
	bfield := func(name string, v *manifest.BString) {
		str := string(*v)
		field(name, &str)
		*v = manifest.BString(str)
	}
	bfield("path", &rec.Path)
	bfield("source", &rec.Source)
	if rec.File != nil && rec.File.LinkTarget != nil {
		t := *rec.File.LinkTarget
		bfield("link target", &t)
		rec.File.LinkTarget = &t
	}
	for i := range rec.Errors {
		field("errors", &rec.Errors[i])
	}
	for i := range rec.Warnings {
		field("warnings", &rec.Warnings[i])
	}
	rec.Warnings = append(rec.Warnings, notes...)
	return total
}

// redactBody is an artifact's body seen through a [redactReader]; it
// amends the record after the body's own report.
type redactBody struct {
	*redactReader
	inner     io.Reader
	recMasked int64
}

// Report implements [Reporter].
func (b *redactBody) Report(rec *manifest.Record) {
	if rep, ok := b.inner.(Reporter); ok {
		rep.Report(rec)
	}
	warnings, n := b.r.describe(b.counts, "the data")
	if n == 0 && b.recMasked == 0 {
		return
	}
	b.r.count(1, n+b.recMasked, 0)
	if n > 0 {
		rec.Warnings = append(rec.Warnings, warnings...)
		rec.Warnings = append(rec.Warnings, "the stored bytes are not a byte-for-byte copy of the source: the sha256 above is of the redacted bytes, not what sha256sum gives for the file on the host")
	}
	if rec.Outcome == manifest.OutcomeOK {
		rec.Outcome = manifest.OutcomeRedacted
	}
}

// redactReader masks every occurrence of a redactor's needles in what it
// reads from src, with as many [MaskByte] bytes: the stream keeps its
// length. Matches are found in the source bytes (never in masks already
// applied), overlapping ones included, across read boundaries: the last
// maxLen-1 bytes of what was read are held back until more arrive or the
// source ends. At the end, a tail that is the start of a needle (an
// artifact cut in the middle of a secret) is masked too when it is at
// least min(4, len-1) bytes long. The output does not depend on how src
// splits its reads.
type redactReader struct {
	r      *Redactor
	src    io.Reader
	buf    []byte
	rd     int   // buf[:rd] was returned
	ready  int   // buf[rd:ready] is final (masked), to return
	w      int   // buf[ready:w] is held back
	base   int64 // stream offset of buf[0]
	masks  []span
	counts []int64
	err    error
}

type span struct{ start, end int64 }

// redactChunk is how much a redactReader reads from its source at once.
const redactChunk = 64 << 10

func newRedactReader(r *Redactor, src io.Reader) *redactReader {
	return &redactReader{r: r, src: src, buf: make([]byte, redactChunk+2*r.maxLen), counts: make([]int64, len(r.secrets))}
}

func (x *redactReader) Read(p []byte) (int, error) {
	for x.rd == x.ready {
		if x.err != nil {
			return 0, x.err
		}
		if !x.fill() {
			return 0, nil // the source read nothing; so do we
		}
	}
	n := copy(p, x.buf[x.rd:x.ready])
	x.rd += n
	return n, nil
}

// fill reads once from src and makes final what can be; it reports whether
// the source gave anything (or ended).
func (x *redactReader) fill() bool {
	if x.rd > 0 {
		copy(x.buf, x.buf[x.rd:x.w])
		x.base += int64(x.rd)
		x.ready -= x.rd
		x.w -= x.rd
		x.rd = 0
	}
	n, err := x.src.Read(x.buf[x.w:])
	if n < 0 || n > len(x.buf)-x.w {
		n, err = 0, fmt.Errorf("body read returned %d bytes for a buffer of %d", n, len(x.buf)-x.w)
	}
	x.w += n
	if err != nil {
		x.err = err
	}
	limit := x.w - (x.r.maxLen - 1)
	if x.err != nil {
		limit = x.w
	}
	if limit > x.ready {
		x.masks = append(x.masks, x.find(x.buf[:x.w], x.ready, limit)...)
		if x.err != nil {
			x.masks = append(x.masks, x.tail(x.buf[:x.w], x.ready, x.masks)...)
		}
		x.apply(x.ready, limit)
		x.ready = limit
	}
	return n > 0 || err != nil
}

// find returns the spans (stream offsets) of every needle occurrence in b
// that starts at an index in [from, limit), and counts them.
func (x *redactReader) find(b []byte, from, limit int) []span {
	var out []span
	for _, nd := range x.r.needles {
		end := min(len(b), limit+len(nd.b)-1)
		for i := from; i < end; {
			j := bytes.Index(b[i:end], nd.b)
			if j < 0 {
				break
			}
			st := i + j
			out = append(out, span{x.base + int64(st), x.base + int64(st+len(nd.b))})
			x.counts[nd.secret]++
			i = st + 1
		}
	}
	return out
}

// tail returns the span of the longest end of b (starting at from or
// later) that is the start of a needle, at least min(4, len-1) bytes long,
// unless masks cover it already.
func (x *redactReader) tail(b []byte, from int, masks []span) []span {
	best := 0
	bestSecret := -1
	for _, nd := range x.r.needles {
		minLen := max(1, min(4, len(nd.b)-1))
		for k := min(len(nd.b)-1, len(b)-from); k >= minLen; k-- {
			if bytes.Equal(b[len(b)-k:], nd.b[:k]) {
				if k > best {
					best, bestSecret = k, nd.secret
				}
				break
			}
		}
	}
	if best == 0 {
		return nil
	}
	sp := span{x.base + int64(len(b)-best), x.base + int64(len(b))}
	// Covered already when the spans that reach into it leave no gap.
	for i := sp.start; ; {
		next := i
		for _, m := range masks {
			if m.start <= i && m.end > next {
				next = m.end
			}
		}
		if next >= sp.end {
			return nil
		}
		if next == i {
			break
		}
		i = next
	}
	x.counts[bestSecret]++
	return []span{sp}
}

// apply masks buf[from:to] where the spans cover it, and drops the spans
// that end before to.
func (x *redactReader) apply(from, to int) {
	lo, hi := x.base+int64(from), x.base+int64(to)
	keep := x.masks[:0]
	for _, m := range x.masks {
		for i := max(m.start, lo); i < min(m.end, hi); i++ {
			x.buf[i-x.base] = MaskByte
		}
		if m.end > hi {
			keep = append(keep, m)
		}
	}
	x.masks = keep
}

// redactProcess redacts, in one process's environment, the values of the
// [SecretEnvNames] variables (whatever they hold) and masks hozen's secret
// values elsewhere; it returns what it did, for the process's record.
func (r *Redactor) redactProcess(pr *artifact.Process) []string {
	var notes []string
	for i, e := range pr.Environ {
		for _, name := range SecretEnvNames() {
			if strings.HasPrefix(string(e), name+"=") && string(e) != name+"="+RedactedValue {
				pr.Environ[i] = manifest.BString(name + "=" + RedactedValue)
				notes = append(notes, fmt.Sprintf("environ: the value of %s replaced with %q", name, RedactedValue))
			}
		}
	}
	if r == nil || len(r.needles) == 0 {
		return notes
	}
	mask := func(field string, v *manifest.BString) {
		b := []byte(*v)
		counts := r.Bytes(b)
		var n int64
		for _, c := range counts {
			n += c
		}
		if n == 0 {
			return
		}
		*v = manifest.BString(b)
		var names []string
		for i, c := range counts {
			if c > 0 {
				names = append(names, r.secrets[i].Name)
			}
		}
		notes = append(notes, fmt.Sprintf("%s: %d occurrence(s) of a secret of hozen's (%s) replaced with %q bytes", field, n, strings.Join(names, ", "), MaskByte))
	}
	mask("name", &pr.Name)
	for i := range pr.Argv {
		mask(fmt.Sprintf("argv[%d]", i), &pr.Argv[i])
	}
	for i := range pr.Environ {
		mask(fmt.Sprintf("environ[%d]", i), &pr.Environ[i])
	}
	mask("exe", &pr.Exe)
	mask("cwd", &pr.Cwd)
	mask("root", &pr.Root)
	for i := range pr.FDs {
		mask(fmt.Sprintf("fd %d", pr.FDs[i].FD), &pr.FDs[i].Target)
	}
	return notes
}

// redactTable applies redactProcess to every process of t and returns the
// warnings for the table's record.
func redactTable(env *Env, t *artifact.ProcessTable) []string {
	var warnings []string
	var n int64
	for i := range t.Processes {
		pr := &t.Processes[i]
		notes := env.Redactor.redactProcess(pr)
		if len(notes) == 0 {
			continue
		}
		pr.Redacted = append(pr.Redacted, notes...)
		n += int64(len(notes))
		warnings = append(warnings, fmt.Sprintf("redacted by hozen in process %d (%s): %s", pr.PID, pr.Name, strings.Join(notes, "; ")))
	}
	if n > 0 && env.Redactor != nil {
		env.Redactor.count(1, n, 0)
	}
	return warnings
}

// putJSONRedacted is PutJSON whose record carries the redaction warnings
// (and outcome redacted) of a structured artifact.
func putJSONRedacted(sink Sink, path, collector string, v artifact.Doc, warnings []string) error {
	if len(warnings) == 0 {
		return PutJSON(sink, path, collector, v)
	}
	v.Stamp()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	rec := &manifest.Record{
		Path:      manifest.BString(path),
		Entry:     manifest.EntryFile,
		Source:    manifest.BString(collector),
		Collector: collector,
		Size:      int64(len(b)),
		Outcome:   manifest.OutcomeRedacted,
		Warnings:  warnings,
	}
	return sink.Put(rec, bytes.NewReader(b))
}
