package override

// mergePatch applies an RFC 7386 JSON merge patch: members of the patch
// replace those of the target, objects merge recursively, and a null removes
// a member. target may be modified and the result may share parts of patch.
func mergePatch(target any, patch map[string]any) map[string]any {
	t, ok := target.(map[string]any)
	if !ok {
		t = make(map[string]any, len(patch))
	}
	for k, v := range patch {
		switch v := v.(type) {
		case nil:
			delete(t, k)
		case map[string]any:
			t[k] = mergePatch(t[k], v)
		default:
			t[k] = v
		}
	}
	return t
}
