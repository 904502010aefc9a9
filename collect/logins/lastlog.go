package logins

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// LastlogSize is the size of one struct lastlog record (glibc, Linux: the
// time is 32 bits on every architecture).
const LastlogSize = 292

// Lastlog is the last login of one uid.
type Lastlog struct {
	UID uint32 `json:"uid"`
	// User is the name /etc/passwd gives the uid, filled by the caller.
	User    string           `json:"user,omitempty"`
	Time    time.Time        `json:"time"`
	TimeSec uint32           `json:"time_sec"`
	Line    manifest.BString `json:"line"`
	Host    manifest.BString `json:"host"`
}

// DecodeLastlog decodes the record of uid; ok is false for an all-zero
// record (the uid never logged in, or a hole in the sparse file).
func DecodeLastlog(b []byte, uid uint32) (l Lastlog, ok bool, err error) {
	if len(b) != LastlogSize {
		return Lastlog{}, false, fmt.Errorf("%w: %d bytes, want %d", ErrRecordSize, len(b), LastlogSize)
	}
	nonzero := false
	for _, c := range b {
		if c != 0 {
			nonzero = true
			break
		}
	}
	if !nonzero {
		return Lastlog{}, false, nil
	}
	l = Lastlog{
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
func EncodeLastlog(l Lastlog) []byte {
	b := make([]byte, LastlogSize)
	binary.LittleEndian.PutUint32(b, l.TimeSec)
	copy(b[4:36], l.Line)
	copy(b[36:292], l.Host)
	return b
}

// ParseLastlog decodes the non-empty records of b, whose first record
// belongs to firstUID. A trailing partial record gives a *TruncatedError
// along with the records before it.
func ParseLastlog(b []byte, firstUID uint32) ([]Lastlog, error) {
	var out []Lastlog
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
