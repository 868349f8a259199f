package reconciler

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// deployment returns a Deployment as the API server reports it after a
// finished rollout of 3 replicas, changed by mutate.
func deployment(mutate func(u *unstructured.Unstructured)) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1",
		"kind":       "Deployment",
		"metadata":   map[string]any{"name": "user-service", "namespace": "qcbm", "generation": int64(2)},
		"spec": map[string]any{
			"replicas":                int64(3),
			"progressDeadlineSeconds": int64(600),
			"selector":                map[string]any{"matchLabels": map[string]any{"app": "user-service"}},
		},
		"status": map[string]any{
			"observedGeneration": int64(2),
			"replicas":           int64(3),
			"updatedReplicas":    int64(3),
			"readyReplicas":      int64(3),
			"availableReplicas":  int64(3),
			"conditions": []any{
				map[string]any{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
				map[string]any{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
			},
		},
	}}
	if mutate != nil {
		mutate(u)
	}
	return u
}

func setStatus(field string, v any) func(*unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) {
		if err := unstructured.SetNestedField(u.Object, v, "status", field); err != nil {
			panic(err)
		}
	}
}

func TestHealthOf(t *testing.T) {
	tests := []struct {
		name        string
		obj         *unstructured.Unstructured
		want        Health
		wantMessage string
	}{{
		name:        "available Deployment",
		obj:         deployment(nil),
		want:        Healthy,
		wantMessage: "Deployment is available. Replicas: 3",
	}, {
		name:        "Deployment rolling out",
		obj:         deployment(setStatus("updatedReplicas", int64(1))),
		want:        Progressing,
		wantMessage: "Updated: 1/3",
	}, {
		name: "Deployment not yet observed by its controller",
		obj: deployment(func(u *unstructured.Unstructured) {
			u.SetGeneration(3)
		}),
		want:        Progressing,
		wantMessage: "Deployment generation is 3, but latest observed generation is 2",
	}, {
		name: "Deployment past its progress deadline",
		obj: deployment(setStatus("conditions", []any{
			map[string]any{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"},
			map[string]any{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"},
		})),
		want:        Degraded,
		wantMessage: "Progress deadline exceeded",
	}, {
		name: "Deployment being deleted",
		obj: deployment(func(u *unstructured.Unstructured) {
			now := metav1.Now()
			u.SetDeletionTimestamp(&now)
		}),
		want:        Terminating,
		wantMessage: "Resource scheduled for deletion",
	}, {
		name: "ConfigMap",
		obj: &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "qcbm-config", "namespace": "qcbm"},
			"data":     map[string]any{"MYSQL_HOST": "mysql"},
		}},
		want:        Healthy,
		wantMessage: "Resource is always ready",
	}, {
		name:        "absent object",
		obj:         nil,
		want:        Missing,
		wantMessage: "object not found",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, msg := HealthOf(tt.obj)
			if diff := cmp.Diff([]string{string(tt.want), tt.wantMessage}, []string{string(got), msg}); diff != "" {
				t.Errorf("HealthOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHealthOfUncomputable(t *testing.T) {
	u := deployment(setStatus("conditions", "not a list"))
	if got, msg := HealthOf(u); got != Unknown || msg == "" {
		t.Errorf("HealthOf(malformed status) = %q, %q; want Unknown with a message", got, msg)
	}
}

func TestWorstHealth(t *testing.T) {
	tests := []struct {
		name string
		in   []Health
		want Health
	}{
		{"nothing is healthy", nil, Healthy},
		{"all healthy", []Health{Healthy, Healthy}, Healthy},
		{"progressing beats healthy", []Health{Healthy, Progressing}, Progressing},
		{"terminating beats progressing", []Health{Progressing, Terminating, Healthy}, Terminating},
		{"unknown beats terminating", []Health{Terminating, Unknown}, Unknown},
		{"missing beats unknown", []Health{Unknown, Missing, Progressing}, Missing},
		{"degraded is worst", []Health{Missing, Degraded, Unknown, Healthy}, Degraded},
		{"an unlisted value counts as unknown", []Health{Healthy, Health("Exploded")}, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, WorstHealth(tt.in...)); diff != "" {
				t.Errorf("WorstHealth(%v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
