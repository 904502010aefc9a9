// Package logins parses the binary login records of Linux hosts: utmp
// (current sessions), wtmp (login history), btmp (failed logins) and lastlog
// (last login per uid). The parsers are pure: they read bytes or an
// [io.Reader] and never touch the host, so they can be fuzzed and fed
// fixtures.
//
// # utmp, wtmp, btmp
//
// The three files are arrays of glibc's struct utmp. On x86_64, arm64, i386
// and arm (glibc) the record is [UtmpSize] = 384 bytes, little endian, with
// 32-bit time fields even on 64-bit hosts (__WORDSIZE_TIME64_COMPAT32):
//
//	offset size field
//	     0    2 ut_type        int16 (then 2 bytes padding)
//	     4    4 ut_pid         int32
//	     8   32 ut_line        char[32], NUL-padded, not always terminated
//	    40    4 ut_id          char[4]
//	    44   32 ut_user        char[32]
//	    76  256 ut_host        char[256]
//	   332    2 e_termination  int16
//	   334    2 e_exit         int16
//	   336    4 ut_session     int32
//	   340    4 tv_sec         int32 (read as unsigned: good until 2106)
//	   344    4 tv_usec        int32
//	   348   16 ut_addr_v6     4 × int32, network byte order; IPv4 in the
//	                           first 4 bytes with the rest zero
//	   364   20 reserved
//
// [Reader] reads records one at a time, so a large wtmp never sits in
// memory; [ParseUtmp] reads a whole byte slice. A file whose length is not a
// multiple of 384 ends in a [TruncatedError]: every whole record before it is
// still returned.
//
// # lastlog
//
// /var/log/lastlog is a sparse array of struct lastlog indexed by uid,
// [LastlogSize] = 292 bytes each: int32 ll_time, char ll_line[32],
// char ll_host[256]. See [DecodeLastlog] and [ParseLastlog].
package logins

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// UtmpSize is the size of one struct utmp record (glibc, Linux, all of
// x86_64, arm64, i386 and arm).
const UtmpSize = 384

// Record types (ut_type).
const (
	Empty        = 0
	RunLevel     = 1
	BootTime     = 2
	NewTime      = 3
	OldTime      = 4
	InitProcess  = 5
	LoginProcess = 6
	UserProcess  = 7
	DeadProcess  = 8
	Accounting   = 9
)

var typeNames = [...]string{
	Empty:        "EMPTY",
	RunLevel:     "RUN_LVL",
	BootTime:     "BOOT_TIME",
	NewTime:      "NEW_TIME",
	OldTime:      "OLD_TIME",
	InitProcess:  "INIT_PROCESS",
	LoginProcess: "LOGIN_PROCESS",
	UserProcess:  "USER_PROCESS",
	DeadProcess:  "DEAD_PROCESS",
	Accounting:   "ACCOUNTING",
}

// TypeName returns the C name of a ut_type value ("USER_PROCESS"), or
// "UNKNOWN(n)".
func TypeName(t int16) string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("UNKNOWN(%d)", t)
}

// TruncatedError reports a file that ends inside a record.
type TruncatedError struct {
	// Offset is where the partial record starts; Len its byte count.
	Offset int64
	Len    int
	Size   int // of a whole record
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("truncated record at offset %d: %d of %d bytes", e.Offset, e.Len, e.Size)
}

// ErrRecordSize is returned for a buffer of the wrong size.
var ErrRecordSize = errors.New("logins: wrong record size")

// cstring returns b up to its first NUL.
func cstring(b []byte) manifest.BString {
	for i, c := range b {
		if c == 0 {
			return manifest.BString(b[:i])
		}
	}
	return manifest.BString(b)
}

// DecodeUtmp decodes one UtmpSize-byte record found at offset off.
func DecodeUtmp(b []byte, off int64) (artifact.LoginRecord, error) {
	if len(b) != UtmpSize {
		return artifact.LoginRecord{}, fmt.Errorf("%w: %d bytes, want %d", ErrRecordSize, len(b), UtmpSize)
	}
	le := binary.LittleEndian
	r := artifact.LoginRecord{
		Offset:          off,
		Type:            int16(le.Uint16(b[0:])),
		PID:             int32(le.Uint32(b[4:])),
		Line:            cstring(b[8:40]),
		ID:              cstring(b[40:44]),
		User:            cstring(b[44:76]),
		Host:            cstring(b[76:332]),
		ExitTermination: int16(le.Uint16(b[332:])),
		ExitStatus:      int16(le.Uint16(b[334:])),
		Session:         int32(le.Uint32(b[336:])),
		TimeSec:         le.Uint32(b[340:]),
	}
	r.TypeName = TypeName(r.Type)
	usec := int64(int32(le.Uint32(b[344:])))
	if usec < 0 || usec >= 1e6 {
		usec = 0 // nonsense: keep the seconds, drop the fraction
	}
	r.Time = time.Unix(int64(r.TimeSec), usec*1e3).UTC()
	r.Address = decodeAddr(b[348:364])
	return r, nil
}

// decodeAddr reads ut_addr_v6: 16 bytes in network order, IPv4 in the first
// four with the rest zero.
func decodeAddr(a []byte) string {
	zero := func(b []byte) bool {
		for _, c := range b {
			if c != 0 {
				return false
			}
		}
		return true
	}
	switch {
	case zero(a):
		return ""
	case zero(a[4:]):
		return netip.AddrFrom4([4]byte(a[:4])).String()
	default:
		return netip.AddrFrom16([16]byte(a)).String()
	}
}

// EncodeUtmp is the inverse of [DecodeUtmp] for the fields of r (Offset,
// TypeName and the reserved bytes are not stored). Strings longer than
// their field are cut. Fixture generators and tests use it.
func EncodeUtmp(r artifact.LoginRecord) []byte {
	b := make([]byte, UtmpSize)
	le := binary.LittleEndian
	le.PutUint16(b[0:], uint16(r.Type))
	le.PutUint32(b[4:], uint32(r.PID))
	copy(b[8:40], r.Line)
	copy(b[40:44], r.ID)
	copy(b[44:76], r.User)
	copy(b[76:332], r.Host)
	le.PutUint16(b[332:], uint16(r.ExitTermination))
	le.PutUint16(b[334:], uint16(r.ExitStatus))
	le.PutUint32(b[336:], uint32(r.Session))
	le.PutUint32(b[340:], r.TimeSec)
	le.PutUint32(b[344:], uint32(r.Time.Nanosecond()/1e3))
	if r.Address != "" {
		if a, err := netip.ParseAddr(r.Address); err == nil {
			if a.Is4() {
				v := a.As4()
				copy(b[348:], v[:])
			} else {
				v := a.As16()
				copy(b[348:], v[:])
			}
		}
	}
	return b
}

// Reader reads utmp records one at a time.
type Reader struct {
	r   io.Reader
	off int64
	buf [UtmpSize]byte
}

// NewReader returns a Reader of the utmp records in r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Offset is the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.off }

// Next returns the next record; io.EOF at a clean end; a *TruncatedError
// when the input ends inside a record; any other read error as is.
func (r *Reader) Next() (artifact.LoginRecord, error) {
	n, err := io.ReadFull(r.r, r.buf[:])
	off := r.off
	r.off += int64(n)
	switch {
	case err == io.EOF:
		return artifact.LoginRecord{}, io.EOF
	case err == io.ErrUnexpectedEOF:
		return artifact.LoginRecord{}, &TruncatedError{Offset: off, Len: n, Size: UtmpSize}
	case err != nil:
		return artifact.LoginRecord{}, fmt.Errorf("read at offset %d: %w", off, err)
	}
	return DecodeUtmp(r.buf[:], off)
}

// ParseUtmp decodes every whole record of b. A trailing partial record gives
// a *TruncatedError along with the records before it.
func ParseUtmp(b []byte) ([]artifact.LoginRecord, error) {
	recs := make([]artifact.LoginRecord, 0, len(b)/UtmpSize)
	off := 0
	for ; off+UtmpSize <= len(b); off += UtmpSize {
		r, err := DecodeUtmp(b[off:off+UtmpSize], int64(off))
		if err != nil {
			return recs, err
		}
		recs = append(recs, r)
	}
	if off < len(b) {
		return recs, &TruncatedError{Offset: int64(off), Len: len(b) - off, Size: UtmpSize}
	}
	return recs, nil
}
