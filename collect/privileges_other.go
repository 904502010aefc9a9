//go:build !linux

package collect

func effectiveCaps() string { return "" }
