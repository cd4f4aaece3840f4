package dashboard

import (
	"errors"
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// home sends a signed-in user to the page they start from (GET /, landing).
func (d *Dashboard) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	actor := web.MustActor(ctx)
	var u clinic.User
	if actor.UserID != 0 {
		err := d.db.View(ctx, func(tx *store.Tx) (err error) { u, err = tx.Staff().User(ctx, actor.OrgID, actor.UserID); return err })
		if err != nil && !errors.Is(err, clinic.ErrNotFound) {
			d.fail(w, r, err)
			return
		}
	}
	http.Redirect(w, r, landing(u), http.StatusSeeOther)
}

// landing is the page a user starts from, after signing in or at "/": their profile while
// they sign in with a password an administrator made (to choose their own), "My day" for a
// practitioner whose account is linked to a practitioner, else the agenda, which reception
// opens the day with.
func landing(u clinic.User) string {
	switch {
	case u.TemporaryPassword:
		return "/profile"
	case u.PractitionerID != 0:
		return "/my-day"
	}
	return "/agenda"
}
