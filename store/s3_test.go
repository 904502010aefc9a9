package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

func TestPushLockedAndReadBack(t *testing.T) {
	g := startGateway(t)
	g.bucket(t, "evidence", true)
	d := g.dest(t, "s3://evidence/case-1", nil)
	until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	po := PutOptions{Retention: Retention{Mode: Compliance, Until: until}, LegalHold: true, PartSize: minPartSize}
	pre, err := d.Preflight(context.Background(), po)
	if err != nil {
		t.Fatal(err)
	}
	if !pre.ObjectLock || pre.ServerTime.IsZero() {
		t.Fatalf("preflight: %+v", pre)
	}
	path, sum := randomFile(t, t.TempDir(), "case-1_host_20260101T000000Z_x.tar.zst", 12<<20+123)
	st, err := d.Put(context.Background(), path, po)
	if err != nil {
		t.Fatal(err)
	}
	if st.SHA256 != sum || st.Key != "case-1/case-1_host_20260101T000000Z_x.tar.zst" || st.VersionID == "" || st.Parts != 3 {
		t.Fatalf("stored %+v, want sha256 %s", st, sum)
	}
	if st.Retention.Mode != Compliance || !st.Retention.Until.Equal(until) || !st.LegalHold {
		t.Fatalf("read back retention %s legal hold %v, want %s and on", st.Retention, st.LegalHold, po.Retention)
	}
	if got := objectSHA(t, g.client, "evidence", st.Key, ""); got != sum {
		t.Fatalf("stored object sha256 %s, want %s", got, sum)
	}
	if _, err := fileStat(path + StateSuffix); err == nil {
		t.Fatal("the state file outlived a finished push")
	}
	// Stat and Open read the same back.
	s2, err := d.Stat(context.Background(), "case-1_host_20260101T000000Z_x.tar.zst")
	if err != nil || s2.Retention != st.Retention || !s2.LegalHold || s2.VersionID != st.VersionID {
		t.Fatalf("stat: %+v, %v", s2, err)
	}
	// The same name again is an error, not a new version.
	_, err = d.Put(context.Background(), path, po)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second push: %v, want ErrExists", err)
	}
	vs, _ := d.(*s3Dest).versions(context.Background(), st.Key)
	if len(vs) != 1 {
		t.Fatalf("%d versions after a refused second push, want 1", len(vs))
	}
}

func TestComplianceCannotBeDeletedOrOverwritten(t *testing.T) {
	g := startGateway(t)
	g.bucket(t, "worm", true)
	d := g.dest(t, "s3://worm", nil)
	po := PutOptions{Retention: Retention{Mode: Compliance, Until: time.Now().Add(time.Hour).Truncate(time.Second)}}
	path, sum := randomFile(t, t.TempDir(), "b.tar.zst", 1000)
	st, err := d.Put(context.Background(), path, po)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, bypass := range []bool{false, true} {
		err := g.client.RemoveObject(ctx, "worm", st.Key, minio.RemoveObjectOptions{VersionID: st.VersionID, GovernanceBypass: bypass})
		if err == nil {
			t.Fatalf("a COMPLIANCE object was deleted (governance bypass %v)", bypass)
		}
	}
	// An overwrite by another client makes a new version; ours stays.
	if _, err := g.client.PutObject(ctx, "worm", st.Key, bytesReader("forged"), 6, minio.PutObjectOptions{}); err != nil {
		t.Logf("overwrite refused: %v", err)
	}
	if got := objectSHA(t, g.client, "worm", st.Key, st.VersionID); got != sum {
		t.Fatalf("the locked version now has sha256 %s, want %s", got, sum)
	}
	err = g.client.RemoveObject(ctx, "worm", st.Key, minio.RemoveObjectOptions{VersionID: st.VersionID, GovernanceBypass: true})
	if err == nil {
		t.Fatal("a COMPLIANCE version was deleted after an overwrite")
	}
}

func TestGovernanceOnlyWithBypass(t *testing.T) {
	g := startGateway(t)
	g.bucket(t, "gov", true)
	d := g.dest(t, "s3://gov/p", nil)
	po := PutOptions{Retention: Retention{Mode: Governance, Until: time.Now().Add(time.Hour).Truncate(time.Second)}}
	path, _ := randomFile(t, t.TempDir(), "b.tar.zst", 1000)
	st, err := d.Put(context.Background(), path, po)
	if err != nil {
		t.Fatal(err)
	}
	if st.Retention.Mode != Governance {
		t.Fatalf("read back %s", st.Retention)
	}
	ctx := context.Background()
	if err := g.client.RemoveObject(ctx, "gov", st.Key, minio.RemoveObjectOptions{VersionID: st.VersionID}); err == nil {
		t.Fatal("a GOVERNANCE object was deleted without the bypass")
	}
	if err := g.client.RemoveObject(ctx, "gov", st.Key, minio.RemoveObjectOptions{VersionID: st.VersionID, GovernanceBypass: true}); err != nil {
		t.Fatalf("a GOVERNANCE object could not be deleted with the bypass: %v", err)
	}
}
