package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// auth says how a provider authenticates its deliveries.
type auth struct {
	// header carries the credential.
	header string
	// prefix precedes the hex HMAC in header, e.g. "sha256=".
	prefix string
	// token: header holds the secret itself rather than an HMAC of the body.
	token bool
}

// present checks, before the body is read, that a delivery carries the
// credential the configuration requires.
func (a auth) present(cfg Config, h http.Header) error {
	if len(cfg.Secret) == 0 && !cfg.Insecure {
		return ErrNoSecret
	}
	if h.Get(a.header) == "" && !cfg.Insecure {
		return fmt.Errorf("%w: no %s header", ErrMissingSignature, a.header)
	}
	return nil
}

// verify checks the credential in h against the secret and body. In insecure
// mode an absent credential passes, and so does any credential when there is
// no secret to check it against.
func (a auth) verify(cfg Config, h http.Header, body []byte) error {
	if err := a.present(cfg, h); err != nil {
		return err
	}
	got := h.Get(a.header)
	if len(cfg.Secret) == 0 || got == "" {
		return nil // insecure, as present has established
	}
	if a.token {
		if !equalToken(got, cfg.Secret) {
			return fmt.Errorf("%w: %s header", ErrBadSignature, a.header)
		}
		return nil
	}
	hexSum, ok := strings.CutPrefix(got, a.prefix)
	sum, err := hex.DecodeString(hexSum)
	if !ok || err != nil {
		return fmt.Errorf("%w: %s header is not %s<hex>", ErrBadSignature, a.header, a.prefix)
	}
	mac := hmac.New(sha256.New, cfg.Secret)
	mac.Write(body)
	if !hmac.Equal(sum, mac.Sum(nil)) {
		return fmt.Errorf("%w: %s header", ErrBadSignature, a.header)
	}
	return nil
}

// equalToken compares a presented token with the secret in constant time.
// Both sides are hashed first so that not even their lengths leak.
func equalToken(got string, secret []byte) bool {
	g, s := sha256.Sum256([]byte(got)), sha256.Sum256(secret)
	return subtle.ConstantTimeCompare(g[:], s[:]) == 1
}
