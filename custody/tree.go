package custody

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/hozen-dfir/hozen/manifest"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a ledger's size (events of its own chain) and Merkle root,
// with Text, the one-line head value: "hozen-custody/1:SIZE:ROOT". It is the
// type a bundle manifest carries.
type Checkpoint = manifest.Checkpoint

// headPrefix starts every head value.
const headPrefix = Format + ":"

// FormatHead renders the head value of a checkpoint.
func FormatHead(size int64, root string) string {
	return headPrefix + strconv.FormatInt(size, 10) + ":" + root
}

// ParseHead parses a head value as `hozen custody head` prints it on its
// last line. Surrounding white space is ignored.
func ParseHead(s string) (Checkpoint, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, headPrefix)
	if !ok {
		return Checkpoint{}, fmt.Errorf("%w: %q does not start with %q", ErrBadHead, s, headPrefix)
	}
	n, root, ok := strings.Cut(rest, ":")
	size, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || size < 0 || strconv.FormatInt(size, 10) != n {
		return Checkpoint{}, fmt.Errorf("%w: %q: want %sSIZE:ROOT", ErrBadHead, s, headPrefix)
	}
	if !isHex64(root) {
		return Checkpoint{}, fmt.Errorf("%w: %q: root is not 64 lower-case hex digits", ErrBadHead, s)
	}
	return Checkpoint{Size: size, Root: root, Text: s}, nil
}

// tree is an RFC 6962 Merkle tree over event hashes, kept as the stored
// hashes of golang.org/x/mod/sumdb/tlog. Leaf i is
// tlog.RecordHash(raw 32 bytes of event i's hash).
type tree struct {
	stored manifest.HashList
	n      int64
}

func (t *tree) size() int64 { return t.n }

// add appends the leaf of an event whose hash is h.
func (t *tree) add(h tlog.Hash) error {
	hs, err := tlog.StoredHashesForRecordHash(t.n, tlog.RecordHash(h[:]), t)
	if err != nil {
		return err
	}
	t.stored = append(t.stored, hs...)
	t.n++
	return nil
}

// ReadHashes implements tlog.HashReader.
func (t *tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return t.stored.ReadHashes(indexes)
}

// root is the tree hash of the first n leaves. The empty tree hashes to
// SHA-256 of nothing, as in RFC 6962.
func (t *tree) root(n int64) tlog.Hash {
	if n == 0 {
		var h tlog.Hash
		b, _ := hex.DecodeString(manifest.SHA256Hex(nil))
		copy(h[:], b)
		return h
	}
	h, err := tlog.TreeHash(n, t)
	if err != nil {
		panic(err) // cannot happen: n <= t.n and every stored hash was added
	}
	return h
}

func (t *tree) checkpoint(n int64) Checkpoint {
	r := hex.EncodeToString(func() []byte { h := t.root(n); return h[:] }())
	return Checkpoint{Size: n, Root: r, Text: FormatHead(n, r)}
}

// consistent reports whether the tree's first old.Size leaves have root
// old.Root, by a consistency proof between old and the whole tree.
func (t *tree) consistent(old Checkpoint) error {
	oldRoot, ok := decodeHash(old.Root)
	if !ok {
		return fmt.Errorf("root %q is not 64 hex digits", old.Root)
	}
	if old.Size == 0 {
		if oldRoot != t.root(0) {
			return fmt.Errorf("the empty ledger's root is %x, not %s", t.root(0), old.Root)
		}
		return nil
	}
	if old.Size > t.n {
		return fmt.Errorf("the head counts %d events, the ledger holds %d", old.Size, t.n)
	}
	p, err := tlog.ProveTree(t.n, old.Size, t)
	if err != nil {
		return err
	}
	return tlog.CheckTree(p, t.n, t.root(t.n), old.Size, oldRoot)
}

func decodeHash(s string) (tlog.Hash, bool) {
	var h tlog.Hash
	if len(s) != 2*len(h) {
		return h, false
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, false
	}
	return h, true
}
