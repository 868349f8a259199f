package gitsource

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// Auth holds the credentials for a config repository. Its String and
// GoString methods print no secret, so an Auth (or an option struct holding
// one) is safe to log with any fmt verb.
//
// For https: Password is a password or an access token, sent with HTTP basic
// authentication as Username (default "git", which GitHub, Gitea and GitLab
// accept with a token).
//
// For ssh: SSHKeyFile is the private key and KnownHostsFile a known_hosts
// file that must hold the server's key; both are required, and an unknown or
// changed host key is an error (there is no way to skip the check). Password,
// when set, is the key's passphrase. The login user comes from the URL
// (git@host:org/repo.git), then Username, then "git".
type Auth struct {
	Username       string
	Password       string
	SSHKeyFile     string
	KnownHostsFile string
}

// String describes the credentials without revealing the password.
func (a Auth) String() string {
	var parts []string
	if a.Username != "" {
		parts = append(parts, "user "+a.Username)
	}
	if a.Password != "" {
		parts = append(parts, "password <redacted>")
	}
	if a.SSHKeyFile != "" {
		parts = append(parts, "ssh key "+a.SSHKeyFile)
	}
	if a.KnownHostsFile != "" {
		parts = append(parts, "known_hosts "+a.KnownHostsFile)
	}
	if len(parts) == 0 {
		return "no credentials"
	}
	return strings.Join(parts, ", ")
}

// GoString is like String, for the %#v verb.
func (a Auth) GoString() string { return "gitsource.Auth{" + a.String() + "}" }

// AuthConfig says where credentials are without holding any secret, so it
// can come from flags or a config file. LoadAuth turns it into an Auth.
type AuthConfig struct {
	// Username for https basic authentication or the ssh login.
	Username string
	// PasswordFile is a file holding the password or token (for ssh: the
	// key's passphrase). Surrounding whitespace and the final newline are
	// dropped, so a Kubernetes Secret mounted as a file works as is.
	PasswordFile string
	// PasswordEnv names an environment variable holding the password or
	// token. At most one of PasswordFile and PasswordEnv may be set.
	PasswordEnv string
	// SSHKeyFile and KnownHostsFile are copied to Auth.
	SSHKeyFile     string
	KnownHostsFile string
}

// LoadAuth reads the secret c points to. Errors name the file or variable,
// never its content.
func LoadAuth(c AuthConfig) (Auth, error) {
	a := Auth{Username: c.Username, SSHKeyFile: c.SSHKeyFile, KnownHostsFile: c.KnownHostsFile}
	switch {
	case c.PasswordFile != "" && c.PasswordEnv != "":
		return Auth{}, fmt.Errorf("git credentials: give a password file or an environment variable, not both")
	case c.PasswordFile != "":
		data, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return Auth{}, fmt.Errorf("git password file %s: %w", c.PasswordFile, err)
		}
		a.Password = strings.TrimSpace(string(data))
		if a.Password == "" {
			return Auth{}, fmt.Errorf("git password file %s is empty", c.PasswordFile)
		}
	case c.PasswordEnv != "":
		v, ok := os.LookupEnv(c.PasswordEnv)
		if !ok || strings.TrimSpace(v) == "" {
			return Auth{}, fmt.Errorf("git password variable %s is not set or empty", c.PasswordEnv)
		}
		a.Password = strings.TrimSpace(v)
	}
	return a, nil
}

// method returns the go-git credentials for endpoint ep (nil: anonymous).
func (a Auth) method(ep *transport.Endpoint) (transport.AuthMethod, error) {
	switch ep.Protocol {
	case "http", "https":
		if a.SSHKeyFile != "" {
			return nil, fmt.Errorf("an ssh key is given for the %s URL %s", ep.Protocol, displayEndpoint(ep))
		}
		if a.Username == "" && a.Password == "" {
			return nil, nil
		}
		user := a.Username
		if user == "" {
			user = "git"
		}
		return &githttp.BasicAuth{Username: user, Password: a.Password}, nil
	case "ssh":
		if a.SSHKeyFile == "" || a.KnownHostsFile == "" {
			return nil, fmt.Errorf("ssh URL %s needs an ssh key file and a known_hosts file", displayEndpoint(ep))
		}
		user := ep.User
		if user == "" {
			user = a.Username
		}
		if user == "" {
			user = "git"
		}
		keys, err := gitssh.NewPublicKeysFromFile(user, a.SSHKeyFile, a.Password)
		if err != nil {
			return nil, fmt.Errorf("ssh key %s: %w", a.SSHKeyFile, err)
		}
		hostKeys, err := gitssh.NewKnownHostsCallback(a.KnownHostsFile)
		if err != nil {
			return nil, fmt.Errorf("known_hosts file %s: %w", a.KnownHostsFile, err)
		}
		keys.HostKeyCallback = hostKeys
		return keys, nil
	case "file":
		return nil, nil
	default:
		if a != (Auth{}) {
			return nil, fmt.Errorf("credentials are not supported for %s URLs like %s", ep.Protocol, displayEndpoint(ep))
		}
		return nil, nil
	}
}

// displayEndpoint prints ep without its password.
func displayEndpoint(ep *transport.Endpoint) string {
	c := *ep
	c.Password = ""
	return c.String()
}

// redactor removes secrets from messages: the URL as given (it may carry
// user:password@) becomes the display URL, and every password, plain or
// URL-escaped, becomes "***".
func redactor(rawURL, display string, secrets ...string) *strings.Replacer {
	var pairs []string
	if rawURL != display {
		pairs = append(pairs, rawURL, display)
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, v := range []string{url.QueryEscape(s), url.PathEscape(s), url.UserPassword("", s).String()[1:], s} {
			if v != "" && v != "***" {
				pairs = append(pairs, v, "***")
			}
		}
	}
	return strings.NewReplacer(pairs...)
}
