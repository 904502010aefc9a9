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
