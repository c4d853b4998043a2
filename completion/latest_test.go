package completion

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
)

func TestLatest(t *testing.T) {
	var l Latest
	a1, done1 := l.Begin(context.Background(), "10.0.0.1")
	b, doneB := l.Begin(context.Background(), "10.0.0.2")
	a2, done2 := l.Begin(context.Background(), "10.0.0.1")
	if a1.Err() == nil {
		t.Error("the older request of 10.0.0.1 is not canceled")
	}
	if a2.Err() != nil || b.Err() != nil {
		t.Error("the newest request, or another client's, is canceled")
	}
	done1() // ending the replaced request must not forget the newer one
	a3, done3 := l.Begin(context.Background(), "10.0.0.1")
	if a2.Err() == nil {
		t.Error("the request after done1 did not cancel the one in flight")
	}
	done2()
	done3()
	doneB()
	if a3.Err() == nil {
		t.Error("done did not cancel its context")
	}
	if len(l.inflight) != 0 {
		t.Errorf("%d clients still in flight after every request ended", len(l.inflight))
	}
}

// TestNewerRequestCancelsOlder sends two requests from one client to a model
// that answers only when its request is canceled: the older returns an empty
// suggestion as soon as the newer begins, and nothing is logged.
func TestNewerRequestCancelsOlder(t *testing.T) {
	started := make(chan struct{}, 2)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a closed connection only after the body
		started <- struct{}{}
		<-r.Context().Done()
	}))
	defer ts.Close()
	var logs bytes.Buffer
	c := WithFallback(NewRemote(&Ollama{URL: ts.URL, Model: "m"}, RemoteOptions{}), Builtin{}, 10*time.Second, zerolog.New(&logs))
	var l Latest

	older := make(chan Suggestion)
	go func() {
		ctx, done := l.Begin(context.Background(), "client")
		defer done()
		older <- c.Complete(ctx, "print(", 6, "python")
	}()
	<-started
	ctx, done := l.Begin(context.Background(), "client")
	defer done()
	select {
	case got := <-older:
		if diff := cmp.Diff(Suggestion{Type: SuggestionCompletion}, got); diff != "" {
			t.Errorf("older request mismatch (-want +got):\n%s", diff)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the older request was not canceled")
	}
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	c.Complete(ctx, "print(", 6, "python")
	if logs.Len() != 0 {
		t.Errorf("canceled requests were logged as failures: %s", logs.String())
	}
}
