package mllp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// outcome is one ReadFrame result, in a form go-cmp can compare.
type outcome struct {
	Payload []byte // good frame (non-nil, possibly empty)
	Kind    string // frame error kind, "" for a good frame
	Size    int64
	Prefix  []byte
}

// readAll reads frames until io.EOF, failing on any error that is not a *FrameError.
func readAll(t testing.TB, r *Reader, limit int) []outcome {
	t.Helper()
	var got []outcome
	for i := 0; ; i++ {
		if i > limit {
			t.Fatalf("no io.EOF after %d calls", i)
		}
		p, err := r.ReadFrame()
		if err == io.EOF {
			return got
		}
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("ReadFrame: unexpected error %v", err)
			}
			if p != nil {
				t.Fatalf("ReadFrame returned a payload with error %v", err)
			}
			got = append(got, outcome{Kind: errorKind(fe.Err), Size: fe.Size, Prefix: fe.Prefix})
			continue
		}
		if p == nil {
			t.Fatalf("ReadFrame returned a nil payload without error")
		}
		got = append(got, outcome{Payload: p})
	}
}

// equalBytes compares byte slices fast (go-cmp walks them element by element) while still
// telling nil from empty.
func equalBytes() cmp.Option {
	return cmp.Comparer(func(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) })
}

func ok(s string) outcome { return outcome{Payload: []byte(s)} }

func TestReadFrame(t *testing.T) {
	const seg = "MSH|^~\\&|PMS|CLINIC|DOE^JANE|\r"
	big := strings.Repeat(seg, 2<<20/len(seg)+1)[:2<<20]
	over := strings.Repeat("x", 20000)
	tests := []struct {
		name string
		in   string
		max  int
		want []outcome
	}{
		{name: "one frame", in: "\x0bMSH|a\x1c\r", want: []outcome{ok("MSH|a")}},
		{name: "empty stream", in: "", want: nil},
		{name: "only junk", in: "junk \r\n\t\x1c\r", want: nil},
		{name: "junk between frames", in: "junk\r\n\x0bA\x1c\r  \n\tgarbage\x0bB\x1c\r", want: []outcome{ok("A"), ok("B")}},
		{name: "LF instead of CR", in: "\x0bA\x1c\n\x0bB\x1c\n", want: []outcome{ok("A"), ok("B")}},
		{name: "CR LF after end block", in: "\x0bA\x1c\r\n\x0bB\x1c\r\n", want: []outcome{ok("A"), ok("B")}},
		{name: "missing CR", in: "\x0bA\x1c\x0bB\x1c", want: []outcome{ok("A"), ok("B")}},
		{name: "lone end blocks", in: "\x1c\r\x1c\x0bA\x1c\r\x1c", want: []outcome{ok("A")}},
		{name: "segments keep their CRs", in: "\x0bMSH|1\rPID|2\r\x1c\r", want: []outcome{ok("MSH|1\rPID|2\r")}},
		{name: "empty payload", in: "\x0b\x1c\r\x0bB\x1c\r", want: []outcome{ok(""), ok("B")}},
		{
			name: "nested start block",
			in:   "\x0bMSH|PART\x0bMSH|FULL\x1c\r",
			want: []outcome{{Kind: "nested_start", Size: 8, Prefix: []byte("MSH|PART")}, ok("MSH|FULL")},
		},
		{
			name: "two start blocks in a row",
			in:   "\x0b\x0bA\x1c\r",
			want: []outcome{{Kind: "nested_start"}, ok("A")},
		},
		{
			name: "EOF mid frame",
			in:   "\x0bA\x1c\r\x0bMSH|PARTIAL",
			want: []outcome{ok("A"), {Kind: "truncated", Size: 11, Prefix: []byte("MSH|PARTIAL")}},
		},
		{name: "EOF after start block", in: "\x0b", want: []outcome{{Kind: "truncated"}}},
		{
			name: "oversized then good",
			in:   "\x0b0123456789\x1c\r\x0bok\x1c\r",
			max:  8,
			want: []outcome{{Kind: "too_large", Size: 10, Prefix: []byte("0123456789")}, ok("ok")},
		},
		{name: "exactly the maximum", in: "\x0b12345678\x1c\r", max: 8, want: []outcome{ok("12345678")}},
		{
			name: "oversized keeps 4 KiB prefix",
			in:   "\x0b" + over + "\x1c\r\x0bok\x1c\r",
			max:  1024,
			want: []outcome{{Kind: "too_large", Size: 20000, Prefix: []byte(over[:4096])}, ok("ok")},
		},
		{
			name: "oversized ended by a start block",
			in:   "\x0b0123456789\x0bok\x1c\r",
			max:  4,
			want: []outcome{{Kind: "nested_start", Size: 10, Prefix: []byte("0123456789")}, ok("ok")},
		},
		{
			name: "oversized truncated",
			in:   "\x0b" + over,
			max:  1024,
			want: []outcome{{Kind: "truncated", Size: 20000, Prefix: []byte(over[:4096])}},
		},
		{name: "2 MB payload", in: "\x0b" + big + "\x1c\r\x0bok\x1c\r", want: []outcome{ok(big), ok("ok")}},
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"one byte at a time", iotest.OneByteReader},
		{"small bufio", func(r io.Reader) io.Reader { return bufio.NewReaderSize(r, 16) }},
		{"data with EOF", iotest.DataErrReader},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			if len(tt.in) > 1<<20 && rd.name == "one byte at a time" {
				continue // too slow to be worth it; "small bufio" covers chunking
			}
			t.Run(tt.name+"/"+rd.name, func(t *testing.T) {
				r := NewReader(rd.wrap(strings.NewReader(tt.in)), tt.max)
				got := readAll(t, r, len(tt.in)+2)
				if diff := cmp.Diff(tt.want, got, equalBytes()); diff != "" {
					if len(diff) > 2000 {
						diff = diff[:2000] + "…"
					}
					t.Errorf("frames (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// A sender that omits the CR after the end block must get its frame without the Reader
// waiting for a byte that never comes.
func TestReadFrameDoesNotWaitForTrailer(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() {
		_, _ = pw.Write([]byte("\x0bMSH|DOE^JANE\x1c"))
		// The pipe stays open: no CR, no EOF.
	}()
	done := make(chan []byte)
	go func() {
		p, err := NewReader(pr, 0).ReadFrame()
		if err != nil {
			t.Errorf("ReadFrame: %v", err)
		}
		done <- p
	}()
	select {
	case p := <-done:
		if diff := cmp.Diff([]byte("MSH|DOE^JANE"), p); diff != "" {
			t.Errorf("payload (-want +got):\n%s", diff)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadFrame waited for the byte after the end block")
	}
	_ = pw.Close()
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// scripted returns its steps in turn: data, or an error.
type scripted struct{ steps []any }

func (s *scripted) Read(p []byte) (int, error) {
	if len(s.steps) == 0 {
		return 0, io.EOF
	}
	step := s.steps[0]
	s.steps = s.steps[1:]
	switch v := step.(type) {
	case error:
		return 0, v
	case string:
		return copy(p, v), nil
	}
	panic("bad step")
}

// An I/O error is wrapped; a timeout between frames costs nothing, one inside a frame
// drops that frame; either way the Reader carries on with the next frame.
func TestReadFrameIOErrors(t *testing.T) {
	r := NewReader(&scripted{steps: []any{
		"junk", timeoutErr{}, // between frames
		"\x0bA\x1c\r",
		"\x0bPART", timeoutErr{}, // inside a frame: dropped
		"IAL\x1c\r", // the rest of the dropped frame is junk now
		"\x0bB\x1c\r",
	}}, 0)
	var got []string
	for range 10 {
		p, err := r.ReadFrame()
		switch {
		case err == io.EOF:
			want := []string{"timeout", "A", "timeout", "B", "EOF"}
			if diff := cmp.Diff(want, append(got, "EOF")); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			return
		case errors.Is(err, timeoutErr{}):
			got = append(got, "timeout")
		case err != nil:
			t.Fatalf("ReadFrame: %v", err)
		default:
			got = append(got, string(p))
		}
	}
	t.Fatal("no EOF")
}

func TestFrameErrorHidesPayload(t *testing.T) {
	r := NewReader(strings.NewReader("\x0bMSH|DOE^JANE|1234567890\x1c\r"), 8)
	_, err := r.ReadFrame()
	var fe *FrameError
	if !errors.As(err, &fe) || !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ReadFrame error = %v, want a *FrameError with ErrTooLarge", err)
	}
	if strings.Contains(err.Error(), "DOE") {
		t.Errorf("error text %q quotes the payload", err.Error())
	}
	if !bytes.HasPrefix(fe.Prefix, []byte("MSH|")) {
		t.Errorf("Prefix = %q, want the start of the payload", fe.Prefix)
	}
	if !errors.Is(ErrTruncated, io.ErrUnexpectedEOF) {
		t.Error("ErrTruncated does not wrap io.ErrUnexpectedEOF")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestWriteFrame(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    string
		wantErr error
	}{
		{name: "message", payload: "MSH|1\rPID|2\r", want: "\x0bMSH|1\rPID|2\r\x1c\r"},
		{name: "empty", payload: "", want: "\x0b\x1c\r"},
		{name: "start block in payload", payload: "MSH\x0b", wantErr: ErrInvalidPayload},
		{name: "end block in payload", payload: "MSH\x1c", wantErr: ErrInvalidPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteFrame(&buf, []byte(tt.payload))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("WriteFrame error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("bytes written (-want +got):\n%s", diff)
			}
			if tt.wantErr != nil {
				return
			}
			got, err := NewReader(&buf, 0).ReadFrame()
			if err != nil {
				t.Fatalf("ReadFrame: %v", err)
			}
			if diff := cmp.Diff([]byte(tt.payload), got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
	if err := WriteFrame(failWriter{}, []byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("WriteFrame to a failing writer = %v, want it wrapped", err)
	}
}
