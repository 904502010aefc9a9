//go:build !linux

package collect

import (
	"context"
	"runtime"

	"github.com/hozen-dfir/hozen/artifact"
)

// Collect implements [Collector]: memory maps are read from Linux's /proc
// only; elsewhere the document says so.
func (p *ProcMaps) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(p.Name())
	}
	doc := artifact.ProcMaps{CollectedAt: envNow(env), Processes: []artifact.ProcessMaps{},
		Errors: []string{"memory maps are not collected on " + runtime.GOOS + " (Linux /proc only)"}}
	return PutJSON(sink, artifact.PathProcMaps, p.Name(), &doc)
}
