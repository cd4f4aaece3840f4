// Package bench holds the `tidings bench NAME` benchmarks: each seeds its own data into the
// database it is given, measures over the real store (and over HTTP where it says so), and
// prints its figures as one JSON object on its last line, so results are comparable across
// machines and commits.
package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// percentile returns the q-th percentile (0..1) of ds in milliseconds, nearest rank.
func percentile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	i = max(0, min(i, len(s)-1))
	return round(float64(s[i]) / float64(time.Millisecond))
}

func round(f float64) float64 { return math.Round(f*100) / 100 }

// report prints the closing JSON line.
func report(w io.Writer, v map[string]any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}
