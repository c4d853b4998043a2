package server

import (
	"context"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/pairpad/pairpad/crdt"
)

// legacyVersions is how many of the versions sent to a legacy peer the room keeps: the code a
// client sends is based on one of them, not always the latest (a newer one may be in flight).
const legacyVersions = 4

// legacyDiffTimeout bounds the diff of a whole-code update; past it the diff is coarser but
// still exact.
const legacyDiffTimeout = 200 * time.Millisecond

// legacyMessage is a message of the seed's JSON protocol.
type legacyMessage struct {
	Type  string  `json:"type"`
	Code  *string `json:"code,omitempty"`
	Count *int    `json:"count,omitempty"`
}

// legacyError is the JSON protocol's error message.
func legacyError(code, detail string) []byte {
	b, _ := json.Marshal(map[string]string{"type": "error", "error": code, "detail": detail})
	return b
}

// parseLegacy parses a client message; the error message to send back is returned on failure.
func parseLegacy(data []byte) (code string, reply []byte) {
	var msg legacyMessage
	if err := json.Unmarshal(data, &msg); err != nil {
		return "", legacyError(CodeInvalidJSON, "the message is not valid JSON: "+err.Error())
	}
	switch {
	case msg.Type != "code_update":
		return "", legacyError(CodeBadRequest, `unknown message type "`+msg.Type+`"; clients send "code_update"`)
	case msg.Code == nil:
		return "", legacyError(CodeValidation, `a code_update needs a "code" string`)
	}
	return *msg.Code, nil
}

// mergeLegacy merges the whole code a legacy peer sent into the document: it diffs the code
// against the version the peer most likely edited and applies that diff anchored to the
// version's characters, so that whatever others did since is kept.
func (r *room) mergeLegacy(p *peer, code string) {
	if !utf8.ValidString(code) {
		p.send(outMessage{text: true, data: legacyError(CodeValidation, "the code is not valid UTF-8")})
		return
	}
	base := p.closestVersion(code)
	if base == nil {
		base = r.text.Version()
	}
	p.dirty = true // the peer gets the merged code back
	if base.String() == code {
		return
	}
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = legacyDiffTimeout
	diffs := dmp.DiffMain(base.String(), code, false)
	err := r.transact(p, func(tx *crdt.Transaction) error {
		pos := 0
		for _, d := range diffs {
			n := utf16Units(d.Text)
			switch d.Type {
			case diffmatchpatch.DiffEqual:
				pos += n
			case diffmatchpatch.DiffDelete:
				if err := r.text.DeleteAt(tx, base, pos, n); err != nil {
					return err
				}
				pos += n
			case diffmatchpatch.DiffInsert:
				if err := r.text.InsertAt(tx, base, pos, d.Text); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		// Cannot happen for a diff of the version itself; log it rather than lose the peer.
		r.log.Error().Err(err).Uint64("conn", p.id).Msg("merge legacy code")
	}
}

// closestVersion returns the version sent to p that is nearest the code it sent: the same
// text if there is one, else the one with the smallest edit distance.
func (p *peer) closestVersion(code string) *crdt.TextVersion {
	var best *crdt.TextVersion
	bestDistance := -1
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = legacyDiffTimeout
	for i := len(p.versions) - 1; i >= 0; i-- {
		v := p.versions[i]
		if v.String() == code {
			return v
		}
		d := dmp.DiffLevenshtein(dmp.DiffMain(v.String(), code, false))
		if bestDistance < 0 || d < bestDistance {
			best, bestDistance = v, d
		}
	}
	return best
}

// utf16Units returns the length of s in UTF-16 code units.
func utf16Units(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// markLegacyDirty notes that every legacy peer should get the new code.
func (r *room) markLegacyDirty() {
	for p := range r.peers {
		if p.legacy {
			p.dirty = true
		}
	}
}

// scheduleLegacy sends the code to the legacy peers that need it, at most once per
// LegacyInterval (always the latest code), and only when everything accepted is durable.
func (r *room) scheduleLegacy() {
	if r.legacyTimer != nil || len(r.batch) > 0 {
		return
	}
	dirty := false
	for p := range r.peers {
		dirty = dirty || (p.legacy && p.dirty)
	}
	if !dirty {
		return
	}
	if wait := time.Until(r.legacyLastAt.Add(r.m.opts.LegacyInterval)); wait > 0 {
		r.legacyTimer = time.AfterFunc(wait, func() {
			_ = r.post(context.Background(), func() {
				r.legacyTimer = nil
				r.scheduleLegacy()
			})
		})
		return
	}
	r.legacyLastAt = time.Now()
	for p := range r.peers {
		if p.legacy && p.dirty {
			r.sendCode(p)
		}
	}
}

// sendCode sends the current code to a legacy peer and remembers the version it got.
func (r *room) sendCode(p *peer) {
	v := r.text.Version()
	p.versions = append(p.versions, v)
	if len(p.versions) > legacyVersions {
		p.versions = append(p.versions[:0], p.versions[len(p.versions)-legacyVersions:]...)
	}
	code := v.String()
	msg, _ := json.Marshal(legacyMessage{Type: "code_update", Code: &code})
	p.send(outMessage{text: true, data: msg})
	p.dirty = false
}
