package main

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/hozen-dfir/hozen/collect"
)

// collectionPlan is what a collect run will do: collectors in order of
// volatility and the budget they share.
type collectionPlan struct {
	name       string
	sha256     string
	collectors []collect.Collector
	maxTotal   int64
}

// defaultFiles is the built-in default until profiles exist: the host's
// identity files and its logs, capped per file.
var defaultFiles = []string{
	"/etc/hostname", "/etc/hosts", "/etc/passwd", "/etc/group", "/etc/os-release",
	"/etc/machine-id", "/var/log/**",
}

func planCollection(o *collectOptions, ref *time.Time) (*collectionPlan, error) {
	inc := o.include
	if len(inc) == 0 {
		inc = defaultFiles
	}
	for _, g := range append(append([]string(nil), inc...), o.exclude...) {
		if _, err := collect.ParseGlob(g); err != nil {
			return nil, usageError{cmd: "collect", err: err}
		}
	}
	files := &collect.Files{Group: "files", Include: inc, Exclude: o.exclude, MaxFileBytes: 64 << 20}
	def := []byte("collectors: network,processes\nfiles: " + join(inc) + "\nexclude: " + join(o.exclude) + "\n")
	s := sha256.Sum256(def)
	// Order of volatility (RFC 3227): network, processes, then files.
	cs := []collect.Collector{&collect.Network{}, &collect.Processes{NoEnviron: o.noEnviron}, files}
	return &collectionPlan{name: "default", sha256: hex.EncodeToString(s[:]), collectors: cs}, nil
}

func join(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out
}
