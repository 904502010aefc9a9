package store

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// cutAt pushes path and cancels the upload once at least half of it was
// sent, as a kill or a reboot would; it returns the push's error.
func cutAt(t *testing.T, d Destination, path string, po PutOptions) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	po.Progress = func(done, total int64) {
		if done*2 >= total {
			cancel()
		}
	}
	_, err := d.Put(ctx, path, po)
	return err
}

func TestResumeAfterCut(t *testing.T) {
	g := startGateway(t)
	g.bucket(t, "evid", true)
	d := g.dest(t, "s3://evid/x", nil)
	po := PutOptions{PartSize: minPartSize, Retention: Retention{Mode: Governance, Until: time.Now().Add(time.Hour).Truncate(time.Second)}}
	path, sum := randomFile(t, t.TempDir(), "b.tar.zst", 8*minPartSize+77)
	if err := cutAt(t, d, path, po); !errors.Is(err, context.Canceled) {
		t.Fatalf("cut push: %v, want context.Canceled", err)
	}
	state, err := os.ReadFile(path + StateSuffix)
	if err != nil {
		t.Fatalf("no state file after a cut: %v", err)
	}
	if strings.Contains(string(state), gwSecret) || strings.Contains(string(state), gwKey) {
		t.Fatalf("the state file holds a credential: %s", state)
	}
	// Nothing visible in the store: a multipart upload is not an object.
	if _, err := g.client.StatObject(context.Background(), "evid", "x/b.tar.zst", minio.StatObjectOptions{}); minio.ToErrorResponse(err).StatusCode != http.StatusNotFound {
		t.Fatalf("after a cut, stat of the key: %v, want 404", err)
	}
	st, err := d.Put(context.Background(), path, po)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Resumed || st.PartsReused < 4 || st.Parts != 9 || st.SHA256 != sum || fileSHA(t, path) != sum {
		t.Fatalf("resumed push: %+v; want resumed with at least 4 of 9 parts reused and sha256 %s", st, sum)
	}
	if got := objectSHA(t, g.client, "evid", st.Key, st.VersionID); got != sum {
		t.Fatalf("stored sha256 %s, want %s", got, sum)
	}
}

// The state file is a hint: a part the store holds that is not the
// bundle's bytes (here: the bundle changed under the same size) is sent
// again, and the object stored is the bundle as it is now.
func TestResumeChecksPartsAgainstTheBundle(t *testing.T) {
	g := startGateway(t)
	g.bucket(t, "evid", false)
	d := g.dest(t, "s3://evid", nil)
	po := PutOptions{PartSize: minPartSize}
	path, _ := randomFile(t, t.TempDir(), "b.tar.zst", 4*minPartSize)
	if err := cutAt(t, d, path, po); !errors.Is(err, context.Canceled) {
		t.Fatalf("cut push: %v", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("changed"), 10) // inside part 1, already sent
	f.Close()
	sum := fileSHA(t, path)
	st, err := d.Put(context.Background(), path, po)
	if err != nil {
		t.Fatal(err)
	}
	if st.SHA256 != sum || st.PartsReused != 1 {
		t.Fatalf("resumed push: %+v; want part 1 sent again and sha256 %s", st, sum)
	}
}

func TestStateForAnotherPushRefused(t *testing.T) {
	g := startGateway(t)
	g.bucket(t, "evid", true)
	d := g.dest(t, "s3://evid", nil)
	path, _ := randomFile(t, t.TempDir(), "b.tar.zst", 3*minPartSize)
	if err := cutAt(t, d, path, PutOptions{PartSize: minPartSize}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cut push: %v", err)
	}
	_, err := d.Put(context.Background(), path, PutOptions{PartSize: minPartSize, LegalHold: true})
	var se *Error
	if !errors.Is(err, ErrState) || !errors.As(err, &se) || se.Hint == "" {
		t.Fatalf("resume with other options: %v, want ErrState with a hint", err)
	}
}
