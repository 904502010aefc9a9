package collect

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
)

// path maps a host path ("/proc/net/tcp") to the file under env.Root.
func (e *Env) path(hostPath string) string {
	root := e.Root
	if root == "" || root == "/" {
		return filepath.FromSlash(hostPath)
	}
	return filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(hostPath, "/")))
}

// Path maps a host path ("/proc/net/tcp") to the file under env.Root.
func (e *Env) Path(hostPath string) string { return e.path(hostPath) }

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
