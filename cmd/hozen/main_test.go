package main

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/hozen-dfir/hozen/manifest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"hozen": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScript runs the end-to-end scripts in testdata/*.txt against the
// real binary: real files, real standard tools.
func TestScript(t *testing.T) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"mkfixture": cmdMkfixture,
		"setbundle": cmdSetbundle,
		"cmptree":   cmdCmptree,
		"tamper":    cmdTamper,
		"cut":       cmdCut,
		"agent":     cmdAgent,
		"tmpfs":     cmdTmpfs,
		"hostile":   cmdHostile,
		"mkdeep":    cmdMkdeep,
	}
	maps.Copy(cmds, protectCmds)
	maps.Copy(cmds, extractCmds)
	maps.Copy(cmds, recipeCmds)
	maps.Copy(cmds, exitCmds)
	maps.Copy(cmds, diffCmds)
	maps.Copy(cmds, tsaCmds)
	maps.Copy(cmds, sftpCmds)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("USER", "examiner")
			// The repository's scripts/, for the ones docs tell users to run.
			scripts, err := filepath.Abs("../../scripts")
			if err != nil {
				return err
			}
			env.Setenv("SCRIPTS", scripts)
			// The logparse fixtures: a journal systemd wrote.
			logs, err := filepath.Abs(filepath.Join("..", "..", "logparse", "testdata"))
			env.Setenv("LOGFIXTURES", logs)
			return err
		},
		Cmds: cmds,
		Condition: func(cond string) (bool, error) {
			switch cond {
			case "root":
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// mkfixture DIR: a tree with awkward names: spaces, bytes that are not
// UTF-8, a newline and a backslash, deep paths, empty files, symlinks
// inside and pointing out, and a FIFO.
func cmdMkfixture(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: mkfixture DIR")
	}
	dir := ts.MkAbs(args[0])
	deep := filepath.Join(dir, strings.Repeat("deep/", 40))
	files := map[string]string{
		"plain.txt":            "hello, evidence\n",
		"with space.log":       "spaces in the name\n",
		"bad\xffname\xfe.bin":  "not utf-8 name\n",
		"line\nbreak.txt":      "a newline in the name\n",
		`back\slash.txt`:       "a backslash in the name\n",
		"empty":                "",
		"sub/nested/file.conf": strings.Repeat("key = value\n", 5000),
		"ünïcödé.txt":          "utf-8 name\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
		ts.Check(os.WriteFile(p, []byte(content), 0o640))
	}
	ts.Check(os.MkdirAll(deep, 0o755))
	ts.Check(os.WriteFile(filepath.Join(deep, "bottom.txt"), []byte("deep down\n"), 0o600))
	ts.Check(os.Symlink("plain.txt", filepath.Join(dir, "link-in")))
	ts.Check(os.Symlink("/etc/passwd", filepath.Join(dir, "link-out")))
	ts.Check(os.Symlink("../../..", filepath.Join(dir, "sub/link-up")))
	old := time.Date(2001, 2, 3, 4, 5, 6, 789000000, time.UTC)
	ts.Check(os.Chtimes(filepath.Join(dir, "plain.txt"), old, old))
}

// setbundle DIR [VAR]: sets $BUNDLE (or VAR) to the one .tar.zst in DIR.
func cmdSetbundle(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: setbundle DIR [VAR]")
	}
	m, err := filepath.Glob(filepath.Join(ts.MkAbs(args[0]), "*.tar.zst"))
	ts.Check(err)
	if len(m) != 1 {
		ts.Fatalf("want one bundle in %s, found %d", args[0], len(m))
	}
	v := "BUNDLE"
	if len(args) == 2 {
		v = args[1]
	}
	ts.Setenv(v, m[0])
}

// cmptree SRC DST: every file and link under SRC is under DST with the
// same bytes, link target, permission bits and modification time. Links
// listed after SRC DST are expected to be missing in DST.
func cmdCmptree(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: cmptree SRC DST [MISSING...]")
	}
	src, dst := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	missing := map[string]bool{}
	for _, m := range args[2:] {
		missing[m] = true
	}
	n := 0
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		q := filepath.Join(dst, rel)
		si, _ := os.Lstat(p)
		di, err := os.Lstat(q)
		if missing[rel] {
			if err == nil {
				ts.Fatalf("%q should not have been extracted", rel)
			}
			return nil
		}
		if err != nil {
			ts.Fatalf("%q missing in %s: %v", rel, args[1], err)
		}
		n++
		if si.Mode().Type() != di.Mode().Type() {
			ts.Fatalf("%q: type %v, want %v", rel, di.Mode().Type(), si.Mode().Type())
		}
		if si.Mode()&fs.ModeSymlink != 0 {
			a, _ := os.Readlink(p)
			b, _ := os.Readlink(q)
			if a != b {
				ts.Fatalf("%q: link to %q, want %q", rel, b, a)
			}
			return nil
		}
		a, _ := os.ReadFile(p)
		b, _ := os.ReadFile(q)
		if !bytes.Equal(a, b) {
			ts.Fatalf("%q: contents differ", rel)
		}
		if si.Mode().Perm() != di.Mode().Perm() {
			ts.Fatalf("%q: mode %v, want %v", rel, di.Mode().Perm(), si.Mode().Perm())
		}
		if !si.ModTime().Equal(di.ModTime()) {
			ts.Fatalf("%q: mtime %v, want %v", rel, di.ModTime(), si.ModTime())
		}
		return nil
	})
	ts.Check(err)
	if n == 0 {
		ts.Fatalf("no files compared")
	}
	ts.Logf("compared %d files and links", n)
}

// agent KEYFILE: serves an ssh-agent holding the unprotected private key
// KEYFILE on $WORK/agent.sock for the rest of the script, and sets
// SSH_AUTH_SOCK.
func cmdAgent(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: agent KEYFILE")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	key, err := ssh.ParseRawPrivateKey(b)
	ts.Check(err)
	kr := agent.NewKeyring()
	ts.Check(kr.Add(agent.AddedKey{PrivateKey: key}))
	sock := ts.MkAbs("agent.sock")
	l, err := net.Listen("unix", sock)
	ts.Check(err)
	ts.Defer(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				agent.ServeAgent(kr, c)
			}()
		}
	}()
	ts.Setenv("SSH_AUTH_SOCK", sock)
}

// cut BUNDLE N OUT: writes the first N bytes of BUNDLE (N may be a
// percentage like 50%) to OUT.
func cmdCut(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: cut BUNDLE N OUT")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	var n int
	if p, ok := strings.CutSuffix(args[1], "%"); ok {
		pct, err := strconv.Atoi(p)
		ts.Check(err)
		n = len(b) * pct / 100
	} else {
		n, err = strconv.Atoi(args[1])
		ts.Check(err)
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), b[:n], 0o644))
}

// chunk is one tar entry of a bundle's stream, as raw bytes.
type chunk struct {
	hdr   *tar.Header
	raw   []byte // header blocks, data and padding, exactly as found
	dirty bool   // rebuild from hdr and data
	data  []byte
}

// readChunks splits a bundle's decompressed tar stream into entries.
func readChunks(ts *testscript.TestScript, path string) ([]*chunk, []byte) {
	f, err := os.Open(path)
	ts.Check(err)
	defer f.Close()
	dec, err := zstd.NewReader(f)
	ts.Check(err)
	defer dec.Close()
	stream, err := io.ReadAll(dec)
	ts.Check(err)
	cr := &countReader{r: bytes.NewReader(stream)}
	tr := tar.NewReader(cr)
	var out []*chunk
	start := int64(0)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		ts.Check(err)
		data, err := io.ReadAll(tr)
		ts.Check(err)
		end := cr.n + (512-h.Size%512)%512
		out = append(out, &chunk{hdr: h, raw: stream[start:end], data: data})
		start = end
	}
	return out, stream[start:]
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func writeChunks(ts *testscript.TestScript, path string, chunks []*chunk, trailer []byte) {
	var buf bytes.Buffer
	for _, c := range chunks {
		if !c.dirty {
			buf.Write(c.raw)
			continue
		}
		tw := tar.NewWriter(&buf)
		h := *c.hdr
		h.Size = int64(len(c.data))
		h.PAXRecords = nil
		ts.Check(tw.WriteHeader(&h))
		_, err := tw.Write(c.data)
		ts.Check(err)
		ts.Check(tw.Flush())
	}
	buf.Write(trailer)
	enc, err := zstd.NewWriter(nil)
	ts.Check(err)
	ts.Check(os.WriteFile(path, enc.EncodeAll(buf.Bytes(), nil), 0o644))
}

// tamper BUNDLE OP [ARGS]: rewrites a bundle (repacking its tar) as an
// adversary would:
//
//	data PATH       change one byte of the artifact PATH
//	remove PATH     remove the artifact PATH and its record
//	swap A B        swap artifacts A and B with their records
//	record PATH     edit a field of PATH's record (same length)
//	resign KEYFILE  replace the manifest signature by one of another key
//	duprecord PATH  repeat the artifact PATH and its record
//	json PATH KIND  replace PATH's record by hostile JSON (deep, hugenum)
func cmdTamper(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: tamper BUNDLE OP [ARGS]")
	}
	path := ts.MkAbs(args[0])
	chunks, trailer := readChunks(ts, path)
	find := func(name string) int {
		for i, c := range chunks {
			if c.hdr.Name == name {
				return i
			}
		}
		ts.Fatalf("no entry %q in the bundle", name)
		return -1
	}
	switch op := args[1]; op {
	case "data":
		c := chunks[find(args[2])]
		c.data[len(c.data)/2] ^= 0x20
		c.dirty = true
	case "remove":
		i := find(args[2])
		chunks = append(chunks[:i], chunks[i+2:]...)
	case "swap":
		i, j := find(args[2]), find(args[3])
		chunks[i], chunks[j] = chunks[j], chunks[i]
		chunks[i+1], chunks[j+1] = chunks[j+1], chunks[i+1]
	case "record":
		c := chunks[find(args[2])+1]
		if !bytes.Contains(c.data, []byte(`"outcome":"ok"`)) {
			ts.Fatalf("record of %s has no outcome ok", args[2])
		}
		c.data = bytes.Replace(c.data, []byte(`"outcome":"ok"`), []byte(`"outcome":"OK"`), 1)
		c.dirty = true
	case "duprecord":
		// the artifact and its record, twice
		i := find(args[2])
		dup := []*chunk{chunks[i], chunks[i+1]}
		chunks = append(chunks[:i+2], append(dup, chunks[i+2:]...)...)
	case "json":
		// the record of PATH replaced by hostile JSON: deep (nesting
		// 100,000 levels) or hugenum (a number of 100,000 digits)
		c := chunks[find(args[2])+1]
		switch args[3] {
		case "deep":
			c.data = []byte(`{"seq":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}\n")
		case "hugenum":
			c.data = []byte(`{"seq":1` + strings.Repeat("0", 100000) + "}\n")
		default:
			ts.Fatalf("json deep|hugenum")
		}
		c.dirty = true
	case "resign":
		keyb, err := os.ReadFile(ts.MkAbs(args[2]))
		ts.Check(err)
		key, err := ssh.ParseRawPrivateKey(keyb)
		ts.Check(err)
		signer, err := ssh.NewSignerFromKey(key.(*ed25519.PrivateKey))
		ts.Check(err)
		m := chunks[find(manifest.ManifestPath)]
		sig, err := manifest.Sign(bytes.NewReader(m.data), signer)
		ts.Check(err)
		s := chunks[find(manifest.SignaturePath)]
		s.data, s.dirty = sig, true
	default:
		ts.Fatalf("unknown tamper op %q", op)
	}
	writeChunks(ts, path, chunks, trailer)
}

func TestMemoryLimitForStreamingCommands(t *testing.T) {
	for args, want := range map[string]bool{
		"collect --out x": true, "verify b.tar.zst": true, "--help": false,
		"report b.tar.zst": false, "custody verify": false, "": false,
	} {
		if got := streams(strings.Fields(args)); got != want {
			t.Errorf("streams(%q) = %v, want %v", args, got, want)
		}
	}
}
