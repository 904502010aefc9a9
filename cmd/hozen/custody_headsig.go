package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/keys"
	"github.com/hozen-dfir/hozen/manifest"
)

// headSigning is 'custody head --key KEY --signature FILE': the actor signs
// the checkpoint (namespace hozen-custody-head), so the head kept elsewhere
// says who vouched for it, checkable with ssh-keygen -Y verify.
type headSigning struct {
	sign signingFlags
	out  string
}

func (h *headSigning) write(a *app, cp custody.Checkpoint) error {
	if h.sign.key == "" && h.out == "" {
		return nil
	}
	if h.sign.key == "" || h.out == "" {
		return usageError{cmd: "custody head", err: errors.New("--key and --signature go together")}
	}
	signer, err := h.sign.signer(a)
	if err != nil {
		return err
	}
	sig, err := custody.SignCheckpoint(cp, signer)
	if err != nil {
		return err
	}
	if err := writeNew(h.out, []byte(sig), 0o644); err != nil {
		return withCode(exitUsage, err)
	}
	fmt.Fprintf(a.stderr, "hozen: head signed by %s into %s\n", manifest.Fingerprint(signer.PublicKey()), h.out)
	return nil
}

// headSignatureCheck is 'custody verify --head VALUE --head-signature FILE
// [--pubkey FILE | --allowed-signers FILE]'.
type headSignatureCheck struct {
	sig   string
	trust trustFlags
}

// check verifies the signature of head and, with trusted keys, its signer.
// It returns a line for the output.
func (h *headSignatureCheck) check(a *app, head string) (string, error) {
	if h.sig == "" {
		if h.trust != (trustFlags{}) {
			return "", usageError{cmd: "custody verify", err: errors.New("--pubkey and --allowed-signers (and --principal, --verify-time) check a --head-signature")}
		}
		return "", nil
	}
	if head == "" {
		return "", usageError{cmd: "custody verify", err: errors.New("--head-signature needs the --head (or --head-file) it signs")}
	}
	cp, err := custody.ParseHead(head)
	if err != nil {
		return "", usageError{cmd: "custody verify", err: err}
	}
	armored, err := os.ReadFile(h.sig)
	if err != nil {
		return "", withCode(exitUsage, err)
	}
	trust, err := h.trust.load(a, "verify")
	if err != nil {
		return "", err
	}
	pub, err := custody.VerifyCheckpointSignature(cp, armored)
	if err != nil {
		return "", withCode(exitFailed, fmt.Errorf("head signature %s: %w", h.sig, err))
	}
	line, err := keys.Vouch(pub, trust, custody.CheckpointNamespace)
	if err != nil {
		return "", withCode(exitFailed, fmt.Errorf("head signature %s: %w", h.sig, err))
	}
	return "head " + line, nil
}
