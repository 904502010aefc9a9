package collect

import (
	"slices"
	"sync"

	"github.com/hozen-dfir/hozen/artifact"
)

// FindingSet gathers the findings of a collection; collectors add to it
// through [Env.Finding], and [Run] stores it last, ranked, as
// [artifact.PathFindings]. It is safe for concurrent use.
type FindingSet struct {
	mu    sync.Mutex
	list  []artifact.Finding
	rules map[string]bool
}

// Rule records that a rule ran, whether or not it found anything.
func (s *FindingSet) Rule(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rules == nil {
		s.rules = map[string]bool{}
	}
	s.rules[id] = true
}

// Add records a finding (and that its rule ran).
func (s *FindingSet) Add(f artifact.Finding) {
	if f.Evidence == nil {
		f.Evidence = []string{}
	}
	s.Rule(f.Rule)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, f)
}

// ran reports whether any rule ran.
func (s *FindingSet) ran() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rules) > 0
}

// List returns the findings so far, most urgent first.
func (s *FindingSet) List() []artifact.Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.list)
	artifact.SortFindings(out)
	return out
}

// Doc is the findings document, ranked.
func (s *FindingSet) Doc(env *Env) *artifact.Findings {
	d := &artifact.Findings{CollectedAt: envNow(env), Findings: s.List()}
	s.mu.Lock()
	for r := range s.rules {
		d.Rules = append(d.Rules, r)
	}
	s.mu.Unlock()
	slices.Sort(d.Rules)
	if d.Rules == nil {
		d.Rules = []string{}
	}
	return d
}

// Finding records f in the collection's findings. Collectors call it
// for what a rule over their own data flags.
func (e *Env) Finding(f artifact.Finding) {
	e.findings().Add(f)
}

// RuleRan records that rule id ran, so that its absence of findings is on
// record too.
func (e *Env) RuleRan(id string) { e.findings().Rule(id) }

func (e *Env) findings() *FindingSet {
	e.findingsOnce.Do(func() {
		if e.Findings == nil {
			e.Findings = &FindingSet{}
		}
	})
	return e.Findings
}

// putFindings stores the findings document last.
func putFindings(env *Env, sink Sink) error {
	return PutJSON(sink, artifact.PathFindings, "findings", env.findings().Doc(env))
}
