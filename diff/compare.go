package diff

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/manifest"
)

// Schema is the version of the JSON [WriteJSON] writes.
const Schema = "hozen-diff/1"

// Changes of an entry.
const (
	Added   = "+" // only in NEW
	Removed = "-" // only in OLD
	Changed = "~" // in both, with another value
)

// The sections, in the order they are printed.
const (
	SectionProcesses   = "processes"
	SectionListening   = "listening"
	SectionConnections = "connections"
	SectionRawSockets  = "raw-sockets"
	SectionUsers       = "users"
	SectionGroups      = "groups"
	SectionLogins      = "logins"
	SectionPersistence = "persistence"
	SectionFiles       = "files"
	SectionPackages    = "packages"
	// SectionPackageFiles: package files failing verification.
	SectionPackageFiles = "package-files"
	SectionModules      = "modules"
	SectionBPF          = "ebpf"
	SectionContainers   = "containers"
	SectionFindings     = "findings"
)

// Result is the comparison of two snapshots of one host.
type Result struct {
	Schema string    `json:"schema"`
	Old    *Snapshot `json:"old"`
	New    *Snapshot `json:"new"`
	// TamperedInput: OLD or NEW did not verify (tampered or untrusted);
	// what was read of it is not vouched for. Every entry says so too.
	TamperedInput bool `json:"tampered_input"`
	// Incomplete: OLD or NEW was cut short; only what verified is compared.
	Incomplete bool `json:"incomplete"`
	// OtherHost: the two bundles name different hosts (HostNote says how).
	OtherHost bool      `json:"other_host"`
	HostNote  string    `json:"host_note,omitempty"`
	Notes     []string  `json:"notes,omitempty"`
	Sections  []Section `json:"sections"`
}

// Section is one kind of thing compared.
type Section struct {
	Name string `json:"name"`
	// Compared: both bundles held it; otherwise NotCompared says why and
	// there are no entries.
	Compared    bool    `json:"compared"`
	NotCompared string  `json:"not_compared,omitempty"`
	Added       int     `json:"added"`
	Removed     int     `json:"removed"`
	Changed     int     `json:"changed"`
	Entries     []Entry `json:"entries"`
}

// Entry is one thing new, gone or changed.
type Entry struct {
	// Change is "+", "-" or "~".
	Change string `json:"change"`
	// Key is the thing, for people ("pid 812 sshd", "tcp 0.0.0.0:22").
	Key string `json:"key"`
	// Details say what changed ("euid 1000 -> 0"), or describe the thing.
	Details []string `json:"details,omitempty"`
	// Old and New are the thing as each bundle has it (one is null for a
	// new or gone thing).
	Old any `json:"old"`
	New any `json:"new"`
	// TamperedInput repeats the result's: this entry comes from a bundle
	// that did not verify.
	TamperedInput bool `json:"tampered_input,omitempty"`
}

// SameHost reports whether two snapshots are of one host: by machine-id
// when both have one, else by hostname. When neither is known, ok is true
// and why says it could not be told.
func SameHost(old, new *Snapshot) (ok bool, why string) {
	a, b := old.Host, new.Host
	switch {
	case a.MachineID != "" && b.MachineID != "":
		if a.MachineID != b.MachineID {
			return false, fmt.Sprintf("machine-id %s (OLD, host %q) is not %s (NEW, host %q)", a.MachineID, a.Hostname, b.MachineID, b.Hostname)
		}
		return true, ""
	case a.Hostname != "" && b.Hostname != "":
		if a.Hostname != b.Hostname {
			return false, fmt.Sprintf("hostname %q (OLD) is not %q (NEW), and a machine-id is missing", a.Hostname, b.Hostname)
		}
		return true, "only the hostnames match: a machine-id is missing"
	}
	return true, "the bundles do not name their host; it cannot be told whether they are of one host"
}

func notIntact(s bundle.Status) bool {
	return s == bundle.StatusTampered || s == bundle.StatusUntrusted
}

// Compare compares OLD with NEW. It is a pure function of the two.
func Compare(old, new *Snapshot) *Result {
	r := &Result{Schema: Schema, Old: old, New: new}
	r.TamperedInput = notIntact(old.Status) || notIntact(new.Status)
	r.Incomplete = old.Status == bundle.StatusIncomplete || new.Status == bundle.StatusIncomplete
	same, why := SameHost(old, new)
	r.OtherHost, r.HostNote = !same, why
	for _, s := range []struct {
		name string
		snap *Snapshot
	}{{"OLD", old}, {"NEW", new}} {
		switch {
		case notIntact(s.snap.Status):
			r.Notes = append(r.Notes, fmt.Sprintf("%s %s is %s (%s): what was read of it is not vouched for", s.name, s.snap.Name, s.snap.Status, s.snap.Reason))
		case s.snap.Status == bundle.StatusIncomplete:
			r.Notes = append(r.Notes, fmt.Sprintf("%s %s is incomplete (%s): only its %d records that verified are compared", s.name, s.snap.Name, s.snap.Reason, s.snap.Records))
		}
		for _, n := range s.snap.Notes {
			r.Notes = append(r.Notes, s.name+": "+n)
		}
	}
	if new.StartedAt.Before(old.StartedAt) {
		r.Notes = append(r.Notes, "NEW was collected before OLD: + is what OLD has that NEW does not")
	}
	if !profileEqual(old.Profile, new.Profile) {
		r.Notes = append(r.Notes, fmt.Sprintf("the collections used different profiles or globs (OLD %s, NEW %s): a file one collected and the other did not shows as added or removed", describeProfile(old.Profile), describeProfile(new.Profile)))
	}
	if old.VerifyScope != "" && new.VerifyScope != "" && old.VerifyScope != new.VerifyScope {
		r.Notes = append(r.Notes, fmt.Sprintf("package files were verified in scope %s in OLD and %s in NEW: a failure in the wider scope only shows as new or gone", old.VerifyScope, new.VerifyScope))
	}
	r.Sections = []Section{
		section(SectionProcesses, old.Processes, new.Processes, compareProcesses),
		section(SectionListening, listening(old.Sockets, true), listening(new.Sockets, true), compareSockets),
		section(SectionConnections, listening(old.Sockets, false), listening(new.Sockets, false), compareSockets),
		section(SectionRawSockets, old.RawSockets, new.RawSockets, compareRawSockets),
		section(SectionUsers, old.Users, new.Users, compareUsers),
		section(SectionGroups, old.Groups, new.Groups, compareGroups),
		section(SectionLogins, old.Logins, new.Logins, compareLogins),
		section(SectionPersistence, old.Persistence, new.Persistence, comparePersistence),
		section(SectionFiles, old.Files, new.Files, compareFiles),
		section(SectionPackages, old.Packages, new.Packages, comparePackages),
		section(SectionPackageFiles, old.PackageFiles, new.PackageFiles, comparePackageFiles),
		section(SectionModules, old.Modules, new.Modules, compareModules),
		section(SectionBPF, old.BPFPrograms, new.BPFPrograms, compareBPF),
		section(SectionContainers, old.Containers, new.Containers, compareContainers),
		section(SectionFindings, old.Findings, new.Findings, compareFindings),
	}
	for i := range r.Sections {
		s := &r.Sections[i]
		for j := range s.Entries {
			s.Entries[j].TamperedInput = r.TamperedInput
			switch s.Entries[j].Change {
			case Added:
				s.Added++
			case Removed:
				s.Removed++
			case Changed:
				s.Changed++
			}
		}
	}
	return r
}

func profileEqual(a, b manifest.Profile) bool {
	return a.Name == b.Name && a.SHA256 == b.SHA256 && slices.Equal(a.Include, b.Include) && slices.Equal(a.Exclude, b.Exclude)
}

func describeProfile(p manifest.Profile) string {
	s := p.Name
	if len(p.Include) > 0 {
		s += " --include " + strings.Join(p.Include, ",")
	}
	if len(p.Exclude) > 0 {
		s += " --exclude " + strings.Join(p.Exclude, ",")
	}
	return s
}

func notCompared(name, why string) Section {
	return Section{Name: name, NotCompared: why, Entries: []Entry{}}
}

// section compares one kind of thing, when both snapshots hold it.
func section[T any](name string, old, new []T, fn func(old, new []T) []Entry) Section {
	switch {
	case old == nil && new == nil:
		return notCompared(name, "neither bundle holds it in a form that was read")
	case old == nil:
		return notCompared(name, "OLD does not hold it in a form that was read")
	case new == nil:
		return notCompared(name, "NEW does not hold it in a form that was read")
	}
	es := fn(old, new)
	if es == nil {
		es = []Entry{}
	}
	// Gone first, then new, then changed; by key within each.
	rank := map[string]int{Removed: 0, Added: 1, Changed: 2}
	slices.SortStableFunc(es, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(rank[a.Change], rank[b.Change]), cmp.Compare(a.Key, b.Key))
	})
	return Section{Name: name, Compared: true, Entries: es}
}

// key joins the parts of an identity without ambiguity, whatever bytes
// they hold.
func key(parts ...any) string {
	b, err := json.Marshal(parts)
	if err != nil {
		return fmt.Sprint(parts...)
	}
	return string(b)
}

// match pairs entries of old and new with equal identities, in order
// within one identity; what is left over is gone or new. same decides,
// within an identity, whether two entries may pair (nil: any).
func match[T any](old, new []T, id func(T) string, same func(a, b T) bool, describe func(T) string, changes func(a, b T) []string) []Entry {
	byID := map[string][]int{}
	for i, n := range new {
		k := id(n)
		byID[k] = append(byID[k], i)
	}
	used := make([]bool, len(new))
	var out []Entry
	for _, o := range old {
		k := id(o)
		pick := -1
		for _, j := range byID[k] {
			if !used[j] && (same == nil || same(o, new[j])) {
				pick = j
				break
			}
		}
		if pick < 0 {
			out = append(out, Entry{Change: Removed, Key: describe(o), Old: o})
			continue
		}
		used[pick] = true
		if d := changes(o, new[pick]); len(d) > 0 {
			out = append(out, Entry{Change: Changed, Key: describe(new[pick]), Details: d, Old: o, New: new[pick]})
		}
	}
	for j, n := range new {
		if !used[j] {
			out = append(out, Entry{Change: Added, Key: describe(n), New: n})
		}
	}
	return out
}

func change(out []string, what string, a, b any) []string {
	as, bs := fmt.Sprint(a), fmt.Sprint(b)
	if as != bs {
		out = append(out, fmt.Sprintf("%s %s -> %s", what, as, bs))
	}
	return out
}

func uidString(u *uint32) string {
	if u == nil {
		return "?"
	}
	return fmt.Sprint(*u)
}

// procStart is a process's start, as an identity: the time, else the
// ticks after boot, else nothing known.
func procStart(p Process) string {
	switch {
	case p.Start != nil:
		return p.Start.UTC().Format(time.RFC3339Nano)
	case p.StartTicks != 0:
		return fmt.Sprintf("tick %d", p.StartTicks)
	}
	return ""
}

func compareProcesses(old, new []Process) []Entry {
	id := func(p Process) string {
		start := procStart(p)
		var pid int
		if start == "" {
			pid = p.PID // nothing else tells two runs apart
		}
		exe := string(p.Exe)
		if exe == "" && len(p.Argv) == 0 {
			exe = "comm:" + string(p.Name) // a kernel thread
		}
		return key(start, pid, exe, p.Argv)
	}
	// Two known hashes that differ are two programs; a missing one pairs.
	same := func(a, b Process) bool {
		return a.ExeSHA256 == "" || b.ExeSHA256 == "" || a.ExeSHA256 == b.ExeSHA256
	}
	describe := func(p Process) string {
		s := fmt.Sprintf("pid %d %s", p.PID, showCmd(p))
		if st := procStart(p); st != "" {
			s += " (started " + st + ")"
		}
		return s
	}
	changes := func(a, b Process) []string {
		var d []string
		d = change(d, "pid", a.PID, b.PID)
		d = change(d, "ppid", a.PPID, b.PPID)
		d = change(d, "uid", uidString(a.UID), uidString(b.UID))
		d = change(d, "euid", uidString(a.EUID), uidString(b.EUID))
		d = change(d, "exe deleted", a.ExeDeleted, b.ExeDeleted)
		switch {
		case a.ExeSHA256 == "" && b.ExeSHA256 != "":
			d = append(d, "exe sha256 unknown in OLD, "+b.ExeSHA256+" in NEW")
		case a.ExeSHA256 != "" && b.ExeSHA256 == "":
			d = append(d, "exe sha256 "+a.ExeSHA256+" in OLD, unknown in NEW")
		}
		return d
	}
	return match(old, new, id, same, describe, changes)
}

// showCmd is a process's command line for people: argv, else [name].
func showCmd(p Process) string {
	if len(p.Argv) == 0 {
		return "[" + Display(string(p.Name)) + "]"
	}
	parts := make([]string, len(p.Argv))
	for i, a := range p.Argv {
		parts[i] = Display(string(a))
	}
	return strings.Join(parts, " ")
}

func listening(ss []Socket, want bool) []Socket {
	if ss == nil {
		return nil
	}
	out := []Socket{}
	for _, s := range ss {
		if s.Listening == want {
			out = append(out, s)
		}
	}
	return out
}

func compareSockets(old, new []Socket) []Entry {
	id := func(s Socket) string {
		if s.Listening {
			return key(s.NetNS, s.Proto, s.Local)
		}
		return key(s.NetNS, s.Proto, s.Local, s.Remote)
	}
	describe := func(s Socket) string {
		k := s.Proto + " " + s.Local
		if !s.Listening {
			k += " -> " + s.Remote
		}
		if s.NetNS != 0 {
			k += fmt.Sprintf(" (netns %d)", s.NetNS)
		}
		if len(s.Owners) > 0 {
			k += " by " + Display(strings.Join(s.Owners, ","))
		}
		return k
	}
	changes := func(a, b Socket) []string {
		var d []string
		if !slices.Equal(a.Owners, b.Owners) {
			d = append(d, fmt.Sprintf("owners %s -> %s", Display(strings.Join(a.Owners, ",")), Display(strings.Join(b.Owners, ","))))
		}
		if !a.Listening {
			d = change(d, "state", a.State, b.State)
		}
		return d
	}
	return match(old, new, id, nil, describe, changes)
}

func compareUsers(old, new []User) []Entry {
	return match(old, new, func(u User) string { return string(u.Name) }, nil,
		func(u User) string {
			return fmt.Sprintf("%s (uid %d, shell %s)", Display(string(u.Name)), u.UID, Display(string(u.Shell)))
		},
		func(a, b User) []string {
			var d []string
			d = change(d, "uid", a.UID, b.UID)
			d = change(d, "gid", a.GID, b.GID)
			d = change(d, "home", Display(string(a.Home)), Display(string(b.Home)))
			d = change(d, "shell", Display(string(a.Shell)), Display(string(b.Shell)))
			d = change(d, "gecos", Display(string(a.GECOS)), Display(string(b.GECOS)))
			return d
		})
}

func compareGroups(old, new []Group) []Entry {
	members := func(g Group) string {
		m := make([]string, len(g.Members))
		for i, x := range g.Members {
			m[i] = Display(string(x))
		}
		slices.Sort(m)
		return strings.Join(m, ",")
	}
	return match(old, new, func(g Group) string { return string(g.Name) }, nil,
		func(g Group) string { return fmt.Sprintf("%s (gid %d)", Display(string(g.Name)), g.GID) },
		func(a, b Group) []string {
			var d []string
			d = change(d, "gid", a.GID, b.GID)
			d = change(d, "members", "["+members(a)+"]", "["+members(b)+"]")
			return d
		})
}

func compareLogins(old, new []Login) []Entry {
	return match(old, new,
		func(l Login) string {
			return key(l.Kind, l.Source, l.Time.UTC().Format(time.RFC3339Nano), l.Type, l.User, l.Line, l.Host, l.PID)
		}, nil,
		func(l Login) string {
			s := fmt.Sprintf("%s %s %s %s %s", l.Kind, l.Time.UTC().Format(time.RFC3339), l.Type, Display(string(l.User)), Display(string(l.Line)))
			if l.Host != "" {
				s += " from " + Display(string(l.Host))
			}
			return s + " (" + l.Source + ")"
		},
		func(a, b Login) []string { return nil })
}

func fileRead(f File) bool { return f.Entry != manifest.EntryNone }

func compareFiles(old, new []File) []Entry {
	// A file whose record says it vanished is not there.
	present := func(fs []File) []File {
		out := make([]File, 0, len(fs))
		for _, f := range fs {
			if f.Outcome != manifest.OutcomeVanished {
				out = append(out, f)
			}
		}
		return out
	}
	show := func(f File) string { return Display("/" + strings.TrimPrefix(string(f.Path), filesDir)) }
	return match(present(old), present(new), func(f File) string { return string(f.Path) }, nil,
		func(f File) string {
			if f.SHA256 != "" {
				return fmt.Sprintf("%s (sha256 %s)", show(f), short(f.SHA256))
			}
			return show(f)
		},
		func(a, b File) []string {
			var d []string
			switch {
			case fileRead(a) && !fileRead(b):
				d = append(d, "not read in NEW: "+b.Outcome)
			case !fileRead(a) && fileRead(b):
				d = append(d, "not read in OLD: "+a.Outcome)
			case a.SHA256 != b.SHA256:
				d = append(d, fmt.Sprintf("sha256 %s -> %s", short(a.SHA256), short(b.SHA256)))
			}
			var la, lb string
			if a.Link != nil {
				la = Display(string(*a.Link))
			}
			if b.Link != nil {
				lb = Display(string(*b.Link))
			}
			d = change(d, "link target", la, lb)
			d = change(d, "mode", a.Mode, b.Mode)
			d = change(d, "uid", idString(a.UID), idString(b.UID))
			d = change(d, "gid", idString(a.GID), idString(b.GID))
			return d
		})
}

func idString(p *int64) string {
	if p == nil {
		return "?"
	}
	return fmt.Sprint(*p)
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	if h == "" {
		return "-"
	}
	return h
}

func compareModules(old, new []Module) []Entry {
	return match(old, new, func(m Module) string { return m.Name }, nil,
		func(m Module) string {
			s := fmt.Sprintf("%s (%d bytes)", Display(m.Name), m.Size)
			if m.Taint != "" {
				s += " taint " + m.Taint
			}
			return s
		},
		func(a, b Module) []string {
			var d []string
			d = change(d, "size", a.Size, b.Size)
			d = change(d, "taint", a.Taint, b.Taint)
			return d
		})
}

func compareFindings(old, new []Finding) []Entry {
	// A finding on a path is that rule on that path: its title may say
	// how long before collection something changed, which differs each
	// time. One without a path is told by its title.
	id := func(f Finding) string {
		if f.Path != "" {
			return key(f.Rule, f.Path, f.PID)
		}
		return key(f.Rule, f.PID, f.Title)
	}
	return match(old, new, id, nil,
		func(f Finding) string { return fmt.Sprintf("%s %s: %s", f.Severity, f.Rule, Display(f.Title)) },
		func(a, b Finding) []string {
			var d []string
			d = change(d, "severity", a.Severity, b.Severity)
			return change(d, "title", Display(a.Title), Display(b.Title))
		})
}
