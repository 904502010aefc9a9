// Package rpmdb reads an RPM database in its SQLite form (rpmdb.sqlite,
// RPM 4.16 and later) from bytes in memory, and parses the package
// headers it holds.
//
// # Where it reads from
//
// The database is never opened where it lies: SQLite would take locks on
// the evidence and could create -wal and -shm files beside it. [Walk]
// takes the file's bytes, already read by the caller, and opens them
// read-only in memory with [sqlitemem.Open]. A -wal file's committed
// transactions are merged into that copy first
// ([sqlitemem.MergeWAL]), as SQLite itself would on opening the
// database.
//
// # The header blob
//
// Each row of the Packages table is one package's header as RPM exports
// it (lib/header.cc, headerExport; docs/manual/format_header.md): two
// big-endian 32-bit counts, the number of index entries and the size of
// the data store, then the index entries (tag, type, offset, count, each
// big-endian 32-bit), then the data store. [ParseHeader] checks every
// offset and count against the store before it reads.
package rpmdb

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Header tags read (include/rpm/rpmtag.h).
const (
	TagName           = 1000
	TagVersion        = 1001
	TagRelease        = 1002
	TagEpoch          = 1003
	TagInstallTime    = 1008
	TagSize           = 1009
	TagVendor         = 1011
	TagPackager       = 1015
	TagArch           = 1022
	TagFileSizes      = 1028
	TagFileModes      = 1030
	TagFileDigests    = 1035
	TagFileFlags      = 1037
	TagSourceRPM      = 1044
	TagDirIndexes     = 1116
	TagBaseNames      = 1117
	TagDirNames       = 1118
	TagLongFileSizes  = 5008
	TagLongSize       = 5009
	TagFileDigestAlgo = 5011
)

// Entry types (include/rpm/header.h, rpmTagType).
const (
	typeChar        = 1
	typeInt8        = 2
	typeInt16       = 3
	typeInt32       = 4
	typeInt64       = 5
	typeString      = 6
	typeBin         = 7
	typeStringArray = 8
	typeI18NString  = 9
)

// File flags (include/rpm/rpmfiles.h).
const (
	FileConfig = 1 << 0
	FileGhost  = 1 << 6
)

// Digest algorithms of FILEDIGESTALGO (OpenPGP hash ids); a header
// without the tag has MD5 digests.
const (
	DigestMD5    = 1
	DigestSHA1   = 2
	DigestSHA256 = 8
	DigestSHA384 = 9
	DigestSHA512 = 10
	DigestSHA224 = 11
)

// Bounds of a header, as rpm's own (lib/header.cc: HEADER_TAGS_MAX,
// HEADER_DATA_MAX).
const (
	maxEntries = 0xffff
	maxData    = 0x0fffffff
)

// File is one file of a package.
type File struct {
	Path   string
	Mode   uint16 // st_mode as RPM records it (type and permissions)
	Size   int64
	Flags  uint32
	Digest string // lower-case hex; empty for directories, links, ghosts
}

// Regular reports whether the package installed a regular file.
func (f File) Regular() bool { return f.Mode&0o170000 == 0o100000 }

// Package is one header's inventory.
type Package struct {
	Name, Version, Release, Arch string
	// Epoch is nil when the header has none.
	Epoch                       *int32
	InstallTime                 int64 // seconds since the epoch, 0 if absent
	Size                        int64
	Vendor, Packager, SourceRPM string
	// DigestAlgo is the files' digest algorithm (DigestMD5 when the
	// header does not say).
	DigestAlgo uint32
	Files      []File
}

// ErrHeader says a blob is not a well-formed header.
var ErrHeader = errors.New("rpmdb: malformed header")

type entry struct {
	tag, typ, off, count uint32
}

// header is a parsed index over a blob's data store.
type header struct {
	data    []byte
	entries map[uint32]entry
}

// ParseHeader parses one header blob as stored in rpmdb.sqlite.
func ParseHeader(blob []byte) (*Package, error) {
	h, err := parseIndex(blob)
	if err != nil {
		return nil, err
	}
	p := &Package{DigestAlgo: DigestMD5}
	var errs []error
	str := func(tag uint32) string {
		s, err := h.str(tag)
		if err != nil {
			errs = append(errs, err)
		}
		return s
	}
	p.Name = str(TagName)
	p.Version = str(TagVersion)
	p.Release = str(TagRelease)
	p.Arch = str(TagArch)
	p.Vendor = str(TagVendor)
	p.Packager = str(TagPackager)
	p.SourceRPM = str(TagSourceRPM)
	if v, ok, err := h.ints(TagEpoch); err != nil {
		errs = append(errs, err)
	} else if ok && len(v) > 0 {
		e := int32(v[0])
		p.Epoch = &e
	}
	if v, ok, err := h.ints(TagInstallTime); err == nil && ok && len(v) > 0 {
		p.InstallTime = int64(uint32(v[0]))
	} else if err != nil {
		errs = append(errs, err)
	}
	if v, ok, err := h.ints(TagLongSize); err == nil && ok && len(v) > 0 {
		p.Size = v[0]
	} else if v, ok, err := h.ints(TagSize); err == nil && ok && len(v) > 0 {
		p.Size = int64(uint32(v[0]))
	}
	if v, ok, err := h.ints(TagFileDigestAlgo); err == nil && ok && len(v) > 0 {
		p.DigestAlgo = uint32(v[0])
	}
	files, err := h.files()
	if err != nil {
		errs = append(errs, err)
	}
	p.Files = files
	if p.Name == "" {
		errs = append(errs, fmt.Errorf("%w: no name", ErrHeader))
	}
	return p, errors.Join(errs...)
}

func parseIndex(blob []byte) (*header, error) {
	if len(blob) < 8 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than its counts", ErrHeader, len(blob))
	}
	il := binary.BigEndian.Uint32(blob[0:])
	dl := binary.BigEndian.Uint32(blob[4:])
	if il == 0 || il > maxEntries || dl > maxData {
		return nil, fmt.Errorf("%w: %d entries, %d data bytes", ErrHeader, il, dl)
	}
	need := 8 + uint64(il)*16 + uint64(dl)
	if uint64(len(blob)) < need {
		return nil, fmt.Errorf("%w: %d entries and %d data bytes need %d bytes, the blob has %d", ErrHeader, il, dl, need, len(blob))
	}
	h := &header{data: blob[8+il*16 : need], entries: make(map[uint32]entry, il)}
	for i := range il {
		b := blob[8+i*16:]
		e := entry{binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:])}
		if e.typ < typeChar || e.typ > typeI18NString || e.off > dl {
			return nil, fmt.Errorf("%w: entry %d (tag %d): type %d, offset %d of %d", ErrHeader, i, e.tag, e.typ, e.off, dl)
		}
		if _, dup := h.entries[e.tag]; !dup { // the region's own entry comes first
			h.entries[e.tag] = e
		}
	}
	return h, nil
}

// strs reads count NUL-terminated strings at e's offset.
func (h *header) strs(e entry) ([]string, error) {
	if e.count > uint32(len(h.data)) {
		return nil, fmt.Errorf("%w: tag %d: %d strings in %d bytes", ErrHeader, e.tag, e.count, len(h.data))
	}
	out := make([]string, 0, e.count)
	d := h.data[e.off:]
	for range e.count {
		i := 0
		for i < len(d) && d[i] != 0 {
			i++
		}
		if i == len(d) {
			return nil, fmt.Errorf("%w: tag %d: string runs past the data store", ErrHeader, e.tag)
		}
		out = append(out, string(d[:i]))
		d = d[i+1:]
	}
	return out, nil
}

func (h *header) str(tag uint32) (string, error) {
	e, ok := h.entries[tag]
	if !ok {
		return "", nil
	}
	if e.typ != typeString && e.typ != typeI18NString && e.typ != typeStringArray {
		return "", fmt.Errorf("%w: tag %d: type %d, not a string", ErrHeader, tag, e.typ)
	}
	e.count = 1 // an I18N string's first value is the untranslated one
	s, err := h.strs(e)
	if err != nil {
		return "", err
	}
	return s[0], nil
}

func (h *header) strArray(tag uint32) ([]string, bool, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, false, nil
	}
	if e.typ != typeStringArray {
		return nil, true, fmt.Errorf("%w: tag %d: type %d, not a string array", ErrHeader, tag, e.typ)
	}
	s, err := h.strs(e)
	return s, true, err
}

// ints reads an integer entry of any width as int64s (unsigned widths
// as RPM stores them: callers reinterpret).
func (h *header) ints(tag uint32) ([]int64, bool, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, false, nil
	}
	var size uint32
	switch e.typ {
	case typeChar, typeInt8:
		size = 1
	case typeInt16:
		size = 2
	case typeInt32:
		size = 4
	case typeInt64:
		size = 8
	default:
		return nil, true, fmt.Errorf("%w: tag %d: type %d, not an integer", ErrHeader, tag, e.typ)
	}
	if e.off%size != 0 || uint64(e.count)*uint64(size) > uint64(len(h.data))-uint64(e.off) {
		return nil, true, fmt.Errorf("%w: tag %d: %d values of %d bytes at offset %d run past the data store of %d", ErrHeader, tag, e.count, size, e.off, len(h.data))
	}
	out := make([]int64, e.count)
	d := h.data[e.off:]
	for i := range out {
		switch size {
		case 1:
			out[i] = int64(d[i])
		case 2:
			out[i] = int64(binary.BigEndian.Uint16(d[i*2:]))
		case 4:
			out[i] = int64(int32(binary.BigEndian.Uint32(d[i*4:])))
		case 8:
			out[i] = int64(binary.BigEndian.Uint64(d[i*8:]))
		}
	}
	return out, true, nil
}

// files joins the file-list tags; each must have one value per file.
func (h *header) files() ([]File, error) {
	base, ok, err := h.strArray(TagBaseNames)
	if !ok || err != nil {
		return nil, err
	}
	dirs, _, err := h.strArray(TagDirNames)
	if err != nil {
		return nil, err
	}
	idx, _, err := h.ints(TagDirIndexes)
	if err != nil {
		return nil, err
	}
	n := len(base)
	if len(idx) != n {
		return nil, fmt.Errorf("%w: %d base names, %d directory indexes", ErrHeader, n, len(idx))
	}
	opt := func(tag uint32) ([]int64, error) {
		v, ok, err := h.ints(tag)
		if err != nil || !ok {
			return nil, err
		}
		if len(v) != n {
			return nil, fmt.Errorf("%w: tag %d: %d values for %d files", ErrHeader, tag, len(v), n)
		}
		return v, nil
	}
	modes, err := opt(TagFileModes)
	if err != nil {
		return nil, err
	}
	flags, err := opt(TagFileFlags)
	if err != nil {
		return nil, err
	}
	sizes, err := opt(TagLongFileSizes)
	if err != nil {
		return nil, err
	}
	if sizes == nil {
		if sizes, err = opt(TagFileSizes); err != nil {
			return nil, err
		}
	}
	digests, ok, err := h.strArray(TagFileDigests)
	if err != nil {
		return nil, err
	}
	if ok && len(digests) != n {
		return nil, fmt.Errorf("%w: %d digests for %d files", ErrHeader, len(digests), n)
	}
	out := make([]File, n)
	for i := range out {
		if idx[i] < 0 || idx[i] >= int64(len(dirs)) {
			return nil, fmt.Errorf("%w: file %d: directory index %d of %d", ErrHeader, i, idx[i], len(dirs))
		}
		f := File{Path: dirs[idx[i]] + base[i]}
		if modes != nil {
			f.Mode = uint16(modes[i])
		}
		if flags != nil {
			f.Flags = uint32(flags[i])
		}
		if sizes != nil {
			f.Size = sizes[i]
			if f.Size < 0 && sizes != nil {
				f.Size = int64(uint32(f.Size)) // FILESIZES is unsigned 32-bit
			}
		}
		if digests != nil {
			f.Digest = digests[i]
		}
		out[i] = f
	}
	return out, nil
}
