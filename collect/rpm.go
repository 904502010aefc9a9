package collect

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/collect/rpmdb"
	"github.com/hozen-dfir/hozen/collect/sqlitemem"
	"github.com/hozen-dfir/hozen/manifest"
)

// rpmDirs are where RPM keeps its database; /usr/lib/sysimage/rpm is the
// newer place (/var/lib/rpm is often a link to it).
var rpmDirs = []string{"/var/lib/rpm", "/usr/lib/sysimage/rpm"}

// rpmDBFiles are the database files of one directory: rpmdb.sqlite (RPM
// 4.16 and later, Fedora 33+, RHEL 9) and its WAL, Packages (Berkeley
// DB, older) and Packages.db (ndb, SUSE).
var rpmDBFiles = []string{"rpmdb.sqlite", "rpmdb.sqlite-wal", "Packages", "Packages.db"}

const (
	// rpmMaxBytes bounds one RPM database file stored.
	rpmMaxBytes = 1 << 30
	// rpmParseMax bounds an rpmdb.sqlite (and its WAL) read into memory
	// to be parsed; a larger one is stored raw, not parsed.
	rpmParseMax = 256 << 20
	// rpmMaxErrors bounds the errors kept in rpm.json.
	rpmMaxErrors = 100
)

// rpmRead is one database file read.
type rpmRead struct {
	path string
	data []byte // nil when not read into memory
}

// collectRPM stores every RPM database file found, raw, at its files/
// path, and lists them in [artifact.PathRPM]. An rpmdb.sqlite up to
// rpmParseMax is read into memory (never through a final symlink,
// without updating its access time), stored from those bytes, merged with
// its -wal's committed transactions, and parsed from memory by
// [rpmdb.Walk]: the inventory is of the very bytes stored, and SQLite
// never opens the host's file (it would lock it and could create -wal and
// -shm files beside it). The package files are then checked against
// their headers' digests ([artifact.PathRPMVerify]) within b.
func (p *Packages) collectRPM(ctx context.Context, env *Env, sink Sink, b *verifyBudget) error {
	doc := &artifact.RPMDatabase{Files: []artifact.RPMFile{}, Packages: []artifact.RPMPackage{}}
	root, err := openRoot(env.Path("/"))
	if err != nil {
		return nil
	}
	defer root.close()
	type devIno struct{ dev, ino uint64 }
	seen := map[devIno]string{}
	var main, wal *rpmRead
	for _, dir := range rpmDirs {
		for _, name := range rpmDBFiles {
			hostPath := dir + "/" + name
			f, err := root.open(hostPath)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					doc.Files = append(doc.Files, artifact.RPMFile{Path: hostPath, Error: err.Error()})
				}
				continue
			}
			fi, err := f.Stat()
			if err != nil || !fi.Mode().IsRegular() {
				f.Close()
				continue
			}
			if d, i, ok := fileDevIno(fi); ok {
				if first, dup := seen[devIno{d, i}]; dup {
					doc.Files = append(doc.Files, artifact.RPMFile{Path: hostPath, Size: fi.Size(), Stored: BundlePath(first), Error: "the same file as " + first + " (a link): stored once"})
					f.Close()
					continue
				}
				seen[devIno{d, i}] = hostPath
			}
			parse := (name == "rpmdb.sqlite" && main == nil) || (name == "rpmdb.sqlite-wal" && main != nil && wal == nil && main.path == dir+"/rpmdb.sqlite")
			rd, rf, err := p.storeRPMFile(sink, f, fi, hostPath, parse)
			f.Close()
			if err != nil {
				return err
			}
			doc.Files = append(doc.Files, rf)
			if rd != nil && name == "rpmdb.sqlite" {
				main = rd
			} else if rd != nil {
				wal = rd
			}
		}
	}
	if len(doc.Files) == 0 {
		return nil
	}
	if main == nil {
		doc.Note = "no rpmdb.sqlite parsed: the Berkeley DB and ndb formats are stored raw; query a copy with `rpm --dbpath DIR -qa`"
		return PutJSON(sink, artifact.PathRPM, p.Name(), doc)
	}
	doc.Source = main.path
	var walData []byte
	if wal != nil {
		walData = wal.data
	}
	db, state, frames := mergeRPMWAL(main.data, walData)
	doc.WAL, doc.WALFrames = state, frames
	v := &artifact.RPMVerify{Scope: "programs", Failures: []artifact.RPMFail{}}
	if p.All {
		v.Scope = "all"
	}
	env.RuleRan(RulePackageFileModified)
	env.RuleRan(RuleConffileModified)
	env.RuleRan(RulePackageFileReplaced)
	ck := &rpmChecker{env: env, root: root, b: b, v: v, buf: make([]byte, 64<<10)}
	err = rpmdb.Walk(ctx, db, func(hnum int64, pk *rpmdb.Package, perr error) error {
		if pk == nil {
			addErr(&doc.Errors, fmt.Sprintf("header %d: %v", hnum, perr))
			return nil
		}
		doc.Packages = append(doc.Packages, rpmInventory(hnum, pk, perr))
		if perr != nil {
			addErr(&doc.Errors, fmt.Sprintf("header %d (%s): %v", hnum, pk.Name, perr))
		}
		ck.check(ctx, pk)
		return nil
	})
	if err != nil {
		addErr(&doc.Errors, fmt.Sprintf("%s: %v", main.path, err))
	}
	if err := PutJSON(sink, artifact.PathRPM, p.Name(), doc); err != nil {
		return err
	}
	return PutJSON(sink, artifact.PathRPMVerify, p.Name(), v)
}

func addErr(errs *[]string, s string) {
	if len(*errs) < rpmMaxErrors {
		*errs = append(*errs, s)
	}
}

// storeRPMFile stores one database file; with parse and a size up to
// rpmParseMax it is read into memory first and stored from those bytes,
// which are returned.
func (p *Packages) storeRPMFile(sink Sink, f *os.File, fi fs.FileInfo, hostPath string, parse bool) (*rpmRead, artifact.RPMFile, error) {
	rec := &manifest.Record{Path: manifest.BString(BundlePath(hostPath)), Source: manifest.BString(hostPath), Collector: p.Name(),
		Entry: manifest.EntryFile, Size: min(fi.Size(), rpmMaxBytes), Outcome: manifest.OutcomeOK, File: fileMetaOpened(f, fi)}
	rf := artifact.RPMFile{Path: hostPath, Size: fi.Size(), Stored: string(rec.Path)}
	if parse && fi.Size() <= rpmParseMax {
		data, _, err := readAtMost(f, rpmParseMax)
		rec.Size = int64(len(data))
		if err != nil {
			rec.Outcome, rec.Errors = manifest.OutcomePartial, []string{err.Error()}
			rf.Error = err.Error()
		}
		if err := sink.Put(rec, bytesReader(data)); err != nil {
			return nil, rf, err
		}
		if rec.Outcome != manifest.OutcomeOK {
			return nil, rf, nil
		}
		return &rpmRead{path: hostPath, data: data}, rf, nil
	}
	if parse {
		rf.Error = fmt.Sprintf("larger than the %d MiB read to parse: stored raw, not parsed", rpmParseMax>>20)
	}
	if fi.Size() > rpmMaxBytes {
		rec.Outcome = manifest.OutcomePartial
		rec.Errors = []string{"truncated at the RPM database cap of 1 GiB"}
	}
	return nil, rf, sink.Put(rec, f)
}

// mergeRPMWAL merges a -wal's committed transactions into the database's
// bytes; state says what was done (artifact.RPMDatabase.WAL).
func mergeRPMWAL(main, wal []byte) (db []byte, state string, frames int) {
	if len(wal) == 0 {
		return main, "none", 0
	}
	merged, res, err := sqlitemem.MergeWAL(main, wal, rpmParseMax)
	switch {
	case errors.Is(err, sqlitemem.ErrWAL):
		return main, "invalid: " + err.Error(), 0
	case err != nil:
		return main, "not merged: " + err.Error(), 0
	case res.Frames == 0:
		return main, "none", 0
	}
	return merged, "merged", res.Frames
}

func rpmInventory(hnum int64, pk *rpmdb.Package, err error) artifact.RPMPackage {
	r := artifact.RPMPackage{Hnum: hnum, Name: pk.Name, Epoch: pk.Epoch, Version: pk.Version, Release: pk.Release, Arch: pk.Arch,
		Size: pk.Size, Vendor: pk.Vendor, Packager: pk.Packager, SourceRPM: pk.SourceRPM, DigestAlgo: digestName(pk.DigestAlgo), Files: len(pk.Files)}
	if pk.InstallTime > 0 {
		t := time.Unix(pk.InstallTime, 0).UTC()
		r.InstallTime = &t
	}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}

// digestHash returns a hash for a FILEDIGESTALGO value, nil for one
// hozen does not compute.
func digestHash(algo uint32) func() hash.Hash {
	switch algo {
	case rpmdb.DigestMD5:
		return md5.New
	case rpmdb.DigestSHA1:
		return sha1.New
	case rpmdb.DigestSHA256:
		return sha256.New
	case rpmdb.DigestSHA224:
		return sha256.New224
	case rpmdb.DigestSHA384:
		return sha512.New384
	case rpmdb.DigestSHA512:
		return sha512.New
	}
	return nil
}

func digestName(algo uint32) string {
	switch algo {
	case rpmdb.DigestMD5:
		return "md5"
	case rpmdb.DigestSHA1:
		return "sha1"
	case rpmdb.DigestSHA256:
		return "sha256"
	case rpmdb.DigestSHA224:
		return "sha224"
	case rpmdb.DigestSHA384:
		return "sha384"
	case rpmdb.DigestSHA512:
		return "sha512"
	}
	return fmt.Sprintf("algo-%d", algo)
}

// rpmChecker checks RPM package files as `rpm -V` checks their digests.
type rpmChecker struct {
	env  *Env
	root *rootDir
	b    *verifyBudget
	v    *artifact.RPMVerify
	buf  []byte
	done bool // a bound was hit
}

func (c *rpmChecker) check(ctx context.Context, pk *rpmdb.Package) {
	c.v.Packages++
	newHash := digestHash(pk.DigestAlgo)
	algo := digestName(pk.DigestAlgo)
	for _, f := range pk.Files {
		c.v.FilesListed++
		conf := f.Flags&rpmdb.FileConfig != 0
		if c.done || f.Flags&rpmdb.FileGhost != 0 || !f.Regular() || f.Digest == "" || !c.b.scope(f.Path, conf) {
			continue
		}
		if newHash == nil {
			c.v.SkippedAlgo++
			continue
		}
		if c.v.Limit = c.b.limit(ctx); c.v.Limit != "" {
			c.done = true
			continue
		}
		got, n, fi, err := hashFile(c.root, f.Path, newHash(), c.buf, c.b.maxFile, nil)
		if errors.Is(err, errTooLarge) {
			c.v.SkippedLarge++
			continue
		}
		c.v.FilesChecked++
		c.v.BytesChecked += n
		c.b.used += n
		fail, failed := checkFailure(artifact.DpkgFail{Package: pk.Name, Path: f.Path, Conffile: conf, Expected: f.Digest}, got, fi, err)
		if !failed {
			continue
		}
		listFailure(&c.v.Failures, &c.v.FailuresDropped, rpmFail(fail, algo))
		flagPackageFile(c.env, fail, artifact.PathRPMVerify, "rpm", algo)
	}
}

// rpmFail is a failed check as rpm_verify.json lists it: dpkg's record
// of it with the digest's algorithm.
func rpmFail(f artifact.DpkgFail, algo string) artifact.RPMFail {
	return artifact.RPMFail{Package: f.Package, Path: f.Path, Kind: f.Kind, Conffile: f.Conffile, Algo: algo,
		Expected: f.Expected, Actual: f.Actual, Error: f.Error, Mtime: f.Mtime, Ctime: f.Ctime}
}

// rpmOwnedFiles calls add with every file path the host's rpmdb.sqlite
// lists (for [PackageOwns]); false when there is none to read.
func rpmOwnedFiles(root *rootDir, add func(string)) (bool, []string) {
	for _, dir := range rpmDirs {
		main, err := readRPMFile(root, dir+"/rpmdb.sqlite")
		if err != nil {
			continue
		}
		wal, _ := readRPMFile(root, dir+"/rpmdb.sqlite-wal")
		db, _, _ := mergeRPMWAL(main, wal)
		var errs []string
		err = rpmdb.Walk(context.Background(), db, func(_ int64, pk *rpmdb.Package, _ error) error {
			if pk != nil {
				for _, f := range pk.Files {
					add(f.Path)
				}
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err.Error())
		}
		return true, errs
	}
	return false, nil
}

// readRPMFile reads a database file inside the root whole, up to
// rpmParseMax.
func readRPMFile(root *rootDir, hostPath string) ([]byte, error) {
	f, err := root.open(hostPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > rpmParseMax {
		return nil, fmt.Errorf("%s: not a regular file of at most %d bytes", hostPath, rpmParseMax)
	}
	data, _, err := readAtMost(f, rpmParseMax) // the size was checked: a file grown since is cut
	return data, err
}
