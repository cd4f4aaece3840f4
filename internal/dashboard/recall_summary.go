package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// recallSummaryPage is the data of templates/recall_summary.html: how many of the current
// clinic's recalls are in each state, by template (the seed's Recalls > Summary).
type recallSummaryPage struct {
	NoClinic bool
	Clinic   string
	// States are the columns: each state's value and label, in store.SequenceStates' order.
	States []choice
	Rows   []recallSummaryRow
	// Totals are the columns' sums, Total every recall's.
	Totals []int
	Total  int
	Tabs   recallTabs
}

// recallSummaryRow is one template's recalls, counted per state in the columns' order.
type recallSummaryRow struct {
	Key    string
	Name   string // the template's name; its key when it no longer exists
	Counts []int
	Total  int
}

// recallSummary shows the current clinic's recalls counted by template and state (GET
// /recalls/summary) through recall.Summary: counts only, no patient, so nothing is
// audited.
func (d *Dashboard) recallSummary(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	actor := web.MustActor(ctx)
	var f frame
	var names map[string]string
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		names, _, err = templateNames(ctx, tx, f.Org.ID)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := recallSummaryPage{Clinic: f.Clinic.Name, Tabs: tabsFor(actor, "summary")}
	v := view{Title: "Recalls summary", Header: f.header(r, "recalls"), Data: &page}
	states := store.SequenceStates()
	page.States = choices(states, recallStateLabel, "")
	if f.Clinic.ID == 0 {
		page.NoClinic = true
		d.send(w, r, reply{Page: "recall_summary", View: v})
		return
	}
	rows, err := d.recalls.Summary(ctx, actor, f.Clinic.ID)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Rows, page.Totals, page.Total = summaryTable(rows, states, names)
	d.send(w, r, reply{Page: "recall_summary", View: v})
}

// summaryTable lays the counts out as a table: a row per template in the order the store
// gives them (by key), a column per state of states, and the sums.
func summaryTable(rows []store.SummaryRow, states []string, names map[string]string) ([]recallSummaryRow, []int, int) {
	col := make(map[string]int, len(states))
	for i, s := range states {
		col[s] = i
	}
	var out []recallSummaryRow
	totals := make([]int, len(states))
	total := 0
	at := map[string]int{}
	for _, x := range rows {
		i, ok := at[x.TemplateKey]
		if !ok {
			name := names[x.TemplateKey]
			if name == "" {
				name = x.TemplateKey
			}
			i = len(out)
			at[x.TemplateKey] = i
			out = append(out, recallSummaryRow{Key: x.TemplateKey, Name: name, Counts: make([]int, len(states))})
		}
		if c, ok := col[x.State]; ok {
			out[i].Counts[c] += x.Count
			totals[c] += x.Count
		}
		out[i].Total += x.Count
		total += x.Count
	}
	return out, totals, total
}
