package collect

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// With its time budget spent, tmpplaces goes on listing every file with
// its metadata, stores no more contents, still flags what the metadata
// shows (an execute bit), and records that the budget was hit.
func TestTmpPlacesTimeBudgetRecorded(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"tmp/a":          "aaaa",
		"var/tmp/b":      "bbbb",
		"dev/shm/run.sh": "#!/bin/sh\n",
	})
	must(t, os.Chmod(root+"/dev/shm/run.sh", 0o755))
	env := &Env{Root: root, Now: time.Now}
	sink := &recSink{}
	must(t, (&TmpPlacesCollector{MaxTime: time.Nanosecond}).Collect(context.Background(), env, sink))
	var sum artifact.TmpPlaces
	sink.decode(t, artifact.PathTmpPlaces, &sum)
	if sum.Files != 3 || len(sum.Stopped) != 1 || !strings.Contains(sum.Stopped[0], "tmpplaces time budget of 1ns spent") {
		t.Fatalf("summary %+v", sum)
	}
	for _, p := range []string{"files/tmp/a", "files/var/tmp/b", "files/dev/shm/run.sh"} {
		rec := sink.record(t, p)
		if rec.Entry != manifest.EntryNone || !strings.Contains(strings.Join(rec.Errors, " "), "time budget") {
			t.Errorf("%s: entry %q errors %q: contents stored past the time budget", p, rec.Entry, rec.Errors)
		}
	}
	var bounded, flagged bool
	for _, f := range env.Findings.List() {
		bounded = bounded || f.Rule == RuleTmpBounded && strings.Contains(f.Title, "metadata")
		flagged = flagged || f.Rule == RuleExecInTmp && f.Path == "/dev/shm/run.sh"
	}
	if !bounded || !flagged {
		t.Errorf("findings: budget recorded %v, executable flagged %v: %+v", bounded, flagged, env.Findings.List())
	}
	// Without a time budget, the contents are stored.
	env, sink = &Env{Root: root, Now: time.Now}, &recSink{}
	must(t, (&TmpPlacesCollector{}).Collect(context.Background(), env, sink))
	if string(sink.data["files/tmp/a"]) != "aaaa" {
		t.Errorf("contents %q", sink.data["files/tmp/a"])
	}
}
