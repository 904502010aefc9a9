package store

// S3-compatible stores through minio-go: multipart uploads, resumable from
// a state file beside the bundle, Object Lock set at creation and read
// back, no overwrite (If-None-Match: * on completion, and the key's
// versions checked before and after).

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	mcreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// s3Dest is an S3 bucket and a key prefix.
type s3Dest struct {
	dest, bucket, prefix string
	endpoint             string // host[:port]
	secure               bool
	cfg                  Config
	now                  func() time.Time

	once   sync.Once
	client *minio.Client
	core   minio.Core
	dates  *dateRecorder
	err    error
}

const (
	defaultPartSize = 16 << 20
	minPartSize     = 5 << 20
	maxParts        = 10000
)

func newS3(dest string, cfg Config) (*s3Dest, error) {
	rest := strings.TrimPrefix(dest, "s3://")
	bucket, prefix, _ := strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if bucket == "" {
		return nil, fmt.Errorf("destination %q: no bucket (want s3://BUCKET/PREFIX)", dest)
	}
	d := &s3Dest{dest: "s3://" + bucket, bucket: bucket, prefix: prefix, cfg: cfg, now: cfg.Now}
	if prefix != "" {
		d.dest += "/" + prefix
	}
	if d.now == nil {
		d.now = time.Now
	}
	d.endpoint, d.secure = "s3.amazonaws.com", true
	if cfg.Endpoint != "" {
		u, err := url.Parse(cfg.Endpoint)
		if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" {
			return nil, fmt.Errorf("--endpoint %q: want https://HOST[:PORT]", cfg.Endpoint)
		}
		switch u.Scheme {
		case "https":
		case "http":
			// Plain HTTP sends the signed requests and the evidence in
			// clear: only to this machine itself.
			if !isLoopback(u.Hostname()) {
				return nil, fmt.Errorf("--endpoint %q: plain http is allowed only to 127.0.0.1, ::1 or localhost; use https (with --ca FILE for a private CA)", cfg.Endpoint)
			}
			d.secure = false
		default:
			return nil, fmt.Errorf("--endpoint %q: want https://HOST[:PORT]", cfg.Endpoint)
		}
		d.endpoint = u.Host
	}
	return d, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (d *s3Dest) String() string { return d.dest }
func (d *s3Dest) Kind() string   { return "s3" }

// endpointURL is the endpoint as recorded: scheme and host.
func (d *s3Dest) endpointURL() string {
	if d.secure {
		return "https://" + d.endpoint
	}
	return "http://" + d.endpoint
}

// dateRecorder remembers the Date header of the last response, to compare
// the store's clock with ours.
type dateRecorder struct {
	rt   http.RoundTripper
	mu   sync.Mutex
	last time.Time
}

func (r *dateRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.rt.RoundTrip(req)
	if err == nil {
		if t, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
			r.mu.Lock()
			r.last = t
			r.mu.Unlock()
		}
	}
	return resp, err
}

func (r *dateRecorder) Last() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// connect builds the client once: credentials, TLS, transport.
func (d *s3Dest) connect() error {
	d.once.Do(func() {
		c, err := loadCredentials(d.cfg)
		if err != nil {
			d.err = d.fail("connect", err)
			return
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if d.cfg.CAFile != "" {
			pem, err := os.ReadFile(d.cfg.CAFile)
			if err != nil {
				d.err = &Error{Op: "connect", Dest: d.dest, Err: fmt.Errorf("--ca: %w", err), Hint: "give the PEM file of the store's CA"}
				return
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				d.err = &Error{Op: "connect", Dest: d.dest, Err: fmt.Errorf("--ca %s holds no PEM certificate", d.cfg.CAFile), Hint: "give the PEM file of the store's CA"}
				return
			}
			tr.TLSClientConfig.RootCAs = pool
		}
		d.dates = &dateRecorder{rt: tr}
		region := d.cfg.Region
		if region == "" {
			getenv := d.cfg.Getenv
			if getenv == nil {
				getenv = os.Getenv
			}
			region = getenv("AWS_REGION")
		}
		d.client, err = minio.New(d.endpoint, &minio.Options{
			Creds:     mcreds.NewStaticV4(c.id, c.secret, c.token),
			Secure:    d.secure,
			Transport: d.dates,
			Region:    region,
		})
		if err != nil {
			d.err = &Error{Op: "connect", Dest: d.dest, Err: err}
			return
		}
		d.core = minio.Core{Client: d.client}
	})
	return d.err
}

// fail wraps err as an *Error with the next step for what it is.
func (d *s3Dest) fail(op string, err error) error {
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	e := &Error{Op: op, Dest: d.dest, Err: err}
	resp := minio.ToErrorResponse(err)
	var uerr *url.Error
	var cerr *tls.CertificateVerificationError
	var uaerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	switch {
	case errors.Is(err, ErrNoCredential):
		e.Hint = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, or give --credentials FILE, or a profile in ~/.aws/credentials (AWS_PROFILE); never on the command line"
	case errors.As(err, &cerr), errors.As(err, &uaerr), errors.As(err, &herr):
		e.Err = fmt.Errorf("%w: %v", ErrTLS, err)
		e.Hint = "give the store's CA with --ca FILE; hozen has no insecure mode"
	case resp.Code == "InvalidAccessKeyId" || resp.Code == "SignatureDoesNotMatch" || resp.Code == "AccessDenied" || resp.StatusCode == http.StatusForbidden:
		e.Err = fmt.Errorf("%w by %s: %s", ErrCredentials, d.endpointURL(), describe(resp, err))
		e.Hint = "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or --credentials, AWS_PROFILE) and that the key may write to bucket " + d.bucket
	case resp.Code == "NoSuchBucket":
		e.Err = fmt.Errorf("%w %q at %s", ErrNoBucket, d.bucket, d.endpointURL())
		e.Hint = "check the bucket's name and --endpoint, or have the store's owner create it with Object Lock enabled"
	case resp.Code == "RequestTimeTooSkewed":
		e.Err = fmt.Errorf("%w: the store refused a request as too far off its clock", ErrClockSkew)
		e.Hint = "set this machine's clock (or note the skew and push from another machine)"
	case errors.As(err, &uerr) || isNetError(err):
		e.Err = fmt.Errorf("%w at %s: %v", ErrUnreachable, d.endpointURL(), err)
		e.Hint = "check --endpoint, the network and the store; nothing was stored, the bundle stays on disk, and 'hozen push' can be run again"
	}
	return e
}

func isNetError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe)
}

func describe(resp minio.ErrorResponse, err error) string {
	if resp.Code != "" {
		return resp.Code
	}
	return err.Error()
}

// key is the object key of a bundle file name.
func (d *s3Dest) key(name string) string {
	if d.prefix == "" {
		return name
	}
	return d.prefix + "/" + name
}

func (d *s3Dest) Preflight(ctx context.Context, p PutOptions) (*PreflightResult, error) {
	if err := d.connect(); err != nil {
		return nil, err
	}
	res := &PreflightResult{Endpoint: d.endpointURL(), Bucket: d.bucket}
	ok, err := d.client.BucketExists(ctx, d.bucket)
	if err != nil {
		return nil, d.fail("preflight", err)
	}
	if !ok {
		return nil, d.fail("preflight", minio.ErrorResponse{Code: "NoSuchBucket", StatusCode: 404})
	}
	res.ServerTime = d.dates.Last()
	if !res.ServerTime.IsZero() {
		res.Skew = res.ServerTime.Sub(d.now())
		if res.Skew > MaxSkew || res.Skew < -MaxSkew {
			return nil, &Error{Op: "preflight", Dest: d.dest,
				Err:  fmt.Errorf("%w: the store's clock says %s, this machine's is %s off (more than %s; S3 refuses requests at 15 minutes)", ErrClockSkew, res.ServerTime.UTC().Format(time.RFC3339), res.Skew.Round(time.Second), MaxSkew),
				Hint: "set this machine's clock, or push from another machine later"}
		}
	}
	// Probing with a write is no answer: with Object Lock a probe object
	// could not be deleted. The lock configuration and versioning are read.
	lock, mode, validity, unit, err := d.client.GetObjectLockConfig(ctx, d.bucket)
	if err != nil {
		resp := minio.ToErrorResponse(err)
		if resp.Code != "ObjectLockConfigurationNotFoundError" && resp.Code != "NoSuchObjectLockConfiguration" && resp.StatusCode != http.StatusNotFound {
			return nil, d.fail("preflight", err)
		}
	}
	res.ObjectLock = lock == "Enabled"
	if mode != nil && validity != nil && unit != nil {
		res.DefaultRetention = fmt.Sprintf("%s %d %s", *mode, *validity, *unit)
	}
	if v, err := d.client.GetBucketVersioning(ctx, d.bucket); err == nil {
		res.Versioning = v.Status
	} else {
		return nil, d.fail("preflight", err)
	}
	if (!p.Retention.IsZero() || p.LegalHold) && !res.ObjectLock {
		return res, &Error{Op: "preflight", Dest: d.dest,
			Err:  fmt.Errorf("%w: bucket %q cannot keep a retention or a legal hold", ErrNoLock, d.bucket),
			Hint: "push to a bucket created with Object Lock enabled (it cannot be turned on later on most stores), or leave out --retention and --legal-hold"}
	}
	return res, nil
}

func (d *s3Dest) Stat(ctx context.Context, name string) (*Stored, error) {
	if err := d.connect(); err != nil {
		return nil, err
	}
	key := d.key(name)
	info, err := d.client.StatObject(ctx, d.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if minio.ToErrorResponse(err).StatusCode == http.StatusNotFound {
			return nil, &Error{Op: "stat", Dest: d.dest, Err: fmt.Errorf("%w: %s", ErrNotFound, key), Hint: "check the key"}
		}
		return nil, d.fail("stat", err)
	}
	return d.storedOf(key, info), nil
}

// storedOf reads what StatObject said, the Object Lock headers included
// (minio-go's GetObjectRetention does not parse every store's answer; the
// headers do).
func (d *s3Dest) storedOf(key string, info minio.ObjectInfo) *Stored {
	s := &Stored{Store: "s3", Endpoint: d.endpointURL(), Bucket: d.bucket, Key: key, VersionID: info.VersionID, Size: info.Size}
	h := info.Metadata
	if m := h.Get("X-Amz-Object-Lock-Mode"); m != "" {
		s.Retention.Mode = strings.ToUpper(m)
		if t, err := time.Parse(time.RFC3339, h.Get("X-Amz-Object-Lock-Retain-Until-Date")); err == nil {
			s.Retention.Until = t.UTC()
		}
	}
	s.LegalHold = strings.EqualFold(h.Get("X-Amz-Object-Lock-Legal-Hold"), "ON")
	return s
}

// s3Object is a stored bundle being read.
type s3Object struct {
	*minio.Object
	info *Stored
}

func (o *s3Object) Info() *Stored { return o.info }

func (d *s3Dest) Open(ctx context.Context, name string) (Object, error) {
	st, err := d.Stat(ctx, name)
	if err != nil {
		return nil, err
	}
	obj, err := d.client.GetObject(ctx, d.bucket, st.Key, minio.GetObjectOptions{VersionID: st.VersionID})
	if err != nil {
		return nil, d.fail("open", err)
	}
	return &s3Object{Object: obj, info: st}, nil
}

// versions lists every version and delete marker of exactly key.
func (d *s3Dest) versions(ctx context.Context, key string) ([]minio.ObjectInfo, error) {
	var out []minio.ObjectInfo
	for o := range d.client.ListObjects(ctx, d.bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
		if o.Err != nil {
			return nil, o.Err
		}
		if o.Key == key {
			out = append(out, o)
		}
	}
	return out, nil
}

// partSize is the part size for a file of size bytes.
func partSize(size, want int64) int64 {
	p := want
	if p <= 0 {
		p = defaultPartSize
	}
	p = max(p, minPartSize)
	for (size+p-1)/p > maxParts {
		p *= 2
	}
	return p
}

func (d *s3Dest) Put(ctx context.Context, path string, p PutOptions) (*Stored, error) {
	if err := d.connect(); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Op: "push", Dest: d.dest, Err: err, Hint: "check the bundle's path"}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &Error{Op: "push", Dest: d.dest, Err: err}
	}
	if !fi.Mode().IsRegular() || fi.Size() == 0 {
		return nil, &Error{Op: "push", Dest: d.dest, Err: fmt.Errorf("%s is not a regular, non-empty file", path), Hint: "push a sealed bundle"}
	}
	size := fi.Size()
	key := d.key(filepath.Base(path))
	statePath := p.StateFile
	if statePath == "" {
		statePath = path + StateSuffix
	}
	st, err := readState(statePath)
	if err != nil {
		return nil, &Error{Op: "push", Dest: d.dest, Err: fmt.Errorf("%w: %s: %v", ErrState, statePath, err), Hint: "remove " + statePath + " to start the upload afresh"}
	}
	want := pushState{Version: stateVersion, Endpoint: d.endpointURL(), Bucket: d.bucket, Key: key, Size: size,
		PartSize: partSize(size, p.PartSize), Retention: p.Retention, LegalHold: p.LegalHold}
	out := &Stored{Store: "s3", Endpoint: d.endpointURL(), Bucket: d.bucket, Key: key, Size: size}
	server := map[int]minio.ObjectPart{}
	if st != nil {
		if err := st.matches(&want); err != nil {
			return nil, &Error{Op: "push", Dest: d.dest, Err: fmt.Errorf("%w: %s: %v", ErrState, statePath, err),
				Hint: "push with the options of the cut upload, or remove " + statePath + " to start afresh"}
		}
		// The state file is a hint, not the truth: the server's list of
		// parts is, and each part is checked against the bundle below.
		parts, err := d.listParts(ctx, key, st.UploadID)
		switch {
		case err == nil:
			server = parts
			want.UploadID = st.UploadID
			out.Resumed = true
		case minio.ToErrorResponse(err).Code == "NoSuchUpload":
			// Completed (the state file outlived it), or aborted.
			if info, serr := d.client.StatObject(ctx, d.bucket, key, minio.StatObjectOptions{}); serr == nil {
				return d.finish(ctx, f, size, key, info.VersionID, statePath, p, out, "")
			}
			d.warn(fmt.Sprintf("the upload recorded in %s is gone from the store; starting afresh", statePath))
		default:
			return nil, d.fail("push", err)
		}
	}
	if want.UploadID == "" {
		if err := d.refuseExisting(ctx, key); err != nil {
			return nil, err
		}
		opts := minio.PutObjectOptions{ContentType: "application/octet-stream",
			UserMetadata: map[string]string{"X-Amz-Checksum-Algorithm": "SHA256"}}
		if !p.Retention.IsZero() {
			opts.Mode, opts.RetainUntilDate = minio.RetentionMode(p.Retention.Mode), p.Retention.Until
		}
		if p.LegalHold {
			opts.LegalHold = minio.LegalHoldEnabled
		}
		id, err := d.core.NewMultipartUpload(ctx, d.bucket, key, opts)
		if err != nil {
			return nil, d.fail("push", err)
		}
		want.UploadID = id
		if err := writeState(statePath, &want); err != nil {
			d.core.AbortMultipartUpload(context.WithoutCancel(ctx), d.bucket, key, id)
			return nil, &Error{Op: "push", Dest: d.dest, Err: err, Hint: "the state file goes beside the bundle: make its directory writable"}
		}
	}
	whole := sha256.New()
	var complete []minio.CompletePart
	buf := make([]byte, want.PartSize)
	var done int64
	for n := 1; done < size; n++ {
		if err := ctx.Err(); err != nil {
			return nil, &Error{Op: "push", Dest: d.dest, Err: err, Hint: "run 'hozen push' again to resume from " + statePath}
		}
		m, err := io.ReadFull(io.NewSectionReader(f, done, min(want.PartSize, size-done)), buf[:min(want.PartSize, size-done)])
		if err != nil {
			return nil, &Error{Op: "push", Dest: d.dest, Err: fmt.Errorf("read %s: %w", path, err)}
		}
		part := buf[:m]
		whole.Write(part)
		ps := sha256.Sum256(part)
		pm := md5.Sum(part)
		sum64 := base64.StdEncoding.EncodeToString(ps[:])
		md5hex := hex.EncodeToString(pm[:])
		cp := minio.CompletePart{PartNumber: n, ChecksumSHA256: sum64}
		if sp, ok := server[n]; ok && sp.Size == int64(m) && partMatches(sp, sum64, md5hex) {
			cp.ETag = sp.ETag
			out.PartsReused++
		} else {
			if ok {
				d.warn(fmt.Sprintf("part %d held by the store differs from the bundle's bytes; sending it again", n))
			}
			up, err := d.core.PutObjectPart(ctx, d.bucket, key, want.UploadID, n, bytes.NewReader(part), int64(m), minio.PutObjectPartOptions{
				Md5Base64: base64.StdEncoding.EncodeToString(pm[:]), Sha256Hex: hex.EncodeToString(ps[:]),
				CustomHeader: http.Header{"X-Amz-Checksum-Sha256": []string{sum64}}})
			if err != nil {
				return nil, d.fail("push", fmt.Errorf("part %d: %w (run 'hozen push' again to resume)", n, err))
			}
			if up.ChecksumSHA256 != "" && up.ChecksumSHA256 != sum64 {
				return nil, &Error{Op: "push", Dest: d.dest, Err: fmt.Errorf("%w: part %d: the store computed sha256 %s, the bundle's is %s", ErrMismatch, n, up.ChecksumSHA256, sum64)}
			}
			cp.ETag = up.ETag
			want.Parts = append(want.Parts, statePart{N: n, Size: int64(m), ETag: up.ETag, SHA256: sum64})
			if err := writeState(statePath, &want); err != nil {
				return nil, &Error{Op: "push", Dest: d.dest, Err: err}
			}
		}
		complete = append(complete, cp)
		done += int64(m)
		if p.Progress != nil {
			p.Progress(done, size)
		}
	}
	out.Parts = len(complete)
	// If-None-Match: * makes the store refuse to complete over an object
	// that appeared meanwhile; the versions are checked again after.
	copts := minio.PutObjectOptions{}
	copts.SetMatchETagExcept("*")
	info, err := d.core.CompleteMultipartUpload(ctx, d.bucket, key, want.UploadID, complete, copts)
	if err != nil {
		resp := minio.ToErrorResponse(err)
		if resp.Code == "PreconditionFailed" || resp.StatusCode == http.StatusPreconditionFailed {
			d.core.AbortMultipartUpload(context.WithoutCancel(ctx), d.bucket, key, want.UploadID)
			os.Remove(statePath)
			return nil, &Error{Op: "push", Dest: d.dest, Err: fmt.Errorf("%w: %s appeared in the store during the upload", ErrExists, key),
				Hint: "nothing was overwritten; check who else writes this name"}
		}
		return nil, d.fail("push", fmt.Errorf("complete: %w (run 'hozen push' again to resume)", err))
	}
	return d.finish(ctx, f, size, key, info.VersionID, statePath, p, out, hex.EncodeToString(whole.Sum(nil)))
}

// partMatches: a part the server holds is the bundle's part when its
// SHA-256 (or, from a store that keeps none, its MD5 ETag) is the one of
// the bundle's bytes.
func partMatches(sp minio.ObjectPart, sum64, md5hex string) bool {
	if sp.ChecksumSHA256 != "" {
		return sp.ChecksumSHA256 == sum64
	}
	return strings.Trim(sp.ETag, `"`) == md5hex
}

func (d *s3Dest) listParts(ctx context.Context, key, uploadID string) (map[int]minio.ObjectPart, error) {
	out := map[int]minio.ObjectPart{}
	marker := 0
	for {
		r, err := d.core.ListObjectParts(ctx, d.bucket, key, uploadID, marker, 1000)
		if err != nil {
			return nil, err
		}
		for _, p := range r.ObjectParts {
			out[p.PartNumber] = p
		}
		if !r.IsTruncated || r.NextPartNumberMarker <= marker {
			return out, nil
		}
		marker = r.NextPartNumberMarker
	}
}

// refuseExisting refuses a key that exists, or ever existed as a version
// or a delete marker: a new version would hide it.
func (d *s3Dest) refuseExisting(ctx context.Context, key string) error {
	if _, err := d.client.StatObject(ctx, d.bucket, key, minio.StatObjectOptions{}); err == nil {
		return &Error{Op: "push", Dest: d.dest, Err: fmt.Errorf("%w: %s", ErrExists, key),
			Hint: "a bundle is never overwritten; 'hozen verify s3://" + d.bucket + "/" + key + "' checks the stored one"}
	} else if resp := minio.ToErrorResponse(err); resp.StatusCode != http.StatusNotFound {
		return d.fail("push", err)
	}
	vs, err := d.versions(ctx, key)
	if err != nil {
		return d.fail("push", err)
	}
	if len(vs) > 0 {
		return &Error{Op: "push", Dest: d.dest, Err: fmt.Errorf("%w: %s has %d earlier version(s) or delete marker(s)", ErrExists, key, len(vs)),
			Hint: "a new version would hide them; ask the store's owner what became of that object"}
	}
	return nil
}

// finish checks the stored object: its versions, its Object Lock as read
// back, and its SHA-256 read back against the bundle's (wantSum "" when
// the upload was completed by an earlier run: the bundle is hashed now).
func (d *s3Dest) finish(ctx context.Context, f *os.File, size int64, key, versionID, statePath string, p PutOptions, out *Stored, wantSum string) (*Stored, error) {
	bad := func(err error, hint string) (*Stored, error) {
		return out, &Error{Op: "push", Dest: d.dest, Err: err, Hint: hint}
	}
	if wantSum == "" {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(f, 0, size)); err != nil {
			return nil, &Error{Op: "push", Dest: d.dest, Err: err}
		}
		wantSum = hex.EncodeToString(h.Sum(nil))
	}
	info, err := d.client.StatObject(ctx, d.bucket, key, minio.StatObjectOptions{VersionID: versionID})
	if err != nil {
		return nil, d.fail("push", fmt.Errorf("read back: %w", err))
	}
	got := d.storedOf(key, info)
	out.VersionID, out.Retention, out.LegalHold = got.VersionID, got.Retention, got.LegalHold
	vs, err := d.versions(ctx, key)
	if err != nil {
		return nil, d.fail("push", err)
	}
	if len(vs) > 1 {
		return bad(fmt.Errorf("%w: the store holds %d versions of %s: another was written before or at the same time", ErrExists, len(vs), key),
			"compare the versions ('hozen verify' each); the bundle stays on disk")
	}
	obj, err := d.client.GetObject(ctx, d.bucket, key, minio.GetObjectOptions{VersionID: versionID})
	if err != nil {
		return nil, d.fail("push", err)
	}
	h := sha256.New()
	n, err := io.Copy(h, obj)
	obj.Close()
	if err != nil {
		return nil, d.fail("push", fmt.Errorf("read back: %w", err))
	}
	out.SHA256 = hex.EncodeToString(h.Sum(nil))
	if n != size || out.SHA256 != wantSum {
		return bad(fmt.Errorf("%w: read back %d bytes with sha256 %s; the bundle has %d bytes, sha256 %s", ErrMismatch, n, out.SHA256, size, wantSum),
			"the bundle stays on disk; report this to the store's owner")
	}
	if !p.Retention.IsZero() && (out.Retention.Mode != p.Retention.Mode || out.Retention.Until.Before(p.Retention.Until)) {
		return bad(fmt.Errorf("%w: retention %s asked, the store says %s", ErrMismatch, p.Retention, out.Retention),
			"the store did not keep the retention; set it on the object by hand, or ask the store's owner")
	}
	if p.LegalHold && !out.LegalHold {
		return bad(fmt.Errorf("%w: legal hold asked, the store says it is off", ErrMismatch), "set the legal hold on the object by hand")
	}
	os.Remove(statePath)
	return out, nil
}

func (d *s3Dest) warn(msg string) {
	if d.cfg.Warn != nil {
		d.cfg.Warn(msg)
	}
}
