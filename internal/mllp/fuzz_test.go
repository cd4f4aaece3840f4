package mllp

import (
	"bufio"
	"bytes"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// model is the Reader's specification, one byte at a time: what ReadFrame must return for
// a complete stream.
func model(in []byte, max int) []outcome {
	var out []outcome
	inFrame := false
	var payload []byte
	var size int64
	keep := func(b byte) {
		size++
		if size <= int64(max) || len(payload) < prefixLen {
			payload = append(payload, b)
		}
	}
	clip := func() []byte {
		p := payload[:min(len(payload), prefixLen)]
		if len(p) == 0 {
			return nil
		}
		return p
	}
	for _, b := range in {
		switch {
		case !inFrame && b == StartBlock:
			inFrame, payload, size = true, nil, 0
		case !inFrame:
			// junk
		case b == StartBlock:
			out = append(out, outcome{Kind: "nested_start", Size: size, Prefix: clip()})
			payload, size = nil, 0
		case b == EndBlock:
			if size > int64(max) {
				out = append(out, outcome{Kind: "too_large", Size: size, Prefix: clip()})
			} else {
				out = append(out, outcome{Payload: append([]byte{}, payload...)})
			}
			inFrame = false
		default:
			keep(b)
		}
	}
	if inFrame {
		out = append(out, outcome{Kind: "truncated", Size: size, Prefix: clip()})
	}
	return out
}

// FuzzReader feeds arbitrary bytes to the Reader, whole and in small pieces: it must
// never panic or loop, must agree with the byte-at-a-time model, must return at most one
// result per start block, and must hold no more than the limit (plus a 4 KiB prefix).
func FuzzReader(f *testing.F) {
	seeds := []string{
		"\x0bMSH|1\x1c\r",
		"\x0bMSH|1",
		"\x0bA\x0bB\x1c\r",
		"\x1c\r\x1c\x1c",
		"\x0bA\x1c\n\x0bB\x1c\n",
		"junk\x0bA\x1c",
		"\x0b0123456789abcdef0123456789\x1c\r",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint16(16))
	}
	f.Fuzz(func(t *testing.T, in []byte, limit uint16) {
		max := int(limit%8192) + 1
		want := model(in, max)
		for _, wrap := range []func([]byte) *Reader{
			func(b []byte) *Reader { return NewReader(bytes.NewReader(b), max) },
			func(b []byte) *Reader {
				return NewReader(bufio.NewReaderSize(iotest.HalfReader(bytes.NewReader(b)), 16), max)
			},
		} {
			got := readAll(t, wrap(in), bytes.Count(in, []byte{StartBlock})+1)
			if diff := cmp.Diff(want, got, equalBytes()); diff != "" {
				t.Fatalf("frames (-model +reader):\n%s", diff)
			}
			var total int
			for _, o := range got {
				if len(o.Payload) > max || len(o.Prefix) > prefixLen {
					t.Fatalf("result holds %d+%d bytes, limit %d", len(o.Payload), len(o.Prefix), max)
				}
				total += len(o.Payload) + len(o.Prefix)
			}
			if total > len(in) {
				t.Fatalf("results hold %d bytes from %d bytes of input", total, len(in))
			}
		}
	})
}
