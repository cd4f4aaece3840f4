package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// Rejected is the outcome of a CSV row that is not applied, with its reason.
const Rejected = "rejected"

// csvChunk is how many rows one transaction of an import applies: small enough that the
// one SQLite writer is never held long (the MLLP listener and the dashboard write between
// chunks), large enough that the commits do not dominate.
const csvChunk = 500

// CSVResult is the outcome of one row of an import: created, updated, unchanged, ignored
// (older than what the database sent since) or rejected, with the reason.
type CSVResult struct {
	Line    int    `json:"line"`
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

// CSVReport is what an import did, or would do (a dry run): a result per row and the
// counts. Reasons name the column and the rule, never a value.
type CSVReport struct {
	Kind    CSVKind        `json:"kind"`
	DryRun  bool           `json:"dry_run"`
	Rows    []CSVResult    `json:"rows"`
	Counts  map[string]int `json:"counts"`
	Elapsed time.Duration  `json:"-"`
}

// ImportCSV reads a CSV file of patients, appointments or recalls of database id (SYN-1,
// RES-8; the formats are docs/csv-import.md) and applies each row through the use cases
// every other writer uses, by external id, so that importing a file twice changes nothing
// the second time. With apply false it is a dry run: every row goes through the same
// rules, in transactions that are rolled back, and the report says what applying would do.
// Rows are applied in chunks of 500, each its own transaction, so an import never holds the
// database for long; the rows of a chunk that failed for the database's sake (not the
// row's) are not applied and the import stops with the error. Appointments and recalls
// name patients that must exist (import the patients first). Imported appointments get
// reminders but no booking confirmation: the patients booked them long ago. The import is
// audited, with its counts.
//
// Errors: clinic.ErrForbidden (administrators import), clinic.ErrNotFound for the database,
// *clinic.ValidationError on "file" for a header that is not one of the formats, or a file
// that could not be read to its end.
func (s *Service) ImportCSV(ctx context.Context, actor clinic.Actor, id clinic.DatabaseID, file io.Reader, apply bool) (CSVReport, error) {
	if err := allowQuarantine(actor, "import CSV"); err != nil {
		return CSVReport{}, err
	}
	began := time.Now()
	var d clinic.Database
	var loc *time.Location
	if err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = tx.Directory().Database(ctx, actor.OrgID, id); err != nil {
			return err
		}
		loc, err = databaseZone(ctx, tx, d)
		return err
	}); err != nil {
		return CSVReport{}, err
	}
	rd, err := NewCSVReader(file, loc)
	if err != nil {
		var ce *CSVError
		if errors.As(err, &ce) {
			return CSVReport{}, clinic.Invalid("file", ce.Error())
		}
		return CSVReport{}, clinic.Invalid("file", "could not be read as CSV")
	}
	rep := CSVReport{Kind: rd.Kind(), DryRun: !apply, Counts: map[string]int{}}
	at := s.db.Now() // the import's time orders its rows against the database's messages (SYN-4)
	chunk := make([]CSVRow, 0, csvChunk)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		results, err := s.importChunk(ctx, actor, d, chunk, at, apply)
		if err != nil {
			return err
		}
		rep.Rows = append(rep.Rows, results...)
		chunk = chunk[:0]
		return nil
	}
	for {
		row, ok := rd.Next()
		if !ok {
			break
		}
		chunk = append(chunk, row)
		if len(chunk) == csvChunk {
			if err := flush(); err != nil {
				return rep, err
			}
		}
	}
	if err := flush(); err != nil {
		return rep, err
	}
	for _, r := range rep.Rows {
		rep.Counts[r.Outcome]++
	}
	rep.Elapsed = time.Since(began)
	if rerr := rd.Err(); rerr != nil {
		return rep, clinic.Invalid("file", "could not be read to its end ("+rerr.Error()+"): the rows before were "+map[bool]string{true: "applied", false: "checked"}[apply])
	}
	if apply {
		err = s.db.Update(ctx, func(tx *store.Tx) error {
			return audit.Change(ctx, tx, actor, "database.import", d.Name, nil, map[string]any{"kind": rep.Kind, "counts": rep.Counts})
		})
	}
	return rep, err
}

// errDryRun rolls back a dry run's chunk.
var errDryRun = errors.New("dry run")

// importChunk applies (or tries, for a dry run) rows in one transaction, each under its own
// savepoint, so that a refused row leaves the others.
func (s *Service) importChunk(ctx context.Context, actor clinic.Actor, d clinic.Database, rows []CSVRow, at time.Time, apply bool) ([]CSVResult, error) {
	var out []CSVResult
	sys := clinic.SystemActor(d.OrgID, "import")
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		out = out[:0]
		for _, row := range rows {
			if row.Err != nil {
				out = append(out, CSVResult{Line: row.Line, Outcome: Rejected, Reason: row.Err.Error()})
				continue
			}
			m := row.Mapped
			m.At = at
			var outcome string
			err := tx.Savepoint(ctx, func() error {
				var err error
				outcome, err = s.applyMapped(ctx, tx, d, m, sys)
				return err
			})
			switch {
			case err == nil:
				out = append(out, CSVResult{Line: row.Line, Outcome: outcome})
			case refusable(err):
				out = append(out, CSVResult{Line: row.Line, Outcome: Rejected, Reason: fmt.Sprintf("line %d, %s", row.Line, rowReason(err))})
			default:
				return err
			}
		}
		if !apply {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return out, err
}

// csvColumnOf names the CSV column of a refusal the HL7 rules word by segment and field.
var csvColumnOf = map[string]string{"PID-3": "patient_id", "AIP-3": "practitioner_id", "SCH-7": "reason_code", "MRG-1": "patient_id"}

// csvWording rewords the HL7 hints of the shared refusals for a file's rows.
var csvWording = strings.NewReplacer("this database has not sent", "the database does not have", "; kept for re-processing", "",
	", then re-process", ", then import the file again", " (send its ADT first)", " (import the patients first)")

// rowReason is a refusal's reason for a report, as the reader words its own: the column
// and the rule ("column mobile: ..."), never the value.
func rowReason(err error) string {
	var ve *clinic.ValidationError
	if errors.As(err, &ve) && len(ve.Fields) > 0 {
		f := ve.Fields[0]
		return "column " + f.Field + ": " + f.Reason
	}
	var rf *refusal
	if errors.As(err, &rf) {
		key := fmt.Sprintf("%s-%d", rf.segment, rf.field)
		if col, known := csvColumnOf[key]; known {
			rest := csvWording.Replace(strings.TrimPrefix(rf.reason, key+": "))
			return "column " + col + ": " + rest
		}
		return "row: " + rf.reason
	}
	var ce *clinic.ConflictError
	if errors.As(err, &ce) {
		return "column " + ce.Field + ": " + ce.Reason
	}
	return "row: " + err.Error()
}

// databaseZone is the zone of a database's first clinic (UTC when it has none): the zone of
// times written without one.
func databaseZone(ctx context.Context, tx *store.Tx, d clinic.Database) (*time.Location, error) {
	cls, err := tx.Directory().ClinicsOfDatabase(ctx, d.OrgID, d.ID)
	if err != nil || len(cls) == 0 {
		return time.UTC, err
	}
	return cls[0].Location()
}
