package collect

import (
	"context"
	"io"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// Stats counts what one collector stored.
type Stats struct {
	Collector string
	Records   int64
	Bytes     int64
	Errors    int64 // records whose outcome is not ok
	Duration  time.Duration
}

// Run runs the collectors one after the other, in the order given (a
// profile gives them in order of volatility), and returns what each
// stored; then, when any rule ran, it stores the findings the collectors
// made, ranked ([artifact.PathFindings]). It stops at the first sink error, or when ctx is cancelled
// (the caller then seals what was stored).
//
// With env.Redactor set, every artifact reaches sink through it: no
// collector can store a secret of hozen's own, whatever it reads.
func Run(ctx context.Context, env *Env, collectors []Collector, sink Sink) ([]Stats, error) {
	sink = env.Redactor.Sink(sink)
	var all []Stats
	for i, c := range collectors {
		env.laterFileBases(collectors, i)
		if err := ctx.Err(); err != nil {
			return all, err
		}
		if env.Progress != nil {
			env.Progress.Collector(c.Name())
		}
		cs := &countingSink{sink: sink, st: Stats{Collector: c.Name()}, progress: env.Progress}
		start := time.Now()
		var err error
		if lc, live := c.(LiveCollector); live && env.DeadBox {
			err = skipLive(env, lc, cs)
		} else {
			err = c.Collect(ctx, env, cs)
		}
		cs.st.Duration = time.Since(start)
		all = append(all, cs.st)
		if err != nil {
			return all, err
		}
	}
	if err := ctx.Err(); err != nil {
		return all, err
	}
	// The findings last: every collector has added its own by now. A
	// collection in which no rule ran (files only) has none to store.
	if !env.findings().ran() {
		return all, nil
	}
	cs := &countingSink{sink: sink, st: Stats{Collector: "findings"}, progress: env.Progress}
	start := time.Now()
	err := putFindings(env, cs)
	cs.st.Duration = time.Since(start)
	all = append(all, cs.st)
	return all, err
}

type countingSink struct {
	sink     Sink
	st       Stats
	progress Progress
}

func (s *countingSink) Put(rec *manifest.Record, body io.Reader) error {
	if err := s.sink.Put(rec, body); err != nil {
		return err
	}
	s.st.Records++
	s.st.Bytes += rec.Size
	if s.progress != nil {
		s.progress.Artifact(string(rec.Path), rec.Size)
	}
	if rec.Outcome != manifest.OutcomeOK {
		s.st.Errors++
	}
	return nil
}
