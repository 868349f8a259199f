package harness

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// pollInterval is how often the harness checks whether something is ready.
const pollInterval = 100 * time.Millisecond

// waitHTTP polls url until it answers 200, the process exits, or ctx ends.
// A non-empty token is sent as a bearer token.
func waitHTTP(ctx context.Context, p *process, client *http.Client, url, token string) error {
	var last error
	for {
		if exited, err := p.exited(); exited {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s: %s", url, resp.Status, bytes.TrimSpace(body))
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %w (last: %v; log: %s)", p.name, ctx.Err(), last, p.logPath)
		case <-time.After(pollInterval):
		}
	}
}

// waitFor polls check until it reports done, it fails, or ctx ends; what
// names the awaited state in the timeout error.
func waitFor(ctx context.Context, what string, check func(context.Context) (bool, error)) error {
	var last error
	for {
		done, err := check(ctx)
		if done {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// retryOnPortClash runs start, and runs it again (with new ports, which start
// picks) when the process it started died because another process took its
// port between freePort and the bind.
func retryOnPortClash(ctx context.Context, start func() (*process, error)) error {
	const attempts = 3
	var err error
	for range attempts {
		var p *process
		p, err = start()
		if err == nil || p == nil || ctx.Err() != nil {
			return err
		}
		if exited, _ := p.exited(); !exited || !logMentions(p.logPath, "address already in use") {
			return err
		}
		p.stop()
	}
	return err
}

func logMentions(path, text string) bool {
	data, err := os.ReadFile(path)
	return err == nil && bytes.Contains(data, []byte(text))
}
