package diff

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

func showTime(t *time.Time) string {
	if t == nil {
		return "?"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func displayList(xs []string) string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = Display(x)
	}
	return "[" + strings.Join(out, ",") + "]"
}

// lineChanges lists the lines only one side has, as a multiset: a line
// that moved is not a change, a line duplicated is.
func lineChanges(a, b []manifest.BString) []string {
	count := map[manifest.BString]int{}
	for _, l := range b {
		count[l]++
	}
	var gone []string
	for _, l := range a {
		if count[l] > 0 {
			count[l]--
			continue
		}
		gone = append(gone, "line gone: "+Display(string(l)))
	}
	count = map[manifest.BString]int{}
	for _, l := range a {
		count[l]++
	}
	var added []string
	for _, l := range b {
		if count[l] > 0 {
			count[l]--
			continue
		}
		added = append(added, "line new: "+Display(string(l)))
	}
	return append(gone, added...)
}

func comparePersistence(old, new []PersistEntry) []Entry {
	return match(old, new, func(e PersistEntry) string { return key(e.Kind, e.Path, e.User) }, nil,
		func(e PersistEntry) string {
			s := e.Kind + " " + Display(string(e.Path))
			if e.User != "" {
				s += " (user " + Display(e.User) + ")"
			}
			if len(e.Flags) > 0 {
				s += " [flagged: " + strings.Join(e.Flags, ",") + "]"
			}
			return s
		},
		func(a, b PersistEntry) []string {
			d := lineChanges(a.Lines, b.Lines)
			d = change(d, "size", a.Size, b.Size)
			d = change(d, "mtime", showTime(&a.MTime), showTime(&b.MTime))
			d = change(d, "ctime", showTime(a.CTime), showTime(b.CTime))
			d = change(d, "mode", a.Mode, b.Mode)
			d = change(d, "uid", idString(a.UID), idString(b.UID))
			d = change(d, "flags", displayList(a.Flags), displayList(b.Flags))
			d = change(d, "truncated", a.Truncated, b.Truncated)
			d = change(d, "error", Display(a.Error), Display(b.Error))
			return d
		})
}

func comparePackages(old, new []Package) []Entry {
	return match(old, new, func(p Package) string { return key(p.Manager, p.Name, p.Arch) }, nil,
		func(p Package) string {
			s := Display(p.Name)
			if p.Arch != "" {
				s += ":" + Display(p.Arch)
			}
			return s + " " + Display(p.Version)
		},
		func(a, b Package) []string {
			var d []string
			d = change(d, "version", Display(a.Version), Display(b.Version))
			d = change(d, "status", Display(a.Status), Display(b.Status))
			return d
		})
}

func comparePackageFiles(old, new []PackageFile) []Entry {
	return match(old, new, func(f PackageFile) string { return key(f.Package, f.Path) }, nil,
		func(f PackageFile) string {
			s := fmt.Sprintf("%s (%s) %s", Display(f.Path), Display(f.Package), f.Kind)
			if f.Conffile {
				s += ", conffile"
			}
			if f.Actual != "" {
				s += " md5 " + f.Actual
			}
			return s
		},
		func(a, b PackageFile) []string {
			var d []string
			d = change(d, "failure", a.Kind, b.Kind)
			d = change(d, "expected md5", short(a.Expected), short(b.Expected))
			d = change(d, "md5", short(a.Actual), short(b.Actual))
			d = change(d, "mtime", showTime(a.Mtime), showTime(b.Mtime))
			return d
		})
}

func compareRawSockets(old, new []RawSocket) []Entry {
	return match(old, new, func(s RawSocket) string { return key(s.Table, s.Protocol, s.Type, s.Local, s.Iface) }, nil,
		func(s RawSocket) string {
			k := s.Table + " " + Display(s.Protocol)
			if s.Type != "" {
				k += " " + s.Type
			}
			if s.Local != "" {
				k += " " + s.Local
			}
			if s.Table == "packet" {
				k += fmt.Sprintf(" iface %d", s.Iface)
			}
			if len(s.Owners) > 0 {
				k += " by " + Display(strings.Join(s.Owners, ","))
			}
			return k
		},
		func(a, b RawSocket) []string {
			var d []string
			d = change(d, "uid", a.UID, b.UID)
			if !slices.Equal(a.Owners, b.Owners) {
				d = append(d, fmt.Sprintf("owners %s -> %s", Display(strings.Join(a.Owners, ",")), Display(strings.Join(b.Owners, ","))))
			}
			return d
		})
}

func compareBPF(old, new []BPFProgram) []Entry {
	return match(old, new, func(p BPFProgram) string { return key(p.Tag, p.Type, p.Name) }, nil,
		func(p BPFProgram) string {
			k := fmt.Sprintf("%s %s (tag %s, id %d)", Display(p.Type), Display(p.Name), Display(p.Tag), p.ID)
			if len(p.Holders) > 0 {
				k += " held by " + Display(strings.Join(p.Holders, ","))
			}
			return k
		},
		func(a, b BPFProgram) []string {
			var d []string
			d = change(d, "uid", a.UID, b.UID)
			if !slices.Equal(a.Holders, b.Holders) {
				d = append(d, fmt.Sprintf("holders %s -> %s", Display(strings.Join(a.Holders, ",")), Display(strings.Join(b.Holders, ","))))
			}
			return d
		})
}

func compareContainers(old, new []Container) []Entry {
	return match(old, new, func(c Container) string { return key(c.Runtime, c.Namespace, c.ID) }, nil,
		func(c Container) string {
			id := c.ID
			if len(id) > 12 {
				id = id[:12]
			}
			k := c.Runtime + " " + Display(id)
			if c.Name != "" {
				k += " " + Display(c.Name)
			}
			if c.Image != "" {
				k += " image " + Display(c.Image)
			}
			if c.State != "" {
				k += " (" + Display(c.State) + ")"
			}
			if c.Privileged {
				k += " privileged"
			}
			return k
		},
		func(a, b Container) []string {
			cmdline := func(c Container) string {
				parts := make([]string, len(c.Command))
				for i, x := range c.Command {
					parts[i] = Display(string(x))
				}
				return strings.Join(parts, " ")
			}
			var d []string
			d = change(d, "name", Display(a.Name), Display(b.Name))
			d = change(d, "image", Display(a.Image), Display(b.Image))
			d = change(d, "state", Display(a.State), Display(b.State))
			d = change(d, "command", cmdline(a), cmdline(b))
			d = change(d, "privileged", a.Privileged, b.Privileged)
			d = change(d, "host network", a.HostNetwork, b.HostNetwork)
			d = change(d, "host pid", a.HostPID, b.HostPID)
			d = change(d, "mounts", displayList(a.Mounts), displayList(b.Mounts))
			return d
		})
}
