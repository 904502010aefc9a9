package collect

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hozen-dfir/hozen/manifest"
)

// dirRef is a directory open for the walk. Everything below it is listed,
// stat'ed, read as a link and opened relative to its descriptor, one
// component at a time and never through a symlink, so a directory swapped
// for a symlink (or renamed away) while the walk runs can neither lead the
// walk out of the tree nor change what a listed name resolves to. Paths
// are never handed to the kernel whole, so their length does not matter.
//
// A dirRef is shared by the walk and the files read ahead from it; the
// last release closes the descriptor. Descriptors stay bounded: one per
// directory on the walk's current path, plus those of the files waiting
// in the read-ahead window.
type dirRef struct {
	fd   int
	path string // the local path, for messages
	refs atomic.Int32
	// listing state: getdents(2) into buf, parsed from pos to end.
	buf      []byte
	pos, end int
	eof      bool
}

// dirOpenFlags open a directory without following a symlink put in its
// place and without blocking.
const dirOpenFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NONBLOCK

// openRootDir opens the directory local by path: the collection's root
// (chosen by the responder, so followed if a link) or the start of a test
// walk.
func openRootDir(local string) (*dirRef, fs.FileInfo, error) {
	fd, err := openatNoAtime(unix.AT_FDCWD, local, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NONBLOCK)
	if err != nil {
		return nil, nil, &fs.PathError{Op: "open", Path: local, Err: err}
	}
	d := newDirRef(fd, local)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		d.release()
		return nil, nil, &fs.PathError{Op: "fstat", Path: local, Err: err}
	}
	return d, &statInfo{name: local, st: st}, nil
}

func newDirRef(fd int, path string) *dirRef {
	d := &dirRef{fd: fd, path: path}
	d.refs.Store(1)
	return d
}

func (d *dirRef) acquire() *dirRef {
	d.refs.Add(1)
	return d
}

func (d *dirRef) release() {
	if d.refs.Add(-1) == 0 {
		unix.Close(d.fd)
		d.fd = -1
		d.putBuf()
	}
}

// direntBufs are getdents(2) buffers: a walk lists a directory at a time,
// so a few buffers serve a whole tree.
var direntBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// putBuf returns the listing buffer, if the directory holds one.
func (d *dirRef) putBuf() {
	if d.buf != nil {
		b := d.buf
		d.buf, d.pos, d.end = nil, 0, 0
		direntBufs.Put(&b)
	}
}

func (d *dirRef) local(name string) string {
	if strings.HasSuffix(d.path, "/") {
		return d.path + name
	}
	return d.path + "/" + name
}

// openatNoAtime is openat(2) with O_NOATIME, retried without it where the
// kernel refuses it (not the file's owner, no CAP_FOWNER).
func openatNoAtime(dirfd int, name string, flags int) (int, error) {
	fd, err := retryEINTR(func() (int, error) { return unix.Openat(dirfd, name, flags|unix.O_NOATIME, 0) })
	if errors.Is(err, syscall.EPERM) {
		fd, err = retryEINTR(func() (int, error) { return unix.Openat(dirfd, name, flags, 0) })
	}
	return fd, err
}

// lstat is fstatat(2) of name, not following a symlink.
func (d *dirRef) lstat(name string) (fs.FileInfo, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: d.local(name), Err: err}
	}
	return &statInfo{name: name, st: st}, nil
}

// openDir opens the subdirectory name, listed as listed, and checks that
// what it opened is what was listed: a symlink or another directory put in
// its place is a *ReplacedError, never walked.
func (d *dirRef) openDir(name string, listed fs.FileInfo) (*dirRef, error) {
	local := d.local(name)
	fd, err := openatNoAtime(d.fd, name, dirOpenFlags)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENOTDIR) {
			// No longer a directory: say what is there now.
			now := "something else"
			if fi, lerr := d.lstat(name); lerr == nil {
				now = fileType(fi.Mode()) + " " + fileID(fi)
				if fi.Mode()&fs.ModeSymlink != 0 {
					if t, rerr := d.readlink(name); rerr == nil {
						now = fmt.Sprintf("symlink %s -> %q", fileID(fi), t)
					}
				}
			}
			return nil, &ReplacedError{Path: local, Listed: fileID(listed), Opened: now}
		}
		return nil, &fs.PathError{Op: "open", Path: local, Err: err}
	}
	sub := newDirRef(fd, local)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		sub.release()
		return nil, &fs.PathError{Op: "fstat", Path: local, Err: err}
	}
	if opened := (&statInfo{name: name, st: st}); !sameFile(listed, opened) {
		sub.release()
		return nil, &ReplacedError{Path: local, Listed: fileID(listed), Opened: "directory " + fileID(opened)}
	}
	return sub, nil
}

// openFile opens the entry name read-only as openNoFollow does.
func (d *dirRef) openFile(name string) (*os.File, error) {
	fd, err := openatNoFollow(d.fd, name)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: d.local(name), Err: err}
	}
	return os.NewFile(uintptr(fd), d.local(name)), nil
}

// readlink reads the target of the symlink name.
func (d *dirRef) readlink(name string) (string, error) {
	for n := 256; ; n *= 2 {
		buf := make([]byte, n)
		k, err := unix.Readlinkat(d.fd, name, buf)
		if err != nil {
			return "", &fs.PathError{Op: "readlink", Path: d.local(name), Err: err}
		}
		if k < n {
			return string(buf[:k]), nil
		}
	}
}

// meta describes the entry name (fi from lstat) for a record.
func (d *dirRef) meta(name string, fi fs.FileInfo) *manifest.FileMeta {
	m := baseMeta(fi)
	var st unix.Statx_t
	if statxAt(d.fd, name, unix.AT_SYMLINK_NOFOLLOW, &st) != nil {
		fillStat(m, fi)
		return m
	}
	fillStatx(m, &st)
	return m
}

// readDir returns up to n entries of the directory, as (*os.File).ReadDir
// does, but from getdents(2) on the descriptor: an entry whose type the
// file system does not give is lstat'ed relative to it, never by path.
func (d *dirRef) readDir(n int) ([]fs.DirEntry, error) {
	var out []fs.DirEntry
	for len(out) < n {
		if d.pos >= d.end {
			if d.eof {
				break
			}
			if d.buf == nil {
				d.buf = *direntBufs.Get().(*[]byte)
			}
			k, err := retryEINTR(func() (int, error) { return unix.Getdents(d.fd, d.buf) })
			if err != nil {
				return out, &fs.PathError{Op: "readdirent", Path: d.path, Err: err}
			}
			if k <= 0 {
				d.eof = true
				d.putBuf()
				break
			}
			d.pos, d.end = 0, k
		}
		// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
		rec := d.buf[d.pos:d.end]
		if len(rec) < 19 {
			return out, &fs.PathError{Op: "readdirent", Path: d.path, Err: syscall.EIO}
		}
		reclen := int(binary.NativeEndian.Uint16(rec[16:18]))
		if reclen < 19 || reclen > len(rec) {
			return out, &fs.PathError{Op: "readdirent", Path: d.path, Err: syscall.EIO}
		}
		typ, nameb := rec[18], rec[19:reclen]
		d.pos += reclen
		for i, c := range nameb {
			if c == 0 {
				nameb = nameb[:i]
				break
			}
		}
		name := string(nameb)
		if name == "." || name == ".." || name == "" {
			continue
		}
		e := &dirent{dir: d, name: name}
		switch typ {
		case unix.DT_REG:
		case unix.DT_DIR:
			e.typ = fs.ModeDir
		case unix.DT_LNK:
			e.typ = fs.ModeSymlink
		case unix.DT_FIFO:
			e.typ = fs.ModeNamedPipe
		case unix.DT_SOCK:
			e.typ = fs.ModeSocket
		case unix.DT_CHR:
			e.typ = fs.ModeDevice | fs.ModeCharDevice
		case unix.DT_BLK:
			e.typ = fs.ModeDevice
		default:
			fi, err := d.lstat(name)
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					continue // gone since listed, as os does
				}
				return out, err
			}
			e.typ, e.info = fi.Mode().Type(), fi
		}
		out = append(out, e)
	}
	if len(out) == 0 && d.eof {
		return nil, io.EOF
	}
	return out, nil
}

// dirent is one entry listed by readDir; Info lstats it relative to the
// directory, which the walk holds open while it visits the entry.
type dirent struct {
	dir  *dirRef
	name string
	typ  fs.FileMode
	info fs.FileInfo
}

func (e *dirent) Name() string      { return e.name }
func (e *dirent) IsDir() bool       { return e.typ.IsDir() }
func (e *dirent) Type() fs.FileMode { return e.typ }
func (e *dirent) Info() (fs.FileInfo, error) {
	if e.info != nil {
		return e.info, nil
	}
	return e.dir.lstat(e.name)
}

// statInfo is an fs.FileInfo from fstatat(2) or fstat(2).
type statInfo struct {
	name string
	st   unix.Stat_t
}

func (s *statInfo) Name() string       { return s.name }
func (s *statInfo) Size() int64        { return s.st.Size }
func (s *statInfo) ModTime() time.Time { return time.Unix(int64(s.st.Mtim.Sec), int64(s.st.Mtim.Nsec)) }
func (s *statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s *statInfo) Sys() any           { return &s.st }

func (s *statInfo) Mode() fs.FileMode { return unixFileMode(s.st.Mode) }

// unixFileMode converts a st_mode as the os package does for its FileInfo,
// so that a mode from a raw stat prints and compares the same.
func unixFileMode(mode uint32) fs.FileMode {
	m := fs.FileMode(mode & 0o777)
	switch mode & unix.S_IFMT {
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if mode&unix.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if mode&unix.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if mode&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// fileDevIno is a file's identity from any FileInfo this package makes.
func fileDevIno(fi fs.FileInfo) (dev, ino uint64, ok bool) {
	switch s := fi.Sys().(type) {
	case *syscall.Stat_t:
		return uint64(s.Dev), s.Ino, true
	case *unix.Stat_t:
		return uint64(s.Dev), s.Ino, true
	case *unix.Statx_t:
		return unix.Mkdev(s.Dev_major, s.Dev_minor), s.Ino, true
	}
	return 0, 0, false
}

// sameFile reports whether a and b have the same device and inode.
func sameFile(a, b fs.FileInfo) bool {
	ad, ai, aok := fileDevIno(a)
	bd, bi, bok := fileDevIno(b)
	return aok && bok && ad == bd && ai == bi
}

// fileID is "dev:ino" (device as major:minor) for messages.
func fileID(fi fs.FileInfo) string {
	dev, ino, ok := fileDevIno(fi)
	if !ok {
		return "?"
	}
	return fmt.Sprintf("dev %d:%d ino %d", unix.Major(dev), unix.Minor(dev), ino)
}

// fillStat fills owner, inode and links from a stat(2) FileInfo, where
// statx(2) is not there.
func fillStat(m *manifest.FileMeta, fi fs.FileInfo) {
	switch s := fi.Sys().(type) {
	case *syscall.Stat_t:
		m.UID, m.GID = int64Ptr(int64(s.Uid)), int64Ptr(int64(s.Gid))
		m.Inode, m.Nlink = s.Ino, uint64(s.Nlink)
	case *unix.Stat_t:
		m.UID, m.GID = int64Ptr(int64(s.Uid)), int64Ptr(int64(s.Gid))
		m.Inode, m.Nlink = s.Ino, uint64(s.Nlink)
	}
}
