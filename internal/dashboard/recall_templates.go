package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// recallTemplatesPage is the data of templates/recall_templates.html: the organisation's
// result and recall templates (RES-3), saved or as Tidings ships them, and the current
// clinic's recall switch.
type recallTemplatesPage struct {
	Templates []recallTemplateRow
	// NoClinic: the organisation has no clinic yet, so there is no switch to show.
	NoClinic bool
	Clinic   string
	ClinicID int64
	// ResumeOnCancel is the clinic's switch (RES-4): a recall paused by a booking resumes
	// when the booking is cancelled before it happens.
	ResumeOnCancel bool
	Tabs           recallTabs
}

// recallTemplateRow is one template of the list.
type recallTemplateRow struct {
	Key       string
	Name      string
	Purpose   string // label
	AutoStart bool
	Steps     int
	// Custom: the organisation saved it; Updated is when, in the clinic's zone.
	Custom  bool
	Updated string
}

// recallTemplates lists the recall templates (GET /recalls/templates; recall.Templates:
// the saved ones and the shipped ones not saved yet, by key), each linking to its editor,
// and the current clinic's "resume the recall when the booking is cancelled" switch
// (recall.Settings). Templates hold no patient data: nothing is audited.
func (d *Dashboard) recallTemplates(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	actor := web.MustActor(ctx)
	var f frame
	var ts []store.RecallTemplate
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		ts, err = recall.Templates(ctx, tx, f.Org.ID)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := recallTemplatesPage{Clinic: f.Clinic.Name, ClinicID: int64(f.Clinic.ID), NoClinic: f.Clinic.ID == 0, Tabs: tabsFor(actor, "templates")}
	for _, t := range ts {
		row := recallTemplateRow{Key: t.Key, Name: t.Name, Purpose: purposeName(consent.Purpose(t.Purpose)), AutoStart: t.AutoStart, Steps: len(t.Steps),
			Custom: t.ID != 0}
		if row.Custom {
			row.Updated = f.stamp(t.UpdatedAt)
		}
		page.Templates = append(page.Templates, row)
	}
	if !page.NoClinic {
		set, err := d.recalls.Settings(ctx, actor, f.Clinic.ID)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		page.ResumeOnCancel = set.ResumeOnCancel
	}
	d.send(w, r, reply{Page: "recall_templates", View: view{Title: "Recall templates", Header: f.header(r, "recalls"), Data: page}})
}
