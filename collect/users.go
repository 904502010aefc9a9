package collect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"slices"
	"strings"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/etc"
	"github.com/hozen-dfir/hozen/collect/logins"
	"github.com/hozen-dfir/hozen/manifest"
)

// Users is the users-and-logins collector. On Linux (and on any fixture
// root) it parses the host's login records itself:
//
//	volatile/users/sessions.json       utmp: who is logged in now
//	volatile/users/logins.json         wtmp (and wtmp.1): login history
//	volatile/users/failed_logins.json  btmp (and btmp.1): failed logins
//	volatile/users/lastlog.json        lastlog, joined to /etc/passwd names
//	volatile/users/accounts.json       /etc/passwd and /etc/group parsed
//
// The raw files (passwd, shadow, sudoers, authorized_keys, histories and
// the login records) are copied by the profile's "accounts" file group, not
// here. Elsewhere the sessions come from gopsutil.
type Users struct{}

// Name implements Collector.
func (*Users) Name() string { return "users" }

// Collect implements Collector.
func (u *Users) Collect(ctx context.Context, env *Env, sink Sink) error {
	if !readsLinuxTree(env) {
		return u.collectNative(ctx, env, sink)
	}
	return u.collectLinux(ctx, env, sink)
}

// readsLinuxTree reports whether collectors read Linux files under
// env.Root: on Linux, and on a fixture root anywhere.
func readsLinuxTree(env *Env) bool {
	return runtime.GOOS == "linux" || (env.Root != "" && env.Root != "/")
}

// Limits of the users collector's JSON (the raw files are whole in the
// accounts file group).
const (
	// MaxLoginRecords is the most records parsed per login file.
	MaxLoginRecords = 100_000
	// lastlogScanBytes is how much of lastlog is read in sequence; uids
	// of /etc/passwd past it are read one by one (the file is sparse and
	// may be terabytes long for high uids).
	lastlogScanBytes = 64 << 20
	// accountFileBytes caps /etc/passwd and /etc/group reads.
	accountFileBytes = 16 << 20
)

func (u *Users) collectLinux(ctx context.Context, env *Env, sink Sink) error {
	accts := readAccounts(ctx, env)
	if err := putJSONErrs(sink, artifact.PathAccounts, "users", &accts, accts.Errors); err != nil {
		return err
	}

	// utmp lives in /run; /var/run is a link to it on current systems,
	// its own file on old ones.
	utmp := "/run/utmp"
	if _, err := os.Lstat(env.Path(utmp)); errors.Is(err, fs.ErrNotExist) {
		utmp = "/var/run/utmp"
	}
	if err := putLoginFiles(ctx, env, sink, artifact.PathSessions, []string{utmp}); err != nil {
		return err
	}
	if err := putLoginFiles(ctx, env, sink, artifact.PathLogins, rotated(env, "/var/log/wtmp")); err != nil {
		return err
	}
	if err := putLoginFiles(ctx, env, sink, artifact.PathFailedLogins, rotated(env, "/var/log/btmp")); err != nil {
		return err
	}
	ll := readLastlog(ctx, env, "/var/log/lastlog", accts.Users)
	return putJSONErrs(sink, artifact.PathLastlog, "users", &ll, ll.Errors)
}

// rotated returns base and its uncompressed rotations (base.1, base-20250301)
// in name order; compressed rotations are left to the file groups.
func rotated(env *Env, base string) []string {
	out := []string{base}
	dir, name := path.Split(base)
	ents, err := readDirNoAtime(env.Path(dir))
	if err != nil {
		return out
	}
	for _, e := range ents {
		n := e.Name()
		if n == name || !strings.HasPrefix(n, name) {
			continue
		}
		rest := n[len(name):]
		if rest[0] != '.' && rest[0] != '-' {
			continue // btmpx is not a rotation of btmp
		}
		if slices.ContainsFunc([]string{".gz", ".xz", ".bz2", ".zst", ".lz4", ".Z"}, func(s string) bool { return strings.HasSuffix(n, s) }) {
			continue
		}
		out = append(out, dir+n)
	}
	return out
}

func putLoginFiles(ctx context.Context, env *Env, sink Sink, path string, sources []string) error {
	doc := artifact.LoginFiles{Layout: artifact.LoginLayout}
	var errs []string
	for _, src := range sources {
		lf := readLoginFile(ctx, env, src)
		for _, e := range lf.Errors {
			errs = append(errs, src+": "+e)
		}
		doc.Files = append(doc.Files, lf)
	}
	return putJSONErrs(sink, path, "users", &doc, errs)
}

// openRegular lstats and opens a host file for reading, refusing anything
// but a regular file (a FIFO planted at /var/log/wtmp must not hang us).
func openRegular(env *Env, hostPath string) (*os.File, fs.FileInfo, error) {
	local := env.Path(hostPath)
	fi, err := os.Lstat(local)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fi, fmt.Errorf("not a regular file (%s): not read", fi.Mode().Type())
	}
	f, err := openNoFollow(local)
	if err != nil {
		return nil, fi, err
	}
	return f, fi, nil
}

func readLoginFile(ctx context.Context, env *Env, src string) artifact.LoginFile {
	lf := artifact.LoginFile{Source: src, Outcome: manifest.OutcomeOK, Records: []artifact.LoginRecord{}}
	f, fi, err := openRegular(env, src)
	if fi != nil {
		lf.Size = fi.Size()
		lf.File = fileMeta(env.Path(src), fi)
	}
	if err != nil {
		lf.Outcome = outcomeOf(err)
		if errors.Is(err, fs.ErrNotExist) {
			lf.Outcome = artifact.OutcomeAbsent
			return lf
		}
		lf.Errors = append(lf.Errors, err.Error())
		return lf
	}
	defer f.Close()
	rd := logins.NewReader(bufio.NewReaderSize(f, 64<<10))
	for {
		if err := ctx.Err(); err != nil {
			lf.Outcome = manifest.OutcomeTimeout
			lf.Errors = append(lf.Errors, fmt.Sprintf("stopped after %d records: %v", len(lf.Records), err))
			break
		}
		if len(lf.Records) >= MaxLoginRecords {
			lf.Outcome = manifest.OutcomePartial
			lf.Errors = append(lf.Errors, fmt.Sprintf("parsed the first %d records only; the raw file is in the accounts file group", MaxLoginRecords))
			break
		}
		r, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			lf.Outcome = manifest.OutcomePartial
			lf.Errors = append(lf.Errors, err.Error())
			break
		}
		lf.Records = append(lf.Records, r)
	}
	if rd.Offset() != lf.Size && lf.Outcome == manifest.OutcomeOK {
		lf.Outcome = manifest.OutcomeChanged
		lf.Errors = append(lf.Errors, fmt.Sprintf("size was %d at open, %d bytes read", lf.Size, rd.Offset()))
	}
	return lf
}

// readAccounts parses /etc/passwd and /etc/group.
func readAccounts(ctx context.Context, env *Env) artifact.Accounts {
	a := artifact.Accounts{Users: []artifact.Account{}, Groups: []artifact.Group{}, UID0: []manifest.BString{}}
	read := func(p string) []byte {
		f, _, err := openRegular(env, p)
		if err != nil {
			a.Errors = append(a.Errors, p+": "+err.Error())
			return nil
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, accountFileBytes+1))
		if err != nil {
			a.Errors = append(a.Errors, p+": "+err.Error())
		}
		if len(b) > accountFileBytes {
			a.Errors = append(a.Errors, fmt.Sprintf("%s: parsed the first %d bytes only", p, accountFileBytes))
			b = b[:accountFileBytes]
		}
		return b
	}
	var errs []string
	a.Users, errs = etc.ParsePasswd(read("/etc/passwd"))
	a.Errors = append(a.Errors, prefixEach("/etc/passwd: ", errs)...)
	a.Groups, errs = etc.ParseGroup(read("/etc/group"))
	a.Errors = append(a.Errors, prefixEach("/etc/group: ", errs)...)
	for _, u := range a.Users {
		if u.UID == 0 {
			a.UID0 = append(a.UID0, u.Name)
		}
	}
	return a
}

func prefixEach(p string, ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = p + s
	}
	return out
}

// readLastlog reads the records of lastlog: the first lastlogScanBytes in
// sequence (which finds uids no account names any more), then the record
// of each account further in.
func readLastlog(ctx context.Context, env *Env, src string, users []artifact.Account) artifact.LastlogFile {
	ll := artifact.LastlogFile{Source: src, Outcome: manifest.OutcomeOK, Entries: []artifact.LastlogEntry{}}
	f, fi, err := openRegular(env, src)
	if fi != nil {
		ll.Size = fi.Size()
		ll.File = fileMeta(env.Path(src), fi)
	}
	if err != nil {
		ll.Outcome = outcomeOf(err)
		if errors.Is(err, fs.ErrNotExist) {
			ll.Outcome = artifact.OutcomeAbsent
		} else {
			ll.Errors = append(ll.Errors, err.Error())
		}
		return ll
	}
	defer f.Close()
	names := etc.UserNames(users)
	add := func(l artifact.Lastlog) {
		name, ok := names[l.UID]
		l.User = name
		ll.Entries = append(ll.Entries, artifact.LastlogEntry{Lastlog: l, NoAccount: !ok})
	}
	scan := min(ll.Size, lastlogScanBytes)
	scan -= scan % logins.LastlogSize
	buf := make([]byte, 1<<20-(1<<20)%logins.LastlogSize)
	var off int64
	for off < scan {
		if err := ctx.Err(); err != nil {
			ll.Outcome = manifest.OutcomeTimeout
			ll.Errors = append(ll.Errors, err.Error())
			return ll
		}
		n, err := f.ReadAt(buf[:min(int64(len(buf)), scan-off)], off)
		n -= n % logins.LastlogSize
		ls, _ := logins.ParseLastlog(buf[:n], uint32(off/logins.LastlogSize))
		for _, l := range ls {
			add(l)
		}
		off += int64(n)
		if err != nil {
			if err != io.EOF {
				ll.Outcome = manifest.OutcomePartial
				ll.Errors = append(ll.Errors, fmt.Sprintf("read at offset %d: %v", off, err))
			}
			break
		}
	}
	// Accounts past the scanned part, in uid order.
	var rest []uint32
	for uid := range names {
		if o := int64(uid) * logins.LastlogSize; o >= off && o+logins.LastlogSize <= ll.Size {
			rest = append(rest, uid)
		}
	}
	slices.Sort(rest)
	rec := make([]byte, logins.LastlogSize)
	for _, uid := range rest {
		if _, err := f.ReadAt(rec, int64(uid)*logins.LastlogSize); err != nil {
			ll.Outcome = manifest.OutcomePartial
			ll.Errors = append(ll.Errors, fmt.Sprintf("uid %d: %v", uid, err))
			continue
		}
		if l, ok, _ := logins.DecodeLastlog(rec, uid); ok {
			add(l)
		}
	}
	if r := ll.Size % logins.LastlogSize; r != 0 && ll.Size <= lastlogScanBytes {
		ll.Outcome = manifest.OutcomePartial
		ll.Errors = append(ll.Errors, (&logins.TruncatedError{Offset: ll.Size - r, Len: int(r), Size: logins.LastlogSize}).Error())
	}
	return ll
}
