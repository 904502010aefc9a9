// Package keys loads the keys hozen signs and decrypts with, and decides
// whom to trust: an OpenSSH signing key (from a file or an ssh-agent), the
// passphrase that unlocks one, and the trusted keys of a .pub file or an
// OpenSSH allowed_signers file. It reads files, the environment and the
// terminal; the checks themselves are pure and live in package manifest.
package keys
