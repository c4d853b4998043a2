// Package netpipe joins two connections: what either sends, the other receives, byte for byte.
// `pairpad proxy` joins each client to a node with it, and a node joins a room socket to the
// room's owner.
package netpipe

import (
	"io"
	"net"
	"sync"
)

// Join copies a to b and b to a until both directions have ended, or either fails, and then
// closes both. The end of one direction (EOF) is passed on as a half-close (CloseWrite), so
// that the other side sees it while the other direction goes on; a failure closes both
// connections, which ends the other direction too. Between TCP connections the kernel moves
// the bytes (splice), without copying them through the process.
func Join(a, b net.Conn) {
	defer a.Close()
	defer b.Close()
	var wg sync.WaitGroup
	wg.Go(func() { pipe(b, a) })
	pipe(a, b)
	wg.Wait()
}

// pipe copies src to dst until src ends, then half-closes dst; when either fails, or dst
// cannot be half-closed, it closes both.
func pipe(dst, src net.Conn) {
	_, err := io.Copy(dst, src)
	if err == nil {
		if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
			return
		}
	}
	src.Close()
	dst.Close()
}
