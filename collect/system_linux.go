package collect

import "context"

// collectNative is never reached on Linux: readsLinuxTree is always true.
func (s *System) collectNative(ctx context.Context, env *Env, sink Sink, clock Clock) error {
	info := s.readInfo(ctx, env, clock)
	return putJSONErrs(sink, "volatile/system/system.json", "system", info, info.Errors)
}
