package ledgerlink

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"time"

	"github.com/hozen-dfir/hozen/custody"
	"github.com/hozen-dfir/hozen/tsa"
)

// TimestampNote is what a timestamped event records of a stored token.
func TimestampNote(st *tsa.Stamped) custody.TimestampNote {
	return custody.TimestampNote{TSA: st.URL, Sidecar: filepath.Base(st.Sidecar), TokenSHA256: st.SidecarSHA256,
		GenTime: st.Time.UTC().Format(time.RFC3339Nano), Subject: st.Subject()}
}

// RecordTimestamped appends the "timestamped" event of the token st over
// the bundle file at file, by actor. The bundle id, case, chain head and
// Merkle root come from the ledger's earlier events of the same file;
// warnings say when the ledger knows none.
func RecordTimestamped(ctx context.Context, l *custody.Ledger, file string, st *tsa.Stamped, actor string) (*custody.Event, []string, error) {
	host, _ := os.Hostname()
	e := &custody.Event{Actor: actor, Action: custody.ActionTimestamped, BundleFile: filepath.Base(file), Host: host,
		BundleSHA256: hex.EncodeToString(st.Digest), Reason: TimestampNote(st).String()}
	evs, err := l.Events(ctx, custody.Filter{BundleSHA256: e.BundleSHA256})
	if err != nil {
		return nil, nil, err
	}
	warns := custody.FillBundleFrom(e, evs)
	for _, p := range evs {
		if p.Action == custody.ActionSealed {
			e.BundleHead, e.BundleMerkleRoot = p.BundleHead, p.BundleMerkleRoot
		}
	}
	if err := l.Append(ctx, e); err != nil {
		return nil, warns, err
	}
	return e, warns, nil
}
