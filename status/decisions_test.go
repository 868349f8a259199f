package status

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPrintDecisions(t *testing.T) {
	n := FromReport(sampleReport(), nil, time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC))
	n.Decisions = []string{
		"2026-12-04T15:59:30Z SPG-01 unreachable or not ready for 30s: out of service for qcbm-subscription",
		"2026-12-04T15:59:30Z qcbm-subscription: SPG-01 failed over to standby SPG-03",
	}
	var b bytes.Buffer
	Print(&b, n)
	want := "failover and traffic decisions:\n  " + n.Decisions[0] + "\n  " + n.Decisions[1] + "\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("output lacks the decisions:\n%s", b.String())
	}
	parsed, err := Parse(n.YAML())
	if err != nil {
		t.Fatal(err)
	}
	if len(parsed.Decisions) != 2 || parsed.Decisions[1] != n.Decisions[1] {
		t.Errorf("decisions after a round trip: %q", parsed.Decisions)
	}
}
