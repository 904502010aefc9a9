package custody

import (
	"bytes"
	"fmt"

	"github.com/hiddeco/sshsig"
	"golang.org/x/crypto/ssh"
)

// SSHSIG namespaces of the ledger's signatures, so that a signature made for
// one purpose cannot be replayed for another.
const (
	EventNamespace      = "hozen-custody-event"
	CheckpointNamespace = "hozen-custody-head"
)

const sigHash = sshsig.HashSHA512

// SignEvent returns the armored SSHSIG signature of e's
// [Event.SignedMessage]. Append calls it with Options.Signer.
func SignEvent(e *Event, signer ssh.Signer) (string, error) {
	return sign(e.SignedMessage(), signer, EventNamespace)
}

// VerifyEventSignature checks e.Signature against e's fields and returns
// the signer's public key. Whether that key belongs to e.Actor is for the
// reader to decide (compare its fingerprint).
func VerifyEventSignature(e *Event) (ssh.PublicKey, error) {
	return verify(e.SignedMessage(), []byte(e.Signature), EventNamespace)
}

// SignCheckpoint returns an armored SSHSIG signature of c's head value (the
// bytes of c.Text, no newline), checkable with
// `ssh-keygen -Y verify -n hozen-custody-head`.
func SignCheckpoint(c Checkpoint, signer ssh.Signer) (string, error) {
	return sign([]byte(c.Text), signer, CheckpointNamespace)
}

// VerifyCheckpointSignature checks an armored signature of c.Text and
// returns the signer's public key.
func VerifyCheckpointSignature(c Checkpoint, armored []byte) (ssh.PublicKey, error) {
	return verify([]byte(c.Text), armored, CheckpointNamespace)
}

func sign(msg []byte, signer ssh.Signer, ns string) (string, error) {
	sig, err := sshsig.Sign(bytes.NewReader(msg), signer, sigHash, ns)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return string(sshsig.Armor(sig)), nil
}

func verify(msg, armored []byte, ns string) (ssh.PublicKey, error) {
	sig, err := sshsig.Unarmor(armored)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	if sig.Namespace != ns {
		return nil, fmt.Errorf("signature namespace %q, want %q", sig.Namespace, ns)
	}
	if err := sshsig.Verify(bytes.NewReader(msg), sig, sig.PublicKey, sig.HashAlgorithm, ns); err != nil {
		return nil, fmt.Errorf("signature by %s does not match: %w", ssh.FingerprintSHA256(sig.PublicKey), err)
	}
	return sig.PublicKey, nil
}
