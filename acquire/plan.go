package acquire

import (
	"time"

	"github.com/hozen-dfir/hozen/collect"
	"github.com/hozen-dfir/hozen/collect/profile"
	"github.com/hozen-dfir/hozen/manifest"
)

// PlanOptions are what the responder asked to collect.
type PlanOptions struct {
	// Profile is a built-in profile's name or a YAML file; "" is
	// [collect.DefaultProfile].
	Profile string
	// Include and Exclude are extra globs (absolute; ** spans directories).
	Include, Exclude []string
	// NoEnviron keeps processes' environment variables out.
	NoEnviron bool
	// ReferenceTime is the responder's trusted time now, if given.
	ReferenceTime *time.Time
}

// Plan is what a collection will do: the collectors in order of
// volatility and the byte budget they share.
type Plan struct {
	Profile    manifest.Profile
	Collectors []collect.Collector
	MaxTotal   int64
}

// NewPlan loads the profile (built-in or file), adds the extra globs and
// builds the collectors. Every error it returns is the responder's to fix
// before anything is written.
func NewPlan(o PlanOptions) (*Plan, error) {
	p, err := profile.Load(o.Profile)
	if err != nil {
		return nil, err
	}
	p.AddFiles(o.Include, o.Exclude)
	cs, err := p.Collectors(profile.BuildOptions{NoEnviron: o.NoEnviron, ReferenceTime: o.ReferenceTime})
	if err != nil {
		return nil, err
	}
	return &Plan{
		Profile:    manifest.Profile{Name: p.Name, SHA256: p.SHA256(), Include: o.Include, Exclude: o.Exclude},
		Collectors: cs,
		MaxTotal:   p.MaxTotalBytes,
	}, nil
}
