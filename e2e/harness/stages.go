package harness

import (
	"bytes"
	"embed"
	"io/fs"
	"os"
)

// BrokenImageSuffix marks container images whose pods never become Ready on a
// Full cluster: they are scheduled, then stay Pending with their containers
// waiting in ErrImagePull, so a Deployment using such an image never finishes
// its rollout.
const BrokenImageSuffix = ":broken"

// stageFiles are the kwok Stage objects a full cluster runs with: a fake node
// turns Ready and keeps reporting, pods turn Ready (or fail to pull a
// BrokenImageSuffix image), Job pods complete, and deleted pods go away at once.
//
//go:embed stages/*.yaml
var stageFiles embed.FS

// writeStages writes every embedded stage into one multi-document file for
// kwok's --config flag.
func writeStages(path string) error {
	names, err := fs.Glob(stageFiles, "stages/*.yaml")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, name := range names {
		data, err := stageFiles.ReadFile(name)
		if err != nil {
			return err
		}
		buf.WriteString("---\n")
		buf.Write(data)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
