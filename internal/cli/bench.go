package cli

import (
	"context"
	"fmt"
)

// bench runs a named benchmark. Each prints its figures as one JSON object on its last line.
func bench(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usageError{fmt.Errorf("bench: name a benchmark: %s", "slots")}
	}
	return usageError{fmt.Errorf("bench: unknown benchmark %q", args[0])}
}
