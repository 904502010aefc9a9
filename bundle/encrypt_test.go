package bundle

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/manifest"
)

type testKeys struct {
	x25519 *age.X25519Identity
	sshID  age.Identity
	sshPub ssh.PublicKey
}

func newTestKeys(t testing.TB) testKeys {
	t.Helper()
	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	id, err := agessh.NewEd25519Identity(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{x25519: x, sshID: id, sshPub: pub}
}

func (k testKeys) recipients(t testing.TB) []age.Recipient {
	t.Helper()
	r1, err := ParseRecipient(k.x25519.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	r2, err := ParseRecipient(string(ssh.MarshalAuthorizedKey(k.sshPub)))
	if err != nil {
		t.Fatal(err)
	}
	return []age.Recipient{r1, r2}
}

// writeEncrypted writes arts into an encrypted bundle in dir; seal false
// aborts it instead.
func writeEncrypted(t testing.TB, dir string, rcpts []age.Recipient, arts []artifact, seal bool) (*Sealed, string) {
	t.Helper()
	hdr := &manifest.Header{BundleID: "0193aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee", CaseID: "case-1", Examiner: "tester",
		StartedAt: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}
	w, err := Create(dir, "test.tar.zst", hdr, Options{Signer: testSigner(t, 1), Now: fixedClock(), Recipients: rcpts})
	if err != nil {
		t.Fatal(err)
	}
	if got := filepath.Base(w.PartialPath()); got != "test.tar.zst.age.partial" {
		t.Fatalf("partial name %q", got)
	}
	for _, a := range arts {
		rec := a.rec
		rec.Size = int64(len(a.data))
		var err error
		if rec.Entry == manifest.EntryFile {
			err = w.Put(&rec, bytes.NewReader(a.data))
		} else {
			err = w.Put(&rec, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		// Nothing but the encrypted file is ever in the directory.
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 {
			t.Fatalf("%d files in the output directory while writing", len(ents))
		}
	}
	if !seal {
		return nil, w.Abort()
	}
	s, err := w.Seal(manifest.StatusSealed, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Path
}

func decryptVerify(t testing.TB, data []byte, ids ...age.Identity) (*Result, *Decrypted) {
	t.Helper()
	d, err := Decrypt(bytes.NewReader(data), ids...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(d, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res, d
}

func TestEncryptedRoundTrip(t *testing.T) {
	k := newTestKeys(t)
	dir := t.TempDir()
	marker := "PLAINTEXT-MARKER-0123456789"
	arts := append(testArtifacts(), artifact{rec: manifest.Record{Path: "files/secret", Entry: manifest.EntryFile, Source: "/secret", Collector: "files"}, data: []byte(marker)})
	s, path := writeEncrypted(t, dir, k.recipients(t), arts, true)
	if !strings.HasSuffix(path, ".tar.zst.age") || !s.Encrypted {
		t.Fatalf("sealed as %s (encrypted %v)", path, s.Encrypted)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !IsEncrypted(data) {
		t.Fatalf("file does not start with the age header: %q", data[:30])
	}
	for _, plain := range []string{marker, manifest.HeaderPath, "hozen-bundle", "tester"} {
		if bytes.Contains(data, []byte(plain)) {
			t.Errorf("plaintext %q in the encrypted file", plain)
		}
	}
	// The writer's digest is of the file as stored.
	sum := sha256.Sum256(data)
	if s.SHA256 != hex.EncodeToString(sum[:]) || s.Size != int64(len(data)) {
		t.Errorf("writer says %s/%d, the file is %x/%d", s.SHA256, s.Size, sum, len(data))
	}
	if s.StreamSHA256 == s.SHA256 {
		t.Errorf("stream and file digests are the same for an encrypted bundle")
	}
	for name, id := range map[string]age.Identity{"x25519": k.x25519, "ssh-ed25519": k.sshID} {
		res, d := decryptVerify(t, data, id)
		if res.Outcome != Intact || d.Err() != nil {
			t.Fatalf("%s: outcome %s: %v / %v", name, res.Outcome, res.Err, d.Err())
		}
		// The frame index and FileSHA256 of Verify are about the stream.
		if res.FileSHA256 != s.StreamSHA256 || res.FileSize != s.StreamSize {
			t.Errorf("%s: stream %s/%d, writer said %s/%d", name, res.FileSHA256, res.FileSize, s.StreamSHA256, s.StreamSize)
		}
		got, n, err := d.StoredSHA256()
		if err != nil || got != s.SHA256 || n != s.Size {
			t.Errorf("%s: stored %s/%d %v, want %s/%d", name, got, n, err, s.SHA256, s.Size)
		}
	}
	st, err := ReadAgeRecipients(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].Type != "X25519" || st[1].Type != "ssh-ed25519" || st[1].Tag != SSHTag(k.sshPub) {
		t.Fatalf("stanzas %+v, want X25519 and ssh-ed25519 %s", st, SSHTag(k.sshPub))
	}
}

func TestEncryptedWrongIdentity(t *testing.T) {
	k := newTestKeys(t)
	_, path := writeEncrypted(t, t.TempDir(), k.recipients(t)[:1], testArtifacts()[:2], true)
	data, _ := os.ReadFile(path)
	other, _ := age.GenerateX25519Identity()
	_, err := Decrypt(bytes.NewReader(data), other, k.sshID)
	var nm *age.NoIdentityMatchError
	if !errors.As(err, &nm) {
		t.Fatalf("wrong identity: %v", err)
	}
}

// A cut anywhere after the age header is an incomplete bundle, never a
// tampered one; a changed byte before the last chunk is tampering.
func TestEncryptedCutAndFlip(t *testing.T) {
	k := newTestKeys(t)
	// Incompressible data, so the file spans many 64 KiB age chunks: a
	// cut loses the chunk it falls in, and what the frames before held.
	noise := make([]byte, 600<<10)
	rand.Read(noise)
	arts := append(testArtifacts(), artifact{rec: manifest.Record{Path: "files/noise", Entry: manifest.EntryFile, Source: "/noise", Collector: "files"}, data: noise},
		artifact{rec: manifest.Record{Path: "files/tail", Entry: manifest.EntryFile, Source: "/tail", Collector: "files"}, data: []byte("tail")})
	s, path := writeEncrypted(t, t.TempDir(), k.recipients(t)[:1], arts, true)
	data, _ := os.ReadFile(path)
	hdrLen := bytes.Index(data, []byte("\n--- ")) + 1 + 4 + 43 + 1 + 16 // MAC line, nonce
	maxRecords := int64(0)
	for cut := hdrLen; cut < len(data); cut += len(data)/97 + 1 {
		res, d := decryptVerify(t, data[:cut], k.x25519)
		if res.Outcome != Incomplete || d.Err() != nil {
			t.Fatalf("cut at %d of %d: %s %v %v", cut, len(data), res.Outcome, res.Err, d.Err())
		}
		if res.Records < maxRecords {
			t.Fatalf("cut at %d: %d records, fewer than a shorter cut", cut, res.Records)
		}
		maxRecords = res.Records
	}
	if maxRecords == 0 {
		t.Fatal("no cut verified a record")
	}
	for _, at := range []int{hdrLen + 10, hdrLen + 70000, len(data) / 2} {
		mut := bytes.Clone(data)
		mut[at] ^= 1
		res, d := decryptVerify(t, mut, k.x25519)
		var de *DecryptError
		if !errors.As(d.Err(), &de) || res.Outcome == Intact {
			t.Fatalf("flip at %d: %s %v, decrypt %v", at, res.Outcome, res.Err, d.Err())
		}
	}
	// The header's MAC covers the stanzas.
	mut := bytes.Clone(data)
	mut[bytes.Index(mut, []byte("X25519"))+10] ^= 1
	if _, err := Decrypt(bytes.NewReader(mut), k.x25519); err == nil {
		t.Fatal("changed header decrypted")
	}
	_ = s
}

// An aborted encrypted bundle decrypts whole to a cut bundle.
func TestEncryptedAbort(t *testing.T) {
	k := newTestKeys(t)
	_, partial := writeEncrypted(t, t.TempDir(), k.recipients(t), testArtifacts()[:3], false)
	if !strings.HasSuffix(partial, ".tar.zst.age.partial") {
		t.Fatalf("partial %s", partial)
	}
	data, _ := os.ReadFile(partial)
	res, d := decryptVerify(t, data, k.sshID)
	if res.Outcome != Incomplete || d.Err() != nil || res.Records != 3 {
		t.Fatalf("aborted: %s %v, %d records, %v", res.Outcome, res.Err, res.Records, d.Err())
	}
}

func TestParseRecipient(t *testing.T) {
	x, _ := age.GenerateX25519Identity()
	_, err := ParseRecipient(x.String())
	if err == nil || strings.Contains(err.Error(), x.String()) {
		t.Fatalf("private key as recipient: %v", err)
	}
	if _, err := ParseRecipient("ecdsa-sha2-nistp256 AAAA"); err == nil {
		t.Fatal("ecdsa accepted")
	}
	rs, err := ParseRecipients(strings.NewReader("# investigators\n\n" + x.Recipient().String() + "\n"))
	if err != nil || len(rs) != 1 {
		t.Fatalf("recipients file: %v %d", err, len(rs))
	}
	if _, err := ParseRecipients(strings.NewReader("# nobody\n")); err == nil {
		t.Fatal("empty recipients file accepted")
	}
}
