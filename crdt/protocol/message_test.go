package protocol

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// fixtureDir holds the fixtures that testdata/yjs/protocol-fixtures.mjs makes with the real
// y-protocols; regenerate them with `node protocol-fixtures.mjs` there.
var fixtureDir = filepath.Join("..", "..", "testdata", "yjs", "protocol")

func readFixture(tb testing.TB, name string, v any) {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		tb.Fatalf("reading fixture: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("parsing fixture %s: %v", name, err)
	}
}

// messageFixture is one entry of messages.json. []byte fields are base64 in the JSON.
type messageFixture struct {
	Name     string
	Bytes    []byte
	Type     MessageType
	SyncType SyncType
	AuthType AuthType
	Payload  []byte
	Reason   string
}

func (f messageFixture) message() Message {
	return Message{Type: f.Type, SyncType: f.SyncType, AuthType: f.AuthType, Payload: f.Payload, Reason: f.Reason}
}

// encodeByType encodes m with the Encode... function for its type.
func encodeByType(m Message) []byte {
	switch m.Type {
	case MessageSync:
		switch m.SyncType {
		case SyncStep1:
			return EncodeSyncStep1(m.Payload)
		case SyncStep2:
			return EncodeSyncStep2(m.Payload)
		case SyncUpdate:
			return EncodeSyncUpdate(m.Payload)
		}
	case MessageAwareness:
		return EncodeAwarenessMessage(m.Payload)
	case MessageQueryAwareness:
		return EncodeQueryAwareness()
	case MessageAuth:
		return EncodePermissionDenied(m.Reason)
	}
	return nil
}

// equateEmpty makes nil and empty slices equal: JSON fixtures cannot tell them apart.
var equateEmpty = cmpopts.EquateEmpty()

func TestMessageFixtures(t *testing.T) {
	var fixtures []messageFixture
	readFixture(t, "messages.json", &fixtures)
	if len(fixtures) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range fixtures {
		t.Run(f.Name, func(t *testing.T) {
			want := f.message()
			got, err := DecodeMessage(f.Bytes)
			if err != nil {
				t.Fatalf("DecodeMessage: %v", err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Errorf("DecodeMessage mismatch (-want +got):\n%s", diff)
			}
			enc, err := want.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if diff := cmp.Diff(f.Bytes, enc); diff != "" {
				t.Errorf("Encode mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(f.Bytes, encodeByType(want)); diff != "" {
				t.Errorf("Encode%s mismatch (-want +got):\n%s", f.Type, diff)
			}
		})
	}
}

func TestDecodeMessage(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		want    Message
		wantErr error  // checked with errors.Is
		errText string // a substring of the error
	}{
		{name: "sync step 1", in: []byte{0, 0, 2, 0xa, 0xb}, want: Message{Type: MessageSync, SyncType: SyncStep1, Payload: []byte{0xa, 0xb}}},
		{name: "update, empty payload", in: []byte{0, 2, 0}, want: Message{Type: MessageSync, SyncType: SyncUpdate, Payload: []byte{}}},
		{name: "trailing bytes are ignored", in: []byte{0, 1, 1, 7, 99, 99}, want: Message{Type: MessageSync, SyncType: SyncStep2, Payload: []byte{7}}},
		{name: "query awareness with trailing bytes", in: []byte{3, 1, 2}, want: Message{Type: MessageQueryAwareness}},
		{name: "non-minimal var-uint type", in: []byte{0x81, 0x00, 0}, want: Message{Type: MessageAwareness, Payload: []byte{}}},
		{name: "permission denied", in: []byte{2, 0, 2, 'n', 'o'}, want: Message{Type: MessageAuth, Reason: "no"}},
		{name: "empty", in: nil, wantErr: ErrUnexpectedEOF, errText: "offset 0"},
		{name: "unknown type", in: []byte{4, 0, 0}, wantErr: ErrUnknownMessageType, errText: "protocol: unknown message type 4 at offset 0"},
		{name: "unknown large type", in: []byte{0xff, 0x7f}, wantErr: ErrUnknownMessageType, errText: "type 16383"},
		{name: "unknown sync type", in: []byte{0, 3, 0}, wantErr: ErrUnknownSyncType, errText: "protocol: unknown sync message type 3 at offset 1"},
		{name: "unknown auth type", in: []byte{2, 1, 0}, wantErr: ErrUnknownAuthType, errText: "auth message type 1"},
		{name: "sync without sub-type", in: []byte{0}, wantErr: ErrUnexpectedEOF},
		{name: "sync without payload", in: []byte{0, 0}, wantErr: ErrUnexpectedEOF, errText: "offset 2"},
		{name: "payload longer than the message", in: []byte{0, 2, 5, 1, 2}, wantErr: ErrUnexpectedEOF},
		{name: "payload length beyond 2^53", in: []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, wantErr: ErrIntegerOverflow},
		{name: "truncated var-uint type", in: []byte{0x80}, wantErr: ErrUnexpectedEOF},
		{name: "reason not UTF-8", in: []byte{2, 0, 1, 0xff}, wantErr: ErrInvalidUTF8},
		{name: "auth without reason", in: []byte{2, 0}, wantErr: ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeMessage(tt.in)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("DecodeMessage(%x): %v", tt.in, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("DecodeMessage(%x) mismatch (-want +got):\n%s", tt.in, diff)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DecodeMessage(%x) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Errorf("DecodeMessage(%x) error %T is not a *DecodeError", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("DecodeMessage(%x) error %q does not contain %q", tt.in, err, tt.errText)
			}
			if diff := cmp.Diff(Message{}, got); diff != "" {
				t.Errorf("DecodeMessage(%x) on error returned a message (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestDecodeMessagePayloadAliasesInput(t *testing.T) {
	in := []byte{0, 2, 2, 1, 2, 3}
	m, err := DecodeMessage(in)
	if err != nil {
		t.Fatal(err)
	}
	in[3] = 9
	if m.Payload[0] != 9 {
		t.Errorf("Payload does not alias the input")
	}
	if cap(m.Payload) != len(m.Payload) {
		t.Errorf("cap(Payload) = %d, want %d: appending to it would overwrite the input", cap(m.Payload), len(m.Payload))
	}
}

func TestMessageEncodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		m       Message
		wantErr error
	}{
		{name: "unknown type", m: Message{Type: 4}, wantErr: ErrUnknownMessageType},
		{name: "unknown sync type", m: Message{Type: MessageSync, SyncType: 3}, wantErr: ErrUnknownSyncType},
		{name: "unknown auth type", m: Message{Type: MessageAuth, AuthType: 1}, wantErr: ErrUnknownAuthType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.m.Encode()
			if !errors.Is(err, tt.wantErr) || b != nil {
				t.Errorf("Encode() = %x, %v; want nil, %v", b, err, tt.wantErr)
			}
		})
	}
}

func TestTypeStrings(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{MessageSync.String(), "sync"},
		{MessageAwareness.String(), "awareness"},
		{MessageAuth.String(), "auth"},
		{MessageQueryAwareness.String(), "query awareness"},
		{MessageType(9).String(), "MessageType(9)"},
		{SyncStep1.String(), "sync step 1"},
		{SyncStep2.String(), "sync step 2"},
		{SyncUpdate.String(), "update"},
		{SyncType(3).String(), "SyncType(3)"},
		{AuthPermissionDenied.String(), "permission denied"},
		{AuthType(1).String(), "AuthType(1)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("String() = %q, want %q", tt.got, tt.want)
		}
	}
}
