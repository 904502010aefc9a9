package store

// SFTP servers through github.com/pkg/sftp over golang.org/x/crypto/ssh.
// The server's host key is always checked (known_hosts or a pinned key;
// there is no insecure mode). A bundle is written to NAME.partial, which
// a later run resumes after checking the bytes already there against the
// bundle's; the whole file is read back and hashed before it becomes NAME,
// by a hard link (which fails if NAME exists) or else SFTP v3's rename
// (which must fail if NAME exists), never by an overwriting rename.

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/hozen-dfir/hozen/keys"
	"github.com/hozen-dfir/hozen/manifest"
)

// SFTPConfig is how to reach and trust an SFTP server.
type SFTPConfig struct {
	// KnownHosts is an OpenSSH known_hosts file; "" is ~/.ssh/known_hosts.
	KnownHosts string
	// HostKey pins the server's key: a public key line ("ssh-ed25519
	// AAAA...") or its SHA256:... fingerprint. It replaces known_hosts.
	HostKey string
	// Identity is an OpenSSH private key file (or a .pub whose key an
	// ssh-agent holds); "" is the keys of the ssh-agent at SSH_AUTH_SOCK.
	Identity string
	// Passphrase finds the identity's passphrase (a file, the
	// environment, a prompt), never the command line.
	Passphrase keys.Passphrase
	// Timeout bounds the connection and the handshake; 0 is 30 s.
	Timeout time.Duration
}

// ErrHostKey: the server's host key is unknown, changed, or not the one
// pinned; or nothing says which key to expect.
var ErrHostKey = errors.New("the server's host key is not trusted")

// PartialSuffix is added to a bundle's name on the server while it is
// being uploaded.
const PartialSuffix = ".partial"

type sftpDest struct {
	dest       string // sftp://USER@HOST[:PORT]/PATH as given, cleaned
	user, addr string // addr is host:port
	dir        string // remote directory: absolute, or relative to the login directory
	cfg        Config

	once     sync.Once
	err      error
	conn     *ssh.Client
	client   *sftp.Client
	hostKey  string // fingerprint of the key the server showed
	keyError error  // why the host key callback refused, if it did
}

func newSFTP(dest string, cfg Config) (*sftpDest, error) {
	want := "(want sftp://USER@HOST[:PORT]/PATH)"
	rest := strings.TrimPrefix(dest, "sftp://")
	hostpart, p, _ := strings.Cut(rest, "/")
	user, hostport, ok := strings.Cut(hostpart, "@")
	if !ok || user == "" || hostport == "" || strings.ContainsAny(user, ":;") {
		return nil, fmt.Errorf("destination %q: no user %s; a password in the URL is never accepted", dest, want)
	}
	host, port := hostport, "22"
	if h, pt, err := net.SplitHostPort(hostport); err == nil {
		host, port = h, pt
	} else if strings.Count(hostport, ":") > 0 && !strings.HasPrefix(hostport, "[") {
		return nil, fmt.Errorf("destination %q: bad host:port %s", dest, want)
	}
	host = strings.Trim(host, "[]")
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || host == "" {
		return nil, fmt.Errorf("destination %q: bad host or port %s", dest, want)
	}
	// sftp://h/PATH is the absolute /PATH; sftp://h/~/PATH is below the
	// login directory, as curl reads them.
	dir := "/" + p
	if p == "~" || strings.HasPrefix(p, "~/") {
		dir = strings.TrimPrefix(strings.TrimPrefix(p, "~"), "/")
		if dir == "" {
			dir = "."
		}
	}
	dir = path.Clean(dir)
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return nil, fmt.Errorf("destination %q: .. in the path %s", dest, want)
		}
	}
	d := &sftpDest{user: user, addr: net.JoinHostPort(host, port), dir: dir, cfg: cfg}
	d.dest = "sftp://" + user + "@" + hostport + "/" + strings.TrimSuffix(p, "/")
	return d, nil
}

func (d *sftpDest) String() string { return d.dest }
func (d *sftpDest) Kind() string   { return "sftp" }

// endpoint is the server as recorded: sftp://HOST:PORT.
func (d *sftpDest) endpoint() string { return "sftp://" + d.addr }

// remote is the path of name on the server.
func (d *sftpDest) remote(name string) string { return path.Join(d.dir, name) }

// key is the remote path as Stored.Key: Stored.URL then gives back the
// sftp:// URL (absolute paths lose their leading slash to the URL's).
func (d *sftpDest) key(remote string) string {
	if strings.HasPrefix(remote, "/") {
		return remote[1:]
	}
	return "~/" + remote
}

func (d *sftpDest) stored(remote string, size int64) *Stored {
	return &Stored{Store: "sftp", Endpoint: d.endpoint(), Bucket: d.user + "@" + hostOnlyPort(d.addr), Key: d.key(remote), Size: size, HostKey: d.hostKey}
}

// hostOnlyPort drops the default port, as the URL was written.
func hostOnlyPort(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if port == "22" {
		if strings.Contains(host, ":") {
			return "[" + host + "]"
		}
		return host
	}
	return addr
}

func (d *sftpDest) getenv(k string) string {
	if d.cfg.Getenv != nil {
		return d.cfg.Getenv(k)
	}
	return os.Getenv(k)
}

func (d *sftpDest) warn(msg string) {
	if d.cfg.Warn != nil {
		d.cfg.Warn(msg)
	}
}

// Close ends the session with the server.
func (d *sftpDest) Close() error {
	if d.client != nil {
		d.client.Close()
	}
	if d.conn != nil {
		return d.conn.Close()
	}
	return nil
}

// hostKeyCallback decides which host key to accept: the pinned one, else
// those known_hosts lists for the host. Nothing given and no known_hosts
// file is a refusal, before anything is sent.
func (d *sftpDest) hostKeyCallback() (ssh.HostKeyCallback, []string, error) {
	sc := d.cfg.SFTP
	if pin := strings.TrimSpace(sc.HostKey); pin != "" {
		if strings.HasPrefix(pin, "SHA256:") {
			return func(_ string, _ net.Addr, key ssh.PublicKey) error {
				got := ssh.FingerprintSHA256(key)
				if subtle.ConstantTimeCompare([]byte(got), []byte(pin)) != 1 {
					return fmt.Errorf("%w: %s showed %s %s, --host-key pins %s", ErrHostKey, d.addr, key.Type(), got, pin)
				}
				return nil
			}, nil, nil
		}
		want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pin))
		if err != nil {
			return nil, nil, fmt.Errorf("%w: --host-key %q: want a public key line (ssh-ed25519 AAAA...) or SHA256:fingerprint", ErrHostKey, pin)
		}
		return func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if !bytes.Equal(key.Marshal(), want.Marshal()) {
				return fmt.Errorf("%w: %s showed %s %s, --host-key pins %s %s", ErrHostKey, d.addr, key.Type(), ssh.FingerprintSHA256(key), want.Type(), ssh.FingerprintSHA256(want))
			}
			return nil
		}, algorithmsFor(want.Type()), nil
	}
	file := sc.KnownHosts
	if file == "" {
		home := d.getenv("HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return nil, nil, fmt.Errorf("%w: no --host-key, and no home directory for ~/.ssh/known_hosts", ErrHostKey)
			}
			home = h
		}
		file = filepath.Join(home, ".ssh", "known_hosts")
	}
	if _, err := os.Stat(file); err != nil {
		return nil, nil, fmt.Errorf("%w: no --host-key, and no known_hosts file %s (%v)", ErrHostKey, file, errors.Unwrap(err))
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: known_hosts %s: %v", ErrHostKey, file, err)
	}
	// Ask the server only for the kinds of key known_hosts holds for it,
	// else it may show another kind and be refused as changed.
	var algs []string
	var ke *knownhosts.KeyError
	probeAddr := &net.TCPAddr{IP: net.IPv4zero}
	if h, pt, err := net.SplitHostPort(d.addr); err == nil {
		if ip := net.ParseIP(h); ip != nil {
			probeAddr.IP = ip
		}
		probeAddr.Port, _ = strconv.Atoi(pt)
	}
	if err := cb(d.addr, probeAddr, probeKey{}); errors.As(err, &ke) {
		for _, k := range ke.Want {
			algs = append(algs, algorithmsFor(k.Key.Type())...)
		}
	}
	if len(algs) == 0 {
		return nil, nil, fmt.Errorf("%w: %s is not in known_hosts %s", ErrHostKey, knownhosts.Normalize(d.addr), file)
	}
	return func(host string, remote net.Addr, key ssh.PublicKey) error {
		err := cb(host, remote, key)
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &re):
			return fmt.Errorf("%w: %s showed %s %s, which known_hosts %s marks @revoked", ErrHostKey, d.addr, key.Type(), ssh.FingerprintSHA256(key), file)
		case errors.As(err, &ke) && len(ke.Want) > 0:
			return fmt.Errorf("%w: %s showed %s %s, but known_hosts %s line %d holds another key for it: the server's key changed, or someone is in the middle", ErrHostKey, d.addr, key.Type(), ssh.FingerprintSHA256(key), file, ke.Want[0].Line)
		case errors.As(err, &ke):
			return fmt.Errorf("%w: %s (%s %s) is not in known_hosts %s", ErrHostKey, d.addr, key.Type(), ssh.FingerprintSHA256(key), file)
		case err != nil:
			return fmt.Errorf("%w: known_hosts %s: %v", ErrHostKey, file, err)
		}
		return nil
	}, algs, nil
}

// algorithmsFor is the host key algorithms that show a key of type t.
func algorithmsFor(t string) []string {
	if t == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{t}
}

// probeKey is a key no host has: known_hosts answers it with the keys it
// does know for the host.
type probeKey struct{}

func (probeKey) Type() string                              { return "hozen-probe" }
func (probeKey) Marshal() []byte                           { return []byte("hozen-probe") }
func (probeKey) Verify([]byte, *ssh.Signature) error       { return errors.New("probe") }
func (probeKey) String() string                            { return "hozen-probe" }
func (probeKey) VerifyWithAlgorithm([]byte, string) string { return "" }

// auth is the key file, else the ssh-agent.
func (d *sftpDest) auth() (ssh.AuthMethod, error) {
	sc := d.cfg.SFTP
	if sc.Identity != "" {
		s, err := keys.LoadSigner(sc.Identity, sc.Passphrase)
		if err != nil {
			return nil, fmt.Errorf("%w: --ssh-identity: %v", ErrNoCredential, err)
		}
		return ssh.PublicKeys(s), nil
	}
	sock := d.getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil, fmt.Errorf("%w: no --ssh-identity and no ssh-agent (SSH_AUTH_SOCK)", ErrNoCredential)
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("%w: ssh-agent at %s: %v", ErrNoCredential, sock, err)
	}
	return ssh.PublicKeysCallback(agent.NewClient(c).Signers), nil
}

// connect opens the SSH session and the SFTP client once.
func (d *sftpDest) connect() error {
	d.once.Do(func() {
		cb, algs, err := d.hostKeyCallback()
		if err != nil {
			d.err = d.fail("connect", err)
			return
		}
		am, err := d.auth()
		if err != nil {
			d.err = d.fail("connect", err)
			return
		}
		timeout := d.cfg.SFTP.Timeout
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		conf := &ssh.ClientConfig{User: d.user, Auth: []ssh.AuthMethod{am}, HostKeyAlgorithms: algs, Timeout: timeout,
			HostKeyCallback: func(host string, remote net.Addr, key ssh.PublicKey) error {
				d.hostKey = manifest.Fingerprint(key)
				if err := cb(host, remote, key); err != nil {
					d.keyError = err
					return err
				}
				return nil
			}}
		conn, err := ssh.Dial("tcp", d.addr, conf)
		if err != nil {
			if d.keyError != nil {
				err = d.keyError
			}
			d.err = d.fail("connect", err)
			return
		}
		client, err := sftp.NewClient(conn)
		if err != nil {
			conn.Close()
			d.err = d.fail("connect", fmt.Errorf("the server has no sftp subsystem: %w", err))
			return
		}
		d.conn, d.client = conn, client
	})
	return d.err
}

// fail wraps err as an *Error with the next step for what it is.
func (d *sftpDest) fail(op string, err error) error {
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	e := &Error{Op: op, Dest: d.dest, Err: err}
	switch {
	case errors.Is(err, ErrHostKey):
		e.Hint = "check the server's host key out of band, then add it to known_hosts (--known-hosts FILE) or pin it with --host-key \"ssh-ed25519 AAAA...\" or SHA256:...; hozen never accepts an unknown key"
	case errors.Is(err, ErrNoCredential):
		e.Hint = "give --ssh-identity FILE (its passphrase from --ssh-passphrase-file or HOZEN_PASSPHRASE) or run an ssh-agent holding the key; never a password on the command line"
	case strings.Contains(err.Error(), "unable to authenticate"):
		e.Err = fmt.Errorf("%w by %s as %s: %v", ErrCredentials, d.addr, d.user, err)
		e.Hint = "check the user and that the server authorizes the key (--ssh-identity or the ssh-agent's)"
	case isNetError(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, sftp.ErrSSHFxConnectionLost):
		e.Err = fmt.Errorf("%w at %s: %v", ErrUnreachable, d.addr, err)
		e.Hint = "check the host, the port and the network; the bundle stays on disk, and 'hozen push' run again resumes the upload"
	case errors.Is(err, fs.ErrPermission):
		e.Hint = "the user " + d.user + " may not write to " + d.dir + " on the server"
	}
	return e
}

func (d *sftpDest) Preflight(ctx context.Context, p PutOptions) (*PreflightResult, error) {
	if !p.Retention.IsZero() || p.LegalHold {
		return nil, &Error{Op: "preflight", Dest: d.dest, Err: fmt.Errorf("%w: an SFTP server cannot keep a retention or a legal hold", ErrNoLock),
			Hint: "leave out --retention and --legal-hold, or push to an S3 bucket with Object Lock"}
	}
	if err := d.connect(); err != nil {
		return nil, err
	}
	res := &PreflightResult{Endpoint: d.endpoint(), Bucket: d.dir}
	fi, err := d.client.Stat(d.dir)
	if err != nil {
		return nil, d.fail("preflight", fmt.Errorf("directory %s: %w", d.dir, err))
	}
	if !fi.IsDir() {
		return nil, &Error{Op: "preflight", Dest: d.dest, Err: fmt.Errorf("%s is not a directory on the server", d.dir), Hint: "give the directory the bundles go to"}
	}
	// A probe file, created exclusively and removed: SFTP keeps no lock
	// that a probe could hit.
	var rnd [8]byte
	rand.Read(rnd[:])
	probe := d.remote(".hozen-preflight-" + hex.EncodeToString(rnd[:]))
	f, err := d.client.OpenFile(probe, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil, d.fail("preflight", fmt.Errorf("cannot create a file in %s: %w", d.dir, err))
	}
	f.Close()
	if err := d.client.Remove(probe); err != nil {
		d.warn(fmt.Sprintf("the preflight's probe file %s could not be removed: %v", probe, err))
	}
	return res, nil
}

func (d *sftpDest) Stat(ctx context.Context, name string) (*Stored, error) {
	if err := d.connect(); err != nil {
		return nil, err
	}
	remote := d.remote(name)
	fi, err := d.client.Lstat(remote)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &Error{Op: "stat", Dest: d.dest, Err: fmt.Errorf("%w: %s", ErrNotFound, remote), Hint: "check the path"}
	}
	if err != nil {
		return nil, d.fail("stat", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &Error{Op: "stat", Dest: d.dest, Err: fmt.Errorf("%s is not a regular file on the server (%s)", remote, fi.Mode().Type()), Hint: "a stored bundle is a plain file"}
	}
	return d.stored(remote, fi.Size()), nil
}

type sftpObject struct {
	*sftp.File
	info *Stored
}

func (o *sftpObject) Info() *Stored { return o.info }

func (d *sftpDest) Open(ctx context.Context, name string) (Object, error) {
	st, err := d.Stat(ctx, name)
	if err != nil {
		return nil, err
	}
	f, err := d.client.Open(d.remote(name))
	if err != nil {
		return nil, d.fail("open", err)
	}
	return &sftpObject{File: f, info: st}, nil
}

// hashRemote hashes the first n bytes of the remote file (all of it when
// n < 0) into h, and says how many it read.
func (d *sftpDest) hashRemote(remote string, n int64, h hash.Hash) (int64, error) {
	f, err := d.client.Open(remote)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var r io.Reader = f
	if n >= 0 {
		r = io.LimitReader(f, n)
	}
	return io.Copy(h, r)
}

func (d *sftpDest) Put(ctx context.Context, localPath string, p PutOptions) (*Stored, error) {
	fail := func(err error, hint string) (*Stored, error) {
		return nil, &Error{Op: "push", Dest: d.dest, Err: err, Hint: hint}
	}
	if !p.Retention.IsZero() || p.LegalHold {
		return fail(fmt.Errorf("%w: an SFTP server cannot keep a retention or a legal hold", ErrNoLock), "leave out --retention and --legal-hold")
	}
	f, err := os.Open(localPath)
	if err != nil {
		return fail(err, "check the bundle's path")
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail(err, "")
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return fail(fmt.Errorf("%s is not a regular, non-empty file", localPath), "push a sealed bundle")
	}
	size := fi.Size()
	if err := d.connect(); err != nil {
		return nil, err
	}
	name := filepath.Base(localPath)
	remote := d.remote(name)
	partial := remote + PartialSuffix
	out := d.stored(remote, size)
	if err := d.refuseExisting(remote); err != nil {
		return nil, err
	}

	// Resume only from a .partial whose bytes are the bundle's: the
	// remote prefix is read back and hashed against the local one.
	var offset int64
	local := sha256.New()
	if pfi, err := d.client.Lstat(partial); err == nil {
		switch {
		case !pfi.Mode().IsRegular():
			return fail(fmt.Errorf("%s on the server is not a regular file (%s)", partial, pfi.Mode().Type()), "remove it on the server, then push again")
		case pfi.Size() > 0 && pfi.Size() <= size:
			rh := sha256.New()
			n, rerr := d.hashRemote(partial, pfi.Size(), rh)
			if rerr != nil {
				return nil, d.fail("push", fmt.Errorf("read back %s: %w", partial, rerr))
			}
			if _, err := io.Copy(local, io.NewSectionReader(f, 0, n)); err != nil {
				return fail(fmt.Errorf("read %s: %w", localPath, err), "")
			}
			if n == pfi.Size() && bytes.Equal(local.Sum(nil), rh.Sum(nil)) {
				offset = n
				out.Resumed = true
			} else {
				d.warn(fmt.Sprintf("%s on the server differs from the first %d bytes of %s; uploading it again from the start", partial, pfi.Size(), name))
				local.Reset()
			}
		case pfi.Size() > size:
			d.warn(fmt.Sprintf("%s on the server is longer than %s; uploading it again from the start", partial, name))
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, d.fail("push", err)
	}

	flags := os.O_WRONLY | os.O_CREATE
	if offset == 0 {
		flags |= os.O_TRUNC
	}
	rf, err := d.client.OpenFile(partial, flags)
	if err != nil {
		return nil, d.fail("push", fmt.Errorf("open %s: %w", partial, err))
	}
	if _, err := rf.Seek(offset, io.SeekStart); err != nil {
		rf.Close()
		return nil, d.fail("push", err)
	}
	if p.Progress != nil {
		p.Progress(offset, size)
	}
	buf := make([]byte, 1<<20)
	done := offset
	for done < size {
		if err := ctx.Err(); err != nil {
			rf.Close()
			return fail(err, "run 'hozen push' again to resume from "+partial)
		}
		m, err := io.ReadFull(io.NewSectionReader(f, done, min(int64(len(buf)), size-done)), buf[:min(int64(len(buf)), size-done)])
		if err != nil {
			rf.Close()
			return fail(fmt.Errorf("read %s: %w", localPath, err), "")
		}
		local.Write(buf[:m])
		if _, err := rf.Write(buf[:m]); err != nil {
			rf.Close()
			return nil, d.fail("push", fmt.Errorf("write %s at %d: %w (run 'hozen push' again to resume)", partial, done, err))
		}
		done += int64(m)
		if p.Progress != nil {
			p.Progress(done, size)
		}
	}
	if err := rf.Close(); err != nil {
		return nil, d.fail("push", fmt.Errorf("close %s: %w (run 'hozen push' again to resume)", partial, err))
	}
	wantSum := hex.EncodeToString(local.Sum(nil))

	// The whole remote file, read back, is the bundle, or it does not
	// become NAME.
	rh := sha256.New()
	n, err := d.hashRemote(partial, -1, rh)
	if err != nil {
		return nil, d.fail("push", fmt.Errorf("read back %s: %w", partial, err))
	}
	out.SHA256 = hex.EncodeToString(rh.Sum(nil))
	if n != size || out.SHA256 != wantSum {
		return out, &Error{Op: "push", Dest: d.dest,
			Err:  fmt.Errorf("%w: %s read back %d bytes with sha256 %s; the bundle has %d bytes, sha256 %s", ErrMismatch, partial, n, out.SHA256, size, wantSum),
			Hint: "the bundle stays on disk and " + partial + " stays on the server for a look; 'hozen push' run again uploads it afresh"}
	}
	if err := d.publish(partial, remote); err != nil {
		return nil, err
	}
	return out, nil
}

// refuseExisting refuses a NAME that exists on the server, whatever it is.
func (d *sftpDest) refuseExisting(remote string) error {
	_, err := d.client.Lstat(remote)
	switch {
	case err == nil:
		return &Error{Op: "push", Dest: d.dest, Err: fmt.Errorf("%w: %s", ErrExists, remote),
			Hint: "a bundle is never overwritten; 'hozen verify " + d.stored(remote, 0).URL() + "' checks the stored one"}
	case errors.Is(err, fs.ErrNotExist):
		return nil
	}
	return d.fail("push", err)
}

// publish gives the checked partial its name, never over an existing
// file: a hard link (hardlink@openssh.com, link(2): fails if the name
// exists) then the partial's removal; without that extension, SFTP v3's
// rename, which must fail when the name exists (OpenSSH's does; a server
// that overwrites breaks the protocol, and NAME is checked just before;
// pkg/sftp's own server is one such: it renames with os.Rename).
func (d *sftpDest) publish(partial, remote string) error {
	exists := func(err error) error {
		if _, serr := d.client.Lstat(remote); serr == nil {
			return &Error{Op: "push", Dest: d.dest, Err: fmt.Errorf("%w: %s appeared on the server during the upload", ErrExists, remote),
				Hint: "nothing was overwritten; the upload stays as " + partial + "; check who else writes this name"}
		}
		return d.fail("push", fmt.Errorf("name %s: %w (the checked upload stays as %s)", remote, err, partial))
	}
	if _, ok := d.client.HasExtension("hardlink@openssh.com"); ok {
		if err := d.client.Link(partial, remote); err != nil {
			return exists(err)
		}
		if err := d.client.Remove(partial); err != nil {
			d.warn(fmt.Sprintf("%s is stored, but %s could not be removed: %v", remote, partial, err))
		}
		return nil
	}
	if err := d.refuseExisting(remote); err != nil {
		return err
	}
	if err := d.client.Rename(partial, remote); err != nil {
		return exists(err)
	}
	return nil
}
