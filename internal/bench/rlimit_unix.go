//go:build unix

package bench

import (
	"fmt"
	"syscall"
)

// raiseOpenFiles raises the soft limit of open files to the hard one and checks that it
// allows need (the messaging bench holds a connection per stream).
func raiseOpenFiles(need int) error {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return nil // unknown: try
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return fmt.Errorf("raise the open files limit to %d: %w", l.Max, err)
		}
	}
	if l.Cur < uint64(need) {
		return fmt.Errorf("the open files limit is %d; the bench needs %d (raise ulimit -n)", l.Cur, need)
	}
	return nil
}
