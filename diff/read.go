package diff

import (
	"archive/tar"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/manifest"
)

// DefaultMaxJSON is how many bytes of one JSON artifact Read holds in
// memory by default.
const DefaultMaxJSON = 256 << 20

// filesDir is the prefix of collected host files' bundle paths.
const filesDir = "files/"

// Options configure [Read].
type Options struct {
	// Trust lists the keys the investigator trusts (bundle.VerifyOptions).
	Trust manifest.Trust
	// MaxJSON caps the bytes of one JSON artifact held (0: DefaultMaxJSON);
	// a larger one is left out, and the snapshot says so.
	MaxJSON int64
	// Name is the bundle's name in the output (default: the file's base name).
	Name string
}

// wantedJSON are the artifacts a snapshot decodes.
var wantedJSON = []string{artifact.PathProcesses, artifact.PathSockets, artifact.PathAccounts,
	artifact.PathSessions, artifact.PathLogins, artifact.PathModules, artifact.PathFindings}

// reader is the bundle.Handler that keeps what a comparison needs: the
// wanted JSON artifacts once their record verified, and every record under
// files/. A data entry's bytes are kept only until its record arrives.
type reader struct {
	kept  artifact.Kept // its Docs are json
	json  map[string][]byte
	files []File
	notes []string
	seen  map[string]bool // every record path, for the inventories not read
}

func (r *reader) Header(*manifest.Header) error { return nil }

func (r *reader) Data(h *tar.Header, body io.Reader) error {
	return r.kept.Data(h, body, slices.Contains(wantedJSON, h.Name) || slices.Contains(inventoryJSON, h.Name))
}

func (r *reader) Record(rec *manifest.Record) error {
	p := string(rec.Path)
	r.seen[p] = true
	if over := r.kept.Record(rec); over > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%s is %d bytes, more than the %d read into memory; its section is not compared", p, over, r.kept.Max))
	}
	if strings.HasPrefix(p, filesDir) {
		f := File{Path: rec.Path, Source: rec.Source, Entry: rec.Entry, Outcome: rec.Outcome, SHA256: rec.SHA256, Size: rec.Size}
		if m := rec.File; m != nil {
			f.Mode, f.UID, f.GID, f.Link = m.Mode, m.UID, m.GID, m.LinkTarget
			mt := m.Mtime
			f.Mtime = &mt
		}
		r.files = append(r.files, f)
	}
	return nil
}

// Read verifies the opened bundle f and returns what it holds for a
// comparison. A bundle that is not intact still gives a snapshot of what
// verified before the failure (its Status says what failed); err is
// non-nil only when the file cannot be read.
func Read(f *bundle.File, opts Options) (*Snapshot, error) {
	if opts.Name == "" {
		opts.Name = filepath.Base(f.Path)
	}
	r := NewReader(opts)
	res, err := f.Verify(bundle.VerifyOptions{Trust: opts.Trust, Handler: r})
	if err != nil {
		return nil, err
	}
	return r.Snapshot(res), nil
}

// Reader is the [bundle.Handler] of [Read], for a caller that verifies a
// bundle itself, with other handlers beside it (report --diff builds the
// report in the same pass): hand it the content as it is verified, then
// take the [Snapshot] from the result.
type Reader struct {
	reader
	name string
}

// NewReader returns a Reader; of opts, it uses MaxJSON and Name (Trust is
// the caller's to give to the verification).
func NewReader(opts Options) *Reader {
	if opts.MaxJSON <= 0 {
		opts.MaxJSON = DefaultMaxJSON
	}
	json := map[string][]byte{}
	return &Reader{reader: reader{kept: artifact.Kept{Max: opts.MaxJSON, Docs: json}, json: json, seen: map[string]bool{}}, name: opts.Name}
}

// Snapshot returns what the reader kept, with the outcome res of the
// verification it was the handler of.
func (r *Reader) Snapshot(res *bundle.Result) *Snapshot {
	s := &Snapshot{Name: r.name, Status: res.Status(), Records: res.Records, Notes: r.notes}
	if res.Err != nil {
		s.Reason = res.Err.Error()
	}
	if h := res.Header; h != nil {
		s.BundleID, s.CaseID, s.StartedAt, s.Host, s.Profile = h.BundleID, h.CaseID, h.StartedAt, h.Host, h.Profile
	}
	if m := res.Manifest; m != nil {
		fin := m.FinishedAt
		s.FinishedAt = &fin
	}
	s.fill(&r.reader)
	return s
}

// decode parses the JSON artifact at path into v, if the bundle held it
// and it parses as a version this build reads.
func (s *Snapshot) decode(r *reader, path string, v artifact.Doc) bool {
	raw, ok := r.json[path]
	if !ok {
		return false
	}
	if note := artifact.Decode(path, raw, v, "its section is not compared"); note != "" {
		s.Notes = append(s.Notes, note)
		return false
	}
	return true
}

func (s *Snapshot) fill(r *reader) {
	var pt artifact.ProcessTable
	if s.decode(r, artifact.PathProcesses, &pt) {
		s.Processes = make([]Process, 0, len(pt.Processes))
		for _, p := range pt.Processes {
			q := Process{PID: p.PID, PPID: p.PPID, Name: p.Name, User: p.User, UID: p.UID, EUID: p.EUID,
				Start: p.StartTime, StartTicks: p.StartTicks, Argv: p.Argv, Exe: p.Exe, ExeDeleted: p.ExeDeleted, Kernel: p.KernelThread}
			if p.ExeHash != nil && !p.ExeHash.Truncated {
				q.ExeSHA256 = p.ExeHash.SHA256
			}
			s.Processes = append(s.Processes, q)
		}
	}
	var st artifact.SocketTable
	if s.decode(r, artifact.PathSockets, &st) {
		s.Sockets = make([]Socket, 0, len(st.Sockets))
		for _, k := range st.Sockets {
			so := Socket{Proto: k.Proto, State: k.State, Local: artifact.HostPort(k.LocalAddr, k.LocalPort),
				Remote: artifact.HostPort(k.RemoteAddr, k.RemotePort), NetNS: k.NetNS, Listening: k.Listening, User: k.User, Owners: owners(k.Owners)}
			s.Sockets = append(s.Sockets, so)
		}
	}
	var acc artifact.Accounts
	if s.decode(r, artifact.PathAccounts, &acc) {
		s.Users, s.Groups = []User{}, []Group{}
		for _, u := range acc.Users {
			s.Users = append(s.Users, User{Name: u.Name, UID: u.UID, GID: u.GID, GECOS: u.GECOS, Home: u.Home, Shell: u.Shell})
		}
		for _, g := range acc.Groups {
			s.Groups = append(s.Groups, Group{Name: g.Name, GID: g.GID, Members: g.Members})
		}
	}
	for _, src := range []struct{ path, kind string }{{artifact.PathSessions, "session"}, {artifact.PathLogins, "history"}} {
		var lf artifact.LoginFiles
		if !s.decode(r, src.path, &lf) {
			continue
		}
		if s.Logins == nil {
			s.Logins = []Login{}
		}
		for _, file := range lf.Files {
			for _, l := range file.Records {
				if src.kind == "session" && l.TypeName != "USER_PROCESS" {
					continue
				}
				s.Logins = append(s.Logins, Login{Kind: src.kind, Source: file.Source, Time: l.Time, Type: l.TypeName,
					User: l.User, Line: l.Line, Host: l.Host, Address: l.Address, PID: l.PID})
			}
		}
	}
	var mods artifact.Table[artifact.Module]
	if s.decode(r, artifact.PathModules, &mods) && len(mods.Errors) == 0 {
		s.Modules = []Module{}
		for _, m := range mods.Items {
			s.Modules = append(s.Modules, Module{Name: m.Name, Size: m.Size, State: m.State, Taint: m.Taint})
		}
	} else if len(mods.Errors) > 0 {
		s.Notes = append(s.Notes, "kernel modules were not read: "+strings.Join(mods.Errors, "; "))
	}
	var fs artifact.Findings
	if s.decode(r, artifact.PathFindings, &fs) {
		s.Findings = []Finding{}
		for _, f := range fs.Findings {
			s.Findings = append(s.Findings, Finding{Rule: f.Rule, Severity: f.Severity, Title: f.Title, Path: f.Path, PID: f.PID})
		}
	}
	if r.files != nil {
		s.Files = r.files
	} else {
		s.Files = []File{} // a bundle with no collected files holds none
	}
	s.fillInventories(r)
}
