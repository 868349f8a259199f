package diff

import "testing"

// TestUnchangedSecretWithStringData: a Secret written with stringData that
// Git does not change is unchanged, not reported as drift.
func TestUnchangedSecretWithStringData(t *testing.T) {
	files := map[string]string{
		"clusters.yaml": twoClusters, "web.yaml": sub("web", "web"),
		"web/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: web}\nstringData: {password: p}\ndata: {user: dXNlcg==}\n",
	}
	rep := compute(t, files, files, "")
	if rep.Changed {
		t.Errorf("an unchanged Secret changes: %+v", subscription(t, rep, "a", "web").Objects[0])
	}
}
