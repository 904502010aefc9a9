package collect

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// Persistence reads the places a program can be made to start again
// (cron, systemd units, rc scripts, ld.so.preload, shell start-up files,
// every user's authorized_keys) and writes [artifact.PathPersistence]:
// each file with its times and the lines that say what runs. Its rules
// flag what a responder should read first (see docs/collectors.md):
//
//	persistence-download-exec  content that fetches and runs code, or a reverse shell
//	persistence-recent         changed within RecentWindow of the collection,
//	                           high when newer than its directory's median by OutlierGap
//	ld-so-preload              a non-empty /etc/ld.so.preload
//	unit-exec-tmp              a systemd unit executing from /tmp, /var/tmp, /dev/shm
//	authorized-keys-recent     an authorized_keys file changed within RecentWindow
//	authorized-keys-options    a key restricted by command=, environment= or from=
//
// It reads files only, never runs a program, never follows a symlink in a
// file's place (a link is listed with its target), resolves links in the
// directories above inside [Env.Root], and keeps within MaxEntries files of
// at most MaxFileBytes each.
type Persistence struct {
	MaxEntries   int
	MaxFileBytes int64
}

// Bounds and windows of the persistence collector.
const (
	PersistMaxEntries   = 5000
	PersistMaxFileBytes = 256 << 10
	// RecentWindow: a change this close to the collection is recent.
	RecentWindow = 7 * 24 * time.Hour
	// OutlierGap: an entry changed this much later than its directory's
	// median stands out from the files installed with it.
	OutlierGap         = 2 * 24 * time.Hour
	persistMaxLines    = 64
	persistMaxLineLen  = 1024
	persistMaxDepth    = 4
	persistMaxLinkHops = 16
)

func (*Persistence) Name() string { return "persistence" }

// persistPlace is one file or directory to read.
type persistPlace struct {
	kind string
	path string // host path
	dir  bool   // list the directory's files (to persistMaxDepth when deep)
	deep bool
	user string
	keep lineKeep
}

// lineKeep says which lines of a file are kept besides the flagged ones.
type lineKeep int

const (
	keepFlagged lineKeep = iota // scripts: only lines a rule flags
	keepAll                     // crontabs, preload: every non-comment line
	keepExec                    // unit files: Exec*= lines
)

// Collect reads the places and stores the document.
func (p *Persistence) Collect(ctx context.Context, env *Env, sink Sink) error {
	doc := p.read(ctx, env)
	for _, f := range persistenceRules(envNow(env), &doc) {
		env.Finding(f)
	}
	for _, r := range persistenceRuleIDs {
		env.RuleRan(r)
	}
	return PutJSON(sink, artifact.PathPersistence, p.Name(), &doc)
}

var persistenceRuleIDs = []string{"persistence-download-exec", "persistence-recent", "ld-so-preload",
	"unit-exec-tmp", "authorized-keys-recent", "authorized-keys-options"}

func persistPlaces(ctx context.Context, env *Env) ([]persistPlace, []string) {
	pl := []persistPlace{
		{kind: artifact.PersistCron, path: "/etc/crontab", keep: keepAll},
		{kind: artifact.PersistCron, path: "/etc/anacrontab", keep: keepAll},
		{kind: artifact.PersistCron, path: "/etc/cron.d", dir: true, keep: keepAll},
		{kind: artifact.PersistCron, path: "/etc/cron.hourly", dir: true},
		{kind: artifact.PersistCron, path: "/etc/cron.daily", dir: true},
		{kind: artifact.PersistCron, path: "/etc/cron.weekly", dir: true},
		{kind: artifact.PersistCron, path: "/etc/cron.monthly", dir: true},
		{kind: artifact.PersistCron, path: "/var/spool/cron", dir: true, deep: true, keep: keepAll},
		{kind: artifact.PersistSystemd, path: "/etc/systemd/system", dir: true, deep: true, keep: keepExec},
		{kind: artifact.PersistSystemd, path: "/etc/systemd/user", dir: true, deep: true, keep: keepExec},
		{kind: artifact.PersistSystemd, path: "/run/systemd/system", dir: true, deep: true, keep: keepExec},
		{kind: artifact.PersistSystemd, path: "/lib/systemd/system", dir: true, keep: keepExec},
		{kind: artifact.PersistSystemd, path: "/usr/lib/systemd/system", dir: true, keep: keepExec},
		{kind: artifact.PersistRC, path: "/etc/rc.local", keep: keepAll},
		{kind: artifact.PersistRC, path: "/etc/init.d", dir: true},
		{kind: artifact.PersistPreload, path: "/etc/ld.so.preload", keep: keepAll},
		{kind: artifact.PersistShell, path: "/etc/profile"},
		{kind: artifact.PersistShell, path: "/etc/profile.d", dir: true},
		{kind: artifact.PersistShell, path: "/etc/bash.bashrc"},
		{kind: artifact.PersistShell, path: "/etc/bashrc"},
		{kind: artifact.PersistShell, path: "/etc/environment", keep: keepAll},
		{kind: artifact.PersistShell, path: "/etc/zsh/zshrc"},
		{kind: artifact.PersistShell, path: "/etc/zshrc"},
	}
	homes, errs := userHomes(ctx, env)
	for _, h := range homes {
		for _, f := range []string{".bashrc", ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc", ".zshenv", ".zprofile", ".zlogin"} {
			pl = append(pl, persistPlace{kind: artifact.PersistShell, path: path.Join(h.home, f), user: h.user})
		}
		pl = append(pl,
			persistPlace{kind: artifact.PersistSystemd, path: path.Join(h.home, ".config/systemd/user"), dir: true, deep: true, user: h.user, keep: keepExec},
			persistPlace{kind: artifact.PersistKeys, path: path.Join(h.home, ".ssh/authorized_keys"), user: h.user, keep: keepAll},
			persistPlace{kind: artifact.PersistKeys, path: path.Join(h.home, ".ssh/authorized_keys2"), user: h.user, keep: keepAll},
		)
	}
	return pl, errs
}

type userHome struct{ user, home string }

// userHomes lists the accounts' home directories (from /etc/passwd, and
// /root and /home/* for accounts it lacks), each once.
func userHomes(ctx context.Context, env *Env) ([]userHome, []string) {
	var out []userHome
	seen := map[string]bool{}
	add := func(user, home string) {
		home = path.Clean("/" + home)
		if home == "/" || seen[home] || len(out) >= 10000 {
			return
		}
		seen[home] = true
		out = append(out, userHome{user, home})
	}
	var errs []string
	a := readAccounts(ctx, env)
	for _, u := range a.Users {
		if strings.ContainsRune(string(u.Home), 0) {
			continue
		}
		add(string(u.Name), string(u.Home))
	}
	add("root", "/root")
	ents, err := readDirNoAtime(env.Path("/home"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, "/home: "+err.Error())
	}
	for _, e := range ents {
		if e.IsDir() {
			add(e.Name(), "/home/"+e.Name())
		}
	}
	return out, errs
}

// resolveIn resolves the symbolic links of hostPath's directories inside
// env.Root (and of its last component too when followLast), so that a link
// in a mounted image never reaches the examiner's own files. It returns
// the host path to read.
func resolveIn(env *Env, hostPath string, followLast bool) (string, error) {
	parts := strings.Split(strings.Trim(path.Clean("/"+hostPath), "/"), "/")
	cur, hops := "/", 0
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		switch p {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, p)
		if i == len(parts)-1 && !followLast {
			return next, nil
		}
		fi, err := os.Lstat(env.Path(next))
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > persistMaxLinkHops {
			return "", fmt.Errorf("%s: more than %d symbolic links", hostPath, persistMaxLinkHops)
		}
		t, err := os.Readlink(env.Path(next))
		if err != nil {
			return "", err
		}
		t = filepath.ToSlash(t)
		if !path.IsAbs(t) {
			t = path.Join(cur, t)
		}
		rest := slices.Clone(parts[i+1:])
		parts = append(strings.Split(strings.Trim(path.Clean(t), "/"), "/"), rest...)
		cur, i = "/", -1
	}
	return cur, nil
}

type persistReader struct {
	p       *Persistence
	env     *Env
	doc     *artifact.Persistence
	seen    map[string]bool
	limited bool
}

func (p *Persistence) read(ctx context.Context, env *Env) artifact.Persistence {
	doc := artifact.Persistence{CollectedAt: envNow(env), Places: []string{}, Entries: []artifact.PersistenceEntry{}}
	places, errs := persistPlaces(ctx, env)
	doc.Errors = append(doc.Errors, errs...)
	r := &persistReader{p: p, env: env, doc: &doc, seen: map[string]bool{}}
	for _, pl := range places {
		if err := ctx.Err(); err != nil {
			doc.Limits = append(doc.Limits, fmt.Sprintf("stopped at %s: %v", pl.path, err))
			break
		}
		if r.limited {
			break
		}
		host, err := resolveIn(env, pl.path, pl.dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) {
				doc.Errors = append(doc.Errors, pl.path+": "+err.Error())
			}
			continue
		}
		if r.seen[host] {
			continue // /lib/systemd/system is /usr/lib/systemd/system on merged-/usr systems
		}
		r.seen[host] = true
		doc.Places = append(doc.Places, pl.path)
		if pl.dir {
			r.dir(ctx, pl, host, 0)
		} else {
			r.file(pl, host, true)
		}
	}
	doc.Count = len(doc.Entries)
	return doc
}

func (r *persistReader) dir(ctx context.Context, pl persistPlace, host string, depth int) {
	ents, err := readDirNoAtime(r.env.Path(host))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			r.doc.Errors = append(r.doc.Errors, host+": "+err.Error())
		}
		return
	}
	for _, e := range ents {
		if r.limited || ctx.Err() != nil {
			return
		}
		p := path.Join(host, e.Name())
		if e.IsDir() {
			if pl.deep && depth+1 < persistMaxDepth && !r.seen[p] {
				r.seen[p] = true
				r.dir(ctx, pl, p, depth+1)
			}
			continue
		}
		r.file(pl, p, false)
	}
}

// file reads one entry; a missing single file is no entry at all.
func (r *persistReader) file(pl persistPlace, host string, single bool) {
	if r.seen[host] && !single {
		return
	}
	r.seen[host] = true
	if len(r.doc.Entries) >= r.p.maxEntries() {
		r.limited = true
		r.doc.Limits = append(r.doc.Limits, fmt.Sprintf("stopped at %d entries", r.p.maxEntries()))
		return
	}
	local := r.env.Path(host)
	fi, err := os.Lstat(local)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		r.doc.Entries = append(r.doc.Entries, artifact.PersistenceEntry{Kind: pl.kind, Path: manifest.BString(host), User: pl.user,
			Lines: []artifact.PersistenceLine{}, Error: err.Error()})
		return
	}
	e := artifact.PersistenceEntry{Kind: pl.kind, Path: manifest.BString(host), User: pl.user, Lines: []artifact.PersistenceLine{}}
	describe := func(fi fs.FileInfo) {
		m := fileMeta(local, fi)
		e.Mode, e.UID, e.Size, e.MTime, e.CTime = m.Mode, m.UID, m.Size, m.Mtime, m.Ctime
	}
	describe(fi)
	if pl.kind == artifact.PersistCron && strings.HasPrefix(host, "/var/spool/cron/") && e.User == "" {
		e.User = path.Base(host) // crontabs/USER
	}
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		t, err := os.Readlink(local)
		if err != nil {
			e.Error = err.Error()
		} else {
			e.Lines = append(e.Lines, artifact.PersistenceLine{Text: manifest.BString("-> " + t)})
		}
	case !fi.Mode().IsRegular():
		e.Error = fmt.Sprintf("not a regular file (%s): not read", fi.Mode().Type())
	default:
		f, err := openNoFollow(local)
		if err != nil {
			e.Error = err.Error()
			break
		}
		max := r.p.maxFileBytes()
		b, err := io.ReadAll(io.LimitReader(f, max+1))
		if ofi, serr := f.Stat(); serr == nil {
			describe(ofi)
		}
		f.Close()
		if err != nil {
			e.Error = err.Error()
		}
		if int64(len(b)) > max {
			b, e.Truncated = b[:max], true
		}
		e.Lines, e.Truncated = pickLines(b, pl.keep, pl.kind, e.Truncated)
	}
	r.doc.Entries = append(r.doc.Entries, e)
}

func (p *Persistence) maxEntries() int {
	if p.MaxEntries > 0 {
		return p.MaxEntries
	}
	return PersistMaxEntries
}

func (p *Persistence) maxFileBytes() int64 {
	if p.MaxFileBytes > 0 {
		return p.MaxFileBytes
	}
	return PersistMaxFileBytes
}

// pickLines keeps the lines that say what runs, and every flagged line.
func pickLines(b []byte, keep lineKeep, kind string, truncated bool) ([]artifact.PersistenceLine, bool) {
	out := []artifact.PersistenceLine{}
	for i, raw := range bytes.Split(b, []byte("\n")) {
		line := bytes.TrimSpace(raw)
		if len(line) == 0 || line[0] == '#' || (line[0] == ';' && kind == artifact.PersistSystemd) {
			continue
		}
		flag := ""
		if downloadExec(line) {
			flag = "persistence-download-exec"
		}
		kept := flag != ""
		switch keep {
		case keepAll:
			kept = true
		case keepExec:
			kept = kept || isExecLine(line)
		}
		if !kept {
			continue
		}
		if len(out) >= persistMaxLines {
			truncated = true
			if flag == "" {
				continue
			}
			if len(out) >= 4*persistMaxLines {
				break
			}
		}
		if len(line) > persistMaxLineLen {
			line = line[:persistMaxLineLen]
		}
		out = append(out, artifact.PersistenceLine{N: i + 1, Text: manifest.BString(line), Flag: flag})
	}
	return out, truncated
}

func isExecLine(line []byte) bool {
	return bytes.HasPrefix(line, []byte("Exec")) && bytes.IndexByte(line, '=') > 0
}

// downloadPatterns match a line that fetches code and runs it, decodes and
// runs it, or opens a shell to the network.
var downloadPatterns = []*regexp.Regexp{
	// curl URL | sh, wget -O- URL | bash, fetch -o - URL | python
	regexp.MustCompile(`(?i)\b(curl|wget|fetch|tftp|ftp)\b[^|\n]*\|\s*(sudo\s+)?(env\s+)?(/\S*/)?(ba|da|z|k|c|tc|fi)?sh\b|\b(curl|wget|fetch)\b[^|\n]*\|\s*(sudo\s+)?(/\S*/)?(python[0-9.]*|perl|ruby|php|node)\b`),
	// sh -c "$(curl ...)", bash <(wget -O- ...)
	regexp.MustCompile("(?i)(\\$\\(|`|<\\()\\s*(curl|wget|fetch)\\b"),
	// curl -o /tmp/x ...; chmod +x /tmp/x
	regexp.MustCompile(`(?i)\b(curl|wget|fetch)\b.*\bchmod\s+(\+x|[0-7]*[1357][0-7]{0,2}\b|[ugoa]*\+[rw]*x)`),
	// echo ... | base64 -d | sh
	regexp.MustCompile(`(?i)\bbase64\s+(-d|--decode|-D)\b[^|\n]*\|\s*(sudo\s+)?(/\S*/)?(ba|da|z|k)?sh\b|\bopenssl\s+(enc\s+)?(-?base64|-a)\b.*-d\b[^|\n]*\|\s*(/\S*/)?(ba)?sh\b`),
	// bash -i >& /dev/tcp/host/port
	regexp.MustCompile(`/dev/(tcp|udp)/`),
	// python -c 'import socket ...'
	regexp.MustCompile(`(?i)\b(python[0-9.]*|perl|ruby|php)\s+(-\S+\s+)*-[cer]\b.*\b(socket|fsockopen|TCPSocket)\b`),
	// nc -e /bin/sh host port, ncat --exec, socat exec:
	regexp.MustCompile(`(?i)\b(nc|ncat|netcat)\b.*\s(-[a-z]*[ec]\b|--exec\b|--sh-exec\b)|\bsocat\b.*\b(exec|system):`),
	// mkfifo /tmp/f; ... | nc host port > /tmp/f
	regexp.MustCompile(`(?i)\bmkfifo\b.*\|\s*(nc|ncat|netcat)\b`),
}

// downloadExec reports whether line fetches and runs code or opens a
// network shell.
func downloadExec(line []byte) bool {
	for _, re := range downloadPatterns {
		if re.Match(line) {
			return true
		}
	}
	return false
}

// tmpExecPattern matches an Exec*= line running from a temporary place.
var tmpExecPattern = regexp.MustCompile(`^Exec[A-Za-z]*=[-@:+!]*\s*(\S*\s+)*?(/tmp/|/var/tmp/|/dev/shm/|/run/shm/)`)

// packageUnitDirs hold the units packages install.
var packageUnitDirs = []string{"/lib/systemd/", "/usr/lib/systemd/"}

// persistenceRules flags the document's entries (setting each entry's
// Flags and ordering flagged entries first) and returns the findings.
func persistenceRules(now time.Time, doc *artifact.Persistence) []artifact.Finding {
	var out []artifact.Finding
	medians := dirMedians(doc.Entries)
	for i := range doc.Entries {
		e := &doc.Entries[i]
		dir := path.Dir(string(e.Path))
		if m, ok := medians[dir]; ok {
			e.DirMedian = utcPtr(m)
		}
		ev := []string{artifact.PathPersistence + "#path=" + string(e.Path), BundlePath(string(e.Path))}
		flag := func(f artifact.Finding) {
			f.Path, f.Evidence = e.Path, ev
			if !slices.Contains(e.Flags, f.Rule) {
				e.Flags = append(e.Flags, f.Rule)
			}
			out = append(out, f)
		}
		changed := changeTime(*e)
		age := now.Sub(changed)
		recent := !changed.IsZero() && age < RecentWindow && age > -time.Hour
		for _, l := range e.Lines {
			if l.Flag == "persistence-download-exec" {
				flag(artifact.Finding{Rule: l.Flag, Severity: artifact.SeverityHigh, Score: 90 + boolInt(recent)*5,
					Title:  fmt.Sprintf("%s entry downloads or decodes code and runs it: %s", e.Kind, e.Path),
					Reason: fmt.Sprintf("line %d: %q. Fetching code into a shell (or opening a shell to the network) from a place that runs it again is how droppers persist.", l.N, clip(string(l.Text), 200)),
					Time:   utcPtr(changed)})
				break
			}
		}
		switch e.Kind {
		case artifact.PersistPreload:
			if len(e.Lines) > 0 {
				flag(artifact.Finding{Rule: "ld-so-preload", Severity: artifact.SeverityHigh, Score: 95,
					Title:  "/etc/ld.so.preload loads a library into every program: " + clip(string(e.Lines[0].Text), 120),
					Reason: "every dynamically linked program loads the libraries this file names before its own; stock systems leave it absent or empty, and user-land rootkits (Azazel, Jynx, libprocesshider) install themselves here.",
					Time:   utcPtr(changed)})
			}
		case artifact.PersistSystemd:
			for _, l := range e.Lines {
				if tmpExecPattern.MatchString(string(l.Text)) {
					sev, why := artifact.SeverityHigh, "the unit is outside the package directories"
					for _, d := range packageUnitDirs {
						if strings.HasPrefix(string(e.Path), d) {
							sev, why = artifact.SeverityMedium, "the unit is in a package directory, but no package runs programs from there"
						}
					}
					flag(artifact.Finding{Rule: "unit-exec-tmp", Severity: sev, Score: 85,
						Title:  "systemd unit runs a program from a temporary place: " + string(e.Path),
						Reason: fmt.Sprintf("line %d: %q; anyone can write there, and %s.", l.N, clip(string(l.Text), 200), why),
						Time:   utcPtr(changed)})
					break
				}
			}
		case artifact.PersistKeys:
			if recent && len(e.Lines) > 0 {
				flag(artifact.Finding{Rule: "authorized-keys-recent", Severity: artifact.SeverityHigh, Score: 80,
					Title:  fmt.Sprintf("authorized_keys of %s changed %s before collection: %s", cmp.Or(e.User, "?"), roundAge(age), e.Path),
					Reason: "a key added to authorized_keys gives its holder a login that survives password changes; a change this recent is likely part of the incident" + timestompNote(*e) + ".",
					Time:   utcPtr(changed)})
			}
			for _, l := range e.Lines {
				opt := keyOption(string(l.Text))
				if opt == "" {
					continue
				}
				sev, why := artifact.SeverityMedium, "a forced command runs on every login with this key, whatever the client asks; attackers use it to hide a backdoor behind an ordinary key"
				switch opt {
				case "environment":
					why = "environment= sets variables (LD_PRELOAD, PATH) for the session this key opens"
				case "from":
					sev, why = artifact.SeverityLow, "from= ties the key to source addresses: say which hosts are expected to log in"
				}
				flag(artifact.Finding{Rule: "authorized-keys-options", Severity: sev, Score: 50,
					Title:  fmt.Sprintf("authorized_keys of %s has a key with %s=: %s", cmp.Or(e.User, "?"), opt, e.Path),
					Reason: fmt.Sprintf("line %d: %s.", l.N, why)})
			}
		}
		// An entry as recent as the rest of its directory (an install or
		// upgrade touched them all) is not flagged: its dir_median shows it.
		m, baseline := medians[dir]
		if recent && e.Kind != artifact.PersistKeys && (!baseline || changed.Sub(m) >= OutlierGap) {
			sev, score, why := artifact.SeverityMedium, 50, "changed within the last 7 days (its directory has too few entries to compare with)"
			if baseline {
				sev, score = artifact.SeverityHigh, 70
				why = fmt.Sprintf("changed within the last 7 days, %s after the median of its directory (%s): it stands out from the files installed with it",
					roundAge(changed.Sub(m)), m.UTC().Format(time.DateOnly))
			}
			flag(artifact.Finding{Rule: "persistence-recent", Severity: sev, Score: score,
				Title:  fmt.Sprintf("%s entry changed %s before collection: %s", e.Kind, roundAge(age), e.Path),
				Reason: why + timestompNote(*e) + "; a new or edited start-up entry is how an intruder comes back after a reboot.",
				Time:   utcPtr(changed)})
		}
	}
	doc.Flagged = 0
	for _, e := range doc.Entries {
		if len(e.Flags) > 0 {
			doc.Flagged++
		}
	}
	// Flagged entries first, the most urgent first; the rest in the order read.
	best := map[manifest.BString]int{}
	for _, f := range out {
		r := artifact.SeverityRank(f.Severity)
		if b, ok := best[f.Path]; !ok || r < b {
			best[f.Path] = r
		}
	}
	rank := func(e artifact.PersistenceEntry) int {
		if r, ok := best[e.Path]; ok && len(e.Flags) > 0 {
			return r
		}
		return 9
	}
	slices.SortStableFunc(doc.Entries, func(a, b artifact.PersistenceEntry) int {
		return cmp.Compare(rank(a), rank(b))
	})
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// changeTime is the later of an entry's mtime and ctime: an intruder can
// set the mtime back (touch -r), not the ctime.
func changeTime(e artifact.PersistenceEntry) time.Time {
	t := e.MTime
	if e.CTime != nil && e.CTime.After(t) {
		t = *e.CTime
	}
	return t
}

func timestompNote(e artifact.PersistenceEntry) string {
	if e.CTime != nil && e.CTime.Sub(e.MTime) > 24*time.Hour {
		return fmt.Sprintf(" (its mtime says %s, its ctime %s: the mtime may have been set back)",
			e.MTime.UTC().Format(time.DateOnly), e.CTime.UTC().Format(time.RFC3339))
	}
	return ""
}

// dirMedians is, per directory with three or more entries, the median
// change time of its entries.
func dirMedians(es []artifact.PersistenceEntry) map[string]time.Time {
	by := map[string][]time.Time{}
	for _, e := range es {
		if t := changeTime(e); !t.IsZero() {
			d := path.Dir(string(e.Path))
			by[d] = append(by[d], t)
		}
	}
	out := map[string]time.Time{}
	for d, ts := range by {
		if len(ts) < 3 {
			continue
		}
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		out[d] = ts[len(ts)/2]
	}
	return out
}

// keyOption returns the first of command, environment, from that an
// authorized_keys line's options set, or "".
func keyOption(line string) string {
	// Options come before the key type; a key line starting with the
	// type has none.
	if i := strings.Index(line, "ssh-"); i == 0 {
		return ""
	}
	for _, o := range []string{"command", "environment", "from"} {
		if optionSet(line, o) {
			return o
		}
	}
	return ""
}

func optionSet(line, opt string) bool {
	l := strings.ToLower(line)
	for i := 0; ; {
		j := strings.Index(l[i:], opt+"=")
		if j < 0 {
			return false
		}
		j += i
		if j == 0 || l[j-1] == ',' || l[j-1] == ' ' {
			return true
		}
		i = j + 1
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// roundAge says a duration the way a responder reads it.
func roundAge(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1fh", d.Hours())
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}
