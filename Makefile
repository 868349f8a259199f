# manifold — build, test and demo entry points.
# Everything the targets need is built or installed here, into the git-ignored bin/.

GO            ?= go
BIN           := $(CURDIR)/bin
KUBE_VERSION  := v1.37.2
ETCD_VERSION  := v3.7.0
KWOK_VERSION  := v0.8.0
# A count, not a duration: Go 1.26's fuzz coordinator can report a spurious
# "context deadline exceeded" when a duration runs out under load.
FUZZTIME      ?= 10000x

# Fuzz targets run briefly by `make test`, as package:FuzzName.
FUZZ_TARGETS  ?= api:FuzzDecodeFile render/override:FuzzApply render/override:FuzzValidate \
                 gitsource/webhook:FuzzGitHub gitsource/webhook:FuzzGitea gitsource/webhook:FuzzGitLab gitsource/webhook:FuzzGeneric

CONTROL_PLANE_STAMP := $(BIN)/.control-plane-$(KUBE_VERSION)-etcd-$(ETCD_VERSION)-kwok-$(KWOK_VERSION)-v2
# The Kubernetes binaries report the pinned version (a plain go build says v0.0.0).
KUBE_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 \
	-X k8s.io/component-base/version.gitTreeState=clean

export MANIFOLD_BIN_DIR := $(BIN)

.PHONY: all build test unit fuzz lint control-plane sandbox demo bench clean

all: build

## build: the manifold binary in bin/
build:
	$(GO) build -o $(BIN)/manifold ./cmd/manifold

## control-plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok in bin/
control-plane: $(CONTROL_PLANE_STAMP)

CONTROL_PLANE_BINS := etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok

# The stamp names the pinned versions; a missing binary makes it stale too.
ifneq ($(words $(wildcard $(addprefix $(BIN)/,$(CONTROL_PLANE_BINS)))),$(words $(CONTROL_PLANE_BINS)))
.PHONY: $(CONTROL_PLANE_STAMP)
endif

$(CONTROL_PLANE_STAMP): e2e/tools/go.mod e2e/tools/go.sum
	@mkdir -p $(BIN)
	cd e2e/tools && $(GO) build -o $(BIN)/etcd go.etcd.io/etcd/server/v3
	cd e2e/tools && $(GO) build -ldflags "$(KUBE_LDFLAGS)" -o $(BIN)/ k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler \
		k8s.io/kubernetes/cmd/kubectl
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/kwok/cmd/kwok@$(KWOK_VERSION)
	@rm -f $(BIN)/.control-plane-*
	touch $@

## sandbox: clusters SPG-01 and SPG-02 on this machine until Ctrl-C (docs/sandbox.md)
SANDBOX_DIR ?= $(CURDIR)/.state/sandbox
sandbox: control-plane
	$(GO) build -o $(BIN)/manifold-sandbox ./e2e/sandbox
	$(BIN)/manifold-sandbox -credentials $(SANDBOX_DIR)/credentials -work-dir $(SANDBOX_DIR)/run

## demo: manifold serving the QCBM example from a local Git repository into two local clusters
DEMO_STATE ?= $(CURDIR)/.state/demo
demo: build control-plane
	$(GO) build -o $(BIN)/manifold-demo ./e2e/demo
	$(BIN)/manifold-demo -state $(DEMO_STATE) -bin-dir $(BIN)

## lint: gofmt and go vet
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

## unit: go test without the fuzz runs
unit: control-plane
	$(GO) test -count=1 ./...

## fuzz: run every fuzz target briefly
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
		$(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) ./$$pkg || exit 1; \
	done

## test: everything CI runs
test: lint unit fuzz

## bench: the render and Git benchmarks, then the suite against local clusters (bench/); rewrites docs/benchmarks.md
bench: control-plane
	$(GO) run ./bench/report -go $(GO) -o docs/benchmarks.md

clean:
	rm -rf $(BIN)
