package load

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pairpad/pairpad/crdt/protocol"
)

func TestHocuspocusWire(t *testing.T) {
	w := newWire(Hocuspocus, "room")
	prefix := []byte{4, 'r', 'o', 'o', 'm'}
	step1 := protocol.EncodeSyncStep1([]byte{0})
	if diff := cmp.Diff(append(prefix, step1...), w.frame(step1)); diff != "" {
		t.Errorf("frame mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]byte{append(prefix, 2, 0, 0)}, w.hello()); diff != "" {
		t.Errorf("hello mismatch (-want +got):\n%s", diff)
	}
	if got, want := w.url("ws://host:1234"), "ws://host:1234"; got != want {
		t.Errorf("url = %q, want %q", got, want)
	}

	frame := func(b ...byte) []byte { return append(append([]byte(nil), prefix...), b...) }
	for _, tc := range []struct {
		name    string
		frame   []byte
		want    []byte
		wantErr error
	}{
		{"sync", frame(0, 1, 0), []byte{0, 1, 0}, nil},
		{"awareness", frame(1, 1, 0), []byte{1, 1, 0}, nil},
		{"sync reply is sync", frame(4, 2, 0), []byte{0, 2, 0}, nil},
		{"authenticated", frame(2, 2, 0), nil, nil},
		{"sync status", frame(8, 1), nil, nil},
		{"stateless", frame(5, 0), nil, nil},
		{"permission denied", frame(2, 1, 0), nil, errPermissionDenied},
		{"close", frame(7), nil, errProtocol},
		{"unknown type", frame(9), nil, errProtocol},
		{"empty", frame(), nil, errProtocol},
		{"another document", []byte{4, 'm', 'o', 'o', 'r', 0, 1, 0}, nil, errProtocol},
		{"truncated name", []byte{4, 'r'}, nil, errProtocol},
	} {
		got, err := w.unframe(tc.frame)
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: unframe error = %v, want %v", tc.name, err, tc.wantErr)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: unframe mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestYWebsocketWire(t *testing.T) {
	w := newWire(YWebsocket, "a room/1")
	if got, want := w.url("ws://host/yjs/"), "ws://host/yjs/a%20room%2F1"; got != want {
		t.Errorf("url = %q, want %q", got, want)
	}
	msg := []byte{0, 0, 1, 0}
	if got := w.frame(msg); !cmp.Equal(got, msg) || w.hello() != nil {
		t.Errorf("frame = %v, hello = %v: y-websocket frames nothing", got, w.hello())
	}
}
