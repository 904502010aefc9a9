// Package sqlitemem opens an SQLite database held in memory, read-only:
// the bytes of a database file that a collector has already read,
// bounded, from the host.
//
// # Why in memory
//
// A database on the host is evidence: SQLite opening it in place would
// take locks on it (a live program holds it locked, or is made to wait),
// could roll back a hot journal, and could create -wal and -shm files
// beside it. [Open] serves the bytes to SQLite (modernc.org/sqlite, pure
// Go) through a virtual file system (modernc.org/sqlite/vfs) over an
// in-memory fs.FS of one file, which nothing can write to, with
// mode=ro&immutable=1.
//
// # The -wal
//
// A database in WAL mode may have committed transactions that are not
// yet in the main file. SQLite reads them from the -wal beside the
// database; in memory there is none, so the caller merges it first with
// [MergeWAL], as SQLite would on opening the database, and [Open] marks
// its copy a rollback-journal database so that SQLite does not look for
// one.
//
// This package and custody are the only importers of the SQLite driver
// (docs/architecture.md; TestImportDirection in cmd/hozen checks).
package sqlitemem

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver
	"modernc.org/sqlite/vfs"
)

// dbName is the one file the in-memory file system serves.
const dbName = "db.sqlite"

// headerMagic starts every SQLite 3 database file.
const headerMagic = "SQLite format 3\x00"

// ErrNotSQLite says the bytes are not an SQLite 3 database.
var ErrNotSQLite = errors.New("not an SQLite 3 database (no \"SQLite format 3\" header)")

// DB is a database opened read-only from bytes in memory. Close it when
// done: it holds the virtual file system registered for it.
type DB struct {
	*sql.DB
	vfs *vfs.FS
}

// Open opens data (the bytes of a database file, its -wal merged by
// [MergeWAL] where there is one) read-only, in memory. data is not
// changed, and must not be changed while the DB is open. The DB has one
// connection.
func Open(data []byte) (*DB, error) {
	if len(data) < 100 || !bytes.HasPrefix(data, []byte(headerMagic)) {
		return nil, ErrNotSQLite
	}
	// The copy is ours: mark it a rollback-journal database (header bytes
	// 18 and 19, the write and read versions, are 2 for WAL), so SQLite
	// neither looks for a -wal nor needs shared memory.
	if data[18] == 2 || data[19] == 2 {
		data = bytes.Clone(data)
		data[18], data[19] = 1, 1
	}
	name, vfsys, err := vfs.New(memFS{data: data})
	if err != nil {
		return nil, fmt.Errorf("sqlitemem: %w", err)
	}
	conn, err := sql.Open("sqlite", "file:"+dbName+"?vfs="+name+"&mode=ro&immutable=1")
	if err != nil {
		vfsys.Close()
		return nil, fmt.Errorf("sqlitemem: %w", err)
	}
	conn.SetMaxOpenConns(1)
	return &DB{DB: conn, vfs: vfsys}, nil
}

// Close closes the database and its virtual file system.
func (db *DB) Close() error {
	err := db.DB.Close()
	return errors.Join(err, db.vfs.Close())
}

// memFS is a read-only file system of one file held in memory.
type memFS struct{ data []byte }

func (m memFS) Open(name string) (fs.File, error) {
	if name != dbName {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{bytes.NewReader(m.data)}, nil
}

// memFile is the one file: a bytes.Reader (Read, ReadAt, Seek) that says
// its size.
type memFile struct{ *bytes.Reader }

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{f.Size()}, nil }
func (f *memFile) Close() error               { return nil }

type memInfo struct{ size int64 }

func (i memInfo) Name() string       { return dbName }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }
