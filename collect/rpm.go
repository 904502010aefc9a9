package collect

import (
	"context"
	"errors"
	"io/fs"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// rpmDatabases are where RPM keeps its database: rpmdb.sqlite (RPM 4.16
// and later, Fedora 33+, RHEL 9), Packages (Berkeley DB, older) and
// Packages.db (ndb, SUSE); /usr/lib/sysimage/rpm is the newer location.
var rpmDatabases = []string{
	"/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/rpmdb.sqlite-wal", "/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db",
	"/usr/lib/sysimage/rpm/rpmdb.sqlite", "/usr/lib/sysimage/rpm/rpmdb.sqlite-wal", "/usr/lib/sysimage/rpm/Packages", "/usr/lib/sysimage/rpm/Packages.db",
}

// rpmMaxBytes bounds one RPM database file stored.
const rpmMaxBytes = 1 << 30

// collectRPM stores every RPM database file found, raw, at its files/
// path, streamed from the open file (never held in memory), and lists
// them in [artifact.PathRPM]. hozen does not parse them: collect does not
// link the SQLite driver, and the Berkeley DB and ndb formats and RPM's
// header blobs are left to `rpm --dbpath` on a copy.
func collectRPM(_ context.Context, env *Env, sink Sink, collector string) error {
	doc := &artifact.RPMDatabase{Files: []artifact.RPMFile{},
		Note: "stored raw, not parsed: query a copy with `rpm --dbpath DIR -qa` (or sqlite3 on rpmdb.sqlite)"}
	root, err := openRoot(env.Path("/"))
	if err != nil {
		return nil
	}
	defer root.close()
	for _, p := range rpmDatabases {
		f, err := root.open(p)
		if err != nil {
			if !errorsIsNotExist(err) {
				doc.Files = append(doc.Files, artifact.RPMFile{Path: p, Error: err.Error()})
			}
			continue
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			f.Close()
			continue
		}
		rec := &manifest.Record{Path: manifest.BString(BundlePath(p)), Source: manifest.BString(p), Collector: collector,
			Entry: manifest.EntryFile, Size: min(fi.Size(), rpmMaxBytes), Outcome: manifest.OutcomeOK, File: fileMetaOpened(f, fi)}
		if fi.Size() > rpmMaxBytes {
			rec.Outcome = manifest.OutcomePartial
			rec.Errors = []string{"truncated at the RPM database cap of 1 GiB"}
		}
		err = sink.Put(rec, f)
		f.Close()
		if err != nil {
			return err
		}
		doc.Files = append(doc.Files, artifact.RPMFile{Path: p, Size: fi.Size(), Stored: string(rec.Path)})
	}
	if len(doc.Files) == 0 {
		return nil
	}
	return PutJSON(sink, artifact.PathRPM, collector, doc)
}

func errorsIsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
