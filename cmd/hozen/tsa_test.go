package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/hozen-dfir/hozen/tsa/tsatest"
)

// tsaCmds start time-stamping authorities on 127.0.0.1 for a script.
var tsaCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"tsaserve":         cmdTsaserve,
	"tsaserve-openssl": cmdTsaserveOpenssl,
}

// tsaserve NAME [noeku]: an in-process TSA (tsatest) whose root is written
// to NAME-ca.pem and its certificate to NAME-tsa.pem; $NAME is its URL.
func cmdTsaserve(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: tsaserve NAME [noeku]")
	}
	p, err := tsatest.New(tsatest.Options{NoEKU: len(args) == 2 && args[1] == "noeku"})
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+"-ca.pem"), tsatest.PEM(p.Root), 0o644))
	ts.Check(os.WriteFile(ts.MkAbs(args[0]+"-tsa.pem"), tsatest.PEM(p.TSA), 0o644))
	srv := httptest.NewServer(p)
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL)
}

// tsaserve-openssl NAME CONFIG: a TSA that is 'openssl ts -reply -config
// CONFIG' behind a tiny HTTP handler; $NAME is its URL. The script makes
// the certificates with openssl.
func cmdTsaserveOpenssl(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: tsaserve-openssl NAME CONFIG")
	}
	conf, dir := ts.MkAbs(args[1]), ts.MkAbs(".")
	var mu sync.Mutex // openssl's serial file is not for concurrent use
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		q, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		qf, rf := filepath.Join(dir, "openssl-query.tsq"), filepath.Join(dir, "openssl-reply.tsr")
		if err := os.WriteFile(qf, q, 0o644); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		cmd := exec.Command("openssl", "ts", "-reply", "-config", conf, "-queryfile", qf, "-out", rf)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			http.Error(w, string(out), http.StatusInternalServerError)
			return
		}
		b, err := os.ReadFile(rf)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		os.Remove(qf)
		os.Remove(rf)
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(b)
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL)
}
