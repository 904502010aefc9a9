package logins

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// LastlogSize is the size of one struct lastlog record (glibc, Linux: the
// time is 32 bits on every architecture).
const LastlogSize = 292

// DecodeLastlog decodes the record of uid; ok is false for an all-zero
// record (the uid never logged in, or a hole in the sparse file).
func DecodeLastlog(b []byte, uid uint32) (l artifact.Lastlog, ok bool, err error) {
	if len(b) != LastlogSize {
		return artifact.Lastlog{}, false, fmt.Errorf("%w: %d bytes, want %d", ErrRecordSize, len(b), LastlogSize)
	}
	nonzero := false
	for _, c := range b {
		if c != 0 {
			nonzero = true
			break
		}
	}
	if !nonzero {
		return artifact.Lastlog{}, false, nil
	}
	l = artifact.Lastlog{
		UID:     uid,
		TimeSec: binary.LittleEndian.Uint32(b[0:]),
		Line:    cstring(b[4:36]),
		Host:    cstring(b[36:292]),
	}
	l.Time = time.Unix(int64(l.TimeSec), 0).UTC()
	return l, true, nil
}

// EncodeLastlog is the inverse of [DecodeLastlog] (UID and User are not
// stored: the uid is the record's index).
func EncodeLastlog(l artifact.Lastlog) []byte {
	b := make([]byte, LastlogSize)
	binary.LittleEndian.PutUint32(b, l.TimeSec)
	copy(b[4:36], l.Line)
	copy(b[36:292], l.Host)
	return b
}

// ParseLastlog decodes the non-empty records of b, whose first record
// belongs to firstUID. A trailing partial record gives a *TruncatedError
// along with the records before it.
func ParseLastlog(b []byte, firstUID uint32) ([]artifact.Lastlog, error) {
	var out []artifact.Lastlog
	off := 0
	uid := firstUID
	for ; off+LastlogSize <= len(b); off += LastlogSize {
		l, ok, err := DecodeLastlog(b[off:off+LastlogSize], uid)
		if err != nil {
			return out, err
		}
		if ok {
			out = append(out, l)
		}
		uid++
	}
	if off < len(b) {
		return out, &TruncatedError{Offset: int64(off), Len: len(b) - off, Size: LastlogSize}
	}
	return out, nil
}
