package logins

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

func bs(s string) manifest.BString { return manifest.BString(s) }

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureRoot, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withOffsets sets each record's offset as it sits in its file.
func withOffsets(rs []artifact.LoginRecord) []artifact.LoginRecord {
	out := make([]artifact.LoginRecord, len(rs))
	for i, r := range rs {
		r.Offset = int64(i * UtmpSize)
		out[i] = r
	}
	return out
}

// TestDecodeUtmpLayout pins every field to its documented offset with a
// record built byte by byte, not by EncodeUtmp.
func TestDecodeUtmpLayout(t *testing.T) {
	b := make([]byte, UtmpSize)
	b[0] = 7                                      // ut_type USER_PROCESS
	copy(b[4:], []byte{0xd2, 0x04, 0, 0})         // pid 1234
	copy(b[8:], "pts/0")                          // ut_line
	copy(b[40:], "ts/0")                          // ut_id, 4 bytes, no NUL
	copy(b[44:], "alice")                         // ut_user
	copy(b[76:], "203.0.113.7")                   // ut_host
	copy(b[332:], []byte{1, 0, 2, 0})             // e_termination 1, e_exit 2
	copy(b[336:], []byte{0xd2, 0x04, 0, 0})       // session 1234
	copy(b[340:], []byte{0x00, 0xe1, 0xf5, 0x05}) // tv_sec 0x05f5e100 = 100000000
	copy(b[344:], []byte{0x20, 0xa1, 0x07, 0x00}) // tv_usec 500000
	copy(b[348:], []byte{203, 0, 113, 7})         // ut_addr_v6[0]
	copy(b[364:], "reserved bytes are ignored")
	r, err := DecodeUtmp(b, 768)
	if err != nil {
		t.Fatal(err)
	}
	want := artifact.LoginRecord{
		Offset: 768, Type: 7, TypeName: "USER_PROCESS", PID: 1234,
		Line: "pts/0", ID: "ts/0", User: "alice", Host: "203.0.113.7",
		ExitTermination: 1, ExitStatus: 2, Session: 1234,
		Time: time.Date(1973, 3, 3, 9, 46, 40, 500000000, time.UTC), TimeSec: 100000000,
		Address: "203.0.113.7",
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
	if _, err := DecodeUtmp(b[:383], 0); !errors.Is(err, ErrRecordSize) {
		t.Errorf("short buffer: %v, want ErrRecordSize", err)
	}
}

func TestParseFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []artifact.LoginRecord
	}{
		{"run/utmp", fixtureUtmp},
		{"var/log/wtmp", fixtureWtmp},
		{"var/log/btmp", fixtureBtmp},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b := readFixture(t, tc.file)
			got, err := ParseUtmp(b)
			if err != nil {
				t.Fatal(err)
			}
			want := withOffsets(tc.want)
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("record %d:\ngot  %+v\nwant %+v", i, got[i], want[i])
				}
			}
			// The streaming reader agrees with ParseUtmp.
			rd := NewReader(bytes.NewReader(b))
			for i := 0; ; i++ {
				r, err := rd.Next()
				if err == io.EOF {
					if i != len(want) {
						t.Errorf("reader: %d records, want %d", i, len(want))
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(r, want[i]) {
					t.Errorf("reader record %d differs", i)
				}
			}
		})
	}
}

// TestOddFields checks the edge cases the wtmp fixture holds.
func TestOddFields(t *testing.T) {
	recs, err := ParseUtmp(readFixture(t, "var/log/wtmp"))
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[4].Address; got != "2001:db8::42" {
		t.Errorf("v6 address %q", got)
	}
	if got := recs[5].User; got != "ev\xffil" {
		t.Errorf("non-UTF-8 user %q not kept exactly", got)
	}
	if got := recs[6].Line; len(got) != 32 {
		t.Errorf("unterminated 32-byte line cut to %q", got)
	}
	// tv_sec past 2038-01-19T03:14:07Z is read as unsigned.
	if got := recs[6].Time; !got.Equal(time.Date(2038, 1, 19, 3, 14, 8, 0, time.UTC)) {
		t.Errorf("post-2038 time %v", got)
	}
	if recs[3].User != "" || recs[3].TypeName != "DEAD_PROCESS" {
		t.Errorf("logout record %+v", recs[3])
	}
}

func TestTruncated(t *testing.T) {
	b := readFixture(t, "var/log/btmp.1")
	got, err := ParseUtmp(b)
	var te *TruncatedError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want *TruncatedError", err)
	}
	if te.Offset != 2*UtmpSize || te.Len != btmp1Tail {
		t.Errorf("truncated at %d len %d", te.Offset, te.Len)
	}
	if !reflect.DeepEqual(got, withOffsets(fixtureBtmp1)) {
		t.Errorf("records before the cut: %+v", got)
	}
	if !strings.Contains(err.Error(), "offset 768") {
		t.Errorf("message %q does not name the offset", err)
	}
	rd := NewReader(bytes.NewReader(b))
	n := 0
	for {
		_, err = rd.Next()
		if err != nil {
			break
		}
		n++
	}
	if n != 2 || !errors.As(err, &te) || te.Offset != 768 {
		t.Errorf("reader: %d records then %v", n, err)
	}
}

func TestLastlogFixture(t *testing.T) {
	b := readFixture(t, "var/log/lastlog")
	if len(b) != 1003*LastlogSize {
		t.Fatalf("lastlog is %d bytes", len(b))
	}
	got, err := ParseLastlog(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]artifact.Lastlog, len(fixtureLastlog))
	for i, l := range fixtureLastlog {
		l.Time = time.Unix(int64(l.TimeSec), 0).UTC()
		want[i] = l
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// The record of one uid, by offset.
	l, ok, err := DecodeLastlog(b[1000*LastlogSize:1001*LastlogSize], 1000)
	if err != nil || !ok || l.Line != "pts/0" || l.Host != "203.0.113.7" || l.Time != want[1].Time {
		t.Errorf("uid 1000: %+v %v %v", l, ok, err)
	}
	// Byte layout: ll_time at 0, ll_line at 4, ll_host at 36.
	raw := b[1000*LastlogSize:]
	if hex.EncodeToString(raw[:4]) != hex.EncodeToString(le32(uint32(want[1].Time.Unix()))) ||
		string(raw[4:9]) != "pts/0" || string(raw[36:47]) != "203.0.113.7" {
		t.Errorf("layout of uid 1000's record: % x", raw[:48])
	}
	if _, err := ParseLastlog(b[:LastlogSize+10], 0); !errors.As(err, new(*TruncatedError)) {
		t.Errorf("truncated lastlog: %v", err)
	}
}

func le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }

// TestTypeName holds the names to glibc's own: every ut_type value that
// bits/utmp.h defines has its C name, and no other value has a name.
func TestTypeName(t *testing.T) {
	headers, _ := filepath.Glob("/usr/include/*/bits/utmp.h")
	headers = append(headers, "/usr/include/bits/utmp.h")
	var src []byte
	for _, h := range headers {
		if b, err := os.ReadFile(h); err == nil {
			src = b
			break
		}
	}
	if src == nil {
		t.Skip("no glibc bits/utmp.h (install libc6-dev) to compare the names with")
	}
	// The block of ut_type values, up to the old alias of EMPTY.
	_, block, ok := bytes.Cut(src, []byte("Values for the `ut_type' field"))
	if !ok {
		t.Fatal("bits/utmp.h has no ut_type values")
	}
	block, _, _ = bytes.Cut(block, []byte("UT_UNKNOWN"))
	defs := regexp.MustCompile(`(?m)^#\s*define\s+([A-Z_]+)\s+(\d+)`).FindAllSubmatch(block, -1)
	if len(defs) != 10 {
		t.Fatalf("bits/utmp.h defines %d ut_type values, want 10", len(defs))
	}
	named := map[int16]bool{}
	for _, d := range defs {
		n, err := strconv.ParseInt(string(d[2]), 10, 16)
		if err != nil {
			t.Fatal(err)
		}
		named[int16(n)] = true
		if got := TypeName(int16(n)); got != string(d[1]) {
			t.Errorf("TypeName(%d) = %q, glibc calls it %s", n, got, d[1])
		}
	}
	for _, n := range []int16{-1, 10, 42, 1 << 14} {
		if named[n] {
			continue
		}
		if got, want := TypeName(n), fmt.Sprintf("UNKNOWN(%d)", n); got != want {
			t.Errorf("TypeName(%d) = %q, want %q", n, got, want)
		}
	}
}

// FuzzUtmp: the parser never panics, the reader agrees with it, and a
// record re-encodes to the bytes it came from (for the stored fields).
func FuzzUtmp(f *testing.F) {
	f.Add(encodeAll(fixtureWtmp))
	f.Add(encodeAll(fixtureBtmp1)[:500])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := ParseUtmp(b)
		if len(recs) != len(b)/UtmpSize {
			t.Fatalf("%d records from %d bytes", len(recs), len(b))
		}
		if (len(b)%UtmpSize != 0) != (err != nil) {
			t.Fatalf("err %v for %d bytes", err, len(b))
		}
		rd := NewReader(bytes.NewReader(b))
		for i := range recs {
			r, err := rd.Next()
			if err != nil || !reflect.DeepEqual(r, recs[i]) {
				t.Fatalf("reader record %d: %v", i, err)
			}
			// Decoding is stable through an encode.
			r2, err := DecodeUtmp(EncodeUtmp(r), r.Offset)
			if err != nil {
				t.Fatal(err)
			}
			if r2.Type != r.Type || r2.PID != r.PID || r2.User != r.User || r2.Line != r.Line ||
				r2.Host != r.Host || r2.TimeSec != r.TimeSec || r2.Address != r.Address || r2.Session != r.Session {
				t.Fatalf("re-encode changed %+v to %+v", r, r2)
			}
		}
	})
}

// FuzzLastlog: never panics; records come out in uid order.
func FuzzLastlog(f *testing.F) {
	f.Add(encodeLastlogFile(fixtureLastlog)[:2*LastlogSize+7], uint32(0))
	f.Add([]byte{1, 2, 3}, uint32(1000))
	f.Fuzz(func(t *testing.T, b []byte, first uint32) {
		ls, err := ParseLastlog(b, first)
		if (len(b)%LastlogSize != 0) != (err != nil) {
			t.Fatalf("err %v for %d bytes", err, len(b))
		}
		for i := 1; i < len(ls); i++ {
			if ls[i].UID-first <= ls[i-1].UID-first {
				t.Fatalf("uids out of order")
			}
		}
	})
}
