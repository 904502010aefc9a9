package collect

import "hash/maphash"

// pathSet remembers the host paths already stored, so that a file matched
// by two includes is stored once. A collection may list millions of
// paths, so it keeps 16 bytes per path, not the path: two 64-bit maphash
// values under seeds drawn at random for each collection. Two paths agree
// on both by chance with probability about n²/2¹²⁹ (1e-27 for a million
// paths), and the random seeds leave no way to craft names that do.
type pathSet struct {
	seeds [2]maphash.Seed
	m     map[[2]uint64]struct{}
}

func newPathSet() *pathSet {
	return &pathSet{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, m: map[[2]uint64]struct{}{}}
}

func (p *pathSet) key(path string) [2]uint64 {
	return [2]uint64{maphash.String(p.seeds[0], path), maphash.String(p.seeds[1], path)}
}

// has reports whether path was added.
func (p *pathSet) has(path string) bool {
	if len(p.m) == 0 {
		return false // the common case, one include: nothing to hash
	}
	_, ok := p.m[p.key(path)]
	return ok
}

// add remembers path.
func (p *pathSet) add(path string) { p.m[p.key(path)] = struct{}{} }

// runFiles is the set of stored paths one collection's file collectors
// share, so that a file two includes reach (of one collector, of two file
// groups, or a group and tmpplaces) is stored once, by the first: two
// members of one name in a bundle would leave extraction keeping the last,
// and SHA256SUMS listing one path twice. A path is kept only while an
// include or a collector still to walk can reach it, so memory does not
// grow with the files stored.
type runFiles struct {
	seen  *pathSet
	later []string // the literal bases of the collectors still to run
}

// fileScope is a collector that stores host files under files/: bases
// are the literal directories (or files) its walks start from.
type fileScope interface {
	fileBases() []string
}

func (f *Files) fileBases() []string {
	var out []string
	for _, p := range f.Include {
		if g, err := ParseGlob(p); err == nil {
			out = append(out, g.Base())
		}
	}
	return out
}

func (t *TmpPlacesCollector) fileBases() []string {
	if t.Places == nil {
		return TmpPlaces
	}
	return t.Places
}

// runFiles is the collection's shared set, made on first use.
func (e *Env) runFiles() *runFiles {
	if e.files == nil {
		e.files = &runFiles{seen: newPathSet()}
	}
	return e.files
}

// laterFileBases tells the shared set which bases the collectors after
// collectors[i] will walk.
func (e *Env) laterFileBases(collectors []Collector, i int) {
	var later []string
	for _, c := range collectors[i+1:] {
		if s, ok := c.(fileScope); ok {
			later = append(later, s.fileBases()...)
		}
	}
	e.runFiles().later = later
}
