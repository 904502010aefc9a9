package report

import (
	"archive/tar"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/diff"
	"github.com/hozen-dfir/hozen/logparse"
	"github.com/hozen-dfir/hozen/manifest"
)

// DefaultMaxJSON is how many bytes of one JSON artifact Build reads into
// memory by default.
const DefaultMaxJSON = 256 << 20

// Options configure [Build].
type Options struct {
	// Trust lists the keys the investigator trusts (see bundle.VerifyOptions).
	Trust manifest.Trust
	// Now is the clock that dates the report; nil means time.Now.
	Now func() time.Time
	// MaxJSON caps the bytes read of each JSON artifact (0: DefaultMaxJSON).
	// A larger artifact is left out of the views, and the report says so.
	MaxJSON int64
	// Name is the bundle's file name, as the report shows it.
	Name string
	// Verify, if set, verifies in place of bundle.Verify over Build's
	// reader: an opened bundle's (bundle.File.Verify), which also
	// authenticates an encrypted one.
	Verify func(bundle.VerifyOptions) (*bundle.Result, error)
	// Logs: read the syslog files and journal files the bundle holds into
	// Report.Logs (logparse), bounded by LogLimits.
	Logs      bool
	LogLimits logparse.Limits
}

// Report is what an investigator reads about one bundle: its verification,
// and the evidence it holds, arranged for people. Build makes one; the
// writers in this package render it as HTML, timelines and tables.
type Report struct {
	GeneratedAt  time.Time    `json:"generated_at"`
	Bundle       string       `json:"bundle"`
	Verification Verification `json:"verification"`
	Summary      Summary      `json:"summary"`
	Processes    []*Process   `json:"processes"` // roots of the process tree
	ProcessCount int          `json:"process_count"`
	Network      Network      `json:"network"`
	Logins       Logins       `json:"logins"`
	Persistence  []*Artifact  `json:"persistence"`
	Artifacts    []*Artifact  `json:"artifacts"`
	Findings     []Finding    `json:"findings"`
	// Ranked are the collection's findings (volatile/findings/findings.json),
	// most urgent first: what the report shows at the top. RulesRun
	// lists the rules that ran, so an empty list is an answer.
	Ranked   []artifact.Finding `json:"ranked_findings"`
	RulesRun []string           `json:"rules_run,omitempty"`
	// PersistenceEntries are the persistence collector's entries
	// (volatile/persistence/persistence.json), flagged ones first.
	PersistenceEntries []artifact.PersistenceEntry `json:"persistence_entries,omitempty"`
	Custody            *Custody                    `json:"custody,omitempty"`
	// Diff compares an earlier collection of the host with this one, when
	// the report was asked for one (report --diff OLD).
	Diff *diff.Result `json:"diff,omitempty"`
	// Logs are the lines of the syslog files and the journal entries, with
	// Options.Logs; the timeline holds them.
	Logs []logparse.Event `json:"-"`
	// Notes say what the report could not show, and why.
	Notes []string `json:"notes,omitempty"`
}

// Verification is the outcome of verifying the bundle while it was read.
type Verification struct {
	// Outcome is intact, tampered or incomplete (bundle.Outcome).
	Outcome string `json:"outcome"`
	// Reason says why it is not intact.
	Reason string `json:"reason,omitempty"`
	// Untrusted: the bundle holds together, but is unsigned or signed by a
	// key not among the trusted ones (outcome tampered).
	Untrusted bool `json:"untrusted,omitempty"`
	// TrustChecked: trusted keys were given.
	TrustChecked bool   `json:"trust_checked"`
	Records      int64  `json:"records_verified"`
	Status       string `json:"status,omitempty"` // the manifest's status
	Signed       bool   `json:"signed"`
	Trusted      bool   `json:"trusted"`
	Signer       string `json:"signer,omitempty"`
	Principal    string `json:"principal,omitempty"`
	Head         string `json:"head,omitempty"`
	MerkleRoot   string `json:"merkle_root,omitempty"`
	FileSHA256   string `json:"file_sha256,omitempty"`
	FileSize     int64  `json:"file_size,omitempty"`
	// Offset is where an incomplete bundle's file ends.
	Offset int64           `json:"offset,omitempty"`
	Counts manifest.Counts `json:"counts"`
}

// Intact reports whether the bundle verified.
func (v *Verification) Intact() bool { return v.Outcome == string(bundle.Intact) }

// Summary is the case, the host and the clocks.
type Summary struct {
	BundleID   string             `json:"bundle_id"`
	CaseID     string             `json:"case_id"`
	Examiner   string             `json:"examiner"`
	StartedAt  time.Time          `json:"started_at"`
	FinishedAt *time.Time         `json:"finished_at,omitempty"`
	Host       manifest.Host      `json:"host"`
	Clock      manifest.Clock     `json:"clock"`
	Tool       manifest.Tool      `json:"tool"`
	Profile    manifest.Profile   `json:"profile"`
	Previous   *manifest.Previous `json:"previous,omitempty"`
	// Privileges and DeadBox are as the header records them.
	Privileges *manifest.Privileges `json:"privileges,omitempty"`
	DeadBox    *manifest.DeadBox    `json:"dead_box,omitempty"`
	// HozenPID is the pid of the collecting hozen (the header's
	// footprint), 0 when not recorded.
	HozenPID int `json:"hozen_pid,omitempty"`
	// From volatile/system/system.json:
	OSName        string     `json:"os_name,omitempty"`
	KernelVersion string     `json:"kernel_version,omitempty"`
	KernelCmdline string     `json:"kernel_cmdline,omitempty"`
	Tainted       *uint64    `json:"tainted,omitempty"`
	BootTime      *time.Time `json:"boot_time,omitempty"`
	UptimeSeconds *float64   `json:"uptime_seconds,omitempty"`
	TimeZone      string     `json:"time_zone,omitempty"`
	// SkewSeconds is the host clock minus the responder's reference time.
	SkewSeconds *float64 `json:"skew_seconds,omitempty"`
}

// Process is one process, with its children in the tree.
type Process struct {
	PID          int                `json:"pid"`
	PPID         int                `json:"ppid"`
	Name         manifest.BString   `json:"name"`
	User         string             `json:"user"`
	Start        *time.Time         `json:"start,omitempty"`
	Argv         []manifest.BString `json:"argv"`
	Exe          manifest.BString   `json:"exe,omitempty"`
	ExeDeleted   bool               `json:"exe_deleted,omitempty"`
	ExeSHA256    string             `json:"exe_sha256,omitempty"`
	Cwd          manifest.BString   `json:"cwd,omitempty"`
	Hidden       bool               `json:"hidden,omitempty"`
	KernelThread bool               `json:"kernel_thread,omitempty"`
	TracerPID    int                `json:"tracer_pid,omitempty"`
	RSSBytes     uint64             `json:"rss_bytes,omitempty"`
	Threads      int                `json:"threads,omitempty"`
	Outcome      string             `json:"outcome,omitempty"`
	Errors       []string           `json:"errors,omitempty"`
	// Listening lists the ports this process listens on ("tcp/22").
	Listening []string   `json:"listening,omitempty"`
	Children  []*Process `json:"children,omitempty"`
	// Findings are the rules of the collection's findings that name this
	// process (artifact.Finding.PID, or an evidence path's "#pid=N").
	Findings []string `json:"findings,omitempty"`
	// Self marks hozen's own process: the pid the header's footprint
	// records, the collection that made this bundle.
	Self bool `json:"hozen_self,omitempty"`
	// Depth is the process's depth in the tree (roots: 0).
	Depth int `json:"-"`
	// Flagged: the process or one of its descendants is flagged
	// (IsFlagged) or hozen's own: it is on a path from a root to one, and
	// the collapsed tree shows it.
	Flagged bool `json:"-"`
}

// Suspicious reports whether the process deserves a second look: a
// deleted executable, a pid hidden from /proc, or a tracer attached.
func (p *Process) Suspicious() bool { return p.ExeDeleted || p.Hidden || p.TracerPID != 0 }

// IsFlagged reports whether the process itself is flagged: Suspicious, or
// named by a finding.
func (p *Process) IsFlagged() bool { return p.Suspicious() || len(p.Findings) > 0 }

// Vanished reports whether the process exited between the listing of
// /proc and the reading of its files: its row holds little more than its
// pid.
func (p *Process) Vanished() bool { return p.Outcome == manifest.OutcomeVanished }

// Network is the host's network state.
type Network struct {
	// Connections are TCP and UDP sockets joined to their processes,
	// listening sockets first.
	Connections []Conn      `json:"connections"`
	Interfaces  []Interface `json:"interfaces"`
	Routes      []Route     `json:"routes"`
	Neighbours  []Neighbour `json:"neighbours"`
}

// Conn is one TCP or UDP socket and the processes holding it.
type Conn struct {
	Proto       string  `json:"proto"`
	State       string  `json:"state"`
	Local       string  `json:"local"`
	Remote      string  `json:"remote"`
	Listening   bool    `json:"listening"`
	User        string  `json:"user,omitempty"`
	Inode       uint64  `json:"inode"`
	OwnerStatus string  `json:"owner_status"`
	Owners      []Owner `json:"owners"`
}

// Owner is a process holding a socket.
type Owner struct {
	PID  int              `json:"pid"`
	Name manifest.BString `json:"name"`
	FD   int              `json:"fd"`
	// Exe and Argv come from the process table, when it has the pid.
	Exe  manifest.BString   `json:"exe,omitempty"`
	Argv []manifest.BString `json:"argv,omitempty"`
	User string             `json:"user,omitempty"`
}

// Interface is as the network collector writes it.
type Interface = artifact.Interface

// Route is as the network collector writes it.
type Route = artifact.Route

// Neighbour is as the network collector writes it.
type Neighbour = artifact.Neighbour

// Logins are the host's sessions and login history.
type Logins struct {
	Sessions []Login   `json:"sessions"` // utmp: logged in at collection
	History  []Login   `json:"history"`  // wtmp
	Failed   []Login   `json:"failed"`   // btmp
	Lastlog  []Lastlog `json:"lastlog"`
	// UID0 names every account with uid 0.
	UID0 []manifest.BString `json:"uid0,omitempty"`
}

// Login is one utmp/wtmp/btmp record.
type Login struct {
	Time    time.Time        `json:"time"`
	Type    string           `json:"type"` // USER_PROCESS, DEAD_PROCESS, BOOT_TIME, ...
	User    manifest.BString `json:"user"`
	Line    manifest.BString `json:"line"`
	Host    manifest.BString `json:"host"`
	Address string           `json:"address,omitempty"`
	PID     int32            `json:"pid"`
	Source  string           `json:"source"` // the host file
}

// Lastlog is one uid's last login.
type Lastlog struct {
	UID       uint32           `json:"uid"`
	User      string           `json:"user"`
	Time      time.Time        `json:"time"`
	Line      manifest.BString `json:"line"`
	Host      manifest.BString `json:"host"`
	NoAccount bool             `json:"no_account,omitempty"`
}

// Artifact is one record of the bundle.
type Artifact struct {
	manifest.Record
	// Persistence names the persistence group of a file (cron, systemd...).
	Persistence bool `json:"persistence,omitempty"`
}

// Finding is something the collectors' cross-checks found.
type Finding struct {
	Kind   string `json:"kind"` // hidden_pid, unowned_socket, uid0, deleted_exe, ...
	Detail string `json:"detail"`
}

// Custody is the custody trail of the bundle from a ledger.
type Custody struct {
	Ledger string `json:"ledger"`
	// Verified: the ledger's chain verified; otherwise Error says why.
	Verified bool            `json:"verified"`
	Error    string          `json:"error,omitempty"`
	Head     string          `json:"head,omitempty"`
	Events   []custody.Event `json:"events"`
}

// PersistenceGroups are the file groups whose records are persistence
// items (collector names in records).
var persistenceGroups = []string{"cron", "systemd", "rc", "preload", "shell", "sshd", "autostart"}

// IsPersistence reports whether a collector name is a persistence group.
func IsPersistence(collector string) bool { return slices.Contains(persistenceGroups, collector) }

// builder is the bundle.Handler that collects what the report needs.
type builder struct {
	opts  Options
	hdr   *manifest.Header
	kept  artifact.Kept     // its Docs are json
	json  map[string][]byte // verified JSON artifacts by path
	arts  []*Artifact
	notes []string
	logs  logState
}

// wanted reports whether a data entry's JSON is read into memory.
func wanted(name string) bool {
	if !strings.HasSuffix(name, ".json") {
		return false
	}
	for _, p := range []string{artifact.DirProcesses, artifact.DirNetwork, artifact.DirUsers, artifact.DirSystem, artifact.DirFindings, artifact.DirPersistence} {
		if rest, ok := strings.CutPrefix(name, p); ok && !strings.Contains(rest, "/") {
			return true
		}
	}
	return false
}

func (b *builder) Header(h *manifest.Header) error { b.hdr = h; return nil }

func (b *builder) Data(h *tar.Header, body io.Reader) error {
	if b.opts.Logs {
		if isLog, err := b.logData(h, body); isLog {
			_ = b.kept.Data(h, body, false) // no JSON artifact: forget the entry before
			return err
		}
	}
	return b.kept.Data(h, body, wanted(h.Name))
}

func (b *builder) Record(rec *manifest.Record) error {
	a := &Artifact{Record: *rec, Persistence: IsPersistence(rec.Collector)}
	b.arts = append(b.arts, a)
	if b.opts.Logs {
		b.logRecord(rec)
	}
	if over := b.kept.Record(rec); over > 0 {
		b.notes = append(b.notes, fmt.Sprintf("%s is %d bytes, more than the %d the report reads into memory; it is not shown (extract it to read it)", rec.Path, over, b.opts.MaxJSON))
	}
	return nil
}

// Build reads and verifies a bundle from r, and arranges what it holds.
// The report of a bundle that is not intact is still made (its
// Verification says what failed, and holds only what was read before);
// err is non-nil only when r cannot be read.
func Build(r io.Reader, opts Options) (*Report, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxJSON <= 0 {
		opts.MaxJSON = DefaultMaxJSON
	}
	b := &builder{opts: opts, json: map[string][]byte{}}
	b.kept = artifact.Kept{Max: opts.MaxJSON, Docs: b.json}
	verify := func(o bundle.VerifyOptions) (*bundle.Result, error) { return bundle.Verify(r, o) }
	if opts.Verify != nil {
		verify = opts.Verify
	}
	res, err := verify(bundle.VerifyOptions{Trust: opts.Trust, Handler: b})
	if err != nil {
		return nil, err
	}
	rep := &Report{GeneratedAt: opts.Now().UTC(), Bundle: opts.Name, Notes: b.notes}
	rep.Verification = verification(res, len(opts.Trust) > 0)
	if h := res.Header; h != nil {
		rep.Summary = Summary{BundleID: h.BundleID, CaseID: h.CaseID, Examiner: h.Examiner, StartedAt: h.StartedAt,
			Host: h.Host, Clock: h.Clock, Tool: h.Tool, Profile: h.Profile, Previous: h.Previous, SkewSeconds: h.Clock.SkewSeconds,
			Privileges: h.Privileges, DeadBox: h.DeadBox}
		if h.Footprint != nil {
			rep.Summary.HozenPID = h.Footprint.PID
		}
	}
	if m := res.Manifest; m != nil {
		fin := m.FinishedAt
		rep.Summary.FinishedAt = &fin
	}
	rep.Artifacts = b.arts
	for _, a := range b.arts {
		if a.Persistence {
			rep.Persistence = append(rep.Persistence, a)
		}
	}
	rep.fill(b)
	rep.addLogs(b)
	return rep, nil
}

func verification(res *bundle.Result, trust bool) Verification {
	v := Verification{Outcome: string(res.Outcome), TrustChecked: trust, Records: res.Records, Signed: res.Signed,
		Trusted: res.Trusted, Signer: res.Signer, Principal: res.Principal, Head: res.Head,
		FileSHA256: res.FileSHA256, FileSize: res.FileSize, Counts: res.Counts}
	if res.Err != nil {
		v.Reason = res.Err.Error()
	}
	if m := res.Manifest; m != nil {
		v.Status, v.MerkleRoot = m.Status, m.MerkleRoot
	}
	v.Untrusted = res.Status() == bundle.StatusUntrusted
	var ie *bundle.IncompleteError
	if errors.As(res.Err, &ie) {
		v.Offset = ie.Offset
	}
	return v
}

// decode parses the JSON artifact at path into v, if the bundle held it.
func (r *Report) decode(b *builder, path string, v artifact.Doc) bool {
	raw, ok := b.json[path]
	if !ok {
		return false
	}
	if note := artifact.Decode(path, raw, v, "not shown"); note != "" {
		r.Notes = append(r.Notes, note)
		return false
	}
	return true
}

func (r *Report) fill(b *builder) {
	var sys artifact.SystemInfo
	if r.decode(b, artifact.PathSystem, &sys) {
		s := &r.Summary
		s.OSName = cmp.Or(sys.PrettyName, sys.OS)
		s.KernelVersion = strings.TrimSpace(sys.Kernel.Release + " " + sys.Kernel.Version)
		s.KernelCmdline, s.Tainted, s.BootTime, s.UptimeSeconds = sys.Kernel.CommandLine, sys.Kernel.Tainted, sys.BootTime, sys.UptimeSeconds
		s.TimeZone = sys.TimeZone.Name
		if s.SkewSeconds == nil {
			s.SkewSeconds = sys.Clock.SkewSeconds
		}
		if sys.Kernel.Tainted != nil && *sys.Kernel.Tainted != 0 {
			r.Findings = append(r.Findings, Finding{Kind: "tainted_kernel", Detail: fmt.Sprintf("the kernel is tainted (flags %d): out-of-tree, unsigned or forced modules were loaded", *sys.Kernel.Tainted)})
		}
	}
	if r.Summary.TimeZone == "" {
		r.Summary.TimeZone = r.Summary.Clock.TimeZone
	}
	if r.Summary.BootTime == nil {
		r.Summary.BootTime = r.Summary.Clock.BootTime
	}

	var pt procTable
	procs := map[int]*Process{}
	if r.decode(b, artifact.PathProcesses, &pt) {
		r.buildTree(pt.Processes, procs)
		for _, e := range pt.Errors {
			r.Notes = append(r.Notes, "processes: "+e)
		}
	}
	r.buildNetwork(b, procs)
	r.buildLogins(b)
	r.buildFindings(b)
	r.markProcesses(procs)
}

// markProcesses joins the findings to the processes they name, marks
// hozen's own process, and sets Flagged on every process that is flagged
// or hozen's own, or has such a descendant: the collapsed tree is those
// processes. hozen's own is shown so that its footprint (its process, its
// parent shell) is never mistaken for the intruder's.
func (r *Report) markProcesses(procs map[int]*Process) {
	for _, f := range r.Ranked {
		for _, pid := range findingPIDs(f) {
			if p, ok := procs[pid]; ok && !slices.Contains(p.Findings, f.Rule) {
				p.Findings = append(p.Findings, f.Rule)
			}
		}
	}
	if p, ok := procs[r.Summary.HozenPID]; ok && r.Summary.HozenPID > 0 {
		p.Self = true
	}
	var mark func(p *Process) bool
	mark = func(p *Process) bool {
		p.Flagged = p.IsFlagged() || p.Self
		for _, c := range p.Children {
			if mark(c) {
				p.Flagged = true
			}
		}
		return p.Flagged
	}
	for _, p := range r.Processes {
		mark(p)
	}
}

// findingPIDs returns the pids a finding names: its PID, and the pid of
// each evidence path with a "#pid=N" selector (selectors are joined by
// '&' when there are several).
func findingPIDs(f artifact.Finding) []int {
	var out []int
	if f.PID > 0 {
		out = append(out, f.PID)
	}
	for _, e := range f.Evidence {
		_, sel, ok := strings.Cut(e, "#")
		if !ok {
			continue
		}
		for kv := range strings.SplitSeq(sel, "&") {
			if v, ok := strings.CutPrefix(kv, "pid="); ok {
				if n, err := strconv.Atoi(v); err == nil && n > 0 && !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		}
	}
	return out
}

func (r *Report) buildTree(list []procEntry, procs map[int]*Process) {
	order := make([]*Process, 0, len(list))
	for _, jp := range list {
		p := &Process{PID: jp.PID, PPID: jp.PPID, Name: jp.Name, Start: jp.StartTime, Argv: jp.Argv, Exe: jp.Exe,
			ExeDeleted: jp.ExeDeleted, Cwd: jp.Cwd, Hidden: jp.Hidden, KernelThread: jp.KernelThread,
			TracerPID: jp.TracerPID, RSSBytes: jp.RSSBytes, Threads: jp.Threads, Outcome: jp.Outcome, Errors: jp.Errors}
		p.User = userName(jp.User, jp.UID)
		if jp.EUser != "" && jp.EUser != jp.User {
			p.User += " (euid " + jp.EUser + ")"
		}
		if jp.ExeHash != nil {
			p.ExeSHA256 = jp.ExeHash.SHA256
		}
		if _, dup := procs[p.PID]; dup {
			r.Notes = append(r.Notes, fmt.Sprintf("processes: pid %d is listed twice; the first is shown", p.PID))
			continue
		}
		procs[p.PID] = p
		order = append(order, p)
		if p.ExeDeleted {
			r.Findings = append(r.Findings, Finding{Kind: "deleted_exe", Detail: fmt.Sprintf("pid %d (%s) runs a deleted executable %s", p.PID, Display(string(p.Name)), Display(string(p.Exe)))})
		}
		if p.TracerPID != 0 {
			r.Findings = append(r.Findings, Finding{Kind: "traced", Detail: fmt.Sprintf("pid %d (%s) is traced by pid %d", p.PID, Display(string(p.Name)), p.TracerPID)})
		}
	}
	r.ProcessCount = len(order)
	slices.SortFunc(order, func(a, b *Process) int { return cmp.Compare(a.PID, b.PID) })
	// A process is a root when its parent is not in the table, or is itself
	// (pid 0's children, a table with a loop). Walking from the roots with a
	// visited set keeps a loop from hiding processes.
	placed := map[int]bool{}
	var place func(p *Process, depth int)
	children := map[int][]*Process{}
	for _, p := range order {
		if parent, ok := procs[p.PPID]; ok && parent != p {
			children[p.PPID] = append(children[p.PPID], p)
		}
	}
	place = func(p *Process, depth int) {
		placed[p.PID] = true
		p.Depth = depth
		for _, c := range children[p.PID] {
			if !placed[c.PID] {
				p.Children = append(p.Children, c)
				place(c, depth+1)
			}
		}
	}
	for _, p := range order {
		if parent, ok := procs[p.PPID]; !ok || parent == p {
			r.Processes = append(r.Processes, p)
			place(p, 0)
		}
	}
	for _, p := range order {
		if !placed[p.PID] { // in a parent loop
			r.Processes = append(r.Processes, p)
			place(p, 0)
		}
	}
}

func userName(name string, uid *uint32) string {
	switch {
	case name != "" && uid != nil:
		return fmt.Sprintf("%s (%d)", name, *uid)
	case uid != nil:
		return fmt.Sprint(*uid)
	}
	return name
}

// Walk calls fn for every process of the tree, depth first, parents before
// children.
func (r *Report) Walk(fn func(p *Process)) {
	var walk func(ps []*Process)
	walk = func(ps []*Process) {
		for _, p := range ps {
			fn(p)
			walk(p.Children)
		}
	}
	walk(r.Processes)
}

func (r *Report) conn(s artifact.Socket, procs map[int]*Process) Conn {
	c := Conn{Proto: s.Proto, State: s.State, Local: artifact.HostPort(s.LocalAddr, s.LocalPort), Remote: artifact.HostPort(s.RemoteAddr, s.RemotePort),
		Listening: s.Listening, User: userName(s.User, s.UID), Inode: s.Inode, OwnerStatus: s.OwnerStatus}
	for _, o := range s.Owners {
		ow := Owner{PID: o.PID, Name: o.Name, FD: o.FD}
		if p, ok := procs[o.PID]; ok {
			ow.Exe, ow.Argv, ow.User = p.Exe, p.Argv, p.User
			if s.Listening {
				port := fmt.Sprintf("%s/%d", s.Proto, s.LocalPort)
				if !slices.Contains(p.Listening, port) {
					p.Listening = append(p.Listening, port)
				}
			}
		}
		c.Owners = append(c.Owners, ow)
	}
	return c
}

func (r *Report) buildNetwork(b *builder, procs map[int]*Process) {
	var st artifact.SocketTable
	if r.decode(b, artifact.PathSockets, &st) {
		for _, s := range st.Sockets {
			r.Network.Connections = append(r.Network.Connections, r.conn(s, procs))
		}
		slices.SortStableFunc(r.Network.Connections, func(a, b Conn) int {
			switch {
			case a.Listening && !b.Listening:
				return -1
			case !a.Listening && b.Listening:
				return 1
			}
			return 0
		})
	}
	var it artifact.InterfaceTable
	if r.decode(b, artifact.PathInterfaces, &it) {
		r.Network.Interfaces = it.Interfaces
	}
	var rt artifact.RouteTable
	if r.decode(b, artifact.PathRoutes, &rt) {
		r.Network.Routes = append(rt.IPv4, rt.IPv6...)
	}
	var nt artifact.NeighbourTable
	if r.decode(b, artifact.PathNeighbours, &nt) {
		r.Network.Neighbours = nt.Neighbours
	}
}

func loginsOf(f *artifact.LoginFiles) []Login {
	var out []Login
	for _, file := range f.Files {
		for _, l := range file.Records {
			out = append(out, Login{Time: l.Time, Type: l.TypeName, User: l.User, Line: l.Line, Host: l.Host,
				Address: l.Address, PID: l.PID, Source: file.Source})
		}
	}
	slices.SortStableFunc(out, func(a, b Login) int { return a.Time.Compare(b.Time) })
	return out
}

func (r *Report) buildLogins(b *builder) {
	var f artifact.LoginFiles
	if r.decode(b, artifact.PathSessions, &f) {
		for _, l := range loginsOf(&f) {
			if l.Type == "USER_PROCESS" {
				r.Logins.Sessions = append(r.Logins.Sessions, l)
			}
		}
	}
	f = artifact.LoginFiles{}
	if r.decode(b, artifact.PathLogins, &f) {
		r.Logins.History = loginsOf(&f)
	}
	f = artifact.LoginFiles{}
	if r.decode(b, artifact.PathFailedLogins, &f) {
		r.Logins.Failed = loginsOf(&f)
	}
	var ll artifact.LastlogFile
	if r.decode(b, artifact.PathLastlog, &ll) {
		for _, e := range ll.Entries {
			r.Logins.Lastlog = append(r.Logins.Lastlog, Lastlog{UID: e.UID, User: e.User, Time: e.Time, Line: e.Line, Host: e.Host, NoAccount: e.NoAccount})
			if e.NoAccount {
				r.Findings = append(r.Findings, Finding{Kind: "lastlog_no_account", Detail: fmt.Sprintf("uid %d logged in last at %s but has no /etc/passwd entry", e.UID, e.Time.UTC().Format(time.RFC3339))})
			}
		}
	}
	var acc artifact.Accounts
	if r.decode(b, artifact.PathAccounts, &acc) {
		r.Logins.UID0 = acc.UID0
		if len(acc.UID0) > 1 {
			names := make([]string, len(acc.UID0))
			for i, n := range acc.UID0 {
				names[i] = Display(string(n))
			}
			r.Findings = append(r.Findings, Finding{Kind: "uid0", Detail: "more than one account has uid 0: " + strings.Join(names, ", ")})
		}
	}
}

func (r *Report) buildFindings(b *builder) {
	r.Ranked = []artifact.Finding{}
	var fd artifact.Findings
	if r.decode(b, artifact.PathFindings, &fd) {
		r.Ranked, r.RulesRun = fd.Findings, fd.Rules
		artifact.SortFindings(r.Ranked) // a forged order is not trusted
	}
	var pd artifact.Persistence
	if r.decode(b, artifact.PathPersistence, &pd) {
		r.PersistenceEntries = pd.Entries
		slices.SortStableFunc(r.PersistenceEntries, func(a, b artifact.PersistenceEntry) int {
			return cmp.Compare(min(len(b.Flags), 1), min(len(a.Flags), 1)) // flagged first
		})
	}
	var h artifact.HiddenPIDs
	if r.decode(b, artifact.PathHiddenPIDs, &h) {
		for _, p := range h.Hidden {
			d := fmt.Sprintf("%s %d (%s, thread group %d) answers %s but the /proc listing does not show it", p.Kind, p.PID, Display(string(p.Name)), p.Tgid, strings.Join(p.SeenBy, " and "))
			if p.Note != "" {
				d += ": " + p.Note
			}
			r.Findings = append(r.Findings, Finding{Kind: "hidden_pid", Detail: d})
		}
	}
	var u artifact.UnownedSockets
	if r.decode(b, artifact.PathUnowned, &u) {
		for _, s := range u.Sockets {
			r.Findings = append(r.Findings, Finding{Kind: "unowned_socket", Detail: fmt.Sprintf("%s %s %s -> %s (inode %d) is held by no process", s.Proto, s.State, artifact.HostPort(s.LocalAddr, s.LocalPort), artifact.HostPort(s.RemoteAddr, s.RemotePort), s.Inode)})
		}
	}
}

// SetCustody attaches the custody trail of the bundle, read from a ledger
// whose verification ended in verr (nil: it verified).
func (r *Report) SetCustody(ledger, head string, events []custody.Event, verr error) {
	c := &Custody{Ledger: ledger, Verified: verr == nil, Head: head, Events: events}
	if verr != nil {
		c.Error = verr.Error()
	}
	r.Custody = c
}
