//go:build !linux

package collect

import "context"

// Collect implements [Collector]: the kernel collector reads Linux
// interfaces only; elsewhere it stores nothing.
func (k *Kernel) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(k.Name())
	}
	return nil
}

// Collect implements [Collector] (Linux only).
func (f *Firewall) Collect(ctx context.Context, env *Env, sink Sink) error {
	if env.Progress != nil {
		env.Progress.Collector(f.Name())
	}
	return nil
}
