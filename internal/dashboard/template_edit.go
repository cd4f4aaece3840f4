package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/compose"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/web"
)

// templatePage is the data of templates/template.html: the editor of one template, with the
// variables it offers and a preview rendered with sample values (NOT-2).
type templatePage struct {
	ClinicID                           clinic.ClinicID
	Clinic                             string
	Kind, Channel, Lang                string
	KindLabel, ChannelLabel, LangLabel string
	HasSubject                         bool
	Subject, Body                      string
	Custom                             bool
	UpdatedBy, UpdatedAt               string
	Variables                          []string // "{first_name}"
	Preview                            previewView
	Errors                             formErrors
}

// Action is where the editor saves; its preview posts to Action + "/preview".
func (p templatePage) Action() string {
	return fmt.Sprintf("/settings/templates/%s/%s/%s", p.Kind, p.Channel, p.Lang)
}

// previewView is a template rendered with sample values, as the editor shows it.
type previewView struct {
	Shown    bool
	Subject  string
	Text     string
	SMS      bool
	Segments int
	Encoding string // GSM-7 or UCS-2
}

// templateLabels name the editor's fields; kind, channel and language come from the path.
var templateLabels = map[string]fieldLabel{
	"subject": {"subject", "Subject"}, "body": {"body", "Text"},
	"kind": {"", "Template"}, "channel": {"", "Template"}, "lang": {"", "Template"},
}

// templateOf finds the template a path names among clinic c's: another organisation's
// clinic, or a kind, channel or language that has no template, is "not found".
func (d *Dashboard) templateOf(ctx context.Context, r *http.Request, c clinic.ClinicID) (notify.TemplateView, error) {
	views, err := d.notify.Templates(ctx, web.MustActor(ctx), c)
	if err != nil {
		return notify.TemplateView{}, err
	}
	i := slices.IndexFunc(views, func(v notify.TemplateView) bool {
		return string(v.Kind) == r.PathValue("kind") && string(v.Channel) == r.PathValue("channel") && v.Lang == r.PathValue("lang")
	})
	if i < 0 {
		return notify.TemplateView{}, fmt.Errorf("template %s/%s/%s: %w", r.PathValue("kind"), r.PathValue("channel"), r.PathValue("lang"), clinic.ErrNotFound)
	}
	return views[i], nil
}

// templateForm is the editor of v for clinic c, holding subject and body as typed.
func templateForm(f frame, c clinic.Clinic, v notify.TemplateView, subject, body string) templatePage {
	p := templatePage{ClinicID: c.ID, Clinic: c.Name, Kind: string(v.Kind), Channel: string(v.Channel), Lang: v.Lang,
		KindLabel: kindLabel(string(v.Kind)), ChannelLabel: noteChannel(string(v.Channel)), LangLabel: languageLabel(v.Lang),
		HasSubject: hasSubject(v.Channel), Subject: subject, Body: body, Custom: v.Custom, UpdatedBy: v.UpdatedBy}
	if v.Custom {
		p.UpdatedAt = f.when(&v.UpdatedAt)
	}
	for _, name := range compose.Variables(v.Kind) {
		// {reply_hint} says "Reply C to confirm." and exists in SMS only (compose.Check).
		if name == compose.VarReplyHint && v.Channel != compose.ChannelSMS {
			continue
		}
		p.Variables = append(p.Variables, "{"+name+"}")
	}
	return p
}

// previewOf renders in through notify.Preview; a text the editor would refuse has its
// problems as notes instead of a preview.
func previewOf(in notify.TemplateInput) (previewView, formErrors) {
	out, err := notify.Preview(in)
	if err != nil {
		return previewView{}, notesOf(err, templateLabels, nil)
	}
	return previewView{Shown: true, Subject: out.Subject, Text: out.Text, SMS: in.Channel == string(compose.ChannelSMS),
		Segments: out.Segments, Encoding: out.Encoding}, nil
}

// templateEdit shows the editor of one of the current clinic's templates
// (GET /settings/templates/{kind}/{channel}/{lang}, administrators): its subject and text,
// the variables it offers, and a preview with sample values and, for SMS, the number of
// segments it costs.
func (d *Dashboard) templateEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := d.loadFrame(r)
	if err == nil && f.Clinic.ID == 0 {
		err = fmt.Errorf("no clinic yet: %w", clinic.ErrNotFound)
	}
	var v notify.TemplateView
	if err == nil {
		v, err = d.templateOf(ctx, r, f.Clinic.ID)
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := templateForm(f, f.Clinic, v, v.Subject, v.Body)
	page.Preview, _ = previewOf(templateInput(page))
	d.send(w, r, reply{Page: "template", View: view{Title: "Edit template", Header: f.header(r, "templates"), Data: page}})
}

// templateInput is the use case's input for the editor's text.
func templateInput(p templatePage) notify.TemplateInput {
	return notify.TemplateInput{Kind: p.Kind, Channel: p.Channel, Lang: p.Lang, Subject: p.Subject, Body: p.Body}
}
