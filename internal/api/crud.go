package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// crud builds the list / create / read / update routes of one resource. T is the domain
// type, In the request body (pointer fields: absent means unchanged), Out the response.
// Reads go to the store; writes go to the resource's use case (create, update), which
// checks every rule and permission and writes the audit row: the handlers only decode,
// call and encode.
type crud[T, In, Out any] struct {
	path      string // "/clinics"
	tag       string // OpenAPI tag
	noun      string // "clinic", also the audit action prefix of reads
	readPerm  clinic.Permission
	writePerm clinic.Permission
	listQuery []web.Param

	get    func(ctx context.Context, tx *store.Tx, org clinic.OrgID, id int64) (T, error)
	list   func(q *query) func(ctx context.Context, tx *store.Tx, org clinic.OrgID, p store.Page) ([]T, error)
	create func(ctx context.Context, actor clinic.Actor, in In) (T, error)
	update func(ctx context.Context, actor clinic.Actor, id int64, in In) (T, error)
	out    func(T) Out
	id     func(T) int64
	// at, when set, orders the list by this time and then id (the store must list in that
	// order), and its cursors carry the time; order says so in the document.
	at    func(T) time.Time
	order string
	// patients names the patients a value concerns; non-nil makes every read audited.
	patients func(T) []clinic.PatientID
}

func (c crud[T, In, Out]) patientIDs(vs []T) []clinic.PatientID {
	var ids []clinic.PatientID
	for _, v := range vs {
		ids = append(ids, c.patients(v)...)
	}
	return ids
}

// auditRead records a read of vs (patient resources only).
func (c crud[T, In, Out]) auditRead(ctx context.Context, db *store.DB, action string, vs ...T) error {
	if c.patients == nil {
		return nil
	}
	return web.AuditRead(ctx, db, c.noun+"."+action, c.patientIDs(vs)...)
}

func (c crud[T, In, Out]) routes(a *API) []web.Route {
	var zeroIn In
	var zeroOut Out
	base := Prefix + c.path
	var rs []web.Route
	if c.list != nil {
		summary := "List " + c.noun + "s"
		if c.order != "" {
			summary += ", " + c.order
		}
		rs = append(rs, web.Route{Method: http.MethodGet, Pattern: base, Perm: c.readPerm, Handler: a.handler(c.listHandler(a)),
			Doc: &web.Doc{Summary: summary, Tag: c.tag, Response: zeroOut, List: true, Query: append(c.listQuery, pageParams...)}})
	}
	if c.create != nil {
		rs = append(rs, web.Route{Method: http.MethodPost, Pattern: base, Perm: c.writePerm, Handler: a.handler(c.createHandler()),
			Doc: &web.Doc{Summary: "Create " + article(c.noun), Tag: c.tag, Request: zeroIn, Response: zeroOut, Status: http.StatusCreated}})
	}
	rs = append(rs, web.Route{Method: http.MethodGet, Pattern: base + "/{id}", Perm: c.readPerm, Handler: a.handler(c.getHandler(a)),
		Doc: &web.Doc{Summary: "Read " + article(c.noun), Tag: c.tag, Response: zeroOut}})
	if c.update != nil {
		rs = append(rs, web.Route{Method: http.MethodPatch, Pattern: base + "/{id}", Perm: c.writePerm, Handler: a.handler(c.updateHandler()),
			Doc: &web.Doc{Summary: "Update " + article(c.noun) + " (absent fields are left unchanged)", Tag: c.tag, Request: zeroIn, Response: zeroOut, Errors: []int{409}}})
	}
	return rs
}

var pageParams = []web.Param{
	{Name: "limit", Type: "integer", Description: "page size, 1 to 500 (default 50)"},
	{Name: "cursor", Type: "string", Description: "next_cursor of the previous page"},
}

func (c crud[T, In, Out]) listHandler(a *API) func(context.Context, *http.Request, http.ResponseWriter) (int, any, error) {
	return func(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
		q := &query{r: r}
		page := q.pageOf(c.at != nil)
		run := c.list(q)
		if err := q.v.Err(); err != nil {
			return 0, nil, err
		}
		org := web.MustActor(ctx).OrgID
		var vs []T
		if err := a.db.View(ctx, func(tx *store.Tx) (err error) { vs, err = run(ctx, tx, org, page); return err }); err != nil {
			return 0, nil, err
		}
		if err := c.auditRead(ctx, a.db, "list", vs...); err != nil {
			return 0, nil, err
		}
		out := ListOf[Out]{Items: make([]Out, 0, len(vs))}
		for _, v := range vs {
			out.Items = append(out.Items, c.out(v))
		}
		if len(vs) == page.Size() {
			last := vs[len(vs)-1]
			next := cursor{ID: c.id(last)}
			if c.at != nil {
				next.At = c.at(last)
			}
			out.NextCursor = next.String()
		}
		return http.StatusOK, out, nil
	}
}

func (c crud[T, In, Out]) getHandler(a *API) func(context.Context, *http.Request, http.ResponseWriter) (int, any, error) {
	return func(ctx context.Context, r *http.Request, _ http.ResponseWriter) (int, any, error) {
		id, err := pathID(r)
		if err != nil {
			return 0, nil, err
		}
		org := web.MustActor(ctx).OrgID
		var v T
		if err := a.db.View(ctx, func(tx *store.Tx) (err error) { v, err = c.get(ctx, tx, org, id); return err }); err != nil {
			return 0, nil, err
		}
		if err := c.auditRead(ctx, a.db, "read", v); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, c.out(v), nil
	}
}

func (c crud[T, In, Out]) createHandler() func(context.Context, *http.Request, http.ResponseWriter) (int, any, error) {
	return func(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
		var in In
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return 0, nil, err
		}
		v, err := c.create(ctx, web.MustActor(ctx), in)
		if err != nil {
			return 0, nil, err
		}
		w.Header().Set("Location", Prefix+c.path+"/"+strconv.FormatInt(c.id(v), 10))
		return http.StatusCreated, c.out(v), nil
	}
}

func (c crud[T, In, Out]) updateHandler() func(context.Context, *http.Request, http.ResponseWriter) (int, any, error) {
	return func(ctx context.Context, r *http.Request, w http.ResponseWriter) (int, any, error) {
		id, err := pathID(r)
		if err != nil {
			return 0, nil, err
		}
		var in In
		if err := web.DecodeJSON(w, r, &in); err != nil {
			return 0, nil, err
		}
		v, err := c.update(ctx, web.MustActor(ctx), id, in)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, c.out(v), nil
	}
}

// article puts "a" or "an" before a noun phrase, by how its first word sounds: "an agenda",
// "an SMS account", "an hour", but "a user", "a one-off", "a clinic".
func article(noun string) string {
	if anSound(noun) {
		return "an " + noun
	}
	return "a " + noun
}

// anSound reports whether phrase starts with a vowel sound. Spelling decides, except for the
// words that sound otherwise: a "u" or "eu" read "you", "one", a silent "h", and initialisms
// read letter by letter (SMS is "ess-em-ess").
func anSound(phrase string) bool {
	word, _, _ := strings.Cut(strings.TrimSpace(phrase), " ")
	if word == "" {
		return false
	}
	lower := strings.ToLower(word)
	if len(word) > 1 && word == strings.ToUpper(word) && strings.ToLower(word) != word {
		// An initialism: a letter whose name starts with a vowel sound.
		return strings.ContainsRune("AEFHILMNORSX", rune(word[0]))
	}
	for _, p := range []string{"unic", "unif", "unio", "uniq", "unit", "univ", "usa", "use", "usu", "uti", "ure", "uri", "eu", "ewe", "one", "once"} {
		if strings.HasPrefix(lower, p) {
			return false
		}
	}
	for _, p := range []string{"hour", "honest", "honor", "honour", "heir"} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return strings.ContainsRune("aeiou", rune(lower[0]))
}
