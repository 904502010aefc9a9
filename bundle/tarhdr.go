package bundle

import (
	"archive/tar"
	"io/fs"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/hozen-dfir/hozen/manifest"
)

// dataHeader is the tar header of a record's data entry. The writer and the
// verifier both derive it from the record alone, so a verifier can demand
// that every header field is exactly what the record implies: nothing in a
// tar header escapes the hash chain.
func dataHeader(rec *manifest.Record) *tar.Header {
	h := &tar.Header{
		Name:    string(rec.Path),
		Mode:    0o644,
		ModTime: rec.CollectedAt.Truncate(time.Second),
		Format:  tar.FormatPAX,
	}
	if rec.File != nil {
		h.Mode = int64(fs.FileMode(rec.File.ModeBits).Perm())
		// Whole seconds: a fraction would cost every file a PAX extended
		// header. The record keeps the exact time, and hozen extract sets it.
		h.ModTime = rec.File.Mtime.Truncate(time.Second)
		if rec.File.UID != nil && *rec.File.UID >= 0 {
			h.Uid = int(*rec.File.UID)
		}
		if rec.File.GID != nil && *rec.File.GID >= 0 {
			h.Gid = int(*rec.File.GID)
		}
	}
	switch rec.Entry {
	case manifest.EntrySymlink:
		h.Typeflag = tar.TypeSymlink
		h.Mode = 0o777
		if rec.File != nil && rec.File.LinkTarget != nil {
			h.Linkname = string(*rec.File.LinkTarget)
		}
	default:
		h.Typeflag = tar.TypeReg
		h.Size = rec.Size
	}
	return h
}

// fixedHeader is the tar header of one of hozen's own entries. Its mtime
// is the start time in whole seconds: a fraction would cost every record a
// PAX extended header (1 KiB more to compress and hash per record).
func fixedHeader(name string, size int64, at time.Time) *tar.Header {
	return &tar.Header{
		Name:     name,
		Mode:     0o644,
		Size:     size,
		ModTime:  at.Truncate(time.Second),
		Typeflag: tar.TypeReg,
		Format:   tar.FormatPAX,
	}
}

func parsePublicKey(s string) (ssh.PublicKey, error) {
	pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(s))
	return pub, err
}
