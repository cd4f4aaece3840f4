// Package mllp moves HL7 v2 messages over MLLP, the Minimal Lower Layer Protocol that
// clinics' practice-management systems speak: every message travels in a frame
//
//	0x0B <payload> 0x1C 0x0D
//
// over a long-lived TCP (optionally TLS) connection, and the receiver answers each message
// with an acknowledgement in a frame of its own, in the order the messages arrived.
//
// The package treats payloads as opaque bytes: it neither parses nor builds HL7, and it
// never logs a payload, because payloads hold patient data. It has three parts:
//
//   - Reader and WriteFrame: framing, tolerant of what real senders do (junk between
//     frames, a missing or LF trailer, a sender that restarts mid-frame) and bounded in
//     memory (an oversized frame is discarded, keeping only its first bytes).
//   - Server: accepts connections and hands every frame to an asynchronous Handler that
//     decides when, and with what, to acknowledge it, so that nothing is acknowledged before
//     the application has committed it durably. Acknowledgements are written strictly in
//     arrival order, with a per-connection window of unacknowledged messages for pipelining
//     and backpressure.
//   - Client: sends frames and reads acknowledgements, synchronously (Send) or pipelined
//     (Write and ReadAck).
//
// It imports nothing of the application.
package mllp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
)

// The MLLP framing bytes. They are exported so that tests and tools building raw byte
// streams (for example a malformed frame for an interface test) spell them the same way.
const (
	// StartBlock (VT) opens a frame.
	StartBlock byte = 0x0B
	// EndBlock (FS) closes a frame's payload.
	EndBlock byte = 0x1C
	// CarriageReturn follows EndBlock to complete a frame.
	CarriageReturn byte = 0x0D
)

// DefaultMaxMessageSize is the payload limit used when none is configured: 16 MiB is far
// above any HL7 v2 message a practice-management system sends (even with embedded PDF
// reports), yet bounds what one connection can make the server hold.
const DefaultMaxMessageSize = 16 << 20

// prefixLen is how many leading payload bytes a FrameError keeps: enough for the MSH
// segment (and usually the whole header group), so the application can still address a
// NAK for a frame it cannot accept.
const prefixLen = 4 << 10

// readBufferSize is the bufio buffer a Reader allocates around a plain io.Reader. It is
// the only fixed per-connection read memory: payload buffers are allocated per frame, grow
// with it, and belong to the caller once returned.
const readBufferSize = 16 << 10

// Frame errors, carried in a *FrameError's Err. They are sentinels so that callers can
// choose the answer with errors.Is: a NAK for ErrTooLarge, nothing for a frame the sender
// abandoned.
var (
	// ErrTooLarge means the payload exceeded the maximum size; the rest of the frame was
	// read and discarded, so the connection is usable for the next frame.
	ErrTooLarge = errors.New("mllp: frame exceeds the maximum message size")
	// ErrNestedStart means a start block arrived inside a frame: the sender gave up on the
	// frame (typically it restarted or timed out and resent). The partial frame is dropped
	// and the start block begins the next frame.
	ErrNestedStart = errors.New("mllp: start block inside a frame (sender restarted)")
	// ErrTruncated means the stream ended inside a frame. It wraps io.ErrUnexpectedEOF so
	// that generic I/O code recognises it too.
	ErrTruncated = fmt.Errorf("mllp: stream ended inside a frame: %w", io.ErrUnexpectedEOF)
	// ErrInvalidPayload means a payload to be written contains a start or end block byte,
	// which would corrupt the framing of everything after it on the connection.
	ErrInvalidPayload = errors.New("mllp: payload contains an MLLP start or end block byte")
)

// FrameError reports a frame that could not be delivered whole. It keeps the first bytes
// of the payload because the application may still want to read the MSH segment of a
// rejected message, to NAK it and quarantine it, even when the message itself is too large
// to hold. Its Error text never includes payload bytes (they hold patient data).
type FrameError struct {
	// Err is ErrTooLarge, ErrNestedStart or ErrTruncated.
	Err error
	// Size is the number of payload bytes seen in the frame, including discarded ones.
	Size int64
	// Prefix holds the first payload bytes (at most 4 KiB), so the application can read the
	// message header of a frame it rejects.
	Prefix []byte
}

// Error describes the failure by kind and size only, so it is safe to log.
func (e *FrameError) Error() string {
	return fmt.Sprintf("%v (%d payload bytes)", e.Err, e.Size)
}

// Unwrap exposes the sentinel so that errors.Is(err, ErrTooLarge) works on a wrapped
// *FrameError.
func (e *FrameError) Unwrap() error { return e.Err }

// Reader reads MLLP frames from a byte stream. It exists so that every user of the
// protocol (server, client, command-line tools, tests) frames and resynchronises the same
// way.
//
// Tolerance, chosen for the senders that exist in clinics:
//   - Bytes outside frames (junk, whitespace, stray CR or LF, lone end blocks) are skipped.
//   - A frame ends at its end block (0x1C). The CR (0x0D) that should follow is consumed
//     if it has already arrived, and otherwise skipped as junk before the next frame; an LF
//     in its place is treated the same way. The Reader never waits for the byte after the
//     end block, because a sender that omits it would otherwise wait forever for an ACK
//     that the Reader would not release. The cost is that 0x1C can never be payload data,
//     which HL7 v2 forbids anyway.
//   - After any *FrameError the Reader is positioned for the next frame, so one bad frame
//     does not cost the connection.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	br  *bufio.Reader
	max int64
	// inFrame is true when a start block has been consumed but its frame not yet returned:
	// between calls it means the previous frame ended with a nested start block.
	inFrame bool
	// onStart, when set (by the Server), is called as soon as a frame has started, so the
	// caller can switch from the idle timeout to the frame timeout.
	onStart func()
}

// NewReader returns a Reader that refuses payloads larger than maxSize bytes
// (DefaultMaxMessageSize when maxSize <= 0). If r is a *bufio.Reader it is used as is;
// otherwise it is wrapped in one with a 16 KiB buffer.
func NewReader(r io.Reader, maxSize int) *Reader {
	if maxSize <= 0 {
		maxSize = DefaultMaxMessageSize
	}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, readBufferSize)
	}
	return &Reader{br: br, max: int64(maxSize)}
}

// ReadFrame returns the payload of the next frame, without its framing bytes. The slice is
// newly allocated and owned by the caller; an empty frame gives a non-nil empty slice.
//
// At the end of the stream between frames it returns io.EOF itself. A frame that cannot
// be delivered gives a *FrameError (see its Err values), after which the Reader is ready
// for the next frame. Any other error comes from the underlying reader, wrapped; a frame in
// progress is then dropped, and a later call looks for the next start block (a timeout
// while waiting for a frame is therefore harmless).
func (r *Reader) ReadFrame() ([]byte, error) {
	if !r.inFrame {
		if err := r.skipToStart(); err != nil {
			return nil, err
		}
		r.inFrame = true
	}
	if r.onStart != nil {
		r.onStart()
	}
	var payload []byte
	var size int64
	for {
		chunk, err := r.fill()
		if err != nil {
			r.inFrame = false
			if err == io.EOF {
				return nil, r.frameError(ErrTruncated, size, payload)
			}
			return nil, fmt.Errorf("mllp: reading a frame: %w", err)
		}
		end := bytes.IndexByte(chunk, EndBlock)
		body := chunk
		if end >= 0 {
			body = chunk[:end]
		}
		if start := bytes.IndexByte(body, StartBlock); start >= 0 {
			payload, size = r.add(payload, size, chunk[:start])
			r.discard(start + 1)
			// inFrame stays true: this start block opens the next frame.
			return nil, r.frameError(ErrNestedStart, size, payload)
		}
		if end >= 0 {
			payload, size = r.add(payload, size, body)
			r.discard(end + 1)
			r.inFrame = false
			r.skipTrailer()
			if size > r.max {
				return nil, r.frameError(ErrTooLarge, size, payload)
			}
			if payload == nil {
				payload = []byte{}
			}
			return payload, nil
		}
		payload, size = r.add(payload, size, chunk)
		r.discard(len(chunk))
	}
}

// skipToStart discards bytes up to and including the next start block.
func (r *Reader) skipToStart() error {
	for {
		chunk, err := r.fill()
		if err != nil {
			if err == io.EOF {
				return io.EOF
			}
			return fmt.Errorf("mllp: waiting for a frame: %w", err)
		}
		if i := bytes.IndexByte(chunk, StartBlock); i >= 0 {
			r.discard(i + 1)
			return nil
		}
		r.discard(len(chunk))
	}
}

// skipTrailer consumes the CR (or LF) after an end block if it has already arrived; it
// never blocks (see Reader).
func (r *Reader) skipTrailer() {
	if r.br.Buffered() == 0 {
		return
	}
	b, err := r.br.Peek(1)
	if err == nil && (b[0] == CarriageReturn || b[0] == '\n') {
		r.discard(1)
	}
}

// fill returns the buffered bytes, reading if none are buffered. The slice is valid until
// the next discard.
func (r *Reader) fill() ([]byte, error) {
	if r.br.Buffered() == 0 {
		if _, err := r.br.Peek(1); err != nil {
			return nil, err
		}
	}
	return r.br.Peek(r.br.Buffered())
}

// discard drops n bytes that fill has shown to be buffered, so it cannot fail.
func (r *Reader) discard(n int) {
	_, _ = r.br.Discard(n)
}

// add appends b to the payload while it fits the limit; past the limit it keeps only the
// prefix, releasing the large buffer.
func (r *Reader) add(payload []byte, size int64, b []byte) ([]byte, int64) {
	size += int64(len(b))
	if size <= r.max {
		return append(payload, b...), size
	}
	if room := prefixLen - len(payload); room > 0 {
		payload = append(payload, b[:min(room, len(b))]...)
	}
	if len(payload) > prefixLen || cap(payload) > 2*prefixLen {
		payload = slices.Clone(payload[:min(len(payload), prefixLen)])
	}
	return payload, size
}

// frameError builds a *FrameError with at most prefixLen bytes of the payload, copied so
// that the error does not pin a large buffer.
func (r *Reader) frameError(kind error, size int64, payload []byte) *FrameError {
	prefix := payload[:min(len(payload), prefixLen)]
	if cap(prefix) > prefixLen {
		prefix = slices.Clone(prefix)
	}
	return &FrameError{Err: kind, Size: size, Prefix: prefix}
}

// WriteFrame writes payload to w as one MLLP frame, in a single Write call so that a frame
// on an unbuffered connection leaves in as few packets (or TLS records) as possible. It
// refuses, with ErrInvalidPayload, a payload containing a start or end block byte, because
// such a frame would corrupt everything after it on the connection.
func WriteFrame(w io.Writer, payload []byte) error {
	buf, err := appendFrame(make([]byte, 0, len(payload)+3), payload)
	if err != nil {
		return err
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("mllp: writing a frame: %w", err)
	}
	return nil
}

// appendFrame appends payload, framed, to dst.
func appendFrame(dst, payload []byte) ([]byte, error) {
	if bytes.IndexByte(payload, StartBlock) >= 0 || bytes.IndexByte(payload, EndBlock) >= 0 {
		return dst, ErrInvalidPayload
	}
	dst = append(dst, StartBlock)
	dst = append(dst, payload...)
	return append(dst, EndBlock, CarriageReturn), nil
}
