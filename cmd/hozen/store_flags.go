package main

// The flags of the commands that reach an evidence store (push, verify of
// s3://..., collect --push): how to reach it, never the credentials
// themselves, which come from the environment or a file.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hozen-dfir/hozen/bundle"
	"github.com/hozen-dfir/hozen/store"
)

type storeFlags struct {
	endpoint, region, ca, credentials string
	sftp                              sftpFlags
}

func (f *storeFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.endpoint, "endpoint", "", "the S3-compatible store's `URL` (https://HOST[:PORT]; http only to 127.0.0.1 or localhost); default AWS")
	fl.StringVar(&f.region, "region", "", "the store's `REGION` (default AWS_REGION, else asked of the store)")
	fl.StringVar(&f.ca, "ca", "", "trust only this PEM `FILE` of CA certificates for the store's TLS (a private CA)")
	fl.StringVar(&f.credentials, "credentials", "", "read the access key from this AWS-style credentials `FILE` (profile AWS_PROFILE, else default); else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, else ~/.aws/credentials")
	f.sftp.add(c)
}

func (f *storeFlags) config(a *app) store.Config {
	return store.Config{Endpoint: f.endpoint, Region: f.region, CAFile: f.ca, CredentialsFile: f.credentials,
		Now: time.Now, Warn: func(m string) { a.warnf("%s", m) }, SFTP: f.sftp.config(a)}
}

// storeError prints a store's error with its hint, and gives the exit
// code: 1 when the stored object does not match the bundle, else 2.
func storeError(a *app, err error) error {
	a.errorf("%v", err)
	var se *store.Error
	if errors.As(err, &se) && se.Hint != "" {
		a.hintf("%s", se.Hint)
	}
	if errors.Is(err, store.ErrMismatch) {
		return silentError{exitFailed}
	}
	return silentError{exitUsage}
}

// openStored opens a stored bundle (s3://BUCKET/KEY) for bundle.Verify,
// streaming: no temporary copy.
func openStored(ctx context.Context, a *app, url string, sf storeFlags, ids identityFlags) (*bundle.File, *store.Stored, error) {
	d, name, err := store.ParseObject(url, sf.config(a))
	if err != nil {
		return nil, nil, usageError{cmd: "verify", err: err}
	}
	obj, err := d.Open(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	info := obj.Info()
	bf, err := bundle.OpenReader(url, obj, info.Size, func() ([]bundle.Identity, error) { return loadIdentities(a, ids) })
	if err != nil {
		return nil, info, fmt.Errorf("%s: %w", url, err)
	}
	return bf, info, nil
}
