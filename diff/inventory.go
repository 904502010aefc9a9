package diff

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// PersistEntry is one file that can start a program (persistence.json).
type PersistEntry struct {
	Kind  string           `json:"kind"`
	Path  manifest.BString `json:"path"`
	User  string           `json:"user,omitempty"`
	Mode  string           `json:"mode,omitempty"`
	UID   *int64           `json:"uid,omitempty"`
	Size  int64            `json:"size"`
	MTime time.Time        `json:"mtime"`
	CTime *time.Time       `json:"ctime,omitempty"`
	// Lines are the texts of the lines that say what runs, in file order
	// (without their numbers: a line moved down is not a change).
	Lines     []manifest.BString `json:"lines"`
	Flags     []string           `json:"flags,omitempty"`
	Truncated bool               `json:"truncated,omitempty"`
	Error     string             `json:"error,omitempty"`
}

// Package is one installed package of a package inventory (dpkg.json).
type Package struct {
	Manager string `json:"manager"` // "dpkg"
	Name    string `json:"name"`
	Arch    string `json:"architecture,omitempty"`
	Version string `json:"version,omitempty"`
	Status  string `json:"status,omitempty"`
}

// PackageFile is one package file that failed verification against its
// package's recorded digest (dpkg_verify.json).
type PackageFile struct {
	Package  string     `json:"package"`
	Path     string     `json:"path"`
	Kind     string     `json:"kind"` // checksum, missing, not-regular, unreadable, bad-entry
	Conffile bool       `json:"conffile,omitempty"`
	Expected string     `json:"expected_md5,omitempty"`
	Actual   string     `json:"actual_md5,omitempty"`
	Mtime    *time.Time `json:"mtime,omitempty"`
}

// RawSocket is one raw or packet socket (raw_sockets.json).
type RawSocket struct {
	Table    string   `json:"table"` // raw, raw6, packet
	Protocol string   `json:"protocol"`
	Type     string   `json:"type,omitempty"`
	Local    string   `json:"local,omitempty"`
	Iface    int      `json:"iface,omitempty"`
	UID      uint32   `json:"uid"`
	Owners   []string `json:"owners"` // "pid/name", sorted
}

// BPFProgram is one loaded eBPF program (bpf.json).
type BPFProgram struct {
	ID      uint32   `json:"id"`
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Tag     string   `json:"tag"`
	UID     uint32   `json:"uid"`
	Holders []string `json:"holders"` // "pid/name", sorted
}

// Container is one container a runtime's state records (containers.json).
type Container struct {
	Runtime     string             `json:"runtime"`
	Namespace   string             `json:"namespace,omitempty"`
	ID          string             `json:"id"`
	Name        string             `json:"name,omitempty"`
	Image       string             `json:"image,omitempty"`
	State       string             `json:"state,omitempty"`
	Command     []manifest.BString `json:"command,omitempty"`
	Privileged  bool               `json:"privileged"`
	HostNetwork bool               `json:"host_network"`
	HostPID     bool               `json:"host_pid"`
	Mounts      []string           `json:"mounts"` // "source:destination", sorted
}

// inventoryJSON are the artifacts of the sections this file reads.
var inventoryJSON = []string{artifact.PathPersistence, artifact.PathDpkgPackages, artifact.PathDpkgVerify,
	artifact.PathRawSockets, artifact.PathBPF, artifact.PathContainers}

func owners(list []artifact.SocketOwner) []string {
	out := []string{}
	for _, o := range list {
		out = append(out, fmt.Sprintf("%d/%s", o.PID, o.Name))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// fillInventories reads persistence, packages, raw sockets, eBPF programs
// and containers. An inventory whose collector hit a bound or an error is
// still compared, with a note: what it could not read may show as gone.
func (s *Snapshot) fillInventories(r *reader) {
	var pd artifact.Persistence
	if s.decode(r, artifact.PathPersistence, &pd) {
		s.Persistence = []PersistEntry{}
		for _, e := range pd.Entries {
			p := PersistEntry{Kind: e.Kind, Path: e.Path, User: e.User, Mode: e.Mode, UID: e.UID, Size: e.Size,
				MTime: e.MTime, CTime: e.CTime, Lines: []manifest.BString{}, Flags: e.Flags, Truncated: e.Truncated, Error: e.Error}
			for _, l := range e.Lines {
				p.Lines = append(p.Lines, l.Text)
			}
			s.Persistence = append(s.Persistence, p)
		}
		if len(pd.Limits) > 0 {
			s.Notes = append(s.Notes, fmt.Sprintf("the persistence inventory hit a bound (%s): an entry it did not reach shows as gone or new", strings.Join(pd.Limits, ", ")))
		}
	}
	var dp artifact.DpkgPackages
	if s.decode(r, artifact.PathDpkgPackages, &dp) {
		s.Packages = []Package{}
		for _, p := range dp.Packages {
			s.Packages = append(s.Packages, Package{Manager: "dpkg", Name: p.Name, Arch: p.Architecture, Version: p.Version, Status: p.Status})
		}
		if len(dp.Errors) > 0 {
			s.Notes = append(s.Notes, fmt.Sprintf("%d stanzas or lines of the dpkg status file did not parse: a package in them shows as gone or new", len(dp.Errors)))
		}
	}
	if r.seen[artifact.PathRPM] {
		s.Notes = append(s.Notes, "the RPM database is stored raw and not parsed: RPM packages are not compared")
	}
	var dv artifact.DpkgVerify
	if s.decode(r, artifact.PathDpkgVerify, &dv) {
		s.PackageFiles = []PackageFile{}
		for _, f := range dv.Failures {
			s.PackageFiles = append(s.PackageFiles, PackageFile{Package: f.Package, Path: f.Path, Kind: f.Kind, Conffile: f.Conffile,
				Expected: f.Expected, Actual: f.Actual, Mtime: f.Mtime})
		}
		s.VerifyScope = dv.Scope
		if dv.Limit != "" || dv.FailuresDropped > 0 {
			s.Notes = append(s.Notes, fmt.Sprintf("package verification (scope %s) stopped early (limit %q, %d failures dropped): a failure it did not reach shows as gone", dv.Scope, dv.Limit, dv.FailuresDropped))
		}
	}
	var rs artifact.RawSockets
	if s.decode(r, artifact.PathRawSockets, &rs) {
		s.RawSockets = []RawSocket{}
		for _, k := range rs.Sockets {
			proto := k.ProtocolName
			if proto == "" {
				proto = fmt.Sprintf("0x%04x", k.Protocol)
			}
			s.RawSockets = append(s.RawSockets, RawSocket{Table: k.Table, Protocol: proto, Type: k.Type, Local: k.LocalAddr,
				Iface: k.Iface, UID: k.UID, Owners: owners(k.Owners)})
		}
	}
	var bo artifact.BPFObjects
	if s.decode(r, artifact.PathBPF, &bo) {
		s.BPFPrograms = []BPFProgram{}
		for _, p := range bo.Programs {
			typ := p.TypeName
			if typ == "" {
				typ = fmt.Sprint(p.Type)
			}
			s.BPFPrograms = append(s.BPFPrograms, BPFProgram{ID: p.ID, Type: typ, Name: p.Name, Tag: p.Tag, UID: p.UID, Holders: owners(p.Holders)})
		}
	}
	var ci artifact.ContainerInventory
	if s.decode(r, artifact.PathContainers, &ci) {
		s.Containers = []Container{}
		for _, c := range ci.Containers {
			m := []string{}
			for _, x := range c.Mounts {
				m = append(m, x.Source+":"+x.Destination)
			}
			slices.Sort(m)
			s.Containers = append(s.Containers, Container{Runtime: c.Runtime, Namespace: c.Namespace, ID: c.ID, Name: c.Name,
				Image: c.Image, State: c.State, Command: c.Command, Privileged: c.Privileged, HostNetwork: c.HostNetwork,
				HostPID: c.HostPID, Mounts: m})
		}
	}
}
