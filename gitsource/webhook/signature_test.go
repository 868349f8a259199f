package webhook

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestUnsignedRefusedBeforeReadingBody(t *testing.T) {
	rec := newRecorder(testConfig())
	d := pushDelivery(GitHub, repoURL, "refs/heads/main")
	d.secret = nil
	r := d.request()
	body := &countingReader{r: r.Body}
	r.Body = body
	if w := httpRecorder(rec, r); w.Code != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", w.Code)
	}
	if body.n != 0 {
		t.Errorf("read %d body bytes of an unsigned delivery, want 0", body.n)
	}
	if !errors.Is(rec.last(t).Err, ErrMissingSignature) {
		t.Errorf("Err = %v, want ErrMissingSignature", rec.last(t).Err)
	}
}

func TestUnauthorizedReasons(t *testing.T) {
	tests := []struct {
		name   string
		cfg    func(*Config)
		header http.Header
		want   error
	}{
		{name: "no signature", want: ErrMissingSignature},
		{name: "not hex", header: http.Header{"X-Hub-Signature-256": {"sha256=zz"}}, want: ErrBadSignature},
		{name: "no prefix", header: http.Header{"X-Hub-Signature-256": {strings.Repeat("ab", 32)}}, want: ErrBadSignature},
		{name: "wrong", header: http.Header{"X-Hub-Signature-256": {"sha256=" + strings.Repeat("ab", 32)}}, want: ErrBadSignature},
		{name: "no secret configured", cfg: func(c *Config) { c.Secret = nil }, want: ErrNoSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			rec := newRecorder(cfg)
			d := pushDelivery(GitHub, repoURL, "refs/heads/main")
			d.secret, d.header = nil, tt.header
			w := rec.send(t, d)
			if w.Code != http.StatusUnauthorized || strings.TrimSpace(w.Body.String()) != "unauthorized" {
				t.Errorf("response = %d %q, want 401 unauthorized and nothing more", w.Code, w.Body)
			}
			if err := rec.last(t).Err; !errors.Is(err, tt.want) {
				t.Errorf("Err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSecretsNeverEscape(t *testing.T) {
	for _, p := range providers {
		rec := newRecorder(testConfig())
		var bodies []string
		var presented []string
		for _, secret := range [][]byte{testSecret, []byte("guess-one")} {
			for _, body := range [][]byte{[]byte(`{`), pushBody(p, otherURL, "refs/heads/x", headSHA), bytes.Repeat([]byte("x"), 2<<20)} {
				d := delivery{provider: p, method: http.MethodPost, event: pushEvent[p], body: body, secret: secret}
				_, sig := sign(p, secret, body)
				presented = append(presented, sig)
				bodies = append(bodies, rec.send(t, d).Body.String())
			}
		}
		for _, res := range rec.results {
			bodies = append(bodies, res.Reason)
			if res.Err != nil {
				bodies = append(bodies, res.Err.Error())
			}
		}
		for _, text := range bodies {
			for _, secret := range append(presented, string(testSecret)) {
				if strings.Contains(text, secret) {
					t.Errorf("%s: %q reveals a credential", p, text)
				}
			}
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); !errors.Is(err, ErrNoSecret) {
		t.Errorf("empty Config: %v, want ErrNoSecret", err)
	}
	for _, c := range []Config{{Secret: []byte("x")}, {Insecure: true}} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
