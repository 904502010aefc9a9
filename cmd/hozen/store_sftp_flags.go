package main

// The flags of an SFTP destination (push, verify of sftp://..., collect
// --push): whom to trust as the server and which key logs in. No
// password and no passphrase ever comes from the command line.

import (
	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/keys"
	"github.com/hozen-dfir/hozen/store"
)

type sftpFlags struct {
	knownHosts, hostKey, identity, passFile string
}

func (f *sftpFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.knownHosts, "known-hosts", "", "trust the SFTP server's host key as this OpenSSH known_hosts `FILE` lists it (default ~/.ssh/known_hosts)")
	fl.StringVar(&f.hostKey, "host-key", "", "trust only this SFTP host `KEY`: a public key line (\"ssh-ed25519 AAAA...\") or its SHA256:... fingerprint")
	fl.StringVar(&f.identity, "ssh-identity", "", "log in to the SFTP server with this OpenSSH private key `FILE` (or a .pub whose key an ssh-agent holds); default the ssh-agent's keys (SSH_AUTH_SOCK)")
	fl.StringVar(&f.passFile, "ssh-passphrase-file", "", "read the --ssh-identity key's passphrase from `FILE` (else HOZEN_PASSPHRASE, else a prompt)")
}

func (f *sftpFlags) config(a *app) store.SFTPConfig {
	return store.SFTPConfig{KnownHosts: f.knownHosts, HostKey: f.hostKey, Identity: f.identity,
		Passphrase: keys.Passphrase{File: f.passFile, Prompt: a.stderr}}
}
