package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/tidings-health/tidings/internal/lifecycle"
)

// debugServer serves Go's profiler on addr (--debug-addr) as one of serve's components, so
// that an operator can see where a live server spends its time and memory (go tool pprof
// http://ADDR/debug/pprof/heap). It is a listener of its own, never the application's
// mux: its pages have no sign-in and must not be reachable where patients are.
func debugServer(addr string) (lifecycle.Component, net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return lifecycle.Component{}, nil, usageError{fmt.Errorf("--debug-addr: listen on %s: %w", addr, err)}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return lifecycle.Component{Name: "debug", RunFunc: func(ctx context.Context, ready func()) error {
		errc := make(chan error, 1)
		go func() { errc <- hs.Serve(ln) }()
		ready()
		select {
		case err := <-errc:
			return fmt.Errorf("debug: %w", err)
		case <-ctx.Done():
		}
		err := hs.Close()
		if e := <-errc; !errors.Is(e, http.ErrServerClosed) {
			err = errors.Join(err, e)
		}
		return err
	}}, ln.Addr(), nil
}
