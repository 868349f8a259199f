package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	"github.com/manifold-gitops/manifold/api"
	"github.com/manifold-gitops/manifold/gitsource"
)

// build is the output of building one folder: a source or an overlay.
type build struct {
	objects []*Object // sorted by key
	err     error
}

// buildKey returns the cache key of building dir: the content of every file
// the build can read. For kustomize that is every file below the folders the
// kustomization tree names (load restrictions keep kustomize inside them);
// for a plain folder, its YAML files.
func buildKey(snap *gitsource.Snapshot, dir string) (key string, roots []string, err error) {
	h := sha256.New()
	if kustomizationIn(snap, dir) != "" {
		roots, err = kustomizeInputs(snap, dir)
		if err != nil {
			return "", nil, err
		}
		fmt.Fprintf(h, "kustomize %s\n", dir)
		for _, r := range roots {
			for _, p := range snap.Under(r) {
				fileHash, _ := snap.FileHash(p)
				fmt.Fprintf(h, "%s %s\n", p, fileHash)
			}
		}
	} else {
		fmt.Fprintf(h, "plain %s\n", dir)
		for _, p := range plainFiles(snap, dir) {
			fileHash, _ := snap.FileHash(p)
			fmt.Fprintf(h, "%s %s\n", p, fileHash)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), roots, nil
}

// plainFiles lists the YAML files directly in dir.
func plainFiles(snap *gitsource.Snapshot, dir string) []string {
	var out []string
	for _, p := range snap.Under(dir) {
		if path.Dir(p) != path.Clean(dir) {
			continue
		}
		if ext := path.Ext(p); ext == ".yaml" || ext == ".yml" {
			out = append(out, p)
		}
	}
	return out
}

// buildFolder renders dir: with kustomize when it holds a kustomization,
// otherwise by reading its YAML files (policy objects excluded).
func buildFolder(snap *gitsource.Snapshot, dir string, roots []string, limits Limits) build {
	var objs []*Object
	if roots != nil {
		maps, err := kustomizeBuild(snap, dir, roots)
		if err != nil {
			return build{err: err}
		}
		for _, m := range maps {
			o, err := newObject(m, api.Origin{File: dir})
			if err != nil {
				return build{err: fmt.Errorf("kustomize build of %s: %w", dir, err)}
			}
			objs = append(objs, o)
		}
	} else {
		var err error
		objs, err = readPlain(snap, dir)
		if err != nil {
			return build{err: err}
		}
	}
	if len(objs) > limits.MaxObjects {
		return build{err: fmt.Errorf("%s renders %d objects, over the limit of %d", dir, len(objs), limits.MaxObjects)}
	}
	sorted, err := sortUnique(objs)
	if err != nil {
		return build{err: err}
	}
	return build{objects: sorted}
}

// readPlain reads the Kubernetes objects of the YAML files directly in dir.
func readPlain(snap *gitsource.Snapshot, dir string) ([]*Object, error) {
	var objs []*Object
	var errs api.Errors
	for _, p := range plainFiles(snap, dir) {
		data, err := snap.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs, err := api.ParseDocuments(p, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, d := range docs {
			if api.IsPolicy(d.APIVersion, d.Kind) || isKustomizeConfig(d.APIVersion) {
				continue
			}
			var m map[string]any
			if err := d.Node.Decode(&m); err != nil {
				errs = append(errs, &api.Error{Origin: d.Origin, Err: err})
				continue
			}
			o, err := newObject(m, d.Origin)
			if err != nil {
				errs = append(errs, &api.Error{Origin: d.Origin, Object: d.Subject(), Err: err})
				continue
			}
			objs = append(objs, o)
		}
	}
	return objs, errs.Err()
}

func isKustomizeConfig(apiVersion string) bool {
	return strings.HasPrefix(apiVersion, "kustomize.config.k8s.io/")
}

// sortUnique sorts objects by key and rejects duplicates.
func sortUnique(objs []*Object) ([]*Object, error) {
	out := append([]*Object(nil), objs...)
	sortObjects(out)
	var errs api.Errors
	for i := 1; i < len(out); i++ {
		if out[i].Key == out[i-1].Key {
			errs = append(errs, &api.Error{Origin: out[i].Origin, Object: out[i].Key.String(),
				Err: fmt.Errorf("duplicate object, also at %s", out[i-1].Origin)})
		}
	}
	return out, errs.Err()
}
