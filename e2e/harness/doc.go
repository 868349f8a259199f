// Package harness runs real Kubernetes control planes on this machine for
// end-to-end tests and for the sandbox (`make sandbox`).
//
// Start runs one etcd and, in it, any number of named clusters: each cluster
// is its own kube-apiserver on a free 127.0.0.1 port with its own etcd prefix.
// A Light cluster is just that API server; a Full cluster adds
// kube-controller-manager, kube-scheduler and kwok simulating one node
// (FakeNodeName), so Deployments roll out and become Available. The
// binaries come from bin/ (`make control-plane`); a missing binary is an
// error, never a skip.
//
// Security is real but throwaway: the harness generates a CA and a serving
// certificate for 127.0.0.1 (clients verify it, kubeconfigs embed the CA), an
// admin bearer token in group system:masters (static token file), RBAC
// authorization, and a service-account signing key per cluster.
//
// Failures to simulate: StopAPIServer/StartAPIServer (an outage and the
// recovery: same port, same data), Drain/Undrain (the node is tainted
// NoExecute, its pods are evicted and replacements stay Pending), and images
// ending in BrokenImageSuffix, whose pods never become Ready.
//
// Processes: every child runs in its own process group with Pdeathsig set, so
// nothing outlives the test binary even if it crashes; Close stops them all
// and waits. Logs are files in the work dir, <WorkDir>/<cluster>/<binary>.log;
// ForTest and Main keep them when a test fails and print where they are.
//
// Sharing: a test that needs its own clusters calls ForTest. Tests of one
// package share clusters by calling Main from TestMain and Shared in each
// test, each test working in its own namespace (Cluster.Namespace):
//
//	func TestMain(m *testing.M) {
//		harness.Main(m, harness.ClusterSpec{Name: "SPG-01", Mode: harness.Full})
//	}
//
//	func TestApply(t *testing.T) {
//		spg01 := harness.Shared(t).Cluster("SPG-01")
//		ns := spg01.Namespace(t)
//		...
//	}
package harness
