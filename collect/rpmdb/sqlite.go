package rpmdb

import (
	"context"
	"fmt"

	"github.com/hozen-dfir/hozen/collect/sqlitemem"
)

// Walk opens the database held in db (the bytes of rpmdb.sqlite, with
// its -wal merged by [sqlitemem.MergeWAL] where there is one) read-only,
// in memory, and calls fn for each row of the Packages table in hnum
// order with the row's header parsed. A header that does not parse is
// passed with its error (p may be nil); fn's error stops the walk and is
// returned.
func Walk(ctx context.Context, db []byte, fn func(hnum int64, p *Package, err error) error) error {
	conn, err := sqlitemem.Open(db)
	if err != nil {
		return fmt.Errorf("rpmdb: %w", err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, "SELECT hnum, blob FROM Packages ORDER BY hnum")
	if err != nil {
		return fmt.Errorf("rpmdb: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var hnum int64
		var blob []byte
		if err := rows.Scan(&hnum, &blob); err != nil {
			return fmt.Errorf("rpmdb: %w", err)
		}
		p, err := ParseHeader(blob)
		if err := fn(hnum, p, err); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("rpmdb: %w", err)
	}
	return nil
}
