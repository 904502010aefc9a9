package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// credentials are an access key, a secret and maybe a session token, and
// where they came from (for messages: never the values).
type credentials struct {
	id, secret, token string
	source            string
}

// loadCredentials finds the credentials: --credentials FILE (profile
// AWS_PROFILE, else "default"), else AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), else the shared
// credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials).
//
// hozen reads the file itself: minio-go's reader would run a profile's
// credential_process, and hozen never runs a program of the host it is
// on. A profile that has one is refused.
func loadCredentials(cfg Config) (*credentials, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	profile := getenv("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	if cfg.CredentialsFile != "" {
		return credentialsFile(cfg.CredentialsFile, profile)
	}
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" || secret != "" {
		if id == "" || secret == "" {
			return nil, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set")
		}
		return &credentials{id: id, secret: secret, token: getenv("AWS_SESSION_TOKEN"), source: "the environment (AWS_ACCESS_KEY_ID)"}, nil
	}
	file := getenv("AWS_SHARED_CREDENTIALS_FILE")
	if file == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, ErrNoCredential
		}
		file = filepath.Join(home, ".aws", "credentials")
	}
	if _, err := os.Stat(file); err != nil {
		return nil, ErrNoCredential
	}
	return credentialsFile(file, profile)
}

// credentialsFile reads profile from an AWS-style INI credentials file.
func credentialsFile(path, profile string) (*credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("credentials file: %w", err)
	}
	defer f.Close()
	c := &credentials{source: fmt.Sprintf("%s, profile %s", path, profile)}
	in, found := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && line[len(line)-1] == ']' {
			name := strings.TrimSpace(line[1 : len(line)-1])
			name = strings.TrimSpace(strings.TrimPrefix(name, "profile "))
			in = name == profile
			found = found || in
			continue
		}
		if !in {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "aws_access_key_id":
			c.id = v
		case "aws_secret_access_key":
			c.secret = v
		case "aws_session_token":
			c.token = v
		case "credential_process":
			return nil, fmt.Errorf("credentials file %s, profile %s: credential_process is refused (hozen runs no program of this host); put the keys in the profile or the environment", path, profile)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("credentials file %s: %w", path, err)
	}
	if !found {
		return nil, fmt.Errorf("credentials file %s has no profile %q (AWS_PROFILE)", path, profile)
	}
	if c.id == "" || c.secret == "" {
		return nil, fmt.Errorf("credentials file %s, profile %s: aws_access_key_id and aws_secret_access_key are both needed", path, profile)
	}
	return c, nil
}
