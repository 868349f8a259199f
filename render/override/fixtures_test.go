package override_test

import (
	"encoding/json"

	"sigs.k8s.io/yaml"
)

// The QCBM api-gateway Service of the seed tutorial.
var service = mustJSON(`
apiVersion: v1
kind: Service
metadata:
  name: api-gateway
  namespace: qcbm
  labels: {app: api-gateway}
  annotations:
    service.kubernetes.io/qcloud-loadbalancer-internal-subnetid: ""
spec:
  externalTrafficPolicy: Cluster
  ports:
  - {name: http, port: 8080, targetPort: 8080, protocol: TCP, nodePort: 32500}
  selector: {app: qcbm-gateway, version: v1}
  type: LoadBalancer
`)

var deployment = mustJSON(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: user-service
  namespace: qcbm
  labels: {app: user-service}
spec:
  replicas: 1
  selector: {matchLabels: {app: user-service}}
  template:
    metadata: {labels: {app: user-service, version: v1}}
    spec:
      containers:
      - name: user-service
        image: ccr.ccs.tencentyun.com/qcbm/qcbm-user-service:1.1.4
        env:
        - {name: NACOS_HOST, value: nacos.qcbm}
        - {name: SPRING_APPLICATION_JSON, value: '{"nacos":{"host":"nacos.qcbm","port":8848}}'}
        resources: {limits: {cpu: 500m, memory: 1Gi}}
`)

var configMap = mustJSON(`
apiVersion: v1
kind: ConfigMap
metadata:
  name: qcbm-env
  namespace: qcbm
data:
  application.yaml: |
    # the user service
    server:
      port: 8080
    mysql:
      host: mysql.qcbm
      port: 3306
  config.json: '{"region":"ap-singapore","replicas":2}'
  pretty.json: |
    {
      "region": "ap-singapore",
      "zones": ["ap-singapore-1"]
    }
  greeting: hello
  broken.yaml: "a: [b"
`)

var namespace = mustJSON(`
apiVersion: v1
kind: Namespace
metadata: {name: qcbm}
`)

// secret holds values that must never appear in an error.
var secret = mustJSON(`
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: qcbm}
stringData:
  password: s3cr3t-password
  config.yaml: "user: admin\npassword: s3cr3t-in-yaml\n"
  config.json: '{"password": s3cr3t-in-bad-json}'
data:
  token: czNjcjN0LXRva2Vu
`)

// mustJSON converts a YAML fixture to JSON.
func mustJSON(y string) string {
	b, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		panic(err)
	}
	return string(b)
}

// decode reads JSON for comparisons.
func decode(s string) map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		panic(err)
	}
	return m
}

// at walks a decoded object down to a nested object.
func at(o map[string]any, path ...any) map[string]any {
	var cur any = o
	for _, p := range path {
		switch p := p.(type) {
		case string:
			cur = cur.(map[string]any)[p]
		case int:
			cur = cur.([]any)[p]
		}
	}
	return cur.(map[string]any)
}
