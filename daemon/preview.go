package daemon

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/manifold-gitops/manifold/diff"
	"github.com/manifold-gitops/manifold/gitsource"
	"github.com/manifold-gitops/manifold/reconciler"
	"github.com/manifold-gitops/manifold/render"
)

// PullRequest is a pull request (GitLab: merge request) to preview.
type PullRequest struct {
	// Provider is github, gitea or gitlab: it names the ref holding the
	// head in the followed repository.
	Provider string
	Number   int
	// Action is the provider's verb; closing and merging ones are ignored.
	Action  string
	HeadSHA string
	// HeadRef is the head branch, fetched when the provider's pull request
	// ref does not hold HeadSHA.
	HeadRef string
}

// refs lists the refs of the followed repository that may hold the head,
// most specific first.
func (pr PullRequest) refs() []string {
	var out []string
	n := strconv.Itoa(pr.Number)
	switch pr.Provider {
	case "github", "gitea":
		out = append(out, "refs/pull/"+n+"/head")
	case "gitlab":
		out = append(out, "refs/merge-requests/"+n+"/head")
	}
	if pr.HeadRef != "" && plumbing.NewBranchReferenceName(pr.HeadRef).Validate() == nil {
		out = append(out, plumbing.NewBranchReferenceName(pr.HeadRef).String())
	}
	return out
}

// closingActions end a pull request: nothing to preview.
var closingActions = map[string]bool{"closed": true, "close": true, "merge": true, "merged": true}

// PreviewOptions configure a Previewer.
type PreviewOptions struct {
	Source *gitsource.Source
	// Reconciler, when set, compares the head with the live clusters
	// (read-only); nil compares with the followed branch's head only.
	Reconciler *reconciler.Reconciler
	// Renderer renders both sides; nil uses a new one.
	Renderer *render.Renderer
	// Timeout bounds one preview; default 5 minutes.
	Timeout time.Duration
	// Keep is how many finished previews are served; default 100.
	Keep int
	Log  *slog.Logger
}

// Preview is the outcome of previewing one pull request head.
type Preview struct {
	Number  int
	HeadSHA string
	// BaseRevision is the followed branch's head it was compared with
	// (the last revision the daemon accepted); empty before the first.
	BaseRevision string
	// Report is nil when Err is set.
	Report *diff.Report
	Err    error
	// NoteErr is set when the note could not be written or pushed.
	NoteErr error
	Done    time.Time
}

// PreviewState is where a head commit is in the previewer.
type PreviewState int

const (
	// PreviewUnknown: no preview was asked for this commit (or it was
	// dropped to keep the last Keep).
	PreviewUnknown PreviewState = iota
	// PreviewPending: queued or running.
	PreviewPending
	// PreviewDone: finished, successfully or not.
	PreviewDone
)

// Previewer previews pull requests, separately from the sync loop: it
// fetches the head commit from the followed repository, compares it with
// the followed branch's head (and with the live clusters where they can be
// reached), publishes the markdown report as a note under
// gitsource.PreviewNotesRef on the head commit, and keeps it for Lookup.
// Previews run one at a time; requests for a pull request already waiting
// replace it, so a burst of pushes to one pull request makes one preview of
// its latest head. A preview never applies anything.
type Previewer struct {
	opts PreviewOptions
	wake chan struct{}

	mu      sync.Mutex
	queue   []int               // pull request numbers waiting, in arrival order
	waiting map[int]PullRequest // the latest request per waiting number
	running string              // head SHA being previewed
	done    map[string]*Preview
	order   []string // finished heads, oldest first
}

// NewPreviewer returns a Previewer; Run starts it.
func NewPreviewer(opts PreviewOptions) *Previewer {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.Keep <= 0 {
		opts.Keep = 100
	}
	if opts.Renderer == nil {
		opts.Renderer = render.NewRenderer(render.Limits{})
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Previewer{opts: opts, wake: make(chan struct{}, 1), waiting: map[int]PullRequest{}, done: map[string]*Preview{}}
}

// Request asks for a preview of a pull request's head. It never blocks.
// It reports false when there is nothing to do: a closing action, a head
// that is not a full commit SHA, the head being previewed right now, or
// one already previewed against the same branch head.
func (p *Previewer) Request(pr PullRequest) bool {
	if closingActions[pr.Action] || pr.Number <= 0 || len(pr.HeadSHA) != 40 || !plumbing.IsHash(pr.HeadSHA) {
		return false
	}
	base := ""
	if last := p.opts.Source.Last(); last != nil {
		base = last.Revision
	}
	p.mu.Lock()
	if prev := p.done[pr.HeadSHA]; (prev != nil && prev.Err == nil && prev.BaseRevision == base) || p.running == pr.HeadSHA {
		p.mu.Unlock()
		return false
	}
	if _, queued := p.waiting[pr.Number]; !queued {
		p.queue = append(p.queue, pr.Number)
	}
	p.waiting[pr.Number] = pr
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return true
}

// Lookup returns the state of a head commit's preview, and the preview
// once done.
func (p *Previewer) Lookup(sha string) (*Preview, PreviewState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev := p.done[sha]; prev != nil {
		return prev, PreviewDone
	}
	if p.running == sha {
		return nil, PreviewPending
	}
	for _, pr := range p.waiting {
		if pr.HeadSHA == sha {
			return nil, PreviewPending
		}
	}
	return nil, PreviewUnknown
}

// Run previews requested pull requests, one at a time, until ctx ends.
func (p *Previewer) Run(ctx context.Context) {
	for {
		pr, ok := p.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-p.wake:
				continue
			}
		}
		start := time.Now()
		pctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
		prev := p.preview(pctx, pr)
		cancel()
		p.finish(prev)
		attrs := []any{"pull_request", pr.Number, "head", pr.HeadSHA, "base", prev.BaseRevision, "took", time.Since(start).Round(time.Millisecond)}
		switch {
		case prev.Err != nil:
			p.opts.Log.Error("preview failed", append(attrs, "err", prev.Err)...)
		case prev.NoteErr != nil:
			p.opts.Log.Error("preview note not published", append(attrs, "err", prev.NoteErr)...)
		default:
			p.opts.Log.Info("previewed", append(attrs, "changed", prev.Report.Changed)...)
		}
	}
}

// next takes the oldest waiting request and marks it running.
func (p *Previewer) next() (PullRequest, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		return PullRequest{}, false
	}
	n := p.queue[0]
	p.queue = p.queue[1:]
	pr := p.waiting[n]
	delete(p.waiting, n)
	p.running = pr.HeadSHA
	return pr, true
}

// finish records a preview, keeping the last Keep.
func (p *Previewer) finish(prev *Preview) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running = ""
	if _, seen := p.done[prev.HeadSHA]; !seen {
		p.order = append(p.order, prev.HeadSHA)
	}
	p.done[prev.HeadSHA] = prev
	for len(p.order) > p.opts.Keep {
		delete(p.done, p.order[0])
		p.order = p.order[1:]
	}
}

// preview fetches the head, compares it and publishes the note.
func (p *Previewer) preview(ctx context.Context, pr PullRequest) *Preview {
	src := p.opts.Source
	prev := &Preview{Number: pr.Number, HeadSHA: pr.HeadSHA}
	defer func() { prev.Done = time.Now() }()
	base := src.Last()
	if base != nil {
		prev.BaseRevision = base.Revision
	}
	if err := p.fetchHead(ctx, pr); err != nil {
		prev.Err = err
		return prev
	}
	head, err := src.Snapshot(ctx, pr.HeadSHA)
	if err != nil {
		prev.Err = err
		return prev
	}
	prev.Report = diff.ComputeSnapshots(ctx, diff.Snapshots{Renderer: p.opts.Renderer, Base: base, Head: head, Live: p.opts.Reconciler})
	var note bytes.Buffer
	fmt.Fprintf(&note, "Preview of pull request #%d by manifold.\n\n", pr.Number)
	if err := prev.Report.WriteMarkdown(&note, diff.WriteOptions{}); err != nil {
		prev.NoteErr = err
		return prev
	}
	if err := src.WriteNoteRef(ctx, gitsource.PreviewNotesRef, pr.HeadSHA, note.Bytes()); err != nil {
		prev.NoteErr = err
		return prev
	}
	prev.NoteErr = src.PushNotesRef(ctx, gitsource.PreviewNotesRef)
	return prev
}

// fetchHead makes the head commit available locally, fetching the refs
// that may hold it from the followed repository.
func (p *Previewer) fetchHead(ctx context.Context, pr PullRequest) error {
	src := p.opts.Source
	if src.HasCommit(pr.HeadSHA) {
		return nil
	}
	var errs []error
	for _, ref := range pr.refs() {
		if _, err := src.FetchRef(ctx, ref); err != nil {
			errs = append(errs, err)
			continue
		}
		if src.HasCommit(pr.HeadSHA) {
			return nil
		}
	}
	return fmt.Errorf("pull request #%d: commit %s not found in %s of %s (%v)", pr.Number, pr.HeadSHA, pr.refs(), src.URL(), errs)
}
