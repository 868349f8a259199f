package gitsource

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

const planted = "pl4nted-S3CRET"

func TestBasicAuth(t *testing.T) {
	f := newFixture(t)
	first := f.push(t, "first", map[string]string{"a.yaml": "a: 1\n"})
	f.srv.RequireBasicAuth("alice", planted)

	s := openSource(t, SourceOptions{URL: f.url, StateDir: t.TempDir(), Auth: Auth{Username: "alice", Password: planted}})
	poll(t, s, first, true)

	// The same credentials in the URL work too, and the folder is the same.
	withCreds := strings.Replace(f.url, "http://", "http://alice:"+planted+"@", 1)
	s2 := openSource(t, SourceOptions{URL: withCreds, StateDir: s.opts.StateDir})
	if s2.URL() != f.url {
		t.Errorf("URL() = %q, want %q", s2.URL(), f.url)
	}
	poll(t, s2, first, true)
	if st := s2.Stats(); st.Fetches != 0 {
		t.Errorf("Fetches = %d, want 0: the folder is per URL, credentials apart", st.Fetches)
	}
	config, err := os.ReadFile(filepath.Join(s.opts.StateDir, stateFolder(f.url), "config"))
	if err != nil || strings.Contains(string(config), planted) || !strings.Contains(string(config), f.url) {
		t.Errorf("state repository config = %q, %v; want the URL without credentials", config, err)
	}
}

func TestWrongPasswordIsNotShown(t *testing.T) {
	f := newFixture(t)
	f.push(t, "first", map[string]string{"a.yaml": "a: 1\n"})
	f.srv.RequireBasicAuth("alice", "the-right-one")

	for name, o := range map[string]SourceOptions{
		"auth":         {URL: f.url, Auth: Auth{Username: "alice", Password: planted}},
		"url":          {URL: strings.Replace(f.url, "http://", "http://alice:"+planted+"@", 1)},
		"url-escaped":  {URL: strings.Replace(f.url, "http://", "http://alice:"+planted+"%2F@", 1)},
		"token":        {URL: f.url, Auth: Auth{Password: planted}},
		"server-down":  {URL: strings.Replace(f.url, "http://", "http://alice:"+planted+"@", 1), Branch: "down"},
		"missing-repo": {URL: strings.Replace(f.url, "config.git", "nope.git", 1), Auth: Auth{Password: planted}},
	} {
		t.Run(name, func(t *testing.T) {
			o.StateDir = t.TempDir()
			s := openSource(t, o)
			if o.Branch == "down" {
				f.srv.Stop()
				defer func() { _ = f.srv.Start() }()
			}
			_, _, err := s.Poll(context.Background())
			if err == nil {
				t.Fatal("Poll with a wrong password succeeded")
			}
			msg := err.Error() + fmt.Sprintf(" %v %+v %#v", err, err, err)
			if strings.Contains(msg, planted) || strings.Contains(msg, "pl4nted") {
				t.Errorf("error shows the password: %s", msg)
			}
			if !strings.Contains(msg, f.srv.Addr()) {
				t.Errorf("error %q does not name the repository", msg)
			}
			if o.Branch == "" && name != "missing-repo" && !errors.Is(err, transport.ErrAuthenticationRequired) {
				t.Errorf("error %q is not ErrAuthenticationRequired", err)
			}
		})
	}
}

func TestAuthNeverPrinted(t *testing.T) {
	a := Auth{Username: "alice", Password: planted, SSHKeyFile: "/keys/id", KnownHostsFile: "/keys/known_hosts"}
	o := SourceOptions{URL: "https://example.com/r.git", Auth: a}
	for _, got := range []string{
		fmt.Sprint(a), fmt.Sprintf("%v %+v %#v %s", a, a, a, a),
		fmt.Sprintf("%v %+v %#v", &a, &a, &a), fmt.Sprintf("%v %+v", o, o), fmt.Sprintf("%+v", &o),
	} {
		if strings.Contains(got, planted) {
			t.Errorf("printed credentials: %s", got)
		}
		if !strings.Contains(got, "alice") {
			t.Errorf("printed %q, want the user name", got)
		}
	}
}

func TestLoadAuth(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte(planted+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MANIFOLD_TEST_TOKEN", planted)

	for _, c := range []AuthConfig{{PasswordFile: file}, {PasswordEnv: "MANIFOLD_TEST_TOKEN"}} {
		a, err := LoadAuth(c)
		if err != nil || a.Password != planted {
			t.Errorf("LoadAuth(%+v) = %v, %v", c, a, err)
		}
	}
	for _, c := range []AuthConfig{
		{PasswordFile: file, PasswordEnv: "MANIFOLD_TEST_TOKEN"},
		{PasswordFile: filepath.Join(dir, "missing")},
		{PasswordFile: empty},
		{PasswordEnv: "MANIFOLD_TEST_UNSET"},
	} {
		_, err := LoadAuth(c)
		if err == nil {
			t.Errorf("LoadAuth(%+v) succeeded", c)
		} else if strings.Contains(err.Error(), planted) {
			t.Errorf("LoadAuth error shows the password: %v", err)
		}
	}
}

func TestSSHNeedsKnownHosts(t *testing.T) {
	for _, a := range []Auth{{}, {SSHKeyFile: "/missing/id"}, {SSHKeyFile: "/missing/id", KnownHostsFile: "/missing/known_hosts"}} {
		_, err := OpenSource(context.Background(), SourceOptions{URL: "git@example.com:org/repo.git", StateDir: t.TempDir(), Auth: a})
		if err == nil {
			t.Errorf("OpenSource(ssh, %v) succeeded", a)
		}
	}
}

func TestScrubRemovesPlantedSecrets(t *testing.T) {
	special := "p@ss/" + planted
	raw := "https://alice:" + url.QueryEscape(special) + "@example.com/r.git"
	s := openSource(t, SourceOptions{URL: raw, StateDir: t.TempDir(), Auth: Auth{Password: "tok-" + planted}})
	cause := fmt.Errorf("get %q: %s failed (password %s, escaped %s and %s, token %s): %w",
		raw, raw, special, url.QueryEscape(special), url.PathEscape(special), "tok-"+planted, transport.ErrAuthenticationRequired)
	err := s.scrub(cause)
	if strings.Contains(err.Error(), "pl4nted") {
		t.Errorf("scrubbed error still shows a secret: %s", err)
	}
	if !strings.Contains(err.Error(), "https://example.com/r.git") {
		t.Errorf("scrubbed error %q lost the URL", err)
	}
	if !errors.Is(err, transport.ErrAuthenticationRequired) {
		t.Errorf("scrubbed error %q is no longer ErrAuthenticationRequired", err)
	}
	if errors.Unwrap(err) != nil {
		t.Error("scrubbed error unwraps to the unscrubbed one")
	}
}

func TestReadRemoteHidesPassword(t *testing.T) {
	f := newFixture(t)
	f.push(t, "first", map[string]string{"a.yaml": "a: 1\n"})
	f.srv.RequireBasicAuth("alice", "the-right-one")
	_, err := ReadRemote(context.Background(), strings.Replace(f.url, "http://", "http://alice:"+planted+"@", 1), "", Limits{})
	if err == nil || strings.Contains(err.Error(), planted) || !strings.Contains(err.Error(), f.url) {
		t.Errorf("ReadRemote with a wrong password: %v", err)
	}
}
