package ledgerlink

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/store"
)

// RecordStored appends the "stored" event of the bundle file (its local
// path) that s says was stored: Location is the object's URL and version,
// Reason the store's answer as one JSON object (store, endpoint, bucket,
// key, version id, retention, legal hold, sha256 as read back). The case
// and bundle ids come from the ledger's events of that sha256, when it
// has any. No credential is in s, so none reaches the ledger.
func RecordStored(ctx context.Context, l *custody.Ledger, s *store.Stored, file, actor string) (*custody.Event, error) {
	host, _ := os.Hostname()
	e := &custody.Event{Actor: actor, Action: custody.ActionStored, BundleFile: filepath.Base(file), Host: host,
		BundleSHA256: s.SHA256, Location: s.URL(), Outcome: "stored"}
	if s.VersionID != "" {
		e.Location += "?versionId=" + s.VersionID
	}
	evs, err := l.Events(ctx, custody.Filter{BundleSHA256: s.SHA256})
	if err != nil {
		return nil, err
	}
	for _, ev := range evs {
		if ev.CaseID != "" && e.CaseID == "" {
			e.CaseID = ev.CaseID
		}
		if ev.BundleID != "" && e.BundleID == "" {
			e.BundleID = ev.BundleID
		}
		if ev.Action == custody.ActionSealed {
			e.CaseID, e.BundleID, e.BundleHead, e.BundleMerkleRoot = ev.CaseID, ev.BundleID, ev.BundleHead, ev.BundleMerkleRoot
		}
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	e.Reason = string(b)
	if err := l.Append(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}
