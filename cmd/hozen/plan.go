package main

import (
	"time"

	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/collect/profile"
	"github.com/hozen-dfir/hozen/manifest"
)

// collectionPlan is what a collect run will do: collectors in order of
// volatility and the budget they share.
type collectionPlan struct {
	profile    manifest.Profile
	collectors []collect.Collector
	maxTotal   int64
}

// planCollection loads the profile (built-in or file), adds the command
// line's globs and builds the collectors. Every error here is the
// command line's: exit 2 before anything is written.
func planCollection(o *collectOptions, ref *time.Time) (*collectionPlan, error) {
	p, err := profile.Load(o.profile)
	if err != nil {
		return nil, usageError{cmd: "collect", err: err}
	}
	p.AddFiles(o.include, o.exclude)
	cs, err := p.Collectors(profile.BuildOptions{NoEnviron: o.noEnviron, ReferenceTime: ref})
	if err != nil {
		return nil, usageError{cmd: "collect", err: err}
	}
	return &collectionPlan{
		profile:    manifest.Profile{Name: p.Name, SHA256: p.SHA256(), Include: o.include, Exclude: o.exclude},
		collectors: cs,
		maxTotal:   p.MaxTotalBytes,
	}, nil
}
