package collect

import (
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/hozen-dfir/hozen/manifest"
)

// recSink keeps every artifact in memory, in order.
type recSink struct {
	recs  []*manifest.Record
	data  map[string][]byte
	order []string
}

func (s *recSink) Put(rec *manifest.Record, body io.Reader) error {
	if s.data == nil {
		s.data = map[string][]byte{}
	}
	p := string(rec.Path)
	if _, dup := s.data[p]; dup {
		return fmt.Errorf("artifact %s put twice", p)
	}
	var b []byte
	if body != nil {
		var err error
		if b, err = io.ReadAll(io.LimitReader(body, rec.Size)); err != nil {
			return err
		}
		if int64(len(b)) != rec.Size {
			return fmt.Errorf("%s: body %d bytes, record says %d", p, len(b), rec.Size)
		}
	}
	s.recs = append(s.recs, rec)
	s.data[p] = b
	s.order = append(s.order, p)
	return nil
}

func (s *recSink) record(t *testing.T, path string) *manifest.Record {
	t.Helper()
	for _, r := range s.recs {
		if string(r.Path) == path {
			return r
		}
	}
	t.Fatalf("no artifact %s; have %v", path, s.order)
	return nil
}

func (s *recSink) decode(t *testing.T, path string, v any) {
	t.Helper()
	s.record(t, path)
	if err := json.Unmarshal(s.data[path], v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
