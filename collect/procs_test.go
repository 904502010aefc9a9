package collect

import (
	"context"
	"encoding/json"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/hozen-dfir/hozen/manifest"
)

// memSink keeps every record and its bytes, in order.
type memSink struct {
	mu   sync.Mutex
	recs []*manifest.Record
	data map[string][]byte
}

func (s *memSink) Put(rec *manifest.Record, body io.Reader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		s.data = map[string][]byte{}
	}
	r := *rec
	if body != nil {
		b, err := io.ReadAll(io.LimitReader(body, rec.Size))
		if err != nil {
			return err
		}
		s.data[string(rec.Path)] = b
		rec.BytesRead = int64(len(b))
		if rep, ok := body.(Reporter); ok {
			rep.Report(rec) // as the bundle writer does
		}
		r = *rec
	}
	s.recs = append(s.recs, &r)
	return nil
}

// record returns the record stored at path, or fails the test.
func (s *memSink) record(t testing.TB, path string) *manifest.Record {
	t.Helper()
	for _, r := range s.recs {
		if string(r.Path) == path {
			return r
		}
	}
	t.Fatalf("no artifact %s", path)
	return nil
}

// decode unmarshals the JSON artifact at path into v.
func (s *memSink) decode(t testing.TB, path string, v any) {
	t.Helper()
	s.record(t, path)
	if err := json.Unmarshal(s.data[path], v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func (s *memSink) paths() []string {
	var out []string
	for _, r := range s.recs {
		out = append(out, string(r.Path))
	}
	return out
}

// TestRunBoundedStuck: one call that never returns is abandoned at its
// deadline and the others complete.
func TestRunBoundedStuck(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	got := runBounded(context.Background(), 20, 4, 50*time.Millisecond,
		func(ctx context.Context, i int) string {
			if i == 3 {
				<-block // a process stuck in the kernel
			}
			return "ok"
		},
		func(i int) string { return "timeout" })
	for i, g := range got {
		want := "ok"
		if i == 3 {
			want = "timeout"
		}
		if g != want {
			t.Errorf("%d: %s, want %s", i, g, want)
		}
	}
}
