package load

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// creators is how many POST /rooms requests a run has in flight at once.
const creators = 8

// roomNames returns the names of the run's rooms: created on the server with Options.Create,
// made up otherwise.
func roomNames(ctx context.Context, opts Options) ([]string, error) {
	names := make([]string, opts.Rooms)
	if !opts.Create {
		run := rand.Text()[:8]
		for i := range names {
			names[i] = "load-" + run + "-" + strconv.Itoa(i)
		}
		return names, nil
	}
	endpoint, err := roomsURL(opts.URL)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(names))
	next := make(chan int)
	var wg sync.WaitGroup
	for range creators {
		wg.Go(func() {
			for i := range next {
				names[i], errs[i] = createRoom(ctx, endpoint)
			}
		})
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return names, nil
}

// roomsURL returns the REST endpoint that creates rooms on the server of a y-websocket URL.
func roomsURL(wsURL string) (string, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return "", err
	}
	scheme := map[string]string{"ws": "http", "wss": "https"}[u.Scheme]
	return (&url.URL{Scheme: scheme, Host: u.Host, Path: "/rooms"}).String(), nil
}

// createRoom creates a room with POST /rooms and returns its id. A 429 (pairpad limits the
// rooms an address creates: ROOM_CREATE_RATE) is retried after its Retry-After, within the
// 30 s a creation may take.
func createRoom(ctx context.Context, endpoint string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		id, retry, err := postRoom(ctx, endpoint)
		if retry == 0 {
			return id, err
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("%w (still rate-limited; raise the server's ROOM_CREATE_RATE)", err)
		case <-time.After(retry):
		}
	}
}

// postRoom makes one POST /rooms: the room's id, or how long to wait before trying again (0:
// do not) and why.
func postRoom(ctx context.Context, endpoint string) (id string, retry time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader([]byte(`{"language":"python"}`)))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("create a room: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", 0, fmt.Errorf("create a room: %w", err)
	}
	err = fmt.Errorf("create a room: POST %s = %s %q", endpoint, resp.Status, body)
	if resp.StatusCode == http.StatusTooManyRequests {
		secs, perr := strconv.Atoi(resp.Header.Get("Retry-After"))
		if perr != nil || secs < 1 {
			secs = 1
		}
		return "", time.Duration(secs) * time.Second, err
	}
	var room struct {
		RoomID string `json:"roomId"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &room) != nil || room.RoomID == "" {
		return "", 0, err
	}
	return room.RoomID, 0, nil
}
