package collect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/procfs"
	"github.com/hozen-dfir/hozen/manifest"
)

// skipFSTypes are pseudo and network file systems the walk does not
// enter: the kernel's views (no files of the disk), and remote shares
// (another host's evidence, and slow). tmpfs and ramfs are local.
var skipFSTypes = map[string]bool{
	"proc": true, "sysfs": true, "devtmpfs": true, "devpts": true, "cgroup": true, "cgroup2": true,
	"securityfs": true, "debugfs": true, "tracefs": true, "pstore": true, "bpf": true, "configfs": true,
	"fusectl": true, "mqueue": true, "hugetlbfs": true, "autofs": true, "binfmt_misc": true,
	"efivarfs": true, "rpc_pipefs": true, "nsfs": true, "selinuxfs": true, "nfsd": true,
	"nfs": true, "nfs4": true, "cifs": true, "smb3": true, "smbfs": true, "ceph": true, "glusterfs": true,
	"9p": true, "afs": true, "davfs": true, "lustre": true, "virtiofs": true, "fuse.sshfs": true,
	"fuse.rclone": true, "fuse.s3fs": true, "fuse.gvfsd-fuse": true, "fuse.portal": true,
}

// tempDirs are where world-writable files are expected.
var tempDirs = []string{"/tmp", "/var/tmp", "/dev/shm", "/run/shm", "/run/lock", "/var/lock", "/run/user"}

// mountEntry is one mount to consider (from /proc/self/mountinfo).
type mountEntry struct {
	dev, mnt, fstype, src string
}

func mountsOf(b []byte) []mountEntry {
	ms, _ := procfs.ParseMountinfo(b)
	out := make([]mountEntry, 0, len(ms))
	for _, m := range ms {
		out = append(out, mountEntry{dev: m.Device, mnt: string(m.MountPoint), fstype: m.FSType, src: string(m.Source)})
	}
	return out
}

// Collect implements Collector.
func (f *FileSystem) Collect(ctx context.Context, env *Env, sink Sink) error {
	w := &fsWalk{env: env, sink: sink, ctx: ctx, maxFiles: f.MaxFiles, partMax: f.PartBytes,
		doc: &artifact.FileSystem{Mounts: []artifact.FSMount{}, Bodyfile: []string{}, Flagged: map[string][]artifact.FSEntry{}, Dropped: map[string]int64{}}}
	if w.maxFiles <= 0 {
		w.maxFiles = DefaultFSMaxFiles
	}
	if w.partMax <= 0 {
		w.partMax = DefaultBodyPartBytes
	}
	maxTime := f.MaxTime
	if maxTime <= 0 {
		maxTime = DefaultFSMaxTime
	}
	w.deadline = time.Now().Add(maxTime)
	for _, r := range []string{RuleSUID, RuleCapabilities, RuleImmutable, RuleWorldWritable, RuleUnowned, RuleHiddenExec} {
		env.RuleRan(r)
	}
	// The package database is read beside the walk (it is needed only for
	// the few SUID and capability files, and costs a serial start).
	w.pkgReady = make(chan struct{})
	go func() {
		defer close(w.pkgReady)
		w.owns, w.haveDpkg = PackageOwns(env)
	}()
	defer func() { <-w.pkgReady }() // nothing of the collector outlives it
	w.users = idSet(env.Path("/etc/passwd"))
	w.groups = idSet(env.Path("/etc/group"))
	live := env.Root == "" || env.Root == "/"
	var mounts []mountEntry
	if live {
		res := readBounded("/proc/self/mountinfo", PseudoMaxBytes)
		mounts = mountsOf(res.Data)
		slices.SortStableFunc(mounts, func(a, b mountEntry) int { return strings.Compare(a.mnt, b.mnt) })
	}
	if len(mounts) == 0 {
		// A fixture or dead-box root: that tree, not crossing into
		// another file system.
		mounts = []mountEntry{{mnt: "/", fstype: "root"}}
	}
	walkedDev := map[string]bool{}
	for _, m := range mounts {
		fm := artifact.FSMount{MountPoint: m.mnt, FSType: m.fstype, Source: m.src}
		switch {
		case skipFSTypes[m.fstype] || strings.HasPrefix(m.fstype, "fuse.") && m.fstype != "fuse.fuseblk":
			fm.Reason = "pseudo or network file system"
		case m.dev != "" && walkedDev[m.dev]:
			fm.Reason = "device " + m.dev + " already walked (a bind mount)"
		case w.limit != "":
			fm.Reason = "not reached: the " + w.limit + " bound was hit"
		default:
			walkedDev[m.dev] = true
			fm.Walked = true
			before := w.doc.Files
			if err := w.walkMount(m.mnt); err != nil {
				return err
			}
			fm.Files = w.doc.Files - before
		}
		w.doc.Mounts = append(w.doc.Mounts, fm)
	}
	if err := w.flush(); err != nil {
		return err
	}
	w.doc.Limit = w.limit
	for r, n := range w.findings {
		if n > findingsCap {
			env.Finding(artifact.Finding{Rule: r, Severity: artifact.SeverityInfo, Title: fmt.Sprintf("%d more files flagged by %s", n-findingsCap, r),
				Reason: fmt.Sprintf("only the first %d are findings; %s lists up to %d", findingsCap, artifact.PathFileSystem, flaggedCap), Evidence: []string{artifact.PathFileSystem}})
		}
	}
	return PutJSON(sink, artifact.PathFileSystem, f.Name(), w.doc)
}

type fsWalk struct {
	env      *Env
	sink     Sink
	ctx      context.Context
	doc      *artifact.FileSystem
	maxFiles int64
	deadline time.Time
	limit    string
	partMax  int
	part     []byte
	owns     func(string) bool // set before pkgReady is closed
	haveDpkg bool
	pkgReady chan struct{}
	users    map[uint32]bool
	groups   map[uint32]bool
	findings map[string]int
	rootDev  uint64
}

// idSet reads the numeric ids (third field) of a passwd or group file.
func idSet(path string) map[uint32]bool {
	res := readBounded(path, 16<<20)
	if res.Err != nil && len(res.Data) == 0 {
		return nil
	}
	ids := map[uint32]bool{}
	for line := range strings.SplitSeq(string(res.Data), "\n") {
		f := strings.SplitN(line, ":", 4)
		if len(f) < 4 {
			continue
		}
		if n, err := strconv.ParseUint(f[2], 10, 32); err == nil {
			ids[uint32(n)] = true
		}
	}
	return ids
}

func (w *fsWalk) errorf(format string, a ...any) {
	if len(w.doc.Errors) < 1000 {
		w.doc.Errors = append(w.doc.Errors, fmt.Sprintf(format, a...))
	} else {
		w.doc.ErrorsDropped++
	}
}

// flush stores the bodyfile part held, as a complete bodyfile.
func (w *fsWalk) flush() error {
	if len(w.part) == 0 && len(w.doc.Bodyfile) > 0 {
		return nil
	}
	p := fmt.Sprintf("%s%03d", artifact.PathBodyfilePrefix, len(w.doc.Bodyfile))
	w.doc.Bodyfile = append(w.doc.Bodyfile, p)
	err := PutBytes(w.sink, p, "filesystem metadata (statx)", "filesystem", w.part, nil)
	w.part = w.part[:0]
	return err
}

// appendBodyName writes a path with the bytes that would break a line
// or a field (control bytes, '|', and '\') as \xHH.
func appendBodyName(b []byte, s string) []byte {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] != 0x7f && s[i] != '|' && s[i] != '\\' {
		i++
	}
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == '|' || c == '\\' {
			b = append(b, fmt.Sprintf(`\x%02x`, c)...)
			continue
		}
		b = append(b, c)
	}
	return b
}

// appendBodyMode appends the mode as fls -m writes it: the type letter,
// "/", and the ls(1)-style string ("r/rrwxr-xr-x", "d/drwxr-xr-x").
func appendBodyMode(b []byte, m uint32) []byte {
	var t byte
	switch m & unix.S_IFMT {
	case unix.S_IFREG:
		t = 'r'
	case unix.S_IFDIR:
		t = 'd'
	case unix.S_IFLNK:
		t = 'l'
	case unix.S_IFCHR:
		t = 'c'
	case unix.S_IFBLK:
		t = 'b'
	case unix.S_IFIFO:
		t = 'p'
	case unix.S_IFSOCK:
		t = 'h'
	default:
		t = '-'
	}
	s := [...]byte{t, '/', t, 'r', 'w', 'x', 'r', 'w', 'x', 'r', 'w', 'x'}
	for i := range 9 {
		if m&(1<<(8-i)) == 0 {
			s[3+i] = '-'
		}
	}
	set := func(i int, bit uint32, on, off byte) {
		if m&bit != 0 {
			if s[i] == '-' {
				s[i] = off
			} else {
				s[i] = on
			}
		}
	}
	set(5, unix.S_ISUID, 's', 'S')
	set(8, unix.S_ISGID, 's', 'S')
	set(11, unix.S_ISVTX, 't', 'T')
	return append(b, s[:]...)
}

func underTemp(p string) bool { return underAny(p, tempDirs) }

// rules flags the entry name (at host, described by st; capHex its
// security.capability, elf whether it starts with ELF magic, as a worker
// read them).
func (w *fsWalk) rules(name, host string, st *unix.Statx_t, capHex string, elf bool) {
	typ := st.Mode & unix.S_IFMT
	if typ != unix.S_IFREG && typ != unix.S_IFDIR {
		return
	}
	mode := uint32(st.Mode)
	exec := mode&0o111 != 0
	reg := typ == unix.S_IFREG
	packaged := func() string {
		<-w.pkgReady
		switch {
		case !w.haveDpkg:
			return "unknown"
		case w.owns(host):
			return "yes"
		}
		return "no"
	}
	if reg && mode&(unix.S_ISUID|unix.S_ISGID) != 0 {
		pk := packaged()
		sev, score := artifact.SeverityMedium, 50
		switch pk {
		case "yes":
			sev, score = artifact.SeverityInfo, 0
		case "no":
			sev, score = artifact.SeverityHigh, 70
			if underTemp(host) {
				score = 95
			}
		}
		what := "SUID"
		if mode&unix.S_ISUID == 0 {
			what = "SGID"
		} else if mode&unix.S_ISGID != 0 {
			what = "SUID and SGID"
		}
		w.flag(RuleSUID, sev, score, host, st, fmt.Sprintf("%s, owner uid %d, packaged: %s", what, st.Uid, pk),
			what+" file", fmt.Sprintf("runs with its owner's (uid %d) rights whoever starts it; packaged: %s — a SUID copy of a shell outside the package database is a classic way back to root", st.Uid, pk))
	}
	if reg && exec {
		if capHex != "" {
			pk := packaged()
			sev, score := artifact.SeverityMedium, 40
			if pk == "yes" {
				sev, score = artifact.SeverityInfo, 0
			}
			w.flag(RuleCapabilities, sev, score, host, st, "security.capability "+capHex,
				"file with capabilities", "gains kernel capabilities when run (like a partial SUID), packaged: "+pk+"; cap_setuid or cap_dac_override on an interpreter is a backdoor")
		}
	}
	if st.Attributes_mask&(unix.STATX_ATTR_IMMUTABLE|unix.STATX_ATTR_APPEND) != 0 {
		var fl []string
		if st.Attributes&unix.STATX_ATTR_IMMUTABLE != 0 {
			fl = append(fl, "immutable")
		}
		if st.Attributes&unix.STATX_ATTR_APPEND != 0 {
			fl = append(fl, "append-only")
		}
		if len(fl) > 0 {
			w.flag(RuleImmutable, artifact.SeverityMedium, 45, host, st, strings.Join(fl, ","),
				strings.Join(fl, " and ")+" file", "chattr +i/+a keeps even root from changing or deleting it until the flag is cleared: attackers use it to pin a backdoor, an authorized_keys or a cron job in place")
		}
	}
	if mode&0o002 != 0 && !underTemp(host) && !(typ == unix.S_IFDIR && mode&unix.S_ISVTX != 0) {
		w.flag(RuleWorldWritable, artifact.SeverityLow, 10, host, st, "",
			"world-writable "+fileType(unixFileMode(mode)), "any user can change it (outside the temporary directories); a world-writable script or directory on root's path is a way up")
	}
	if w.users != nil && !w.users[st.Uid] || w.groups != nil && !w.groups[st.Gid] {
		w.flag(RuleUnowned, artifact.SeverityLow, 15, host, st, fmt.Sprintf("uid %d gid %d", st.Uid, st.Gid),
			"file of an unknown owner", "its uid or gid is in neither /etc/passwd nor /etc/group: left by a deleted account, unpacked from another host's archive, or planted")
	}
	if reg && strings.HasPrefix(name, ".") && (exec || elf) {
		w.flag(RuleHiddenExec, artifact.SeverityMedium, 55, host, st, "",
			"hidden executable", "a dot-named file that is executable or an ELF program: hidden from ls, a common place for dropped tools")
	}
}

func (w *fsWalk) flag(rule, sev string, score int, host string, st *unix.Statx_t, detail, title, reason string) {
	mtime := time.Unix(st.Mtime.Sec, int64(st.Mtime.Nsec)).UTC()
	e := artifact.FSEntry{Path: host, Mode: unixFileMode(uint32(st.Mode)).String(), UID: st.Uid, GID: st.Gid, Size: int64(st.Size), Mtime: mtime, Detail: detail}
	if len(w.doc.Flagged[rule]) < flaggedCap {
		w.doc.Flagged[rule] = append(w.doc.Flagged[rule], e)
	} else {
		w.doc.Dropped[rule]++
	}
	if w.findings == nil {
		w.findings = map[string]int{}
	}
	w.findings[rule]++
	if w.findings[rule] > findingsCap {
		return
	}
	w.env.Finding(artifact.Finding{Rule: rule, Severity: sev, Score: score, Title: title, Reason: reason,
		Path: manifest.BString(host), Evidence: []string{artifact.PathFileSystem}, Time: &mtime})
}

// fileCap reads the security.capability attribute of name in d, without
// following a symlink (through the directory's descriptor in /proc).
func fileCap(d *dirRef, name string) string {
	buf := make([]byte, 64)
	n, err := unix.Lgetxattr("/proc/self/fd/"+strconv.Itoa(d.fd)+"/"+name, "security.capability", buf)
	if err != nil || n <= 0 {
		return ""
	}
	return hex.EncodeToString(buf[:n])
}

// isELF reads the first four bytes of name in d.
func isELF(d *dirRef, name string) bool {
	f, err := d.openFile(name)
	if err != nil {
		return false
	}
	defer f.Close()
	var m [4]byte
	n, _ := io.ReadFull(f, m[:])
	return n == 4 && bytes.Equal(m[:], []byte("\x7fELF"))
}

// Collect implements Collector. It lists the program directories first
// (metadata only), then hashes the executables on up to [hashWorkers]
// goroutines, the programs of running processes first, then those
// changed (mtime or ctime) within [exeRecent], then the rest, so that a
// time budget too short for all covers what matters most; files it did
// not reach stay listed, without a hash, and Stopped says how many.
func (e *ExeHashes) Collect(ctx context.Context, env *Env, sink Sink) error {
	maxFiles, maxTime, maxSize := e.MaxFiles, e.MaxTime, e.MaxFileSize
	if maxFiles <= 0 {
		maxFiles = DefaultExeMaxFiles
	}
	if maxTime <= 0 {
		maxTime = DefaultExeMaxTime
	}
	if maxSize <= 0 {
		maxSize = DefaultExeMaxFileSize
	}
	deadline := time.Now().Add(maxTime)
	doc := &artifact.ExeHashes{Dirs: programDirs, Files: []artifact.ProgramFile{}}
	owns, haveDpkg := PackageOwns(env)
	var todo []int // indexes into doc.Files of the files to hash
	tier := map[int]int{}
	running := runningExes(env)
	recent := envNow(env).Add(-exeRecent)
	for _, pd := range programDirs {
		if doc.Limit != "" {
			break
		}
		local := env.Path(pd)
		if fi, err := os.Lstat(local); err != nil {
			continue
		} else if fi.Mode()&fs.ModeSymlink != 0 {
			continue // /bin -> usr/bin: its files are hashed there
		}
		dir, info, err := openRootDir(local)
		if err != nil {
			doc.Errors = append(doc.Errors, fmt.Sprintf("%s: %v", pd, err))
			continue
		}
		fn := func(d *dirRef, name, loc string, de fs.DirEntry, err error) error {
			if err != nil {
				if len(doc.Errors) < 1000 {
					doc.Errors = append(doc.Errors, err.Error())
				}
				return nil
			}
			if d == nil || de.IsDir() {
				return nil
			}
			if int64(len(doc.Files)) >= maxFiles {
				doc.Limit = "files"
				return fs.SkipAll
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				doc.Limit = "time"
				return fs.SkipAll
			}
			host := pd + strings.TrimPrefix(loc, local)
			fi, err := de.Info()
			if err != nil {
				return nil
			}
			p := artifact.ProgramFile{Path: host, Type: fileType(fi.Mode()), Mode: fi.Mode().String(), Size: fi.Size(), Mtime: fi.ModTime().UTC()}
			if s, ok := fi.Sys().(*unix.Stat_t); ok {
				p.UID, p.GID = s.Uid, s.Gid
			}
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				p.Target, _ = d.readlink(name)
			case fi.Mode().IsRegular() && fi.Mode()&0o111 != 0:
				if haveDpkg {
					o := owns(host)
					p.Packaged = &o
				}
				if fi.Size() > maxSize {
					p.Error = fmt.Sprintf("larger than %d bytes: not hashed", maxSize)
					break
				}
				i := len(doc.Files)
				todo = append(todo, i)
				tier[i] = exeTier(running, host, fi, recent)
			default:
				return nil // not executable: not listed
			}
			doc.Files = append(doc.Files, p)
			return nil
		}
		if err := walkRoot(dir, local, info, fn); err != nil {
			doc.Errors = append(doc.Errors, fmt.Sprintf("%s: %v", pd, err))
		}
		dir.release()
	}
	slices.SortStableFunc(todo, func(a, b int) int { return tier[a] - tier[b] })
	hashTime := maxTime
	if e.HashTime > 0 {
		hashTime = min(e.HashTime, time.Until(deadline))
		deadline = time.Now().Add(hashTime)
	}
	doc.Hashed = e.hashAll(ctx, env, doc, todo, deadline)
	if n := len(todo) - doc.Hashed; n > 0 {
		doc.Stopped = fmt.Sprintf("time (%v) budget hit: %d of %d executables hashed (running programs and those changed within %d days first); %d listed without a hash", hashTime, doc.Hashed, len(todo), int(exeRecent.Hours()/24), n)
	}
	return PutJSON(sink, artifact.PathExeHashes, e.Name(), doc)
}

// exeTier is the hashing order of a program: 0 for one a running process
// executes, 1 for one changed (mtime or ctime) after recent, 2 for the rest.
func exeTier(running map[string]bool, host string, fi fs.FileInfo, recent time.Time) int {
	ct := ctimeOf(fi)
	switch {
	case running[host]:
		return 0
	case fi.ModTime().After(recent) || ct != nil && ct.After(recent):
		return 1
	}
	return 2
}

// exeRecent: a program changed within this long before the collection is
// hashed before older ones.
const exeRecent = 30 * 24 * time.Hour

// hashAll hashes doc.Files[i] for i in todo, in that order, on up to
// hashWorkers goroutines, until the deadline; it returns how many it
// reached (hashed, or an error recorded).
func (e *ExeHashes) hashAll(ctx context.Context, env *Env, doc *artifact.ExeHashes, todo []int, deadline time.Time) int {
	root, err := openRoot(env.Path("/"))
	if err != nil {
		doc.Errors = append(doc.Errors, err.Error())
		return 0
	}
	defer root.close()
	var mu sync.Mutex
	done := 0
	next := make(chan int)
	var wg sync.WaitGroup
	for range hashWorkers() {
		wg.Go(func() {
			h := sha256.New()
			buf := make([]byte, 256<<10)
			for i := range next {
				sum, err := sha256In(root, doc.Files[i].Path, h, buf)
				mu.Lock()
				if err != nil {
					doc.Files[i].Error = err.Error()
				} else {
					doc.Files[i].SHA256 = sum
				}
				done++
				mu.Unlock()
			}
		})
	}
	for _, i := range todo {
		if time.Now().After(deadline) || ctx.Err() != nil {
			doc.Limit = "time"
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return done
}

// sha256In hashes a regular file opened inside the root, never through a
// symlink.
func sha256In(root *rootDir, hostPath string, h hash.Hash, buf []byte) (string, error) {
	f, err := root.open(hostPath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return "", err
	} else if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: a %s in its place when hashed", hostPath, fileType(fi.Mode()))
	}
	h.Reset()
	if _, err := io.CopyBuffer(h, f, buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
