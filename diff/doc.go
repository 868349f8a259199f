// Package diff previews what a change to the config repository will do:
// for every cluster and subscription, the objects a sync of the head
// revision creates, configures, prunes, holds or skips, compared with
// clusters that run the base revision.
//
// It is pure: Compute reads two render results and nothing else. The base
// render stands in for the clusters (its sets are the inventories, its
// objects the live state) and reconciler.MakePlan plans each set, so the
// preview follows the same rules as a sync: prunes of more than half of an
// inventory or of any Namespace, CRD, PersistentVolume or
// PersistentVolumeClaim are held unless the head commit carries the trailer
// "Manifold-Allow-Prune: <subscription>@<cluster>", an empty render of a
// non-empty set is held unless the Subscription sets spec.prune.allowEmpty,
// and objects moving between subscriptions are handed over, not pruned.
// For each changed field it names where the new value comes from: the
// object's file or the Localization/Globalization override that set it
// (render.Renderer.Explain).
//
// Secret values never appear in any format: a Secret's data and stringData
// entries and the kubectl.kubernetes.io/last-applied-configuration
// annotation print as "***", or "<changed>" on the head side when they
// differ. Field lists name paths, never values.
//
// # Live comparison
//
// With Input.Live (manifold diff --live) each reachable cluster is compared
// with what it runs instead of with the base render: reconciler.Preview
// reads its real inventories and live objects, plans each set with the
// same rules, and sends every apply as a server-side dry run. A configured
// object's diff then goes from the live object ("live/...") to the object
// the dry run returns ("head/..."), defaulted fields included and
// server-owned ones (status, managedFields, resourceVersion, uid,
// creationTimestamp, generation) left out, so drift shows up as a change
// even where Git did not change. A failed dry run sets the object's error.
// A cluster that cannot be reached is marked unreachable and compared with
// the base render, as without Live, when there is one.
//
// # Formats
//
// Text is for terminals. Markdown is a pull-request comment: a summary
// table, then a collapsed <details> section per changed cluster, capped at
// WriteOptions.MaxChars (default 60,000) with a note saying what was left
// out. JSON is this stable structure (fields marked ? are omitted when
// empty; lists are never null):
//
//	{
//	  "live"?: true,
//	  "base": {"revision": "<sha or empty for a working tree>", "error"?: "..."},
//	  "head": {"revision": "...", "error"?: "...", "problems"?: ["file:line: ..."]},
//	  "changed": true,
//	  "clusters": [{
//	    "name": "SPG-02",
//	    "changed": true,
//	    "note"?: "no longer declared at head: ...",
//	    "unreachable"?: true,     // live comparison only
//	    "subscriptions": [{
//	      "name": "qcbm-subscription",
//	      "changed": true,
//	      "counts": {"created": 0, "configured": 1, "unchanged": 11, "pruned": 0, "held": 0, "skipped": 0},
//	      "error"?: "...",          // the head does not render here: not synced
//	      "heldReason"?: "... add the commit trailer 'Manifold-Allow-Prune: qcbm-subscription@SPG-02'",
//	      "notes"?: ["..."],
//	      "objects": [{
//	        "subject": "Service/qcbm/api-gateway",
//	        "group": "", "kind": "Service", "namespace"?: "qcbm", "name": "api-gateway",
//	        "action": "configured", // created, configured, pruned, held or skipped
//	        "reason"?: "changed in Git",
//	        "origin"?: "app/services.yaml:30",
//	        "fields"?: [{
//	          "path": "metadata.annotations[\"service.kubernetes.io/qcloud-loadbalancer-internal-subnetid\"]",
//	          "change": "changed",  // added, removed or changed
//	          "source"?: {"kind": "override", "origin": "localizations/spg-02-gateway.yaml:5",
//	                      "policy": "Localization/SPG-02/qcbm-svc-gateway-override", "override": "svc-override"}
//	        }],
//	        "diff"?: "--- base/Service/qcbm/api-gateway\n+++ head/...\n@@ ... @@\n...",
//	        "error"?: "..."         // live comparison: the dry run failed
//	      }]
//	    }]
//	  }]
//	}
//
// A source's kind is "file" (origin is the object's file), "override"
// (policy, override and the policy's origin) or "manifold" (manifold's own
// render rules, such as replica division).
package diff
