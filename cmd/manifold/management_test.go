package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestServeFlagsFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		want    map[string]string // flag values after parsing
		wantErr string
	}{
		{
			name: "unset flags come from the environment, which satisfies --repo",
			env:  map[string]string{"MANIFOLD_REPO": "https://git.example.com/config.git", "MANIFOLD_INTERVAL": "2m", "MANIFOLD_GIT_USERNAME": "bot", "MANIFOLD_IN_CLUSTER": "true"},
			want: map[string]string{"repo": "https://git.example.com/config.git", "interval": "2m0s", "git-username": "bot", "in-cluster": "true"},
		},
		{
			name: "the command line wins",
			env:  map[string]string{"MANIFOLD_BRANCH": "release"},
			args: []string{"--repo", "r", "--branch", "main"},
			want: map[string]string{"branch": "main"},
		},
		{
			name: "empty variables are unset",
			env:  map[string]string{"MANIFOLD_BRANCH": "", "MANIFOLD_REPO": "r"},
			want: map[string]string{"branch": "main"},
		},
		{
			name:    "a bad value names its variable",
			env:     map[string]string{"MANIFOLD_PROBE_INTERVAL": "often"},
			args:    []string{"--repo", "r"},
			wantErr: "MANIFOLD_PROBE_INTERVAL",
		},
		{
			name:    "without the environment --repo is still required",
			wantErr: `required flag(s) "repo" not set`,
		},
		{
			name:    "one way to reach the management cluster",
			env:     map[string]string{"MANIFOLD_MANAGEMENT_KUBECONFIG": "/tmp/mgmt.kubeconfig"},
			args:    []string{"--repo", "r", "--in-cluster"},
			wantErr: "none of the others can be",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cmd := newServeCommand()
			cmd.RunE = func(*cobra.Command, []string) error { return nil } // parse only
			cmd.SetArgs(tc.args)
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tc.want {
				if got := cmd.Flags().Lookup(name).Value.String(); got != want {
					t.Errorf("--%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}
