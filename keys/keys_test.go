package keys

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/manifest"
)

// keygen makes an ed25519 key pair with the real ssh-keygen.
func keygen(t *testing.T, dir, name, comment string) (priv, pub string) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	priv = filepath.Join(dir, name)
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", priv).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	return priv, priv + ".pub"
}

func TestLoadTrustAndVouch(t *testing.T) {
	dir := t.TempDir()
	priv, pub := keygen(t, dir, "responder", "responder@lab")
	_, otherPub := keygen(t, dir, "other", "intruder@lab")
	signer, err := LoadSigner(priv, Passphrase{})
	if err != nil {
		t.Fatal(err)
	}

	trust, err := LoadTrust(TrustSource{Pubkey: pub}, nil)
	if err != nil || len(trust) != 1 {
		t.Fatalf("pubkey: %v, %d keys", err, len(trust))
	}
	line, err := Vouch(signer.PublicKey(), trust, "hozen-bundle")
	if err != nil || !strings.Contains(line, "trusted (principal responder@lab)") {
		t.Errorf("vouch, trusted: %q, %v", line, err)
	}
	other, err := LoadTrust(TrustSource{Pubkey: otherPub}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Vouch(signer.PublicKey(), other, "hozen-bundle"); !errors.Is(err, manifest.ErrUntrustedSigner) {
		t.Errorf("vouch by another key: %v, want ErrUntrustedSigner", err)
	}
	if line, err := Vouch(signer.PublicKey(), nil, "hozen-bundle"); err != nil || !strings.Contains(line, "not checked") {
		t.Errorf("vouch without trust: %q, %v", line, err)
	}

	if _, err := LoadTrust(TrustSource{Pubkey: priv}, nil); err == nil || !strings.Contains(err.Error(), "is a private key") {
		t.Errorf("a private key as --pubkey: %v", err)
	}
	if _, err := LoadTrust(TrustSource{Pubkey: filepath.Join(dir, "missing.pub")}, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestLoadTrustAllowedSigners(t *testing.T) {
	dir := t.TempDir()
	_, pub := keygen(t, dir, "responder", "responder@lab")
	b, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	key, _, _, _, err := ssh.ParseAuthorizedKey(b)
	if err != nil {
		t.Fatal(err)
	}
	allowed := filepath.Join(dir, "allowed_signers")
	content := "responder@lab valid-before=\"20300101\" " + strings.TrimSpace(string(b)) + "\nnot a line at all\n"
	if err := os.WriteFile(allowed, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var skipped []error
	warn := func(e error) { skipped = append(skipped, e) }
	trust, err := LoadTrust(TrustSource{Allowed: allowed, Principal: "responder@lab"}, warn)
	if err != nil || len(skipped) != 1 {
		t.Fatalf("allowed_signers: %v, skipped %v", err, skipped)
	}
	if _, err := trust.Check(key, "hozen-bundle"); err != nil {
		t.Errorf("the listed key: %v", err)
	}
	at, err := ParseVerifyTime("20310101")
	if err != nil {
		t.Fatal(err)
	}
	late, err := LoadTrust(TrustSource{Allowed: allowed, At: at}, nil)
	if err == nil {
		if _, cerr := late.Check(key, "hozen-bundle"); cerr == nil {
			t.Errorf("a line past its valid-before still trusts the key at %s", at.Format(time.DateOnly))
		}
	}
}
