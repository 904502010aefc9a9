package manifest

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// listFixture is a chain of n records and nf frames, with the lists a
// writer keeps and the manifest Marshal makes from the same data.
type listFixture struct {
	chain  *Chain
	lists  Lists
	full   Manifest // Records and Frames filled
	good   []byte   // full, marshalled
	frames []Frame
}

func newListFixture(t testing.TB, n, nf int) *listFixture {
	c := NewChain([]byte(`{"format":"hozen-bundle/1"}`))
	for range n {
		seq, prev := c.Next()
		raw := []byte(fmt.Sprintf(`{"seq":%d,"prev":%q}`, seq, prev))
		if err := c.Add(raw, &Record{Seq: seq, Prev: prev, Entry: EntryFile, Size: 3, Outcome: OutcomeOK}); err != nil {
			t.Fatal(err)
		}
	}
	idx := &MemList{}
	frames := []Frame{}
	var off, uoff int64
	for i := range nf {
		e := FrameEntry{Offset: off, Size: int64(100 + i), UOffset: uoff, USize: int64(1<<20 + i), SHA256: sha256.Sum256([]byte{byte(i)})}
		idx.Write(e.Append(nil))
		frames = append(frames, e.Frame())
		off, uoff = off+e.Size, uoff+e.USize
	}
	f := &listFixture{chain: c, frames: frames,
		lists: Lists{Records: c.Hashes(), NRecords: c.Len(), Frames: idx, NFrames: int64(nf)}}
	f.full = Manifest{Format: Format, BundleID: "b-1", Status: StatusInterrupted,
		StartedAt: time.Unix(1, 0).UTC(), FinishedAt: time.Unix(2, 0).UTC(),
		Ledger: &Checkpoint{Size: 7}, Reason: `stopped; "records":[] and "frames":[] said the operator`}
	if err := c.Seal(&f.full); err != nil {
		t.Fatal(err)
	}
	f.full.Frames = frames
	var err error
	if f.good, err = Marshal(&f.full); err != nil {
		t.Fatal(err)
	}
	return f
}

// bare is the manifest without its lists, as a writer hands it over.
func (f *listFixture) bare() *Manifest {
	m := f.full
	m.Records, m.Frames = nil, nil
	return &m
}

// TestWriteManifestMatchesMarshal: the manifest streamed from the lists is
// exactly Marshal's with the lists as strings and structs, for no record
// and frame, one, and many, with a reason (quoting the fields' own names)
// and a ledger checkpoint after the lists.
func TestWriteManifestMatchesMarshal(t *testing.T) {
	for _, n := range []int{0, 1, 2, 1000} {
		f := newListFixture(t, n, n/3+n%2)
		want := f.good
		var got bytes.Buffer
		size, err := WriteManifest(&got, f.bare(), f.lists)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) || size != int64(len(want)) {
			t.Fatalf("%d records: %d bytes (said %d)\n%s\nwant\n%s", n, got.Len(), size, got.Bytes(), want)
		}
		if _, err := WriteManifest(&got, &f.full, f.lists); n > 0 && err == nil {
			t.Errorf("%d records: lists given twice accepted", n)
		}
	}
}

// TestReadManifest: the streaming reader accepts the writer's manifest and
// returns its fields without the lists; a list that differs from the
// bundle's, by one entry or in length, is named; and it refuses what the
// strict parser refuses, and duplicate keys.
func TestReadManifest(t *testing.T) {
	f := newListFixture(t, 50, 7)
	good := f.good
	m, mis, err := ReadManifest(bytes.NewReader(good), f.lists)
	if err != nil || mis.Records != nil || mis.Frames != nil {
		t.Fatal(err, mis)
	}
	if m.Records != nil || m.Frames != nil || m.Head != f.full.Head || m.Reason != f.full.Reason || m.Ledger.Size != 7 {
		t.Fatalf("read back %+v", m)
	}
	if err := f.chain.CheckFields(m); err != nil {
		t.Fatal(err)
	}

	edit := func(mut func(m *Manifest)) []byte {
		m := f.full
		m.Records = append([]string(nil), f.full.Records...)
		m.Frames = append([]Frame(nil), f.full.Frames...)
		mut(&m)
		b, err := Marshal(&m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var re *RecordError
	b := edit(func(m *Manifest) { m.Records[3] = strings.Repeat("0", 64) })
	if m, mis, err := ReadManifest(bytes.NewReader(b), f.lists); err != nil || m == nil || !errors.As(mis.Records, &re) || re.Seq != 4 || mis.Frames != nil {
		t.Errorf("a wrong hash: %v, %+v", err, mis)
	}
	var me *ManifestError
	for name, c := range map[string]struct {
		b     []byte
		field string
	}{
		"record dropped": {edit(func(m *Manifest) { m.Records = m.Records[:49] }), "records"},
		"record added":   {edit(func(m *Manifest) { m.Records = append(m.Records, m.Records[0]) }), "records"},
		"frame changed":  {edit(func(m *Manifest) { m.Frames[6].USize++ }), "frames"},
		"frame dropped":  {edit(func(m *Manifest) { m.Frames = m.Frames[1:] }), "frames"},
		"frame added":    {edit(func(m *Manifest) { m.Frames = append(m.Frames, m.Frames[0]) }), "frames"},
	} {
		m, mis, err := ReadManifest(bytes.NewReader(c.b), f.lists)
		got := mis.Records
		if c.field == "frames" {
			got = mis.Frames
		}
		if err != nil || m == nil || !errors.As(got, &me) || me.Field != c.field {
			t.Errorf("%s: %v, %+v", name, err, mis)
		}
	}
	for name, b := range map[string][]byte{
		"unknown key":         bytes.Replace(good, []byte(`{"format"`), []byte(`{"extra":1,"format"`), 1),
		"unknown in frame":    bytes.Replace(good, []byte(`{"offset"`), []byte(`{"x":1,"offset"`), 1),
		"duplicate key":       bytes.Replace(good, []byte(`{"format":"`+Format+`"`), []byte(`{"format":"`+Format+`","format":"`+Format+`"`), 1),
		"key spelled Records": bytes.Replace(good, []byte(`"records":[`), []byte(`"Records":[`), 1),
		"trailing data":       append(append([]byte(nil), good...), "{}"...),
		"no frames":           withoutList(good, "frames"),
		"cut":                 good[:len(good)/2],
		"records not list":    bytes.Replace(good, []byte(`"records":[`), []byte(`"records":{"a":[`), 1),
		"number as hash":      bytes.Replace(good, []byte(`"records":["`), []byte(`"records":[1,"`), 1),
		"bad status":          bytes.Replace(good, []byte(`"interrupted"`), []byte(`"maybe"`), 1),
	} {
		if m, _, err := ReadManifest(bytes.NewReader(b), f.lists); err == nil || m != nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzReadManifest: for any bytes, the streaming reader (with CheckFields)
// accepts exactly what ParseManifest and CheckManifest accept with frames
// equal to the bundle's (keys duplicated or spelled otherwise aside, which
// it alone refuses), and then finds the same fields.
func FuzzReadManifest(f *testing.F) {
	fx := newListFixture(f, 3, 2)
	good := fx.good
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(","), []byte(" ,\n"), -1))
	f.Add(bytes.Replace(good, []byte(`"records":[`), []byte(`"records":["00",`), 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, mis, rerr := ReadManifest(bytes.NewReader(b), fx.lists)
		if rerr == nil {
			rerr = cmp.Or(mis.Records, fx.chain.CheckFields(got), mis.Frames)
		}
		want, perr := ParseManifest(b)
		if perr == nil {
			perr = fx.chain.CheckManifest(want)
			if perr == nil && !slices.Equal(want.Frames, fx.frames) {
				perr = errors.New("frames differ")
			}
		}
		if rerr == nil && perr != nil {
			t.Fatalf("streaming reader accepts what the parser refuses (%v):\n%s", perr, b)
		}
		if rerr != nil && perr == nil && !errors.Is(rerr, errKey) {
			t.Fatalf("streaming reader refuses what the parser accepts (%v):\n%s", rerr, b)
		}
		if rerr == nil {
			want.Records, want.Frames = nil, nil
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if !bytes.Equal(gj, wj) {
				t.Fatalf("fields differ:\n%s\n%s", gj, wj)
			}
		}
	})
}

// withoutList is b with the list named key (a list of objects, holding no
// lists) and its key cut out.
func withoutList(b []byte, key string) []byte {
	i := bytes.Index(b, []byte(`,"`+key+`":[`))
	j := i + bytes.IndexByte(b[i:], ']')
	return append(append([]byte(nil), b[:i]...), b[j+1:]...)
}
