package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/store"
)

// checkIsBundle refuses a file that is not a hozen bundle (an encrypted
// one is fine: it is pushed as it is).
func checkIsBundle(path string) error {
	bf, err := bundle.Open(path, nil)
	var cd *bundle.CannotDecryptError
	if errors.As(err, &cd) {
		return nil
	}
	if err != nil {
		return err
	}
	return bf.Close()
}

func printPreflight(a *app, d store.Destination, p *store.PreflightResult) {
	if d.Kind() == "sftp" {
		fmt.Fprintf(a.stderr, "hozen: %s: reachable, host key trusted, login accepted, %s writable\n", d, p.Bucket)
		return
	}
	lock := "no Object Lock"
	if p.ObjectLock {
		lock = "Object Lock enabled"
		if p.DefaultRetention != "" {
			lock += ", default retention " + p.DefaultRetention
		}
	}
	fmt.Fprintf(a.stderr, "hozen: %s at %s: reachable, credentials accepted, %s, versioning %s, clock skew %s\n",
		d, p.Endpoint, lock, orNone(p.Versioning), p.Skew.Round(time.Second))
	if p.Endpoint[:5] == "http:" {
		a.warnf("%s is plain http: allowed only because it is this machine", p.Endpoint)
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
