package manifest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/mod/sumdb/tlog"
)

func TestBStringRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "ünï", "bad\xff\xfe", "nul\x00byte", "\x80"} {
		b, err := json.Marshal(BString(s))
		if err != nil {
			t.Fatal(err)
		}
		var back BString
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q -> %s: %v", s, b, err)
		}
		if string(back) != s {
			t.Errorf("%q -> %s -> %q", s, b, back)
		}
	}
	// The b64 form is only for bytes that are not UTF-8: one value, one encoding.
	var v BString
	if err := json.Unmarshal([]byte(`{"b64":"YWJj"}`), &v); err == nil {
		t.Error("b64 form of valid UTF-8 accepted")
	}
}

func testRecord(seq int64, prev string) *Record {
	return &Record{Seq: seq, Path: "files/etc/passwd", Entry: EntryFile, Source: "/etc/passwd", Collector: "files",
		Size: 3, BytesRead: 3, SHA256: strings.Repeat("a", 64), Outcome: OutcomeOK,
		CollectedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Prev: prev}
}

func TestChain(t *testing.T) {
	header := []byte(`{"format":"hozen-bundle/1"}` + "\n")
	w := NewChain(header)
	if w.Head() != SHA256Hex(header) {
		t.Fatal("chain does not start at the header's hash")
	}
	var raws [][]byte
	for i := 0; i < 5; i++ {
		seq, prev := w.Next()
		r := testRecord(seq, prev)
		raw, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(raw, r); err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
	}
	var m Manifest
	if err := w.Seal(&m); err != nil {
		t.Fatal(err)
	}
	if m.Head != SHA256Hex(raws[4]) || len(m.Records) != 5 || m.Counts.Records != 5 || m.Counts.Bytes != 15 {
		t.Fatalf("sealed manifest %+v", m)
	}

	// A reader rebuilding the chain agrees with the manifest.
	r := NewChain(header)
	for _, raw := range raws {
		rec, err := ParseRecord(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Add(raw, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.CheckManifest(&m); err != nil {
		t.Fatal(err)
	}

	// Every record can be disclosed alone with an inclusion proof.
	var leaves []tlog.Hash
	for _, raw := range raws {
		leaves = append(leaves, LeafHash(raw))
	}
	for seq := int64(1); seq <= 5; seq++ {
		p, err := ProveRecord(leaves, seq)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckInclusion(p, 5, m.MerkleRoot, seq, raws[seq-1]); err != nil {
			t.Errorf("record %d: %v", seq, err)
		}
		if err := CheckInclusion(p, 5, m.MerkleRoot, seq, append([]byte("x"), raws[seq-1]...)); !errors.Is(err, ErrTampered) {
			t.Errorf("record %d: altered bytes pass the proof: %v", seq, err)
		}
	}

	// An edited record breaks the next link and names the edited one.
	r2 := NewChain(header)
	edited := bytes.Replace(raws[1], []byte(`"source":"/etc/passwd"`), []byte(`"source":"/etc/shadow"`), 1)
	seq := 0
	var err error
	for i, raw := range [][]byte{raws[0], edited, raws[2]} {
		rec, perr := ParseRecord(raw)
		if perr != nil {
			t.Fatal(perr)
		}
		if err = r2.Add(raw, rec); err != nil {
			seq = i
			break
		}
	}
	var re *RecordError
	if !errors.As(err, &re) || re.Seq != 2 || seq != 2 || !errors.Is(err, ErrTampered) {
		t.Fatalf("edited record: %v (at %d)", err, seq)
	}

	// A manifest that lists other hashes or counts is caught.
	bad := m
	bad.Records = append([]string(nil), m.Records...)
	bad.Records[3] = strings.Repeat("0", 64)
	if err := r.CheckManifest(&bad); !errors.As(err, &re) || re.Seq != 4 {
		t.Errorf("manifest with a wrong hash: %v", err)
	}
	bad = m
	bad.MerkleRoot = strings.Repeat("0", 64)
	var me *ManifestError
	if err := r.CheckManifest(&bad); !errors.As(err, &me) || me.Field != "merkle_root" {
		t.Errorf("manifest with a wrong root: %v", err)
	}
}

func TestParseStrict(t *testing.T) {
	good, _ := Marshal(testRecord(1, "x"))
	if _, err := ParseRecord(good); err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"unknown field": bytes.Replace(good, []byte(`"seq":1`), []byte(`"seq":1,"extra":true`), 1),
		"trailing data": append(append([]byte(nil), good...), []byte(`{}`)...),
		"bad entry":     bytes.Replace(good, []byte(`"entry":"file"`), []byte(`"entry":"dir"`), 1),
		"zero seq":      bytes.Replace(good, []byte(`"seq":1`), []byte(`"seq":0`), 1),
		"huge number":   bytes.Replace(good, []byte(`"size":3`), []byte(`"size":1e400`), 1),
		"read > size":   bytes.Replace(good, []byte(`"bytes_read":3`), []byte(`"bytes_read":4`), 1),
		"deep nesting":  []byte(strings.Repeat("[", 100000)),
	}
	for name, b := range bad {
		if _, err := ParseRecord(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestSignAndTrust(t *testing.T) {
	key := func(seed byte) ssh.Signer {
		s, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := key(1), key(2)
	msg := []byte(`{"format":"hozen-bundle/1"}`)
	sig, err := Sign(bytes.NewReader(msg), a)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(bytes.NewReader(msg), sig, a.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(bytes.NewReader(append(msg, ' ')), sig, a.PublicKey()); !errors.Is(err, ErrTampered) {
		t.Errorf("changed message: %v", err)
	}
	if err := VerifySignature(bytes.NewReader(msg), sig, b.PublicKey()); !errors.Is(err, ErrTampered) {
		t.Errorf("other key: %v", err)
	}
	pa := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(a.PublicKey())))
	pb := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(b.PublicKey())))
	file := "# investigators\n" +
		"ana@lab namespaces=\"hozen-bundle,file\" " + pa + " comment\n" +
		"bo@lab,carl@lab namespaces=\"git\" " + pb + "\n"
	now := TrustPolicy{At: time.Now()}
	tr, _, err := ParseAllowedSigners("allowed", []byte(file), now)
	if err != nil {
		t.Fatal(err)
	}
	if tk, err := tr.Check(a.PublicKey(), SignatureNamespace); err != nil || tk.Principals[0] != "ana@lab" {
		t.Errorf("lookup a: %v %v", tk, err)
	}
	if _, err := tr.Check(b.PublicKey(), SignatureNamespace); err == nil {
		t.Error("key limited to namespace git trusted for hozen-bundle")
	}
	// A file with no usable line is an error; a malformed line is named
	// by file and line.
	for _, bad := range []string{"ana@lab", "ana@lab bogus-option " + pa, "", "# only a comment\n"} {
		_, lines, err := ParseAllowedSigners("allowed", []byte(bad), now)
		if !errors.Is(err, ErrNoAllowedSigners) {
			t.Errorf("allowed signers %q: %v", bad, err)
		}
		if bad != "" && !strings.HasPrefix(bad, "#") && (len(lines) != 1 || lines[0].Error()[:10] != "allowed:1:") {
			t.Errorf("allowed signers %q: lines %v", bad, lines)
		}
	}
	// A cert-authority line is read, and refused, saying why.
	ca, _, err := ParseAllowedSigners("allowed", []byte("ana@lab cert-authority "+pa), now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Check(a.PublicKey(), SignatureNamespace); !errors.Is(err, ErrUntrustedSigner) || !strings.Contains(err.Error(), "allowed:1: it is a cert-authority line") {
		t.Errorf("cert-authority: %v", err)
	}
	tp, err := ParseAuthorizedKeys([]byte(pa + " ana@lab\n"))
	if err != nil || len(tp) != 1 {
		t.Fatal(err)
	}
	if _, err := tp.Check(a.PublicKey(), SignatureNamespace); err != nil {
		t.Error("pubkey file key not trusted")
	}
}

// FuzzParseRecord: the record parser never panics, and what it accepts
// marshals back to bytes it accepts again, with the same meaning.
func FuzzParseRecord(f *testing.F) {
	good, _ := Marshal(testRecord(1, strings.Repeat("b", 64)))
	f.Add(good)
	f.Add([]byte(`{"seq":1,"path":{"b64":"/w=="},"entry":"none","source":"","collector":"","size":0,"bytes_read":0,"outcome":"ok","collected_at":"2026-01-01T00:00:00Z","prev":""}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRecord(b)
		if err != nil {
			return
		}
		again, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := ParseRecord(again)
		if err != nil {
			t.Fatalf("re-marshalled record does not parse: %v\n%s", err, again)
		}
		if r2.Path != r.Path || r2.SHA256 != r.SHA256 || r2.Seq != r.Seq || r2.Prev != r.Prev {
			t.Fatalf("round trip changed the record")
		}
	})
}

// FuzzParseManifest: the manifest parser never panics.
func FuzzParseManifest(f *testing.F) {
	c := NewChain([]byte("h"))
	var m Manifest
	m.Format, m.BundleID, m.Status = Format, "id", StatusSealed
	if err := c.Seal(&m); err != nil {
		f.Fatal(err)
	}
	good, _ := Marshal(&m)
	f.Add(good)
	f.Add([]byte(`{"format":"hozen-bundle/1","status":"sealed","records":[` + strings.Repeat(`"a",`, 100) + `"a"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err != nil {
			return
		}
		_ = NewChain([]byte("h")).CheckManifest(m)
	})
}

// TestMerkleRootCompact: the chain's compact range (only the complete
// subtrees' roots) gives tlog's RFC 6962 tree hash at every size from 0 to
// 300, across every carry pattern, and a proof from ProveRecord checks
// against it for a record at each edge of the tree.
func TestMerkleRootCompact(t *testing.T) {
	header := []byte(`{"format":"hozen-bundle/1"}`)
	c := NewChain(header)
	var stored HashList
	var leaves []tlog.Hash
	var raws [][]byte
	for n := int64(0); n <= 300; n++ {
		want := SHA256Hex(nil)
		if n > 0 {
			th, err := tlog.TreeHash(n, stored)
			if err != nil {
				t.Fatal(err)
			}
			want = hex.EncodeToString(th[:])
		}
		if got := c.MerkleRoot(); got != want {
			t.Fatalf("%d records: root %s, tlog says %s", n, got, want)
		}
		if n > 0 {
			for _, seq := range []int64{1, n/2 + 1, n} {
				p, err := ProveRecord(leaves, seq)
				if err != nil {
					t.Fatal(err)
				}
				if err := CheckInclusion(p, n, c.MerkleRoot(), seq, raws[seq-1]); err != nil {
					t.Fatalf("%d records, record %d: %v", n, seq, err)
				}
			}
		}
		seq, prev := c.Next()
		raw := []byte(fmt.Sprintf(`{"seq":%d,"prev":%q,"n":%d}`, seq, prev, n))
		if err := c.Add(raw, &Record{Seq: seq, Prev: prev, Entry: EntryNone, Outcome: OutcomeOK}); err != nil {
			t.Fatal(err)
		}
		hs, err := tlog.StoredHashes(n, raw, stored)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
		leaves = append(leaves, LeafHash(raw))
		raws = append(raws, raw)
	}
}

// TestPubkeyIsPrivate: a private key given where a public key belongs is
// named as such, not a parse error.
func TestPubkeyIsPrivate(t *testing.T) {
	priv := "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
	if _, err := ParseAuthorizedKeys([]byte(priv)); !errors.Is(err, ErrPrivateKey) {
		t.Errorf("private key: %v", err)
	}
}
