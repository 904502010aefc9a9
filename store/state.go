package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// StateSuffix names an upload's state file beside its bundle:
// BUNDLE.push-state.json.
const StateSuffix = ".push-state.json"

const stateVersion = "hozen-push-state/1"

// pushState is a cut upload: where it goes, its upload id, and the parts
// sent. It holds no secret. It is a hint: on resume, the parts the server
// lists are checked against the bundle's bytes, whatever the file says.
type pushState struct {
	Version   string      `json:"version"`
	Endpoint  string      `json:"endpoint"`
	Bucket    string      `json:"bucket"`
	Key       string      `json:"key"`
	UploadID  string      `json:"upload_id"`
	Size      int64       `json:"size"`
	PartSize  int64       `json:"part_size"`
	Retention Retention   `json:"retention"`
	LegalHold bool        `json:"legal_hold"`
	Parts     []statePart `json:"parts"`
}

type statePart struct {
	N      int    `json:"n"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
	SHA256 string `json:"sha256"` // base64, as S3 gives it
}

// readState reads the state file; nil, nil when there is none.
func readState(path string) (*pushState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s pushState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("does not parse: %v", err)
	}
	if s.Version != stateVersion {
		return nil, fmt.Errorf("version %q, want %q", s.Version, stateVersion)
	}
	if s.UploadID == "" {
		return nil, errors.New("no upload id")
	}
	return &s, nil
}

// matches says how s differs from the push asked.
func (s *pushState) matches(w *pushState) error {
	switch {
	case s.Endpoint != w.Endpoint || s.Bucket != w.Bucket || s.Key != w.Key:
		return fmt.Errorf("it is of an upload to %s, bucket %s, key %s", s.Endpoint, s.Bucket, s.Key)
	case s.Size != w.Size:
		return fmt.Errorf("it is of a bundle of %d bytes; this one has %d", s.Size, w.Size)
	case s.PartSize != w.PartSize:
		return fmt.Errorf("its parts are of %d bytes, not %d", s.PartSize, w.PartSize)
	case s.Retention.Mode != w.Retention.Mode || !s.Retention.Until.Equal(w.Retention.Until) || s.LegalHold != w.LegalHold:
		return fmt.Errorf("it was started with retention %s, legal hold %v", s.Retention, s.LegalHold)
	}
	w.Parts = s.Parts
	return nil
}

// writeState replaces the state file atomically: a crash leaves the old
// one or the new one, never half of one.
func writeState(path string, s *pushState) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("push state: %w", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("push state %s: %w", path, err)
	}
	return nil
}
