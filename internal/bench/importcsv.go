package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/store"
)

// ImportConfig sizes the CSV import benchmark.
type ImportConfig struct {
	Rows int // rows of the patients file, and of the appointments file
	Log  io.Writer
}

// Import measures the CSV import (SYN-1) the way a clinic runs it: a file of Rows patients
// checked (dry run), imported, and imported again (every row unchanged); then a file of
// Rows appointments of those patients, checked and imported. Each step goes through
// integration.ImportCSV, the same path as the dashboard's upload and `tidings import csv`.
// It prints the seconds of each step and the rows per second of the imports; the goal is a
// 50,000-row file imported in under a minute.
func Import(ctx context.Context, db *store.DB, cfg ImportConfig, out io.Writer) error {
	if cfg.Rows <= 0 {
		cfg.Rows = 50000
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	var d clinic.Database
	var org clinic.OrgID
	err := db.Update(ctx, func(tx *store.Tx) error {
		o, err := tx.Directory().CreateOrganisation(ctx, clinic.Organisation{Slug: fmt.Sprintf("bench-import-%d", time.Now().UnixNano()), Name: "Import bench"})
		if err != nil {
			return err
		}
		org = o.ID
		if d, err = tx.Directory().CreateDatabase(ctx, o.ID, clinic.Database{Name: "PMS", Kind: clinic.KindCSV, Profile: clinic.ProfileGeneric, RespectOptOut: true}); err != nil {
			return err
		}
		cl, err := tx.Directory().CreateClinic(ctx, o.ID, clinic.Clinic{DatabaseID: d.ID, Slug: "csv", Name: "CSV clinic", Zone: "Australia/Sydney", Region: "AU"})
		if err != nil {
			return err
		}
		pr, err := tx.Directory().CreatePractitioner(ctx, o.ID, clinic.Practitioner{Name: "Dr Ada Bench"})
		if err != nil {
			return err
		}
		ag, err := tx.Directory().CreateAgenda(ctx, o.ID, clinic.Agenda{ClinicID: cl.ID, PractitionerID: &pr.ID, Name: "Dr Bench", Active: true})
		if err != nil {
			return err
		}
		_, err = tx.Directory().CreateReason(ctx, o.ID, clinic.Reason{ClinicID: cl.ID, Name: "Consultation", Duration: 15 * time.Minute, Notifications: true,
			AgendaIDs: []clinic.AgendaID{ag.ID}})
		return err
	})
	if err != nil {
		return err
	}
	var patients, appts bytes.Buffer
	patients.WriteString("external_id,given_name,family_name,birth_date,mobile,email,language\n")
	appts.WriteString("appointment_id,patient_id,start,duration_minutes,status,practitioner_name,reason\n")
	day := db.Now().In(time.UTC).AddDate(0, 0, 7)
	for i := range cfg.Rows {
		fmt.Fprintf(&patients, "P%06d,Given%d,Family%d,19%02d-%02d-%02d,04%08d,p%d@example.com,en\n", i, i, i, 30+i%70, 1+i%12, 1+i%28, 10000000+i, i)
		start := day.AddDate(0, 0, i%60).Add(time.Duration(8*60+(i%40)*15) * time.Minute)
		fmt.Fprintf(&appts, "A%06d,P%06d,%s,15,booked,Dr Ada Bench,Consultation\n", i, i%cfg.Rows, start.Format("2006-01-02 15:04"))
	}
	svc := integration.New(db, integration.Config{})
	actor := clinic.SystemActor(org, "bench")
	result := map[string]any{"bench": "import", "rows": cfg.Rows}
	step := func(name string, file *bytes.Buffer, apply bool, want string) error {
		began := time.Now()
		rep, err := svc.ImportCSV(ctx, actor, d.ID, bytes.NewReader(file.Bytes()), apply)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		secs := time.Since(began).Seconds()
		if rep.Counts[want] != cfg.Rows {
			return fmt.Errorf("%s: %v, want %d rows %s", name, rep.Counts, cfg.Rows, want)
		}
		result[name+"_s"] = round(secs)
		fmt.Fprintf(cfg.Log, "%s: %d rows in %.1f s (%v)\n", name, cfg.Rows, secs, rep.Counts)
		return nil
	}
	for _, s := range []struct {
		name  string
		file  *bytes.Buffer
		apply bool
		want  string
	}{
		{"patients_check", &patients, false, integration.Created},
		{"patients_import", &patients, true, integration.Created},
		{"patients_reimport", &patients, true, integration.Unchanged},
		{"appointments_check", &appts, false, integration.Created},
		{"appointments_import", &appts, true, integration.Created},
	} {
		if err := step(s.name, s.file, s.apply, s.want); err != nil {
			return err
		}
	}
	result["patients_rows_per_s"] = round(float64(cfg.Rows) / result["patients_import_s"].(float64))
	result["appointments_rows_per_s"] = round(float64(cfg.Rows) / result["appointments_import_s"].(float64))
	b, err := json.Marshal(result)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, string(b))
	return nil
}
