package acquire

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/hozen-dfir/hozen/tsa"
)

// timestampSealed asks each TSA for a token over the sealed bundle file's
// SHA-256 (hex sum) and stores each beside it. A TSA that cannot be reached
// or answers wrong is a warning: the evidence is sealed either way.
func timestampSealed(ctx context.Context, urls []string, path, sum string) ([]*tsa.Stamped, []string) {
	digest, err := hex.DecodeString(sum)
	if err != nil {
		return nil, []string{fmt.Sprintf("not timestamped: bad bundle digest %q", sum)}
	}
	var out []*tsa.Stamped
	var warns []string
	for _, u := range urls {
		if ctx.Err() != nil {
			warns = append(warns, fmt.Sprintf("not timestamped by %s: interrupted; run 'hozen timestamp %s --tsa %s' later", u, path, u))
			continue
		}
		st, err := tsa.Stamp(ctx, nil, u, path, digest)
		if err != nil {
			warns = append(warns, fmt.Sprintf("not timestamped: %v; run 'hozen timestamp %s --tsa %s' where the TSA can be reached", err, path, u))
			continue
		}
		out = append(out, st)
	}
	return out, warns
}
