package dashboard

import "net/http"

// home sends a signed-in user to the agenda, the page reception opens the day with (GET /).
func (d *Dashboard) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/agenda", http.StatusSeeOther)
}
