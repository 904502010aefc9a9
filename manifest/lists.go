package manifest

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
)

// A manifest lists two things that grow with a bundle: every record's
// chain hash (with the number of files) and every frame (with the bytes).
// Neither is ever held whole. The writer keeps them as fixed-size binary
// entries in Lists, which bundle spools to disk, and writes the manifest
// from them as a stream; the verifier compares the manifest's lists with
// its own entry by entry as the manifest streams by. Memory then stays
// flat however many files or bytes a bundle holds.

// A List holds fixed-size binary entries, appended in order and read back
// from the first.
type List interface {
	io.Writer
	// Len is the number of bytes written.
	Len() int64
	// Open returns a reader of the first n bytes written. Writing may go on
	// while it is read.
	Open(n int64) (io.Reader, error)
}

// HashSize is the size of a record's chain hash in a List.
const HashSize = 32

// FrameEntrySize is the size of a frame in a List: offset, size, uoffset
// and usize as little-endian 64-bit integers, then the SHA-256.
const FrameEntrySize = 4*8 + 32

// FrameEntry is a frame of the index in binary form.
type FrameEntry struct {
	Offset, Size, UOffset, USize int64
	SHA256                       [32]byte
}

// Append appends f's FrameEntrySize bytes to b.
func (f *FrameEntry) Append(b []byte) []byte {
	for _, v := range [4]int64{f.Offset, f.Size, f.UOffset, f.USize} {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	return append(b, f.SHA256[:]...)
}

func (f *FrameEntry) decode(b []byte) {
	f.Offset = int64(binary.LittleEndian.Uint64(b))
	f.Size = int64(binary.LittleEndian.Uint64(b[8:]))
	f.UOffset = int64(binary.LittleEndian.Uint64(b[16:]))
	f.USize = int64(binary.LittleEndian.Uint64(b[24:]))
	copy(f.SHA256[:], b[32:])
}

// Frame is f as the manifest lists it.
func (f *FrameEntry) Frame() Frame {
	return Frame{Offset: f.Offset, Size: f.Size, UOffset: f.UOffset, USize: f.USize, SHA256: hex.EncodeToString(f.SHA256[:])}
}

// appendJSON appends f as encoding/json writes a Frame.
func (f *FrameEntry) appendJSON(b []byte) []byte {
	b = append(b, `{"offset":`...)
	b = strconv.AppendInt(b, f.Offset, 10)
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, f.Size, 10)
	b = append(b, `,"uoffset":`...)
	b = strconv.AppendInt(b, f.UOffset, 10)
	b = append(b, `,"usize":`...)
	b = strconv.AppendInt(b, f.USize, 10)
	b = append(b, `,"sha256":"`...)
	b = hex.AppendEncode(b, f.SHA256[:])
	return append(b, `"}`...)
}

// Lists are a manifest's two long lists: the records' chain hashes
// (HashSize bytes each) and the frame index (FrameEntrySize bytes each).
type Lists struct {
	Records  List
	NRecords int64
	Frames   List
	NFrames  int64
}

// eachEntry reads the first n entries of size bytes of list, calling f with each.
func eachEntry(list List, n int64, size int, f func(i int64, e []byte) error) error {
	r, err := list.Open(n * int64(size))
	if err != nil {
		return err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	e := make([]byte, size)
	for i := range n {
		if _, err := io.ReadFull(br, e); err != nil {
			return fmt.Errorf("list entry %d: %w", i, err)
		}
		if err := f(i, e); err != nil {
			return err
		}
	}
	return nil
}

// WriteManifest writes m's canonical bytes (exactly Marshal's, were
// m.Records and m.Frames filled from l) to w, and returns how many it wrote.
// m.Records and m.Frames must be empty: the lists come from l.
func WriteManifest(w io.Writer, m *Manifest, l Lists) (int64, error) {
	if len(m.Records) > 0 || len(m.Frames) > 0 {
		return 0, errors.New("manifest: WriteManifest takes the lists from Lists, not from the manifest")
	}
	mm := *m
	mm.Records, mm.Frames = []string{}, []Frame{}
	b, err := Marshal(&mm)
	if err != nil {
		return 0, err
	}
	// The keys before "records" and between it and "frames" are fixed names
	// with values of hex, digits and known words, so the first matches are
	// the fields themselves.
	const emptyRecords, emptyFrames = `"records":[]`, `"frames":[]`
	i := bytes.Index(b, []byte(emptyRecords))
	j := bytes.Index(b, []byte(emptyFrames))
	if i < 0 || j < i {
		return 0, errors.New("manifest: no records or frames field in the marshalled manifest")
	}
	i += len(emptyRecords) - 1 // at the closing bracket
	j += len(emptyFrames) - 1
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	bw.Write(b[:i])
	var buf []byte
	err = eachEntry(l.Records, l.NRecords, HashSize, func(k int64, e []byte) error {
		buf = buf[:0]
		if k > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = hex.AppendEncode(buf, e)
		buf = append(buf, '"')
		_, err := bw.Write(buf)
		return err
	})
	if err != nil {
		return cw.n, fmt.Errorf("manifest records: %w", err)
	}
	bw.Write(b[i:j])
	var f FrameEntry
	err = eachEntry(l.Frames, l.NFrames, FrameEntrySize, func(k int64, e []byte) error {
		buf = buf[:0]
		if k > 0 {
			buf = append(buf, ',')
		}
		f.decode(e)
		buf = f.appendJSON(buf)
		_, err := bw.Write(buf)
		return err
	})
	if err != nil {
		return cw.n, fmt.Errorf("manifest frames: %w", err)
	}
	bw.Write(b[j:])
	err = bw.Flush()
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Mismatch is how a manifest's lists differ from the bundle's: the first
// record whose chain hash it lists wrong, or a count (a *RecordError or
// *ManifestError, nil when they agree), and likewise for the frames.
type Mismatch struct {
	Records, Frames error
}

// ReadManifest parses a manifest from r as strictly as ParseManifest does,
// but checks its "records" and "frames" lists entry by entry against want
// as they stream by, instead of holding them: the manifest it returns has
// neither. A list that differs is reported in the Mismatch, with the
// manifest, so that a verifier can report problems in its own order; an
// error means the bytes are not a manifest (or r failed). Memory stays
// bounded by the largest value other than the lists.
func ReadManifest(r io.Reader, want Lists) (*Manifest, Mismatch, error) {
	var mis Mismatch
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	if err := expectDelim(d, '{'); err != nil {
		return nil, mis, err
	}
	rest := []byte{'{'}
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, mis, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, mis, fmt.Errorf("manifest.json: object key %v", tok)
		}
		if seen[key] || !manifestKeys[key] {
			return nil, mis, fmt.Errorf("%w: %q", errKey, clipHash(key))
		}
		seen[key] = true
		switch key {
		case "records":
			if mis.Records, err = readRecords(d, want); err != nil {
				return nil, mis, err
			}
		case "frames":
			if mis.Frames, err = readFrames(d, want); err != nil {
				return nil, mis, err
			}
		default:
			var raw json.RawMessage
			if err := d.Decode(&raw); err != nil {
				return nil, mis, err
			}
			if len(rest) > 1 {
				rest = append(rest, ',')
			}
			rest = strconv.AppendQuote(rest, key)
			rest = append(rest, ':')
			rest = append(rest, raw...)
		}
	}
	if err := expectDelim(d, '}'); err != nil {
		return nil, mis, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, mis, errors.New("manifest.json: trailing data after the JSON value")
	}
	if !seen["records"] || !seen["frames"] {
		return nil, mis, errors.New("manifest.json: no records or frames list")
	}
	m, err := ParseManifest(append(rest, '}'))
	if err != nil {
		return nil, mis, err
	}
	m.Records, m.Frames = nil, nil
	return m, mis, nil
}

// manifestKeys are the manifest's keys as hozen writes them. encoding/json
// would also take "Records" for "records"; ReadManifest takes each key
// once, spelled as written.
var manifestKeys = func() map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeFor[Manifest]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		keys[name] = true
	}
	return keys
}()

// errKey is a key ReadManifest refuses though a decoder would take it: a
// duplicate, or another spelling of a key.
var errKey = errors.New("manifest.json: key twice or not spelled as hozen writes it")

func expectDelim(d *json.Decoder, want json.Delim) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("manifest.json: %v where %v belongs", tok, want)
	}
	return nil
}

// readRecords compares the "records" array under d with want.Records.
func readRecords(d *json.Decoder, want Lists) (mismatch, err error) {
	n, mis, err := readList(d, want.Records, want.NRecords, HashSize, func(k int64, e []byte) (error, error) {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		s, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("manifest.json: records entry %d is %v, not a string", k+1, tok)
		}
		if e == nil {
			return nil, nil
		}
		if wantHex := hex.EncodeToString(e); s != wantHex {
			return &RecordError{Seq: k + 1, Reason: fmt.Sprintf("manifest lists chain hash %s, record hashes to %s", clipHash(s), wantHex)}, nil
		}
		return nil, nil
	})
	if err == nil && n != want.NRecords {
		mis = &ManifestError{Field: "records", Reason: fmt.Sprintf("lists %d records, the bundle holds %d", n, want.NRecords)}
	}
	return mis, err
}

// readFrames compares the "frames" array under d with want.Frames.
func readFrames(d *json.Decoder, want Lists) (mismatch, err error) {
	var fe FrameEntry
	n, mis, err := readList(d, want.Frames, want.NFrames, FrameEntrySize, func(k int64, e []byte) (error, error) {
		var f Frame
		if err := d.Decode(&f); err != nil {
			return nil, err
		}
		if e == nil {
			return nil, nil
		}
		fe.decode(e)
		if got := fe.Frame(); f != got {
			f.SHA256 = clipHash(f.SHA256)
			return &ManifestError{Field: "frames", Reason: fmt.Sprintf("frame %d: index says %+v, file has %+v", k, f, got)}, nil
		}
		return nil, nil
	})
	if err == nil && n != want.NFrames {
		mis = &ManifestError{Field: "frames", Reason: fmt.Sprintf("indexes %d frames, %d precede the manifest", n, want.NFrames)}
	}
	return mis, err
}

// readList reads the JSON array under d one element at a time with elem,
// which gets the bundle's entry k of list (n entries of size bytes), or
// nil past the last. It returns how many elements the array held and the
// first mismatch elem reported.
func readList(d *json.Decoder, list List, n int64, size int, elem func(k int64, e []byte) (mismatch, err error)) (int64, error, error) {
	if err := expectDelim(d, '['); err != nil {
		return 0, nil, err
	}
	var (
		count int64
		first error
	)
	next := func(k int64, e []byte) error {
		mis, err := elem(k, e)
		if first == nil {
			first = mis
		}
		count++
		return err
	}
	err := eachEntry(list, n, size, func(k int64, e []byte) error {
		if !d.More() {
			return errListEnd
		}
		return next(k, e)
	})
	if err != nil && err != errListEnd {
		return 0, nil, err
	}
	for d.More() {
		if err := next(count, nil); err != nil {
			return 0, nil, err
		}
	}
	if err := expectDelim(d, ']'); err != nil {
		return 0, nil, err
	}
	return count, first, nil
}

// errListEnd stops eachEntry where the manifest's list ends.
var errListEnd = errors.New("end of list")

// clipHash shortens what a hostile manifest puts where a hash belongs
// before it is quoted in an error.
func clipHash(s string) string {
	if len(s) > 80 {
		return strconv.Quote(s[:80]) + "..."
	}
	return s
}
