package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/web"
)

// templatesPage is the data of templates/templates.html.
type templatesPage struct {
	NoClinic bool
	Clinic   string
	Rows     []templateRow
}

// templateRow is one kind × channel × language of the clinic's messages.
type templateRow struct {
	Kind, Channel, Lang                string // values, for the edit link
	KindLabel, ChannelLabel, LangLabel string
	Custom                             bool
	UpdatedBy, UpdatedAt               string
}

// templateList lists the current clinic's message templates (GET /settings/templates,
// administrators, NOT-2): every kind × channel × language, the clinic's own text or the one
// Tidings ships, each linking to its editor.
func (d *Dashboard) templateList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := templatesPage{NoClinic: f.Clinic.ID == 0, Clinic: f.Clinic.Name}
	if !page.NoClinic {
		views, err := d.notify.Templates(ctx, web.MustActor(ctx), f.Clinic.ID)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		for _, v := range views {
			row := templateRow{Kind: string(v.Kind), Channel: string(v.Channel), Lang: v.Lang, KindLabel: kindLabel(string(v.Kind)),
				ChannelLabel: noteChannel(string(v.Channel)), LangLabel: languageLabel(v.Lang), Custom: v.Custom, UpdatedBy: v.UpdatedBy}
			if v.Custom {
				row.UpdatedAt = f.when(&v.UpdatedAt)
			}
			page.Rows = append(page.Rows, row)
		}
	}
	d.send(w, r, reply{Page: "templates", View: view{Title: "Message templates", Header: f.header(r, "templates"), Data: page}})
}

// hasSubject reports whether messages of a channel have a subject (an e-mail's, a push
// notification's title).
func hasSubject(ch compose.Channel) bool { return ch != compose.ChannelSMS }
