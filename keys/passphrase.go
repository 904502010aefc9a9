package keys

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// PassphraseEnv names the environment variable scripts use for a key's
// passphrase. Passphrases never come on the command line.
const PassphraseEnv = "HOZEN_PASSPHRASE"

// Passphrase finds a passphrase: a file, the environment, or a prompt on
// the terminal, in that order.
type Passphrase struct {
	File   string    // --passphrase-file
	Prompt io.Writer // where a prompt is written (stderr)
	// Seen, when not nil, hears every passphrase found and where it came
	// from, so that collect can keep it out of the evidence.
	Seen func(name string, value []byte)
}

// Get finds the passphrase; prompt is what the terminal shows, and confirm
// asks twice.
func (p Passphrase) Get(prompt string, confirm bool) ([]byte, error) {
	pw, name, err := p.find(prompt, confirm)
	if err == nil && p.Seen != nil {
		p.Seen(name, pw)
	}
	return pw, err
}

// For is Get with the prompt for the key in file.
func (p Passphrase) For(file string) ([]byte, error) {
	return p.Get(fmt.Sprintf("hozen: passphrase for %s: ", file), false)
}

func (p Passphrase) find(prompt string, confirm bool) ([]byte, string, error) {
	if p.File != "" {
		b, err := os.ReadFile(p.File)
		if err != nil {
			return nil, "", fmt.Errorf("passphrase file: %w", err)
		}
		return bytes.TrimRight(b, "\r\n"), "--passphrase-file", nil
	}
	if v := os.Getenv(PassphraseEnv); v != "" {
		return []byte(v), PassphraseEnv, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) || p.Prompt == nil {
		return nil, "", fmt.Errorf("a passphrase is needed and there is no terminal to ask on; set %s or use --passphrase-file", PassphraseEnv)
	}
	fmt.Fprint(p.Prompt, prompt)
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(p.Prompt)
	if err != nil {
		return nil, "", err
	}
	if confirm {
		fmt.Fprint(p.Prompt, "hozen: same passphrase again: ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(p.Prompt)
		if err != nil {
			return nil, "", err
		}
		if !bytes.Equal(pw, again) {
			return nil, "", errors.New("the passphrases differ")
		}
	}
	return pw, "the passphrase typed at the prompt", nil
}
