// Package profile reads collection profiles: which collectors run, which
// file groups are copied with which caps, and the total byte budget. The
// built-in profiles are YAML files embedded from profiles/; a user's
// profile is the same YAML in a file. [Profile.Collectors] builds the
// collectors of package collect that a profile names, so this package
// imports collect and never the reverse.
//
// # Adding a collector
//
// A collector a profile can name is one line of collectorOrder, placed in
// the order of volatility: its name (what profiles, 'hozen profiles' and
// the collect summary call it, and what its Name method returns) and its
// constructor from the command line's [BuildOptions]. A built-in profile
// runs it once its name is added to the collectors list of
// profiles/*.yaml.
package profile

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hozen-dfir/hozen/collect"
)

// A Profile says what one collection gathers: which collectors run, which
// file groups are copied with which caps, and the total byte budget.
//
// Built-in profiles ("triage", "full", "volatile") are YAML files embedded
// in the binary; a user writes the same YAML to a file and passes its path.
// The YAML is parsed strictly: an unknown key, a bad glob or an unknown
// collector is an error naming the file and the line.
//
//	name: my-profile
//	description: accounts and cron only
//	collectors: [network, processes, users, system]
//	max_total_bytes: 2GiB          # 0 or absent: no total budget
//	options:
//	  no_environ: true             # do not collect process environments
//	  heavy_collector_time: 1500ms # time budget of packages, exe-hashes, tmpplaces
//	files:
//	  - group: cron
//	    include: [/etc/crontab, /etc/cron.*/**, /var/spool/cron/**]
//	    exclude: [/etc/cron.d/.placeholder]
//	    max_file_bytes: 1MiB       # per-file cap; 0 or absent: none
//
// Sizes are a byte count or a number with a unit (B, KiB, MiB, GiB, TiB,
// and KB, MB, GB, TB in powers of 1000).
type Profile struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Source is "builtin" or the path of the profile's file.
	Source string `json:"source"`
	// CollectorNames lists the collectors to run, in the file's order (they
	// run in the order of volatility regardless; see Collectors).
	CollectorNames []string `json:"collectors"`
	// Files are the file groups, collected in this order after the
	// collectors.
	Files []FileGroup `json:"files"`
	// MaxTotalBytes bounds all bytes stored together; 0 means no bound.
	MaxTotalBytes int64   `json:"max_total_bytes"`
	Options       Options `json:"options"`
	// Default is true for the profile used when none is named.
	Default bool `json:"default,omitempty"`

	def []byte // the exact definition bytes
}

// FileGroup is a named set of host files to copy.
type FileGroup struct {
	Name    string   `json:"group"`
	Include []string `json:"include"`
	Exclude []string `json:"exclude,omitempty"`
	// MaxFileBytes caps the bytes stored per file; 0 means no cap.
	MaxFileBytes int64 `json:"max_file_bytes"`
	// FromCommandLine marks the group built from --include.
	FromCommandLine bool `json:"from_command_line,omitempty"`
}

// Options tune collectors.
type Options struct {
	// NoEnviron skips process environments (they may hold secrets).
	NoEnviron bool `json:"no_environ"`
	// HeavyCollectorTime, when set, is the time budget of each of the slow
	// collectors: the package check (running programs, program
	// directories, loader and PAM first), the hashing of exe-hashes
	// (running and recently changed programs first) and the contents
	// tmpplaces stores (metadata only past it). Each records when it hit
	// its budget and what it reached. 0: their own, larger, defaults.
	HeavyCollectorTime time.Duration `json:"heavy_collector_time,omitempty"`
}

// BuildOptions are the command line's settings for the collectors.
type BuildOptions struct {
	// NoEnviron (--no-environ) skips process environments; a profile's
	// no_environ option also sets it.
	NoEnviron bool
	// ReferenceTime (--reference-time) is the responder's trusted clock,
	// recorded by the system collector with the host's skew.
	ReferenceTime *time.Time
	// HeavyTime is the profile's heavy_collector_time (see Options).
	HeavyTime time.Duration
}

// Default is the built-in profile used when none is named.
const Default = "triage"

// CommandLineGroup is the name of the file group built from --include:
// the collector of its records and its line in the collect summary. No
// profile group can take it (names start with a letter or digit).
const CommandLineGroup = "--include"

// collectorOrder is the order of volatility (RFC 3227): network state
// changes fastest, then processes, then sessions and system state. Each
// name maps to its constructor.
var collectorOrder = []struct {
	name string
	make func(BuildOptions) collect.Collector
}{
	{"network", func(BuildOptions) collect.Collector { return &collect.Network{} }},
	{"processes", func(o BuildOptions) collect.Collector { return &collect.Processes{NoEnviron: o.NoEnviron} }},
	{"kernel", func(BuildOptions) collect.Collector { return &collect.Kernel{} }},
	{"procmaps", func(o BuildOptions) collect.Collector { return &collect.ProcMaps{NoEnviron: o.NoEnviron} }},
	{"containers", func(BuildOptions) collect.Collector { return &collect.Containers{} }},
	{"tmpplaces", func(o BuildOptions) collect.Collector { return &collect.TmpPlacesCollector{MaxTime: o.HeavyTime} }},
	{"users", func(BuildOptions) collect.Collector { return &collect.Users{} }},
	{"system", func(o BuildOptions) collect.Collector { return &collect.System{ReferenceTime: o.ReferenceTime} }},
	{"firewall", func(BuildOptions) collect.Collector { return &collect.Firewall{} }},
	{"persistence", func(BuildOptions) collect.Collector { return &collect.Persistence{} }},
	{"packages", func(o BuildOptions) collect.Collector { return &collect.Packages{MaxTime: o.HeavyTime, Priority: true} }},
	{"packages-all", func(BuildOptions) collect.Collector { return &collect.Packages{All: true} }},
	{"exe-hashes", func(o BuildOptions) collect.Collector { return &collect.ExeHashes{HashTime: o.HeavyTime} }},
	{"filesystem", func(BuildOptions) collect.Collector { return &collect.FileSystem{} }},
}

// KnownCollectors lists every collector name a profile may use, in the
// order they run.
func KnownCollectors() []string {
	var names []string
	for _, c := range collectorOrder {
		names = append(names, c.name)
	}
	return names
}

func knownCollector(name string) bool {
	return slices.Contains(KnownCollectors(), name)
}

//go:embed profiles/*.yaml
var builtinFS embed.FS

// builtinNames are the built-in profiles in the order they are listed.
var builtinNames = []string{"triage", "full", "volatile"}

// Builtins returns the built-in profiles, the default first.
func Builtins() []*Profile {
	out := make([]*Profile, 0, len(builtinNames))
	for _, n := range builtinNames {
		p, err := loadBuiltin(n)
		if err != nil {
			// The built-ins are tested; a broken one is a build defect.
			panic(err)
		}
		out = append(out, p)
	}
	return out
}

func loadBuiltin(name string) (*Profile, error) {
	b, err := builtinFS.ReadFile("profiles/" + name + ".yaml")
	if err != nil {
		return nil, err
	}
	p, err := Parse(b, "builtin:"+name)
	if err != nil {
		return nil, err
	}
	p.Source = "builtin"
	p.Default = name == Default
	return p, nil
}

// ErrUnknown is returned for a name that is neither a built-in
// profile nor a file.
var ErrUnknown = errors.New("unknown profile")

// Load returns the built-in profile of that name, or else parses the
// YAML file at that path. "" means the default profile.
func Load(nameOrPath string) (*Profile, error) {
	if nameOrPath == "" {
		nameOrPath = Default
	}
	if slices.Contains(builtinNames, nameOrPath) {
		return loadBuiltin(nameOrPath)
	}
	const maxProfileBytes = 1 << 20
	f, err := os.Open(nameOrPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !strings.ContainsAny(nameOrPath, `/\.`) {
			return nil, fmt.Errorf("%w %q: not a built-in (%s) and no such file; run 'hozen profiles' to list them",
				ErrUnknown, nameOrPath, strings.Join(builtinNames, ", "))
		}
		return nil, fmt.Errorf("profile: %w; give a built-in name (run 'hozen profiles') or a YAML file", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxProfileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", nameOrPath, err)
	}
	if len(b) > maxProfileBytes {
		return nil, fmt.Errorf("profile %s: larger than %d bytes; is this a profile?", nameOrPath, maxProfileBytes)
	}
	p, err := Parse(b, nameOrPath)
	if err != nil {
		return nil, err
	}
	p.Source = nameOrPath
	return p, nil
}

// Error is a profile definition that does not parse or check.
type Error struct {
	File string
	Line int // 0 when unknown
	Msg  string
}

func (e *Error) Error() string {
	where := e.File
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	return fmt.Sprintf("profile %s: %s; fix the file ('hozen profiles --help' shows the format)", where, e.Msg)
}

// The YAML form of a profile. Leaf types that carry a line number report
// checks at that line.
type profileYAML struct {
	Name          string          `yaml:"name"`
	Description   string          `yaml:"description"`
	Collectors    []lineString    `yaml:"collectors"`
	MaxTotalBytes byteSize        `yaml:"max_total_bytes"`
	Options       optionsYAML     `yaml:"options"`
	Files         []fileGroupYAML `yaml:"files"`
}

type optionsYAML struct {
	NoEnviron          bool     `yaml:"no_environ"`
	HeavyCollectorTime duration `yaml:"heavy_collector_time"`
}

// duration is a Go duration ("1500ms", "2s"), positive.
type duration struct{ d time.Duration }

// UnmarshalYAML accepts a positive Go duration.
func (d *duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v <= 0 {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a positive duration such as 1500ms or 2s, not %q", n.Line, n.Value)}}
	}
	d.d = v
	return nil
}

type fileGroupYAML struct {
	Group        lineString   `yaml:"group"`
	Include      []lineString `yaml:"include"`
	Exclude      []lineString `yaml:"exclude"`
	MaxFileBytes byteSize     `yaml:"max_file_bytes"`
	line         int
}

// groupKeys are the keys of a file group.
var groupKeys = []string{"group", "include", "exclude", "max_file_bytes"}

// UnmarshalYAML keeps the group's line and decodes it strictly: yaml's
// Node.Decode does not check unknown keys (KnownFields is only on Decoder),
// so they are checked here.
func (g *fileGroupYAML) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a file group is a mapping (group, include, exclude, max_file_bytes), not a %s", n.Line, kindName(n.Kind))}}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(groupKeys, k.Value) {
			return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: field %s not found in type profile.fileGroupYAML", k.Line, k.Value)}}
		}
	}
	type plain fileGroupYAML
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*g = fileGroupYAML(p)
	g.line = n.Line
	return nil
}

// lineString is a scalar and the line it was on.
type lineString struct {
	s    string
	line int
}

// UnmarshalYAML accepts a scalar only.
func (l *lineString) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a string, not a %s", n.Line, kindName(n.Kind))}}
	}
	*l = lineString{s: n.Value, line: n.Line}
	return nil
}

// byteSize is a size in bytes written as a count or with a unit.
type byteSize struct {
	n    int64
	line int
}

var sizeRe = regexp.MustCompile(`^([0-9]+)\s*([KMGT]i?B|B)?$`)

// UnmarshalYAML parses "67108864", "64MiB", "1GB".
func (s *byteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a size, not a %s", n.Line, kindName(n.Kind))}}
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*s = byteSize{n: v, line: n.Line}
	return nil
}

// ParseByteSize parses a byte count with an optional unit: B, KiB, MiB,
// GiB, TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000).
func ParseByteSize(s string) (int64, error) {
	m := sizeRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("size %q: want a byte count like 1048576 or 64MiB", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %v", s, err)
	}
	mult := int64(1)
	if u := m[2]; len(u) > 1 {
		exp := strings.IndexByte("KMGT", u[0]) + 1
		base := int64(1000)
		if strings.Contains(u, "i") {
			base = 1024
		}
		for range exp {
			mult *= base
		}
	}
	if n > (1<<63-1)/mult {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n * mult, nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	return "scalar"
}

var (
	groupNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	yamlLineRe  = regexp.MustCompile(`^line (\d+): (.*)$`)
	notFoundRe  = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	unmarshalRe = regexp.MustCompile(`^cannot unmarshal !!(\w+) (.*) into (\S+)$`)
)

// yamlWants names the profile's Go types in words.
var yamlWants = map[string]string{
	"profile.profileYAML":     "a mapping of profile keys",
	"profile.optionsYAML":     "a mapping of options",
	"[]profile.lineString":    "a list",
	"[]profile.fileGroupYAML": "a list of file groups",
	"profile.lineString":      "a string",
	"bool":                    "true or false",
	"string":                  "a string",
}

// Parse parses and checks a profile definition; file names it in
// errors. The profile keeps b for [Profile.SHA256].
func Parse(b []byte, file string) (*Profile, error) {
	perr := func(line int, format string, args ...any) error {
		return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, perr(0, "empty")
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var y profileYAML
	if err := dec.Decode(&y); err != nil {
		return nil, yamlError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, perr(extra.Line, "more than one YAML document; a profile is one")
	}
	p := &Profile{
		Name:          y.Name,
		Description:   strings.TrimSpace(y.Description),
		MaxTotalBytes: y.MaxTotalBytes.n,
		Options:       Options{NoEnviron: y.Options.NoEnviron, HeavyCollectorTime: y.Options.HeavyCollectorTime.d},
		def:           bytes.Clone(b),
	}
	if p.Name == "" {
		base := filepath.Base(file)
		p.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	for _, c := range y.Collectors {
		if !knownCollector(c.s) {
			return nil, perr(c.line, "unknown collector %q (known: %s)", c.s, strings.Join(KnownCollectors(), ", "))
		}
		if slices.Contains(p.CollectorNames, c.s) {
			return nil, perr(c.line, "collector %q listed twice", c.s)
		}
		p.CollectorNames = append(p.CollectorNames, c.s)
	}
	for _, g := range y.Files {
		fg := FileGroup{Name: g.Group.s, MaxFileBytes: g.MaxFileBytes.n}
		if fg.Name == "" {
			return nil, perr(g.line, "file group without a name (add group: NAME)")
		}
		if !groupNameRe.MatchString(fg.Name) {
			return nil, perr(g.Group.line, "file group name %q: use lower-case letters, digits, '-', '_' and '.'", fg.Name)
		}
		if slices.ContainsFunc(p.Files, func(o FileGroup) bool { return o.Name == fg.Name }) {
			return nil, perr(g.Group.line, "file group %q defined twice", fg.Name)
		}
		if knownCollector(fg.Name) || fg.Name == CommandLineGroup {
			return nil, perr(g.Group.line, "file group name %q is reserved", fg.Name)
		}
		if len(g.Include) == 0 {
			return nil, perr(g.line, "file group %q has no include globs", fg.Name)
		}
		for _, list := range []struct {
			in  []lineString
			out *[]string
		}{{g.Include, &fg.Include}, {g.Exclude, &fg.Exclude}} {
			for _, gl := range list.in {
				if _, err := collect.ParseGlob(gl.s); err != nil {
					return nil, perr(gl.line, "file group %q: %v", fg.Name, err)
				}
				*list.out = append(*list.out, gl.s)
			}
		}
		p.Files = append(p.Files, fg)
	}
	// "collectors: []" with no files is a profile for files named on the
	// command line only; anything else that collects nothing is a mistake.
	if y.Collectors == nil && len(p.Files) == 0 {
		return nil, perr(0, "collects nothing: list collectors or files (or \"collectors: []\" to collect only what --include names)")
	}
	return p, nil
}

// yamlError turns a yaml error into a Error with a line, and yaml's
// Go type names into the profile's words.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		var msgs []string
		line := 0
		for _, e := range te.Errors {
			l, msg := 0, e
			if m := yamlLineRe.FindStringSubmatch(e); m != nil {
				l, _ = strconv.Atoi(m[1])
				msg = m[2]
			}
			if m := notFoundRe.FindStringSubmatch(msg); m != nil {
				msg = fmt.Sprintf("unknown key %q", m[1])
			} else if m := unmarshalRe.FindStringSubmatch(msg); m != nil {
				want, ok := yamlWants[m[3]]
				if !ok {
					want = "another type"
				}
				msg = fmt.Sprintf("got %s (%s), want %s", m[1], m[2], want)
			}
			if line == 0 {
				line = l
			} else if l > 0 {
				msg = fmt.Sprintf("%s (line %d)", msg, l)
			}
			msgs = append(msgs, msg)
		}
		return &Error{File: file, Line: line, Msg: strings.Join(msgs, "; ")}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		l, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: l, Msg: m[2]}
	}
	return &Error{File: file, Msg: msg}
}

// SHA256 is the hex SHA-256 of the profile's exact definition bytes (the
// embedded YAML of a built-in, or the file as read). Groups added with
// [Profile.AddFiles] do not change it: the command line is recorded apart.
func (p *Profile) SHA256() string {
	h := sha256.Sum256(p.def)
	return hex.EncodeToString(h[:])
}

// Definition returns the profile's exact definition bytes.
func (p *Profile) Definition() []byte { return bytes.Clone(p.def) }

// AddFiles adds the command line's --include globs as a file group of their
// own (collected last, with no per-file cap) and its --exclude globs to
// every file group. The globs are checked when the collectors are built.
func (p *Profile) AddFiles(include, exclude []string) {
	if len(include) > 0 {
		i := slices.IndexFunc(p.Files, func(g FileGroup) bool { return g.FromCommandLine })
		if i < 0 {
			p.Files = append(p.Files, FileGroup{Name: CommandLineGroup, FromCommandLine: true})
			i = len(p.Files) - 1
		}
		p.Files[i].Include = append(p.Files[i].Include, include...)
	}
	if len(exclude) > 0 {
		for i := range p.Files {
			p.Files[i].Exclude = append(p.Files[i].Exclude, exclude...)
		}
	}
}

// Collectors builds the profile's collectors in the order of volatility
// (RFC 3227): network, processes, users, system, then the file groups in
// the profile's order (the built-ins list accounts and persistence before
// logs), then the command line's group. An unknown collector name or a bad
// glob is an error.
func (p *Profile) Collectors(o BuildOptions) ([]collect.Collector, error) {
	if len(p.CollectorNames) == 0 && len(p.Files) == 0 {
		return nil, fmt.Errorf("profile %s collects nothing: add --include GLOB", p.Name)
	}
	for _, n := range p.CollectorNames {
		if !knownCollector(n) {
			return nil, fmt.Errorf("profile %s: unknown collector %q", p.Name, n)
		}
	}
	if p.Options.NoEnviron {
		o.NoEnviron = true
	}
	if p.Options.HeavyCollectorTime > 0 {
		o.HeavyTime = p.Options.HeavyCollectorTime
	}
	var out []collect.Collector
	for _, c := range collectorOrder {
		if slices.Contains(p.CollectorNames, c.name) {
			out = append(out, c.make(o))
		}
	}
	for _, g := range p.Files {
		for _, gl := range slices.Concat(g.Include, g.Exclude) {
			if _, err := collect.ParseGlob(gl); err != nil {
				return nil, fmt.Errorf("profile %s, file group %s: %w", p.Name, g.Name, err)
			}
		}
		out = append(out, &collect.Files{
			Group:        g.Name,
			Include:      slices.Clone(g.Include),
			Exclude:      slices.Clone(g.Exclude),
			MaxFileBytes: g.MaxFileBytes,
		})
	}
	return out, nil
}

// String is the group on one line, for display.
func (g FileGroup) String() string {
	s := g.Name + ": " + strings.Join(g.Include, " ")
	if len(g.Exclude) > 0 {
		s += " (except " + strings.Join(g.Exclude, " ") + ")"
	}
	return s
}
