package collect

import "context"

// collectNative is never reached on Linux: readsLinuxTree is always true.
func (u *Users) collectNative(ctx context.Context, env *Env, sink Sink) error {
	return u.collectLinux(ctx, env, sink)
}
