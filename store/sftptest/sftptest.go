// Package sftptest runs a real SFTP server in the test's process, for the
// tests of store and of the hozen command: github.com/pkg/sftp's server
// over golang.org/x/crypto/ssh on 127.0.0.1, with a host key made for the
// test and one authorized user key. It serves the machine's file system
// (paths as the tests give them, normally below a temporary directory).
// It is imported by tests only.
package sftptest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Server is a running SFTP server.
type Server struct {
	Addr    string        // 127.0.0.1:PORT
	Port    string        // PORT
	HostKey ssh.PublicKey // the server's host key
	UserKey ssh.Signer    // the one key it authorizes
	User    string

	// CutAfter, when above 0, makes the server drop the next connection
	// once it has received that many bytes from the client (then it is
	// reset to 0): an upload cut half-way.
	CutAfter atomic.Int64
	// Sessions counts the SFTP sessions served.
	Sessions atomic.Int64

	userPriv ed25519.PrivateKey
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	conn     []net.Conn
}

// Start starts a server; Close stops it.
func Start() (*Server, error) {
	_, hpriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	hs, err := ssh.NewSignerFromKey(hpriv)
	if err != nil {
		return nil, err
	}
	_, upriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	us, err := ssh.NewSignerFromKey(upriv)
	if err != nil {
		return nil, err
	}
	s := &Server{HostKey: hs.PublicKey(), UserKey: us, User: "hozen", userPriv: upriv}
	conf := &ssh.ServerConfig{PublicKeyCallback: func(c ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if c.User() == s.User && string(k.Marshal()) == string(us.PublicKey().Marshal()) {
			return &ssh.Permissions{}, nil
		}
		return nil, errors.New("unknown key")
	}}
	conf.AddHostKey(hs)
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.Addr = s.ln.Addr().String()
	_, s.Port, _ = net.SplitHostPort(s.Addr)
	s.wg.Go(func() {
		for {
			c, err := s.ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conn = append(s.conn, c)
			s.mu.Unlock()
			s.wg.Go(func() { s.serve(c, conf) })
		}
	})
	return s, nil
}

// cutConn drops the connection after limit bytes read.
type cutConn struct {
	net.Conn
	left int64
}

func (c *cutConn) Read(b []byte) (int, error) {
	if c.left <= 0 {
		c.Conn.Close()
		return 0, io.EOF
	}
	n, err := c.Conn.Read(b[:min(int64(len(b)), c.left)])
	c.left -= int64(n)
	return n, err
}

func (s *Server) serve(c net.Conn, conf *ssh.ServerConfig) {
	defer c.Close()
	if n := s.CutAfter.Swap(0); n > 0 {
		c = &cutConn{Conn: c, left: n}
	}
	_, chans, reqs, err := ssh.NewServerConn(c, conf)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, in, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			for req := range in {
				ok := req.Type == "subsystem" && len(req.Payload) >= 4 && string(req.Payload[4:]) == "sftp"
				req.Reply(ok, nil)
				if ok {
					s.Sessions.Add(1)
					go func() {
						defer ch.Close()
						srv, err := sftp.NewServer(ch)
						if err != nil {
							return
						}
						srv.Serve()
					}()
				}
			}
		}()
	}
}

// Close stops the server and drops its connections.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conn {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// KnownHostsLine is the server's known_hosts line.
func (s *Server) KnownHostsLine() string {
	return knownhosts.Line([]string{s.Addr}, s.HostKey)
}

// AuthorizedKey is the server's host key as a public key line.
func (s *Server) AuthorizedKey() string {
	return string(ssh.MarshalAuthorizedKey(s.HostKey))
}

// WriteFiles writes, into dir, known_hosts (the server's line) and
// id_ed25519 (the user's private key, unencrypted), and gives their paths.
func (s *Server) WriteFiles(dir string) (knownHosts, identity string, err error) {
	knownHosts = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, []byte(s.KnownHostsLine()+"\n"), 0o600); err != nil {
		return "", "", err
	}
	identity = filepath.Join(dir, "id_ed25519")
	return knownHosts, identity, writeKey(identity, s)
}

func writeKey(path string, s *Server) error {
	b, err := ssh.MarshalPrivateKey(s.userPriv, "hozen test")
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(b), 0o600)
}
