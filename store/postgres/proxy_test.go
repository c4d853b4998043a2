package postgres_test

import (
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
)

// proxy forwards TCP connections to a server until it is cut. Cut, it drops every connection
// and holds new ones open without a word, like a server behind a dead network: clients see
// resets on the connections they had, and nothing but their own deadlines on new ones.
type proxy struct {
	host   string
	port   uint16
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startProxy listens on a loopback port and forwards to host:port until tb ends.
func startProxy(tb testing.TB, host string, port uint16) *proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	p := &proxy{
		host:   addr.IP.String(),
		port:   uint16(addr.Port),
		ln:     ln,
		target: net.JoinHostPort(host, strconv.Itoa(int(port))),
		conns:  map[net.Conn]struct{}{},
	}
	p.wg.Go(p.serve)
	tb.Cleanup(p.close)
	return p
}

// setCut cuts or restores the network. Either way every open connection is dropped.
func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	p.dropLocked()
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.dropLocked()
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *proxy) dropLocked() {
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		cut := p.cut
		p.conns[client] = struct{}{}
		p.mu.Unlock()
		if cut {
			// Read and drop whatever comes until the connection is dropped.
			p.wg.Go(func() { io.Copy(io.Discard, client) })
			continue
		}
		p.wg.Go(func() { p.forward(client) })
	}
}

func (p *proxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if _, live := p.conns[client]; !live { // dropped while dialling
		p.mu.Unlock()
		server.Close()
		return
	}
	p.conns[server] = struct{}{}
	p.mu.Unlock()
	p.wg.Go(func() {
		io.Copy(server, client)
		server.Close()
	})
	io.Copy(client, server)
	client.Close()
}
