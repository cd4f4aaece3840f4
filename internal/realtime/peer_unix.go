//go:build unix

package realtime

import (
	"errors"
	"net"
	"syscall"
)

// peerClosed reports whether conn's peer has closed it (or it failed), without blocking
// and without consuming anything: a non-blocking peek that reads end of file, or fails
// with anything but "nothing to read yet". A connection that cannot be asked is taken as
// open (the next heartbeat's write finds out).
func peerClosed(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	var buf [1]byte
	err = raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil:
			closed = n == 0
		case errors.Is(err, syscall.EAGAIN), errors.Is(err, syscall.EWOULDBLOCK), errors.Is(err, syscall.EINTR):
		default:
			closed = true
		}
		return true // never wait for the poller: this is a look, not a read
	})
	return closed || err != nil
}
