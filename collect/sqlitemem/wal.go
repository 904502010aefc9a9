package sqlitemem

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// WAL file format (https://sqlite.org/fileformat2.html#walformat).
const (
	walHeader      = 32
	walFrameHeader = 24
	walMagicLE     = 0x377f0682
	walMagicBE     = 0x377f0683
)

// WALResult says what [MergeWAL] did.
type WALResult struct {
	// Frames is the number of valid frames up to the last commit, merged;
	// Ignored counts the frames after it (uncommitted or invalid), which
	// SQLite too would ignore.
	Frames, Ignored int
	// Pages is the database's size in pages after the merge.
	Pages uint32
}

// ErrWAL says a -wal file's header is not valid; SQLite ignores such a
// file, and so does MergeWAL's caller.
var ErrWAL = errors.New("sqlitemem: not a valid WAL file")

// MergeWAL applies the committed transactions of a -wal file to a copy
// of the database's bytes, as SQLite does when it opens a database whose
// WAL was not checkpointed: frames are read while their salts match the
// header's and their cumulative checksums hold; those up to the last
// commit frame are applied in order, and the database takes that
// commit's size. maxBytes bounds the merged database. db is not changed.
// The merged copy is marked a rollback-journal database (header bytes 18
// and 19), as [Open] needs it, so that Open does not copy it again.
func MergeWAL(db, wal []byte, maxBytes int64) ([]byte, WALResult, error) {
	var res WALResult
	if len(wal) == 0 {
		return db, res, nil
	}
	if len(wal) < walHeader {
		return nil, res, fmt.Errorf("%w: %d bytes", ErrWAL, len(wal))
	}
	magic := binary.BigEndian.Uint32(wal)
	if magic != walMagicLE && magic != walMagicBE {
		return nil, res, fmt.Errorf("%w: magic %#x", ErrWAL, magic)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if magic == walMagicBE {
		order = binary.BigEndian
	}
	pageSize := binary.BigEndian.Uint32(wal[8:])
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return nil, res, fmt.Errorf("%w: page size %d", ErrWAL, pageSize)
	}
	salt1, salt2 := binary.BigEndian.Uint32(wal[16:]), binary.BigEndian.Uint32(wal[20:])
	s1, s2 := walChecksum(order, 0, 0, wal[:24])
	if s1 != binary.BigEndian.Uint32(wal[24:]) || s2 != binary.BigEndian.Uint32(wal[28:]) {
		return nil, res, fmt.Errorf("%w: header checksum", ErrWAL)
	}
	if len(db) >= 100 {
		dbPage := uint32(binary.BigEndian.Uint16(db[16:]))
		if dbPage == 1 {
			dbPage = 65536
		}
		if dbPage != pageSize {
			return nil, res, fmt.Errorf("%w: page size %d, the database's is %d", ErrWAL, pageSize, dbPage)
		}
	}
	type frame struct {
		pgno uint32
		data []byte
	}
	var frames []frame
	lastCommit, commitPages := 0, uint32(0)
	frameSize := walFrameHeader + int(pageSize)
	for off := walHeader; off+frameSize <= len(wal); off += frameSize {
		fh := wal[off : off+walFrameHeader]
		page := wal[off+walFrameHeader : off+frameSize]
		pgno, commit := binary.BigEndian.Uint32(fh), binary.BigEndian.Uint32(fh[4:])
		if pgno == 0 || binary.BigEndian.Uint32(fh[8:]) != salt1 || binary.BigEndian.Uint32(fh[12:]) != salt2 {
			break
		}
		s1, s2 = walChecksum(order, s1, s2, fh[:8])
		s1, s2 = walChecksum(order, s1, s2, page)
		if s1 != binary.BigEndian.Uint32(fh[16:]) || s2 != binary.BigEndian.Uint32(fh[20:]) {
			break
		}
		frames = append(frames, frame{pgno, page})
		if commit != 0 {
			lastCommit, commitPages = len(frames), commit
		}
	}
	res.Ignored = len(frames) - lastCommit + (len(wal)-walHeader)/frameSize - len(frames)
	if lastCommit == 0 {
		return db, res, nil
	}
	if int64(commitPages)*int64(pageSize) > maxBytes {
		return nil, res, fmt.Errorf("sqlitemem: the WAL makes the database %d pages of %d bytes, over the bound of %d bytes", commitPages, pageSize, maxBytes)
	}
	out := make([]byte, int(commitPages)*int(pageSize))
	copy(out, db)
	for _, f := range frames[:lastCommit] {
		if f.pgno <= commitPages {
			copy(out[int(f.pgno-1)*int(pageSize):], f.data)
		}
	}
	if len(out) >= 20 {
		out[18], out[19] = 1, 1
	}
	res.Frames, res.Pages = lastCommit, commitPages
	return out, res, nil
}

// walChecksum continues SQLite's WAL checksum over b (a multiple of 8
// bytes), reading 32-bit words in the given byte order.
func walChecksum(order binary.ByteOrder, s1, s2 uint32, b []byte) (uint32, uint32) {
	for i := 0; i+8 <= len(b); i += 8 {
		s1 += order.Uint32(b[i:]) + s2
		s2 += order.Uint32(b[i+4:]) + s1
	}
	return s1, s2
}
