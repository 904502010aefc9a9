package collect

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
)

// Path maps a host path ("/proc/net/tcp") to the file under env.Root.
func (e *Env) Path(hostPath string) string {
	root := e.Root
	if root == "" || root == "/" {
		return filepath.FromSlash(hostPath)
	}
	return filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(hostPath, "/")))
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
