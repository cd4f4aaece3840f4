package dashboard

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// duplicatesPage is the data of templates/duplicates.html: the e-mail addresses shared by
// people of whom none holds the address for the others (POR-6), which get no invitation to
// the patient portal until the records are fixed.
type duplicatesPage struct {
	Query    string
	Searched bool
	Groups   []duplicateGroup
}

// duplicateGroup is one shared address and the people who share it.
type duplicateGroup struct {
	Email  string
	People []duplicatePerson
}

// duplicatePerson is one person of a shared address: their name and birth date (from
// their first record) and their records, one per clinical database.
type duplicatePerson struct {
	Name      string
	BirthDate string // YYYY-MM-DD, or ""
	Records   []duplicateRecord
}

type duplicateRecord struct {
	PatientID clinic.PatientID
	Database  string
}

// duplicateList shows the duplicate-e-mail report (GET /patients/duplicates; POST with
// field q filters it by a part of an address or a name, in the body so that what is typed
// never lands in a URL) through account.Duplicates, over the whole organisation. Every
// record listed is audited as "patient.duplicates".
func (d *Dashboard) duplicateList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var page duplicatesPage
	if r.Method == http.MethodPost {
		if err := parseForm(w, r); err != nil {
			d.fail(w, r, err)
			return
		}
		page.Query, page.Searched = strings.TrimSpace(r.PostFormValue("q")), true
		if len(page.Query) > maxQuery {
			d.fail(w, r, clinic.Invalid("q", fmt.Sprintf("is longer than %d characters", maxQuery)))
			return
		}
	}
	var f frame
	databases := map[clinic.DatabaseID]string{}
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		dbs, err := all(func(p store.Page) ([]clinic.Database, error) { return tx.Directory().Databases(ctx, f.Org.ID, p) },
			func(x clinic.Database) int64 { return int64(x.ID) })
		for _, x := range dbs {
			databases[x.ID] = x.Name
		}
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	groups, err := d.accounts.Duplicates(ctx, web.MustActor(ctx), page.Query)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var shown []clinic.PatientID
	for _, g := range groups {
		dg := duplicateGroup{Email: g.Email}
		for _, p := range g.People {
			dp := duplicatePerson{Name: p.Name(), BirthDate: p.Records[0].BirthDate}
			for _, rec := range p.Records {
				dp.Records = append(dp.Records, duplicateRecord{PatientID: rec.PatientID, Database: databases[rec.DatabaseID]})
				shown = append(shown, rec.PatientID)
			}
			dg.People = append(dg.People, dp)
		}
		page.Groups = append(page.Groups, dg)
	}
	d.send(w, r, reply{Page: "duplicates", View: view{Title: "Duplicate e-mail report", Header: f.header(r, "patients"), Data: page},
		Audit: []audit{{"patient.duplicates", shown}}})
}
