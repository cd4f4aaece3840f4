package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/integration"
)

// importCommand runs `tidings import csv`: a clinic's patients, appointments or recalls
// from a CSV export of its software (SYN-1, RES-8), dry run first by default.
func importCommand(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "csv" {
		return usageError{errors.New("import: the subcommand is csv")}
	}
	fs, cfg := storeFlags("import csv", "import csv --org SLUG --database ID [--apply] [--json] FILE", env)
	org := fs.String("org", "", "organisation slug")
	dbID := fs.Int64("database", 0, "id of the clinical database the file comes from")
	apply := fs.Bool("apply", false, "apply the rows (without it: a dry run that changes nothing)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	if err := parsePositional(fs, args[1:], env); err != nil {
		return err
	}
	if err := cfg.Finish(); err != nil {
		return usageError{err}
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("import csv: give one FILE")}
	}
	if *dbID <= 0 {
		return usageError{errors.New("--database: give the id of the clinical database (Settings → Clinical databases)")}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return usageError{err}
	}
	defer f.Close()
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	o, err := orgBySlug(ctx, db, *org)
	if err != nil {
		return err
	}
	svc := integration.New(db, integration.Config{})
	rep, err := svc.ImportCSV(ctx, cliActor(o), clinic.DatabaseID(*dbID), f, *apply)
	if err != nil && len(rep.Rows) == 0 {
		return useCaseError(err)
	}
	if *asJSON {
		if jerr := json.NewEncoder(env.Stdout).Encode(rep); jerr != nil {
			return jerr
		}
	} else {
		for _, r := range rep.Rows {
			if r.Reason != "" {
				fmt.Fprintf(env.Stdout, "line %d: %s: %s\n", r.Line, r.Outcome, r.Reason)
			} else {
				fmt.Fprintf(env.Stdout, "line %d: %s\n", r.Line, r.Outcome)
			}
		}
		what := "dry run (nothing changed; add --apply to import)"
		if *apply {
			what = "imported"
		}
		fmt.Fprintf(env.Stdout, "%s %s: %d rows", what, rep.Kind, len(rep.Rows))
		for _, k := range []string{integration.Created, integration.Updated, integration.Unchanged, integration.Ignored, integration.Rejected} {
			fmt.Fprintf(env.Stdout, ", %s %s", strconv.Itoa(rep.Counts[k]), k)
		}
		fmt.Fprintf(env.Stdout, " in %.1f s\n", rep.Elapsed.Seconds())
	}
	if err != nil {
		return useCaseError(err)
	}
	return nil
}
