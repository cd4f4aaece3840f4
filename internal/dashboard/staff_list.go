package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// staffPage is the data of templates/staff.html.
type staffPage struct {
	Rows []staffRow
}

// staffRow is one account of the list.
type staffRow struct {
	ID           clinic.UserID
	Name         string
	Email        string
	Role         string // roleLabel
	Disabled     bool
	Practitioner string // the linked practitioner's name; "" for none
	LastSignIn   string // "" when not known
	Temporary    bool   // still signs in with the password an administrator made
	Self         bool
}

// staffList lists the organisation's staff accounts (GET /staff, administrators): name,
// e-mail, role, active or disabled, the practitioner a practitioner's account is linked to,
// and when it last signed in, each linking to the account's page.
func (d *Dashboard) staffList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f frame
	var page staffPage
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		org := f.Org.ID
		users, err := all(func(p store.Page) ([]clinic.User, error) { return tx.Staff().Users(ctx, org, p) },
			func(u clinic.User) int64 { return int64(u.ID) })
		if err != nil {
			return err
		}
		ps, err := all(func(p store.Page) ([]clinic.Practitioner, error) { return tx.Directory().Practitioners(ctx, org, p) },
			func(p clinic.Practitioner) int64 { return int64(p.ID) })
		if err != nil {
			return err
		}
		names := make(map[clinic.PractitionerID]string, len(ps))
		for _, p := range ps {
			names[p.ID] = p.Name
		}
		for _, u := range users {
			row := staffRow{ID: u.ID, Name: u.Name, Email: u.Email, Role: roleLabel(u.Role), Disabled: u.DisabledAt != nil,
				Practitioner: names[u.PractitionerID], Temporary: u.TemporaryPassword, Self: u.ID == f.Actor.UserID}
			if u.LastSignInAt != nil {
				row.LastSignIn = f.stamp(*u.LastSignInAt)
			}
			page.Rows = append(page.Rows, row)
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "staff", View: view{Title: "Staff accounts", Header: f.header(r, "staff"), Data: page}})
}
