package main

import (
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/store/sftptest"
)

// sftpCmds start a real SFTP server (pkg/sftp's, over x/crypto/ssh, on
// 127.0.0.1) for the push and verify scripts.
var sftpCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"sftpserver": cmdSFTPServer,
}

// sftpserver DIR: starts an SFTP server for the script's life, writes
// DIR/known_hosts (its host key) and DIR/id_ed25519 (the user key it
// authorizes), and sets SFTPUSER, SFTPADDR (127.0.0.1:PORT), SFTPKEY (its
// host key line) and SFTPFP (its SHA256 fingerprint).
func cmdSFTPServer(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: sftpserver DIR")
	}
	srv, err := sftptest.Start()
	ts.Check(err)
	ts.Defer(func() { srv.Close() })
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o700))
	_, _, err = srv.WriteFiles(dir)
	ts.Check(err)
	ts.Setenv("SFTPUSER", srv.User)
	ts.Setenv("SFTPADDR", srv.Addr)
	ts.Setenv("SFTPKEY", strings.TrimSpace(srv.AuthorizedKey()))
	ts.Setenv("SFTPFP", ssh.FingerprintSHA256(srv.HostKey))
}
