package override

import (
	"errors"
	"fmt"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// errLibraryPanic stands for a panic recovered from the JSON patch library.
// Its inputs come from users; fuzzing found no panic, but a library bug must
// fail one override, not the daemon.
var errLibraryPanic = errors.New("JSON patch library failure")

// applyJSONPatch applies the compiled JSON patch to doc, a JSON object or
// array. target names doc in errors ("the object", "the field content").
// When the patch fails, the operations are replayed one by one to say which
// one failed and why.
func applyJSONPatch(doc []byte, p *patch, target string, l Limits) ([]byte, error) {
	opts := jsonpatch.NewApplyOptions()
	opts.AccumulatedCopySizeLimit = int64(l.MaxObjectBytes)
	opts.EscapeHTML = false
	opts.SupportNegativeIndices = false // RFC 6901 has no negative indices

	out, err := applyOps(p.json, doc, opts)
	if err == nil {
		return out, nil
	}
	cur := doc
	for i := range p.json {
		next, opErr := applyOps(p.json[i:i+1], cur, opts)
		if opErr != nil {
			return nil, fmt.Errorf("%s: %s", p.ops[i].describe(i), reason(opErr, p.ops[i].op, target))
		}
		cur = next
	}
	// Every operation applies alone: the patch as a whole went over a limit.
	return nil, errors.New(reason(err, "", target))
}

func applyOps(ops jsonpatch.Patch, doc []byte, opts *jsonpatch.ApplyOptions) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, errLibraryPanic
		}
	}()
	return ops.ApplyWithOptions(doc, opts)
}

// reason says in plain words why an operation failed. The library's own
// messages are not used: some of them quote values.
func reason(err error, op, target string) string {
	var copySize *jsonpatch.AccumulatedCopySizeError
	var arraySize *jsonpatch.ArraySizeError
	switch {
	case errors.Is(err, jsonpatch.ErrTestFailed):
		return "test failed: the value at the path is different"
	case errors.Is(err, jsonpatch.ErrMissing) && (op == "move" || op == "copy"):
		return "from or path not found in " + target
	case errors.Is(err, jsonpatch.ErrMissing):
		return "path not found in " + target
	case errors.Is(err, jsonpatch.ErrInvalidIndex):
		return "array index out of range in " + target
	case errors.As(err, &copySize), errors.As(err, &arraySize):
		return "the copied data is over the size limit"
	default:
		return "the operation does not apply to " + target
	}
}
