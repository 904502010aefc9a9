//go:build !linux

package collect

import (
	"context"

	"github.com/hozen-dfir/hozen/artifact"
)

// Collect implements [Collector]. Off Linux there are no container
// runtimes' state files to read; the inventory says so.
func (c *Containers) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(c.Name())
	}
	inv := artifact.ContainerInventory{CollectedAt: envNow(env), Sources: []artifact.ContainerSource{},
		Containers: []artifact.Container{}, Images: []artifact.ContainerImage{},
		Errors: []string{"containers are read on Linux only"}}
	return PutJSON(sink, artifact.PathContainers, c.Name(), &inv)
}
