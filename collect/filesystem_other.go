//go:build !linux

package collect

import "context"

// Collect implements Collector: the walk is Linux-only.
func (f *FileSystem) Collect(context.Context, *Env, Sink) error { return nil }

// Collect implements Collector: the walk is Linux-only.
func (e *ExeHashes) Collect(context.Context, *Env, Sink) error { return nil }
