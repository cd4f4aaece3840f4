package mllp

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// After a deadline or cancellation the Client cannot tell whose ACK comes next, so it
// refuses further use; errors that sent nothing leave it usable.
func TestClientErrors(t *testing.T) {
	tests := []struct {
		name string
		// do runs one failing operation on cl; the handler never replies to "slow".
		do         func(ctx context.Context, cl *Client) error
		wantErr    error
		wantBroken bool
	}{
		{
			name: "Send past its deadline",
			do: func(ctx context.Context, cl *Client) error {
				ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
				_, err := cl.Send(ctx, msg("slow"))
				return err
			},
			wantErr:    context.DeadlineExceeded,
			wantBroken: true,
		},
		{
			name: "Send cancelled",
			do: func(ctx context.Context, cl *Client) error {
				ctx, cancel := context.WithCancel(ctx)
				time.AfterFunc(100*time.Millisecond, cancel)
				_, err := cl.Send(ctx, msg("slow"))
				return err
			},
			wantErr:    context.Canceled,
			wantBroken: true,
		},
		{
			name: "ReadAck past its deadline",
			do: func(ctx context.Context, cl *Client) error {
				if err := cl.Write(ctx, msg("slow")); err != nil {
					return err
				}
				ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
				defer cancel()
				_, err := cl.ReadAck(ctx)
				return err
			},
			wantErr:    context.DeadlineExceeded,
			wantBroken: true,
		},
		{
			name: "Write with a context already done",
			do: func(ctx context.Context, cl *Client) error {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return cl.Write(ctx, msg("1"))
			},
			wantErr: context.Canceled,
		},
		{
			name:    "payload with an end block",
			do:      func(ctx context.Context, cl *Client) error { return cl.Write(ctx, []byte("MSH|\x1c")) },
			wantErr: ErrInvalidPayload,
		},
		{
			name:       "Close",
			do:         func(ctx context.Context, cl *Client) error { cl.Close(); _, err := cl.Send(ctx, msg("1")); return err },
			wantErr:    net.ErrClosed,
			wantBroken: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			held := make(chan func(), 10)
			h := asyncHandler(func(ctx context.Context, r *Request, reply func([]byte)) {
				ack := ackFor(r.Payload)
				if strings.Contains(string(r.Payload), "|slow|") {
					held <- func() { reply(ack) }
					return
				}
				reply(ack)
			})
			s := serve(t, &Server{Handler: h})
			t.Cleanup(func() {
				for len(held) > 0 {
					(<-held)()
				}
			})
			cl := dial(t, s.addr)
			ctx := testCtx(t)
			start := time.Now()
			err := tt.do(ctx, cl)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("took %v", took)
			}
			ack, err := cl.Send(ctx, msg("2"))
			if tt.wantBroken {
				if err == nil || !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), "unusable") {
					t.Errorf("Send after the error = %v, want it refused, wrapping %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send after the error: %v", err)
			}
			if diff := cmp.Diff("MSA|AA|2", string(ack)); diff != "" {
				t.Errorf("ACK (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDialFails(t *testing.T) {
	l := newListener(t)
	addr := l.Addr().String()
	l.Close()
	ctx := testCtx(t)
	if c, err := Dial(ctx, addr, nil); err == nil {
		c.Close()
		t.Fatal("Dial to a closed port succeeded")
	} else if !strings.Contains(err.Error(), addr) {
		t.Errorf("Dial error %q does not name the address", err)
	}
}
