package bundle

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/hozen-dfir/hozen/manifest"
)

// idsOf gives Open these identities.
func idsOf(list ...age.Identity) Identities {
	return func() ([]Identity, error) {
		var out []Identity
		for i, id := range list {
			out = append(out, Identity{File: "key" + string(rune('0'+i)), What: "test key", Identity: id})
		}
		return out, nil
	}
}

// openVerify opens path and verifies it, and sorts what it found.
func openVerify(t *testing.T, path string, ids Identities, opts VerifyOptions) (Status, *Result, error) {
	t.Helper()
	f, err := Open(path, ids)
	if err != nil {
		return Classify(nil, err), nil, err
	}
	defer f.Close()
	res, err := f.Verify(opts)
	return Classify(res, err), res, err
}

func TestOpenPlain(t *testing.T) {
	dir := t.TempDir()
	s := writeBundle(t, dir, testSigner(t, 1), testArtifacts())
	called := false
	f, err := Open(s.Path, func() ([]Identity, error) { called = true; return nil, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Encrypted || called {
		t.Fatalf("plain bundle: encrypted %v, identities loaded %v", f.Encrypted, called)
	}
	res, err := f.Verify(VerifyOptions{})
	if err != nil || res.Status() != StatusIntact {
		t.Fatalf("verify: %v, %v", res.Status(), err)
	}
	sum, err := f.StoredSHA256()
	if err != nil || sum != s.SHA256 || f.StreamSHA256 != s.SHA256 {
		t.Fatalf("stored sha256 %s (stream %s), want %s (%v)", sum, f.StreamSHA256, s.SHA256, err)
	}
}

func TestOpenEncrypted(t *testing.T) {
	k := newTestKeys(t)
	dir := t.TempDir()
	s, path := writeEncrypted(t, dir, k.recipients(t), testArtifacts(), true)
	for _, id := range []age.Identity{k.x25519, k.sshID} {
		st, res, err := openVerify(t, path, idsOf(id), VerifyOptions{})
		if st != StatusIntact || err != nil {
			t.Fatalf("right identity %T: %s, %v", id, st, err)
		}
		if res.FileSHA256 != s.SHA256 {
			t.Errorf("file sha256 %s, want the stored file's %s", res.FileSHA256, s.SHA256)
		}
	}
	// the stored hash, also without reading the bundle to its end
	f, err := Open(path, idsOf(k.x25519))
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := f.StoredSHA256(); err != nil || sum != s.SHA256 {
		t.Errorf("stored sha256 before verify: %s, %v; want %s", sum, err, s.SHA256)
	}
	f.Close()

	other, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	for name, ids := range map[string]Identities{"wrong": idsOf(other), "none": nil} {
		st, _, err := openVerify(t, path, ids, VerifyOptions{})
		var cd *CannotDecryptError
		if st != StatusCannotDecrypt || !errors.As(err, &cd) || len(cd.Recipients) != 2 {
			t.Errorf("%s identity: %s, %v; want cannot-decrypt naming 2 recipients", name, st, err)
		}
	}
	// an identity that matches but cannot be used is the reader's problem
	bad := idsOf(failingIdentity{})
	if st, _, err := openVerify(t, path, bad, VerifyOptions{}); st != StatusCannotDecrypt {
		t.Errorf("unusable identity: %s, %v; want cannot-decrypt", st, err)
	}
}

type failingIdentity struct{}

func (failingIdentity) Unwrap([]*age.Stanza) ([]byte, error) {
	return nil, &IdentityError{Name: "locked", Err: errors.New("wrong passphrase")}
}

func TestOpenDamagedAgeHeader(t *testing.T) {
	k := newTestKeys(t)
	dir := t.TempDir()
	_, path := writeEncrypted(t, dir, k.recipients(t), testArtifacts(), true)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mac := bytes.Index(b, []byte("\n--- ")) + len("\n--- ") + 3
	for name, damage := range map[string]func([]byte){
		"mac":   func(c []byte) { c[mac] ^= 'A' ^ 'B' },
		"parse": func(c []byte) { c[len("age-encryption.org/v1\n")] = '!' },
	} {
		c := bytes.Clone(b)
		damage(c)
		p := filepath.Join(dir, name+".tar.zst.age")
		if err := os.WriteFile(p, c, 0o644); err != nil {
			t.Fatal(err)
		}
		st, _, err := openVerify(t, p, idsOf(k.x25519), VerifyOptions{})
		var ht *HeaderTamperedError
		if st != StatusTampered || !errors.As(err, &ht) {
			t.Errorf("damaged header (%s): %s, %v; want tampered", name, st, err)
		}
	}
}

func TestOpenNotBundleAndIOErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for path, want := range map[string]Status{
		write("notes.txt", "an investigator's notes\n"):                            StatusNotBundle,
		write("empty.tar.zst", ""):                                                 StatusNotBundle,
		write("armored.age", "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END"): StatusNotBundle,
		filepath.Join(dir, "missing.tar.zst"):                                      StatusIOError,
		dir:                                                                        StatusIOError,
	} {
		if st, _, err := openVerify(t, path, nil, VerifyOptions{}); st != want || err == nil {
			t.Errorf("%s: %s, %v; want %s", filepath.Base(path), st, err, want)
		}
	}
}

func TestClassifyResults(t *testing.T) {
	dir := t.TempDir()
	s := writeBundle(t, dir, testSigner(t, 1), testArtifacts())
	trusted := manifest.Trust{{Key: testSigner(t, 1).PublicKey(), Principals: []string{"responder"}}}
	other := manifest.Trust{{Key: testSigner(t, 2).PublicKey(), Principals: []string{"intruder"}}}
	b, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(b)
	flipped[len(b)/2] ^= 1
	cut := filepath.Join(dir, "cut.tar.zst.partial")
	flip := filepath.Join(dir, "flip.tar.zst")
	for p, c := range map[string][]byte{cut: b[:len(b)*6/10], flip: flipped} {
		if err := os.WriteFile(p, c, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		path  string
		trust manifest.Trust
		want  Status
	}{
		{s.Path, trusted, StatusIntact},
		{s.Path, nil, StatusIntact},
		{s.Path, other, StatusUntrusted},
		{flip, trusted, StatusTampered},
		{cut, trusted, StatusIncomplete},
	} {
		if st, _, err := openVerify(t, tc.path, nil, VerifyOptions{Trust: tc.trust}); st != tc.want {
			t.Errorf("%s (trust %d keys): %s (%v), want %s", filepath.Base(tc.path), len(tc.trust), st, err, tc.want)
		}
	}
	if st := Classify(nil, nil); st != StatusIOError {
		t.Errorf("no result, no error: %s", st)
	}
}
