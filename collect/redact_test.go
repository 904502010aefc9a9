package collect

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// redactAll reads src through a redactReader whose source gives chunk
// bytes at a time, and returns the output and the counts per secret.
func redactAll(t *testing.T, r *Redactor, src []byte, chunk int) ([]byte, []int64) {
	t.Helper()
	x := newRedactReader(r, &chunkReader{r: bytes.NewReader(src), n: chunk})
	out, err := io.ReadAll(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(src) {
		t.Fatalf("chunk %d: %d bytes out of %d in: the stream must keep its length", chunk, len(out), len(src))
	}
	return out, x.counts
}

func mask(n int) string { return strings.Repeat(string(MaskByte), n) }

// TestRedactReader: every occurrence is masked, whatever the read
// boundaries; overlapping occurrences and repeated prefixes are found in
// the source bytes; the output is the same for every chunk size.
func TestRedactReader(t *testing.T) {
	for _, tc := range []struct {
		name, secret, in, want string
		count                  int64
	}{
		{"one", "s3cret-pass", "a=s3cret-pass\n", "a=" + mask(11) + "\n", 1},
		{"many", "s3cret-pass", "s3cret-passxs3cret-pass\x00s3cret-pass", mask(11) + "x" + mask(11) + "\x00" + mask(11), 3},
		// A naive matcher that skips ahead after a partial match misses
		// the occurrence that starts inside the partial one.
		{"repeated prefix", "aab-secret", "aaab-secret aaaab-secret", "a" + mask(10) + " aa" + mask(10), 2},
		{"overlapping", "abab", "xababab", "x" + mask(6), 2},
		{"none", "s3cret-pass", "s3cret-pas s3cret_pass", "s3cret-pas s3cret_pass", 0},
		// The artifact ends in the middle of the secret (a cap cut it):
		// its start is masked too.
		{"cut at the end", "s3cret-pass", "capped: s3cret-p", "capped: " + mask(8), 1},
		{"short tail kept", "s3cret-pass", "ends with s3c", "ends with s3c", 0},
		// In a JSON artifact a quote or an ampersand is escaped.
		{"json escaped", `pa"ss&word`, `{"argv":["pa\"ss\u0026word"]}`, `{"argv":["` + mask(16) + `"]}`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRedactor([]Secret{{Name: "HOZEN_PASSPHRASE", Value: []byte(tc.secret)}}, nil)
			for chunk := 1; chunk <= len(tc.in)+1; chunk++ {
				out, counts := redactAll(t, r, []byte(tc.in), chunk)
				if string(out) != tc.want {
					t.Fatalf("chunk %d: got %q, want %q", chunk, out, tc.want)
				}
				if counts[0] != tc.count {
					t.Fatalf("chunk %d: counted %d, want %d", chunk, counts[0], tc.count)
				}
			}
		})
	}
}

// TestRedactReaderLarge: occurrences straddling every read boundary of a
// large stream, with two secrets, one the other's prefix.
func TestRedactReaderLarge(t *testing.T) {
	long, short := "passphrase-long-one", "passphrase-l"
	r := NewRedactor([]Secret{{Name: "A", Value: []byte(long)}, {Name: "B", Value: []byte(short)}}, nil)
	var in bytes.Buffer
	var nLong, nShort int64
	for i := 0; in.Len() < 3*redactChunk; i++ {
		in.WriteString(strings.Repeat("x", i%97))
		if i%2 == 0 {
			in.WriteString(long)
			nLong++
		} else {
			in.WriteString(short)
			nShort++
		}
	}
	for _, chunk := range []int{redactChunk, 4093, 7, 1} {
		out, counts := redactAll(t, r, in.Bytes(), chunk)
		if bytes.Contains(out, []byte(short)) {
			t.Fatalf("chunk %d: a secret is left", chunk)
		}
		// Every long occurrence also holds the short one.
		if counts[0] != nLong || counts[1] != nLong+nShort {
			t.Fatalf("chunk %d: counts %v, want [%d %d]", chunk, counts, nLong, nLong+nShort)
		}
		want := bytes.ReplaceAll(in.Bytes(), []byte(long), []byte(mask(len(long))))
		want = bytes.ReplaceAll(want, []byte(short), []byte(mask(len(short))))
		if !bytes.Equal(out, want) {
			t.Fatalf("chunk %d: output differs from the whole-buffer replacement", chunk)
		}
	}
	// A source that errs half-way: what came before is flushed, masked.
	x := newRedactReader(r, iotest.TimeoutReader(&chunkReader{r: bytes.NewReader(in.Bytes()), n: 100}))
	b, err := io.ReadAll(x)
	if err != iotest.ErrTimeout || len(b) != 100 {
		t.Fatalf("read %d bytes, err %v; want 100 and the source's error", len(b), err)
	}
}

// TestRedactSink: the sink masks an artifact's bytes before the next sink
// sees (and hashes) them, and the record says what, where and how many.
func TestRedactSink(t *testing.T) {
	secret := "pass-Zq4-sink"
	r := NewRedactor([]Secret{{Name: "HOZEN_PASSPHRASE", Value: []byte(secret)}}, nil)
	mem := &memSink{}
	s := r.Sink(mem)
	body := "HOME=/root\x00HOZEN_PASSPHRASE=" + secret + "\x00x=" + secret
	if err := PutBytes(s, "files/proc/42/environ", "/proc/42/environ", "files", []byte(body), nil); err != nil {
		t.Fatal(err)
	}
	rec := mem.record(t, "files/proc/42/environ")
	got := mem.data["files/proc/42/environ"]
	if bytes.Contains(got, []byte(secret)) || len(got) != len(body) {
		t.Fatalf("stored %q", got)
	}
	if rec.Outcome != manifest.OutcomeRedacted {
		t.Fatalf("outcome %q, want redacted", rec.Outcome)
	}
	w := strings.Join(rec.Warnings, "\n")
	if !strings.Contains(w, "2 occurrence(s) of a secret of hozen's (HOZEN_PASSPHRASE, 13 bytes) in the data") ||
		!strings.Contains(w, "not what sha256sum gives") {
		t.Fatalf("warnings %q", rec.Warnings)
	}
	// A file named after the secret: the record's path and source too.
	if err := PutBytes(s, "files/tmp/"+secret, "/tmp/"+secret, "files", []byte("clean"), nil); err != nil {
		t.Fatal(err)
	}
	rec = mem.recs[len(mem.recs)-1]
	if strings.Contains(string(rec.Path)+string(rec.Source), secret) || rec.Outcome != manifest.OutcomeRedacted {
		t.Fatalf("record %+v", rec)
	}
	if st := r.Stats(); st.Artifacts != 2 || st.Occurrences != 4 {
		t.Fatalf("stats %+v", st)
	}
	// A clean artifact keeps its outcome and gains no warning.
	if err := PutBytes(s, "volatile/clean", "x", "x", []byte("nothing here"), nil); err != nil {
		t.Fatal(err)
	}
	if rec := mem.record(t, "volatile/clean"); rec.Outcome != manifest.OutcomeOK || len(rec.Warnings) != 0 {
		t.Fatalf("clean record %+v", rec)
	}
}

// prehashedBody is a body read ahead and hashed, as prefetch gives.
type prehashedBody struct {
	*bytes.Reader
	b []byte
}

func (p *prehashedBody) Bytes() []byte                     { return p.b }
func (p *prehashedBody) SHA256() ([sha256.Size]byte, bool) { return sha256.Sum256(p.b), true }

// TestRedactSinkPrehashed: a clean body read ahead reaches the writer as
// it is (its digest is reused); one with a secret is masked.
func TestRedactSinkPrehashed(t *testing.T) {
	secret := "pass-Zq4-ahead"
	r := NewRedactor([]Secret{{Name: "--passphrase-file", Value: []byte(secret)}}, nil)
	var seen []io.Reader
	s := r.Sink(sinkFunc(func(rec *manifest.Record, body io.Reader) error {
		seen = append(seen, body)
		_, err := io.Copy(io.Discard, body)
		return err
	}))
	for _, content := range []string{"clean bytes", "has " + secret} {
		b := []byte(content)
		rec := &manifest.Record{Path: "files/a", Entry: manifest.EntryFile, Size: int64(len(b)), Outcome: manifest.OutcomeOK}
		if err := s.Put(rec, &prehashedBody{Reader: bytes.NewReader(b), b: b}); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := seen[0].(Prehashed); !ok {
		t.Fatalf("clean body wrapped: %T", seen[0])
	}
	if _, ok := seen[1].(Prehashed); ok {
		t.Fatalf("body with a secret passed through unmasked: %T", seen[1])
	}
}

type sinkFunc func(*manifest.Record, io.Reader) error

func (f sinkFunc) Put(rec *manifest.Record, body io.Reader) error { return f(rec, body) }

// TestRedactSinkProtectedFiles: hozen's own key file, reached by another
// name (a hard link), is stored as metadata only; another file is not.
func TestRedactSinkProtectedFiles(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "signkey")
	if err := os.WriteFile(key, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte("evidence\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	alias := filepath.Join(dir, "alias")
	if err := os.Link(key, alias); err != nil {
		t.Skip("no hard links here:", err)
	}
	pf, err := ProtectFile(key, "hozen's signing key (--key)")
	if err != nil {
		t.Fatal(err)
	}
	mem := &memSink{}
	r := NewRedactor(nil, []ProtectedFile{pf})
	if err := (&Files{Include: []string{filepath.ToSlash(dir) + "/*"}}).Collect(t.Context(), &Env{Root: "/"}, r.Sink(mem)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{alias, key} {
		rec := mem.record(t, BundlePath(p))
		if rec.Entry != manifest.EntryNone || rec.Outcome != manifest.OutcomeSkipped || mem.data[string(rec.Path)] != nil ||
			!strings.Contains(strings.Join(rec.Warnings, ""), "hozen's signing key (--key), matched by device and inode") {
			t.Fatalf("%s: %+v", p, rec)
		}
	}
	if rec := mem.record(t, BundlePath(other)); rec.Outcome != manifest.OutcomeOK || string(mem.data[string(rec.Path)]) != "evidence\n" {
		t.Fatalf("other: %+v", rec)
	}
	if st := r.Stats(); st.Skipped != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRedactProcess: the passphrase variable is redacted in any process,
// whatever its value; hozen's secret is masked in a command line; each
// process says what was done.
func TestRedactProcess(t *testing.T) {
	secret := "pass-Zq4-proc"
	env := &Env{Root: "/", Redactor: NewRedactor([]Secret{{Name: "HOZEN_PASSPHRASE", Value: []byte(secret)}}, nil)}
	table := &artifact.ProcessTable{Processes: []artifact.Process{
		{PID: 7, Name: "bash", Argv: []manifest.BString{"bash", "-c", manifest.BString("HOZEN_PASSPHRASE=" + secret + " hozen collect")},
			Environ: []manifest.BString{"PATH=/bin", "HOZEN_PASSPHRASE=another-value", "HOZEN_PASSPHRASE_X=kept"}},
		{PID: 8, Name: "sleep", Argv: []manifest.BString{"sleep", "9"}, Environ: []manifest.BString{"PATH=/bin"}},
	}}
	warnings := redactTable(env, table)
	p := table.Processes[0]
	if string(p.Argv[2]) != "HOZEN_PASSPHRASE="+mask(len(secret))+" hozen collect" {
		t.Fatalf("argv %q", p.Argv)
	}
	if string(p.Environ[1]) != "HOZEN_PASSPHRASE="+RedactedValue || p.Environ[0] != "PATH=/bin" || p.Environ[2] != "HOZEN_PASSPHRASE_X=kept" {
		t.Fatalf("environ %q", p.Environ)
	}
	if len(p.Redacted) != 2 || len(table.Processes[1].Redacted) != 0 {
		t.Fatalf("redacted notes %q / %q", p.Redacted, table.Processes[1].Redacted)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "process 7 (bash)") || !strings.Contains(warnings[0], "argv[2]: 1 occurrence(s)") ||
		!strings.Contains(warnings[0], "environ: the value of HOZEN_PASSPHRASE") {
		t.Fatalf("warnings %q", warnings)
	}
	// Without a redactor (no secret known), the variable still goes.
	table = &artifact.ProcessTable{Processes: []artifact.Process{{PID: 9, Environ: []manifest.BString{"HOZEN_PASSPHRASE=x"}}}}
	if redactTable(&Env{}, table); table.Processes[0].Environ[0] != "HOZEN_PASSPHRASE="+RedactedValue {
		t.Fatalf("environ %q", table.Processes[0].Environ)
	}
}

// TestRedactorShort: a short secret is still masked, and named.
func TestRedactorShort(t *testing.T) {
	r := NewRedactor([]Secret{{Name: "HOZEN_PASSPHRASE", Value: []byte("abc")}, {Name: "dup", Value: []byte("abc")}, {Name: "empty"}}, nil)
	if st := r.Stats(); len(st.Short) != 1 || st.Short[0] != "HOZEN_PASSPHRASE" {
		t.Fatalf("stats %+v", st)
	}
	if s, n := r.String("xabcx abc"); s != "x***x ***" || n != 2 {
		t.Fatalf("%q %d", s, n)
	}
}

// BenchmarkRedactReader: the cost of the redactor on an artifact with no
// secret in it (the common case), against a plain copy.
func BenchmarkRedactReader(b *testing.B) {
	data := bytes.Repeat([]byte("Dec  2 04:40:23 host sshd[812]: Accepted publickey for root from 10.0.0.7 port 51122\n"), 1<<14)
	r := NewRedactor([]Secret{{Name: "HOZEN_PASSPHRASE", Value: []byte("pass-Rt5-e2e-phrase")},
		{Name: "key", Value: bytes.Repeat([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0\n"), 5)}}, nil)
	b.Run("copy", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			io.Copy(io.Discard, bytes.NewReader(data))
		}
	})
	b.Run("redact", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			io.Copy(io.Discard, newRedactReader(r, bytes.NewReader(data)))
		}
	})
}
