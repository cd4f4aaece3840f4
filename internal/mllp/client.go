package mllp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// Client sends MLLP frames on one connection and reads the acknowledgements. It serves
// the command-line sender, outbound write-back to practice-management systems (which
// retries until acknowledged) and benchmarks.
//
// MLLP matches an acknowledgement to a message only by order, so after any error
// (including a cancelled or expired context) the Client can no longer know which
// acknowledgement belongs to which message: it refuses further use, and the caller must
// Close it and dial again before retrying.
//
// Send is safe for concurrent use (calls are serialised). For pipelining, one goroutine
// may call Write while another calls ReadAck; do not mix them with Send.
type Client struct {
	nc net.Conn
	r  *Reader

	wmu  sync.Mutex // serialises writes
	wbuf []byte
	rmu  sync.Mutex // serialises reads

	emu sync.Mutex
	err error // the first error; the Client is unusable after it
}

// Dial connects to an MLLP peer at addr ("host:port"), over TLS when tlsConfig is not nil
// (its ServerName defaults to addr's host). ctx bounds the connection and handshake only.
func Dial(ctx context.Context, addr string, tlsConfig *tls.Config) (*Client, error) {
	nd := &net.Dialer{}
	var nc net.Conn
	var err error
	if tlsConfig != nil {
		nc, err = (&tls.Dialer{NetDialer: nd, Config: tlsConfig}).DialContext(ctx, "tcp", addr)
	} else {
		nc, err = nd.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("mllp: dialing %s: %w", addr, err)
	}
	return NewClient(nc), nil
}

// NewClient wraps an established connection, for callers that dial their own way (a
// proxy, a pipe in tests). The Client owns nc from now on. Acknowledgements larger than
// DefaultMaxMessageSize are refused.
func NewClient(nc net.Conn) *Client {
	return &Client{nc: nc, r: NewReader(nc, DefaultMaxMessageSize)}
}

// Send writes payload as one frame and waits for its acknowledgement, which it returns
// as received (the caller checks MSA-1 and MSA-2). ctx's deadline and cancellation bound
// the whole exchange.
func (c *Client) Send(ctx context.Context, payload []byte) ([]byte, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if err := c.write(ctx, payload); err != nil {
		return nil, err
	}
	ack, err := c.readAck(ctx)
	if err != nil {
		// The frame went out: whatever happened, its ACK may still arrive.
		return nil, c.fail(err)
	}
	return ack, nil
}

// Write sends payload as one frame without waiting for its acknowledgement, so that a
// sender can keep several messages in flight; read the acknowledgements, in the same
// order, with ReadAck. ctx bounds the write.
func (c *Client) Write(ctx context.Context, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.write(ctx, payload)
}

// ReadAck waits for the next acknowledgement: the one for the oldest message written and
// not yet acknowledged. ctx bounds the wait.
func (c *Client) ReadAck(ctx context.Context) ([]byte, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	return c.readAck(ctx)
}

// Close closes the connection; messages not yet acknowledged may or may not have been
// received, so the caller must treat them as unsent.
func (c *Client) Close() error {
	c.fail(net.ErrClosed)
	if err := c.nc.Close(); err != nil {
		return fmt.Errorf("mllp: closing: %w", err)
	}
	return nil
}

func (c *Client) write(ctx context.Context, payload []byte) error {
	if err := c.usable(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mllp: not writing: %w", err) // nothing sent: still usable
	}
	buf, err := appendFrame(c.wbuf[:0], payload)
	if err != nil {
		return err // nothing written: the Client stays usable
	}
	err = withDeadline(ctx, c.nc.SetWriteDeadline, func() error {
		_, err := c.nc.Write(buf)
		return err
	})
	if cap(buf) <= maxBatchBuffer {
		c.wbuf = buf
	} else {
		c.wbuf = nil
	}
	if err != nil {
		return c.fail(fmt.Errorf("mllp: writing a frame: %w", contextError(ctx, err)))
	}
	return nil
}

func (c *Client) readAck(ctx context.Context) ([]byte, error) {
	if err := c.usable(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("mllp: not reading an ACK: %w", err) // nothing read: still usable
	}
	var ack []byte
	err := withDeadline(ctx, c.nc.SetReadDeadline, func() error {
		var err error
		ack, err = c.r.ReadFrame()
		return err
	})
	if err != nil {
		return nil, c.fail(fmt.Errorf("mllp: reading an ACK: %w", contextError(ctx, err)))
	}
	return ack, nil
}

// usable returns the error that made the Client unusable, if any.
func (c *Client) usable() error {
	c.emu.Lock()
	defer c.emu.Unlock()
	if c.err != nil {
		return fmt.Errorf("mllp: client unusable after an earlier error (dial again): %w", c.err)
	}
	return nil
}

// fail records the first error and returns err.
func (c *Client) fail(err error) error {
	c.emu.Lock()
	defer c.emu.Unlock()
	if c.err == nil {
		c.err = err
	}
	return err
}

// withDeadline runs op with the connection deadline set from ctx, interrupting it if ctx
// is cancelled, and waits for the interruption to finish so that it cannot affect a later
// operation.
func withDeadline(ctx context.Context, set func(time.Time) error, op func() error) error {
	d, _ := ctx.Deadline()
	_ = set(d)
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(interrupted)
		_ = set(time.Unix(1, 0))
	})
	err := op()
	if !stop() {
		<-interrupted
	}
	return err
}

// contextError reports a deadline error caused by ctx as ctx's error, so callers can test
// errors.Is(err, context.DeadlineExceeded) whichever timer fired first.
func contextError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if _, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}
