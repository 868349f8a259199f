package webhook

import (
	"net/url"
	"strings"
)

// repoSet holds the followed repository as keys comparable across URL forms.
// An empty set follows every repository.
type repoSet map[string]struct{}

func newRepoSet(urls []string) repoSet {
	s := repoSet{}
	for _, u := range urls {
		if k := repoKey(u); k != "" {
			s[k] = struct{}{}
		}
	}
	return s
}

// matchAny reports whether any of urls names a followed repository.
func (s repoSet) matchAny(urls []string) bool {
	if len(s) == 0 {
		return true
	}
	for _, u := range urls {
		if _, ok := s[repoKey(u)]; ok {
			return true
		}
	}
	return false
}

// repoKey reduces a repository URL to "host/path": scheme, user, port, a
// trailing .git and surrounding slashes dropped, all lower-cased. So
// https://GitHub.com/Org/Repo, ssh://git@github.com:22/org/repo.git and
// git@github.com:org/repo.git share the key github.com/org/repo.
//
// The path is folded too: the common forges treat owner and repository names
// case-insensitively, and a false match costs one needless fetch while a false
// miss would silently drop notifications. It returns "" for an unusable URL.
func repoKey(raw string) string {
	s := strings.TrimSpace(raw)
	var host, path string
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			return ""
		}
		host, path = u.Hostname(), u.Path
	} else if i := strings.IndexByte(s, ':'); i > 0 && !strings.Contains(s[:i], "/") {
		// scp-like [user@]host:path
		host, path = s[:i], s[i+1:]
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			host = host[at+1:]
		}
	} else {
		path = s // a local path
	}
	path = strings.Trim(path, "/")
	path = strings.TrimSuffix(path, ".git")
	path = strings.TrimRight(path, "/")
	if path == "" {
		return ""
	}
	return strings.ToLower(host + "/" + path)
}
