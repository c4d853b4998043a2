package room

import (
	"strings"
	"testing"
)

// Connections that join between two Readys (the driver steps every input waiting before it
// acts) tell each JSON connection the new count once, not once per join.
func TestJoinsBetweenReadysSendOneUserCount(t *testing.T) {
	r := roomWith(t, Options{}, "json:j", "json:k", "a", "b", "c")
	counts := map[ConnID][]string{}
	for _, m := range r.Ready().Messages {
		if m.Frame.Text && strings.Contains(string(m.Frame.Data), "user_count") {
			counts[m.Conn] = append(counts[m.Conn], string(m.Frame.Data))
		}
	}
	want := `{"type":"user_count","count":5}`
	for _, id := range []ConnID{"j", "k"} {
		if len(counts[id]) != 1 || counts[id][0] != want {
			t.Errorf("%s got user counts %q, want one %s", id, counts[id], want)
		}
	}
}
