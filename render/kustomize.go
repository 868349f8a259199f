package render

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/manifold-gitops/manifold/gitsource"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// kustomizationFiles are the file names kustomize recognises, in its order.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// fsRoot is where the repository sits in the in-memory filesystem. A path
// that climbs above the repository lands outside fsRoot, where nothing exists.
const fsRoot = "/manifold/repository"

// kustomizeMu serialises builds: kustomize keeps global state.
var kustomizeMu sync.Mutex

// kustomizationIn returns the kustomization file of dir, or "".
func kustomizationIn(snap *gitsource.Snapshot, dir string) string {
	for _, name := range kustomizationFiles {
		p := path.Join(dir, name)
		if _, err := snap.ReadFile(p); err == nil {
			return p
		}
	}
	return ""
}

// kustomizeInputs walks the kustomization at dir and every local base and
// component it references, and checks every path it names: each must stay in
// the repository and exist there; URLs, remote bases and Helm charts are
// refused. It returns the folders kustomize will read from.
func kustomizeInputs(snap *gitsource.Snapshot, dir string) ([]string, error) {
	roots := map[string]bool{}
	var visit func(dir string, chain []string) error
	visit = func(dir string, chain []string) error {
		if roots[dir] {
			return nil
		}
		for _, c := range chain {
			if c == dir {
				return fmt.Errorf("%s: kustomization cycle through %s", dir, strings.Join(chain, " → "))
			}
		}
		file := kustomizationIn(snap, dir)
		if file == "" {
			return fmt.Errorf("%s: no kustomization.yaml in the folder", dir)
		}
		data, err := snap.ReadFile(file)
		if err != nil {
			return err
		}
		var k types.Kustomization
		if err := yaml.Unmarshal(data, &k); err != nil {
			return fmt.Errorf("%s: %v", file, err)
		}
		roots[dir] = true
		refs, err := kustomizationRefs(&k)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		for _, ref := range refs {
			target, err := localRef(snap, dir, ref.path)
			if err != nil {
				return fmt.Errorf("%s: %s %q: %w", file, ref.field, ref.path, err)
			}
			if snap.IsDir(target) {
				if !ref.dirAllowed {
					return fmt.Errorf("%s: %s %q is a folder, expected a file", file, ref.field, ref.path)
				}
				if err := visit(target, append(chain, dir)); err != nil {
					return err
				}
				continue
			}
			if _, err := snap.ReadFile(target); err != nil {
				return fmt.Errorf("%s: %s: %w", file, ref.field, err)
			}
		}
		return nil
	}
	if err := visit(path.Clean(dir), nil); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(roots))
	for r := range roots {
		out = append(out, r)
	}
	sort.Strings(out)
	return out, nil
}

type kustomizeRef struct {
	field      string
	path       string
	dirAllowed bool
}

// kustomizationRefs lists the paths a kustomization names.
func kustomizationRefs(k *types.Kustomization) ([]kustomizeRef, error) {
	if len(k.HelmCharts) > 0 || k.HelmGlobals != nil || len(k.HelmChartInflationGenerator) > 0 {
		return nil, fmt.Errorf("helmCharts are not supported: manifold does not run helm; render the chart into plain manifests")
	}
	var refs []kustomizeRef
	add := func(field string, dirs bool, paths ...string) {
		for _, p := range paths {
			if p != "" {
				refs = append(refs, kustomizeRef{field: field, path: p, dirAllowed: dirs})
			}
		}
	}
	add("resources", true, k.Resources...)
	add("bases", true, k.Bases...)
	add("components", true, k.Components...)
	add("crds", false, k.Crds...)
	add("configurations", false, k.Configurations...)
	for _, field := range []struct {
		name    string
		entries []string
	}{{"generators", k.Generators}, {"transformers", k.Transformers}, {"validators", k.Validators}} {
		for _, e := range field.entries {
			if !strings.Contains(e, "\n") { // a file; otherwise an inline configuration
				add(field.name, true, e)
			}
		}
	}
	for _, p := range k.PatchesStrategicMerge {
		if !strings.Contains(string(p), "\n") {
			add("patchesStrategicMerge", false, string(p))
		}
	}
	for _, p := range k.Patches {
		add("patches", false, p.Path)
	}
	for _, p := range k.PatchesJson6902 {
		add("patchesJson6902", false, p.Path)
	}
	for _, r := range k.Replacements {
		add("replacements", false, r.Path)
	}
	generatorSources := func(field string, args types.GeneratorArgs) {
		for _, fs := range args.FileSources {
			_, p, found := strings.Cut(fs, "=")
			if !found {
				p = fs
			}
			add(field, false, p)
		}
		add(field, false, args.EnvSources...)
		add(field, false, args.EnvSource) //nolint:staticcheck // still read by kustomize
	}
	for _, g := range k.ConfigMapGenerator {
		generatorSources("configMapGenerator", g.GeneratorArgs)
	}
	for _, g := range k.SecretGenerator {
		generatorSources("secretGenerator", g.GeneratorArgs)
	}
	if p := k.OpenAPI["path"]; p != "" {
		add("openapi", false, p)
	}
	return refs, nil
}

// localRef resolves ref against dir and checks it names a path in the repository.
func localRef(snap *gitsource.Snapshot, dir, ref string) (string, error) {
	if strings.Contains(ref, "://") || strings.HasPrefix(ref, "git@") || strings.HasPrefix(ref, "ssh:") {
		return "", fmt.Errorf("remote resources are not allowed: everything must come from this repository")
	}
	if path.IsAbs(ref) {
		return "", fmt.Errorf("absolute paths are not allowed")
	}
	target := path.Join(dir, ref)
	if target == ".." || strings.HasPrefix(target, "../") {
		return "", fmt.Errorf("reaches outside the repository")
	}
	if !snap.Exists(target) {
		if looksRemote(ref) {
			return "", fmt.Errorf("remote resources are not allowed: everything must come from this repository")
		}
		return "", fmt.Errorf("no such file or folder in the repository")
	}
	return target, nil
}

// looksRemote reports whether ref looks like a remote base such as
// github.com/org/repo/path?ref=v1.
func looksRemote(ref string) bool {
	first, _, _ := strings.Cut(ref, "/")
	return strings.Contains(ref, "?ref=") || strings.Contains(ref, "//") || strings.Contains(first, ".") && first != "." && first != ".."
}

// kustomizeBuild builds the kustomization at dir. roots are the folders the
// build reads (from kustomizeInputs); only their files are put on the
// in-memory filesystem.
func kustomizeBuild(snap *gitsource.Snapshot, dir string, roots []string) (objs []map[string]any, err error) {
	fs := filesys.MakeFsInMemory()
	for _, root := range roots {
		for _, p := range snap.Under(root) {
			data, err := snap.ReadFile(p)
			if err != nil {
				continue // unreadable files stay off the filesystem; kustomize reports them missing
			}
			if err := fs.WriteFile(path.Join(fsRoot, p), data); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
		}
	}
	opts := krusty.MakeDefaultOptions()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	opts.PluginConfig = types.DisabledPluginConfig()

	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kustomize build of %s failed: %v", dir, r)
		}
	}()
	m, err := krusty.MakeKustomizer(opts).Run(fs, path.Join(fsRoot, dir))
	if err != nil {
		return nil, fmt.Errorf("kustomize build of %s: %s", dir, strings.ReplaceAll(err.Error(), fsRoot+"/", ""))
	}
	for _, r := range m.Resources() {
		obj, err := r.Map()
		if err != nil {
			return nil, fmt.Errorf("kustomize build of %s: %s: %w", dir, r.CurId(), err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}
