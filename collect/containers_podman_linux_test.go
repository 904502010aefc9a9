package collect

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
)

// The Podman SQLite fixture: testdata/containers/sqlite (README.md there
// says how make-db.sh builds it).
const (
	sqliteFixtureRoot = "testdata/containers/sqlite/root"
	sqliteRootful     = "/var/lib/containers/storage/db.sql"
	sqliteAlice       = "/home/alice/.local/share/containers/storage/db.sql"
)

// collectContainers runs the collector on root and returns its inventory
// and the findings' rules, counted.
func collectContainers(t *testing.T, root string) (artifact.ContainerInventory, map[string]int) {
	t.Helper()
	env := &Env{Root: root, Now: func() time.Time { return fixtureNow }}
	sink := &memSink{}
	if err := (&Containers{}).Collect(context.Background(), env, sink); err != nil {
		t.Fatal(err)
	}
	var inv artifact.ContainerInventory
	sink.decode(t, artifact.PathContainers, &inv)
	rules := map[string]int{}
	for _, f := range env.findings().List() {
		rules[f.Rule]++
	}
	return inv, rules
}

// source returns the inventory's source for path, or fails.
func source(t *testing.T, inv artifact.ContainerInventory, path string) artifact.ContainerSource {
	t.Helper()
	for _, s := range inv.Sources {
		if s.Path == path {
			return s
		}
	}
	t.Fatalf("no source %s in %+v", path, inv.Sources)
	return artifact.ContainerSource{}
}

// podmanSummary is one line per Podman container: what the fixture's
// README says each was made with.
func podmanSummary(inv artifact.ContainerInventory) map[string]string {
	out := map[string]string{}
	for _, k := range inv.Containers {
		if k.Runtime != artifact.RuntimePodman {
			continue
		}
		s := fmt.Sprintf("%s %s run=%v pid=%d priv=%v net=%v pidns=%v ipc=%v", shortID(k.ID), k.State, k.Running, k.PID, k.Privileged, k.HostNetwork, k.HostPID, k.HostIPC)
		for _, m := range k.Mounts {
			s += fmt.Sprintf(" mount=%s>%s", m.Source, m.Destination)
			if m.ReadOnly {
				s += ":ro"
			}
		}
		for _, p := range k.Ports {
			s += fmt.Sprintf(" port=%s:%s>%s", p.HostIP, p.HostPort, p.ContainerPort)
		}
		for _, l := range slices.Sorted(maps.Keys(k.Labels)) {
			s += " label=" + l + "=" + k.Labels[l]
		}
		out[k.Name] = s + " @" + k.Source
	}
	return out
}

func TestContainersPodmanSQLite(t *testing.T) {
	inv, rules := collectContainers(t, sqliteFixtureRoot)
	for path, n := range map[string]int{sqliteRootful: 3, sqliteAlice: 1} {
		s := source(t, inv, path)
		if !s.Present || s.Containers != n || len(s.Errors) > 0 || !strings.HasPrefix(s.Method, "SQLite, read-only, on an in-memory copy") {
			t.Errorf("source %s: %+v, want present, %d containers, no errors", path, s, n)
		}
	}
	if s := source(t, inv, "/var/lib/containers/storage/libpod/bolt_state.db"); s.Present {
		t.Errorf("bolt state: %+v, want absent", s)
	}
	want := map[string]string{
		"sq-priv":    "8e05864bcc4b running run=true pid=4242 priv=true net=true pidns=false ipc=false mount=/>/host @" + sqliteRootful,
		"sq-web":     "835afa288c8c running run=true pid=5151 priv=false net=false pidns=false ipc=false mount=/srv/www>/usr/share/www:ro port=:8443>443/tcp port=127.0.0.1:5353>53/udp label=app=web @" + sqliteRootful,
		"sq-stopped": "a66cfa39e491 exited run=false pid=0 priv=false net=false pidns=false ipc=false @" + sqliteRootful,
		"alice-dev":  "4d4b42afbb64 configured run=false pid=0 priv=false net=false pidns=false ipc=false mount=/home/alice/src>/src port=:8080>80/tcp @" + sqliteAlice,
	}
	got := podmanSummary(inv)
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if got[name] != want[name] {
			t.Errorf("%s:\n got %s\nwant %s", name, got[name], want[name])
		}
	}
	if len(got) != len(want) {
		t.Errorf("containers %v, want %d", slices.Sorted(maps.Keys(got)), len(want))
	}
	// In id order within a database, as bbolt lists them; times in UTC.
	var order []string
	for _, k := range inv.Containers {
		order = append(order, k.Name)
		if k.Image != "localhost/hozen-fixture:1" || !strings.HasPrefix(k.ImageID, "db3a9d305c3f") || len(k.ID) != 64 {
			t.Errorf("%s: image %q %q, id %q", k.Name, k.Image, k.ImageID, k.ID)
		}
		if k.Name == "sq-priv" && (k.Created == nil || !k.Created.Equal(time.Date(2025, 3, 14, 9, 26, 53, 123456789, time.UTC)) || k.Created.Location() != time.UTC) {
			t.Errorf("sq-priv created %v, want 2025-03-14 09:26:53.123456789 UTC", k.Created)
		}
		if k.Name == "sq-web" && (len(k.Command) != 2 || k.Command[0] != "httpd") {
			t.Errorf("sq-web command %q", k.Command)
		}
	}
	if want := []string{"sq-web", "sq-priv", "sq-stopped", "alice-dev"}; !slices.Equal(order, want) {
		t.Errorf("order %q, want %q", order, want)
	}
	// sq-priv: privileged, and in the host's network namespace.
	if rules[RuleContainerPrivileged] != 1 || rules[RuleContainerHostNS] != 1 || rules[RuleContainerSocket] != 0 {
		t.Errorf("findings by rule: %v", rules)
	}
}

// sqliteRoot makes a host root holding db as the rootful db.sql, and wal
// as its -wal when not nil.
func sqliteRoot(t *testing.T, db, wal []byte) string {
	t.Helper()
	root := t.TempDir()
	p := filepath.Join(root, sqliteRootful)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, db, 0o644); err != nil {
		t.Fatal(err)
	}
	if wal != nil {
		if err := os.WriteFile(p+"-wal", wal, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// changedFixture copies the rootful fixture, runs stmts on the copy and
// returns its bytes and its -wal's (nil unless the statements made one),
// read while the connection is still open, so that the WAL is not
// checkpointed into the main file.
func changedFixture(t *testing.T, stmts ...string) (db, wal []byte) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(sqliteFixtureRoot, sqliteRootful))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "db.sql")
	if err := os.WriteFile(p, src, 0o644); err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	for _, q := range stmts {
		if _, err := conn.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	if db, err = os.ReadFile(p); err != nil {
		t.Fatal(err)
	}
	if wal, err = os.ReadFile(p + "-wal"); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return db, wal
}

// TestContainersPodmanSQLiteWAL: what Podman committed to db.sql-wal but
// did not yet checkpoint is in the inventory.
func TestContainersPodmanSQLiteWAL(t *testing.T) {
	db, wal := changedFixture(t, "PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0",
		"DELETE FROM ContainerState WHERE ID IN (SELECT ID FROM ContainerConfig WHERE Name='sq-web')",
		"DELETE FROM ContainerConfig WHERE Name='sq-web'",
		`UPDATE ContainerConfig SET JSON=json_set(JSON, '$.privileged', json('true')) WHERE Name='sq-stopped'`)
	if len(wal) == 0 {
		t.Fatal("the changes made no -wal")
	}
	inv, _ := collectContainers(t, sqliteRoot(t, db, wal))
	s := source(t, inv, sqliteRootful)
	if s.Containers != 2 || len(s.Errors) > 0 || !strings.Contains(s.Method, "of its -wal merged") {
		t.Errorf("source %+v, want 2 containers, the -wal merged", s)
	}
	got := podmanSummary(inv)
	if _, ok := got["sq-web"]; ok || !strings.Contains(got["sq-stopped"], "priv=true") {
		t.Errorf("containers %q: want sq-web gone and sq-stopped privileged, as the -wal says", got)
	}

	// A -wal SQLite would not read is ignored, and said.
	inv, _ = collectContainers(t, sqliteRoot(t, db, []byte("not a write-ahead log, but more than 32 bytes long")))
	s = source(t, inv, sqliteRootful)
	if s.Containers != 3 || len(s.Errors) != 1 || !strings.Contains(s.Errors[0], "db.sql-wal: ") {
		t.Errorf("source with a bad -wal %+v, want the main file's 3 containers and one error naming the -wal", s)
	}
}

// TestContainersPodmanSQLiteMalformed: a db.sql that is not SQLite, is
// cut short, is damaged, is not Podman's, or holds a row that does not
// parse is an error of that source, never a crash.
func TestContainersPodmanSQLiteMalformed(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(sqliteFixtureRoot, sqliteRootful))
	if err != nil {
		t.Fatal(err)
	}
	rpm, err := os.ReadFile("testdata/rpm/rpmdb.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	badRow, _ := changedFixture(t, `UPDATE ContainerConfig SET JSON='{"id": ' WHERE Name='sq-web'`)
	for name, tc := range map[string]struct {
		data       []byte
		errorLike  string // "" when any outcome but a crash will do
		containers int
	}{
		"empty":        {nil, "not an SQLite 3 database", 0},
		"garbage":      {[]byte(strings.Repeat("not a database ", 20)), "not an SQLite 3 database", 0},
		"truncated":    {src[:len(src)/3], "sqlite: ", 0},
		"header only":  {src[:100], "sqlite: ", 0},
		"flipped":      {flipFrom(src, 100, 1021), "", -1},
		"not podman's": {rpm, "no ContainerConfig and ContainerState tables", 0},
		"bad row":      {badRow, `ContainerConfig "835afa288c8c`, 2},
	} {
		t.Run(name, func(t *testing.T) {
			inv, _ := collectContainers(t, sqliteRoot(t, tc.data, nil))
			s := source(t, inv, sqliteRootful)
			if !s.Present {
				t.Fatalf("source %+v not present", s)
			}
			if tc.containers >= 0 && s.Containers != tc.containers {
				t.Errorf("%d containers, want %d", s.Containers, tc.containers)
			}
			if tc.errorLike != "" && !strings.Contains(strings.Join(s.Errors, "\n"), tc.errorLike) {
				t.Errorf("errors %q, want one with %q", s.Errors, tc.errorLike)
			}
		})
	}
}

// flipFrom flips every step-th byte of a copy of b from start on.
func flipFrom(b []byte, start, step int) []byte {
	out := slices.Clone(b)
	for i := start; i < len(out); i += step {
		out[i] ^= 0xff
	}
	return out
}

// FuzzPodmanContainer: libpod's config and state JSON, as both Podman
// databases hold them, never panic the conversion, and what converts
// keeps the record's id.
func FuzzPodmanContainer(f *testing.F) {
	files, err := filepath.Glob("testdata/containers/sqlite/json/*.config.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds: %v", err)
	}
	for _, p := range files {
		cfg, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		st, err := os.ReadFile(strings.TrimSuffix(p, ".config.json") + ".state.json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(cfg, st)
	}
	f.Add([]byte(`{"spec":{"linux":{}},"privileged":true}`), []byte(`{"state":-1}`))
	f.Add([]byte(`{"newPortMappings":[{"container_port":65535}]}`), []byte(`null`))
	f.Fuzz(func(t *testing.T, config, state []byte) {
		k, _, err := podmanContainer("id", config, state, "src")
		if err != nil {
			return
		}
		if k.ID != "id" || k.Runtime != artifact.RuntimePodman || k.Mounts == nil || k.Ports == nil {
			t.Fatalf("entry %+v", k)
		}
		if k.State != "" && !slices.Contains(podmanStates, k.State) {
			t.Fatalf("state %q", k.State)
		}
	})
}
