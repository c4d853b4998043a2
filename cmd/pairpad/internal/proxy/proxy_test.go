package proxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves goroutines behind: a connection's copies
// that outlive Serve.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startProxy runs a proxy to backends on 127.0.0.1 until the test ends, and returns its
// address; Serve must return nil then.
func startProxy(t *testing.T, opts Options) string {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	p, err := New(opts, zerolog.New(zerolog.NewTestWriter(t)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// backend serves each connection with serve, in a goroutine of its own, until the test ends,
// and returns its address.
func backend(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// named is a backend that writes its name and closes the connection.
func named(t *testing.T, name string) string {
	return backend(t, func(c net.Conn) { io.WriteString(c, name) })
}

// refusing returns an address where nothing listens.
func refusing(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return ln.Addr().String()
}

// hanging returns the address of a listener that never accepts and whose queue is full, so
// that a dial to it neither succeeds nor fails: a node that is paused or cut off.
func hanging(t *testing.T) string {
	if runtime.GOOS != "linux" {
		t.Skip("a full accept queue drops new connections on Linux")
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil { // room for one connection in the queue
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	filler, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	return addr
}

// dial connects to the proxy, with a deadline that keeps a failing test from hanging.
func dial(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c.(*net.TCPConn)
}

// names opens n connections to the proxy one after the other and returns what each read.
func names(t *testing.T, proxy string, n int) []string {
	t.Helper()
	var got []string
	for range n {
		b, err := io.ReadAll(dial(t, proxy))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	return got
}

func TestRoundRobin(t *testing.T) {
	proxy := startProxy(t, Options{Backends: []string{named(t, "a"), named(t, "b"), named(t, "c")}})
	got := names(t, proxy, 7)
	want := []string{"a", "b", "c", "a", "b", "c", "a"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("backends of successive connections mismatch (-want +got):\n%s", diff)
	}
}

// TestSkipsDeadBackend checks that a connection whose backend refuses it, or does not answer
// within DialTimeout, goes to the next one.
func TestSkipsDeadBackend(t *testing.T) {
	for _, tc := range []struct {
		name string
		dead func(*testing.T) string
	}{
		{"refused", refusing},
		{"not answering", hanging},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const timeout = 200 * time.Millisecond
			proxy := startProxy(t, Options{Backends: []string{named(t, "a"), tc.dead(t), named(t, "c")}, DialTimeout: timeout})
			start := time.Now()
			got := names(t, proxy, 6)
			// The second and fifth connections find b dead and go on to c.
			want := []string{"a", "c", "c", "a", "c", "c"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("backends of successive connections mismatch (-want +got):\n%s", diff)
			}
			if elapsed := time.Since(start); elapsed > 2*timeout+time.Second {
				t.Errorf("6 connections took %v: a dead backend is waited on for longer than DialTimeout %v", elapsed, timeout)
			}
		})
	}
}

// TestHalfClose checks that the end of one direction reaches the other side while the other
// direction goes on: a client that sends its request and closes its side still gets the
// answer, and a backend that does so still gets the client's.
func TestHalfClose(t *testing.T) {
	t.Run("client first", func(t *testing.T) {
		proxy := startProxy(t, Options{Backends: []string{backend(t, func(c net.Conn) {
			b, _ := io.ReadAll(c) // until the client's half-close
			fmt.Fprintf(c, "read %d bytes", len(b))
		})}})
		c := dial(t, proxy)
		if _, err := c.Write(bytes.Repeat([]byte("x"), 1<<20)); err != nil {
			t.Fatal(err)
		}
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(c)
		if err != nil {
			t.Fatal(err)
		}
		if want := "read 1048576 bytes"; string(got) != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("backend first", func(t *testing.T) {
		received := make(chan string, 1)
		proxy := startProxy(t, Options{Backends: []string{backend(t, func(c net.Conn) {
			io.WriteString(c, "hello")
			c.(*net.TCPConn).CloseWrite()
			b, _ := io.ReadAll(c)
			received <- string(b)
		})}})
		c := dial(t, proxy)
		got, err := io.ReadAll(c) // until the backend's half-close
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "hello" {
			t.Errorf("client got %q, want %q", got, "hello")
		}
		io.WriteString(c, "bye")
		c.CloseWrite()
		if got := <-received; got != "bye" {
			t.Errorf("backend got %q, want %q", got, "bye")
		}
	})
}

// TestAllBackendsDead checks that a client is disconnected when no backend answers.
func TestAllBackendsDead(t *testing.T) {
	proxy := startProxy(t, Options{Backends: []string{refusing(t), refusing(t)}})
	c := dial(t, proxy)
	n, err := c.Read(make([]byte, 1))
	if n != 0 || (err != io.EOF && !errors.Is(err, syscall.ECONNRESET)) {
		t.Errorf("Read = %d, %v; want the connection closed", n, err)
	}
}

// TestWebSocket runs a WebSocket through the proxy: messages go both ways, at once, and the
// close handshake goes through.
func TestWebSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for { // echo each message in upper case
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, bytes.ToUpper(b)); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	proxy := startProxy(t, Options{Backends: []string{strings.TrimPrefix(srv.URL, "http://")}})

	c, _, err := websocket.Dial(ctx, "ws://"+proxy+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	const messages = 200
	msg := func(i int) string { return strings.Repeat(fmt.Sprintf("message %d ", i), i*10) }
	written := make(chan error, 1)
	go func() {
		for i := range messages {
			if err := c.Write(ctx, websocket.MessageText, []byte(msg(i))); err != nil {
				written <- err
				return
			}
		}
		written <- nil
	}()
	for i := range messages {
		_, got, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if want := strings.ToUpper(msg(i)); string(got) != want {
			t.Fatalf("message %d: got %d bytes %.20q..., want %d bytes %.20q...", i, len(got), got, len(want), want)
		}
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Errorf("close: %v", err)
	}
}

// TestServeStops checks that Serve stops accepting when its context ends, and closes the
// connections still open after the grace period.
func TestServeStops(t *testing.T) {
	hold := backend(t, func(c net.Conn) { io.Copy(io.Discard, c) }) // until the proxy closes
	p, err := New(Options{Backends: []string{hold}, Grace: 100 * time.Millisecond}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx, ln) }()
	c := dial(t, ln.Addr().String())
	io.WriteString(c, "open")

	cancel()
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Errorf("Read = %d, nil after Serve returned; want the connection closed", n)
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("the proxy still accepts after Serve returned")
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    Options
		wantErr error
	}{
		{
			args: []string{"-backends", "127.0.0.1:8001, 127.0.0.1:8002"},
			want: Options{Listen: "127.0.0.1:8000", Backends: []string{"127.0.0.1:8001", "127.0.0.1:8002"},
				DialTimeout: time.Second, Grace: 5 * time.Second},
		},
		{
			args: []string{"-listen", ":9000", "-backends", "h:1", "-dial-timeout", "50ms", "-grace", "0"},
			want: Options{Listen: ":9000", Backends: []string{"h:1"}, DialTimeout: 50 * time.Millisecond, Grace: -1},
		},
		{args: []string{}, wantErr: ErrInvalidOptions},
		{args: []string{"-backends", "127.0.0.1"}, wantErr: ErrInvalidOptions},
		{args: []string{"-backends", "h:1", "-log-format", "xml"}, wantErr: ErrInvalidOptions},
		{args: []string{"-backends", "h:1", "extra"}, wantErr: ErrInvalidOptions},
	} {
		got, _, err := parseFlags(tc.args, io.Discard)
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("parseFlags(%q): error %v, want %v", tc.args, err, tc.wantErr)
			continue
		}
		if diff := cmp.Diff(tc.want, got); err == nil && diff != "" {
			t.Errorf("parseFlags(%q) mismatch (-want +got):\n%s", tc.args, diff)
		}
	}
}
