package completion_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/pairpad/pairpad/completion"
)

// An engine backed by a model server, here a stand-in for Ollama, with the
// built-in rules as fallback when the model fails or is slow.
func ExampleWithFallback() {
	ollama := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"model":"qwen2.5-coder","response":"a + b\n","done":true}`)
	}))
	defer ollama.Close()

	model := &completion.Ollama{URL: ollama.URL, Model: "qwen2.5-coder"}
	engine := completion.WithFallback(
		completion.NewRemote(model, completion.RemoteOptions{Name: "ollama:qwen2.5-coder"}),
		completion.Builtin{}, 2*time.Second, zerolog.New(os.Stderr))

	code := "def add(a, b):\n    return "
	s := engine.Complete(context.Background(), code, len(code), "python")
	fmt.Printf("%q %.1f %s\n", s.Suggestion, s.Confidence, s.Type)
	// Output: "a + b" 0.6 completion
}
