package dashboard

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/web"
)

// inboxRead marks inbound SMS read (POST /inbox/read, fields id, once per message, and next,
// the page to return to) through notify.MarkRead, and goes back (Post/Redirect/Get). An id of
// another organisation changes nothing.
func (d *Dashboard) inboxRead(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	var v clinic.ValidationError
	var ids []int64
	for i, s := range r.PostForm["id"] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			v.Add(fmt.Sprintf("id[%d]", i), "must be a positive whole number")
			continue
		}
		ids = append(ids, n)
	}
	if len(r.PostForm["id"]) == 0 {
		v.Add("id", "is required")
	}
	if err := v.Err(); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	if err := d.notify.MarkRead(ctx, web.MustActor(ctx), ids); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(r, "/inbox", "inbox-read"), http.StatusSeeOther)
}
