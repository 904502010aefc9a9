package collect

import (
	"context"

	"github.com/hozen-dfir/hozen/artifact"
)

// collectNative is never reached on Linux: readsLinuxTree is always true.
func (s *System) collectNative(ctx context.Context, env *Env, sink Sink, clock artifact.Clock) error {
	info := s.readInfo(ctx, env, clock)
	return putJSONErrs(sink, artifact.PathSystem, "system", &info, info.Errors)
}
