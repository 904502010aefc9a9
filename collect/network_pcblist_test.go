package collect

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/hozen-dfir/hozen/artifact"
	"github.com/hozen-dfir/hozen/manifest"
)

// readPCBFixture decodes one of package pcblist's annotated hex fixtures
// (its generator, TestPCBListFixtures, lives there).
func readPCBFixture(t testing.TB, name string) []byte {
	t.Helper()
	txt, err := os.ReadFile(filepath.Join("pcblist", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	for n, line := range strings.Split(string(txt), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, f := range strings.Fields(line) {
			b, err := hex.DecodeString(f)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, n+1, err)
			}
			out = append(out, b...)
		}
	}
	return out
}

// TestPCBSourceSockets runs the macOS collector's core on fixtures: the raw
// lists are stored byte for byte, decoded with owner names, and a list
// that could not be read gets a record saying why.
func TestPCBSourceSockets(t *testing.T) {
	tcp, udp := readPCBFixture(t, "tcp.hex"), readPCBFixture(t, "udp.hex")
	asked := map[int]int{}
	src := pcbSource{
		sysctl: func(name string) ([]byte, error) {
			switch name {
			case "net.inet.tcp.pcblist_n":
				return tcp, nil
			case "net.inet.udp.pcblist_n":
				return udp, nil
			}
			return nil, syscall.ENOENT
		},
		name: func(_ context.Context, pid int) string { asked[pid]++; return fmt.Sprintf("p%d", pid) },
	}
	sink := &memSink{}
	st := artifact.SocketTable{Sockets: []artifact.Socket{}}
	if err := src.sockets(context.Background(), sink, "network", &st); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"net.inet.tcp.pcblist_n": tcp, "net.inet.udp.pcblist_n": udp} {
		path := "volatile/raw/sysctl/" + name
		rec := sink.record(t, path)
		if !bytes.Equal(sink.data[path], want) || string(rec.Source) != "sysctl "+name || rec.Outcome != manifest.OutcomeOK || rec.Collector != "network" {
			t.Errorf("%s: record %+v, %d bytes", path, rec, len(sink.data[path]))
		}
	}
	if len(st.Sockets) != 9 || st.Unowned != 1 || len(st.Errors) != 0 {
		t.Fatalf("%d sockets, %d unowned, errors %q", len(st.Sockets), st.Unowned, st.Errors)
	}
	if s := st.Sockets[8]; s.Proto != "udp" || s.LocalAddr != "127.0.0.1" || s.LocalPort != 9999 || s.OwnerStatus != artifact.OwnerNone {
		t.Errorf("last socket %+v", s)
	}
	if asked[200] != 1 {
		t.Errorf("pid 200 (two sockets) looked up %d times, want once", asked[200])
	}

	// Denied, then a damaged list: both said in the table, and the denied
	// one still has its record.
	src.sysctl = func(name string) ([]byte, error) {
		if name == "net.inet.tcp.pcblist_n" {
			return nil, syscall.EPERM
		}
		return readPCBFixture(t, "truncated.hex"), nil
	}
	sink, st = &memSink{}, artifact.SocketTable{Sockets: []artifact.Socket{}}
	if err := src.sockets(context.Background(), sink, "network", &st); err != nil {
		t.Fatal(err)
	}
	rec := sink.record(t, "volatile/raw/sysctl/net.inet.tcp.pcblist_n")
	if rec.Entry != manifest.EntryNone || rec.Outcome != manifest.OutcomeDenied || len(rec.Errors) != 1 {
		t.Errorf("denied record %+v", rec)
	}
	want := []string{
		"sysctl net.inet.tcp.pcblist_n: operation not permitted",
		"sysctl net.inet.udp.pcblist_n: offset 744: item length 104 (kind 0x1): runs past the end of the blob (40 bytes left)",
		"sysctl net.inet.udp.pcblist_n: offset 784: no trailing xinpgen: the list is cut short",
	}
	if !reflect.DeepEqual(st.Errors, want) {
		t.Errorf("errors\n%q\nwant\n%q", st.Errors, want)
	}
	if len(st.Sockets) != 2 {
		t.Errorf("%d sockets from the damaged list, want the 2 it holds", len(st.Sockets))
	}

	// Unknown item kinds are said once per kind.
	src.sysctl = func(string) ([]byte, error) { return readPCBFixture(t, "unknown_kind.hex"), nil }
	st = artifact.SocketTable{Sockets: []artifact.Socket{}}
	if err := src.sockets(context.Background(), &memSink{}, "network", &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Errors) != 2 || st.Errors[0] != "sysctl net.inet.tcp.pcblist_n: 1 items of unknown kind 0x400 skipped" {
		t.Errorf("errors %q", st.Errors)
	}
}
