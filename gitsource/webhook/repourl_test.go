package webhook

import "testing"

func TestRepoKey(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"https://github.com/Org/Repo", "github.com/org/repo"},
		{"https://GitHub.com/org/repo.git", "github.com/org/repo"},
		{"https://github.com/org/repo/", "github.com/org/repo"},
		{"https://user:token@github.com:443/org/repo.git", "github.com/org/repo"},
		{"http://github.com/org/repo", "github.com/org/repo"},
		{"ssh://git@github.com:22/org/repo.git", "github.com/org/repo"},
		{"ssh://git@github.com/org/repo", "github.com/org/repo"},
		{"git://github.com/org/repo.git", "github.com/org/repo"},
		{"git@github.com:org/repo.git", "github.com/org/repo"},
		{"github.com:org/repo", "github.com/org/repo"},
		{"  git@gitlab.example.com:group/sub/repo.git  ", "gitlab.example.com/group/sub/repo"},
		{"/srv/git/config.git", "/srv/git/config"},
		{"", ""},
		{"https://github.com/", ""},
		{"https://%zz/org/repo", ""},
	}
	for _, tt := range tests {
		if got := repoKey(tt.url); got != tt.want {
			t.Errorf("repoKey(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestRepoSet(t *testing.T) {
	s := newRepoSet([]string{"git@git.example.com:team/config.git", ""})
	for url, want := range map[string]bool{
		"https://git.example.com/Team/Config":        true,
		"ssh://git@git.example.com:2222/team/config": true,
		"https://git.example.com/team/config-old":    false,
		"https://other.example.com/team/config":      false,
	} {
		if got := s.matchAny([]string{url}); got != want {
			t.Errorf("matchAny(%q) = %t, want %t", url, got, want)
		}
	}
	if !newRepoSet(nil).matchAny([]string{"https://anything.example/x"}) {
		t.Error("an empty set must follow every repository")
	}
}
