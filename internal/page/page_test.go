package page

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
)

// portal is a second surface with its own layout, as the patient portal will be.
func portal() fstest.MapFS {
	return fstest.MapFS{
		"t/layout.html": {Data: []byte(`{{define "layout"}}<!doctype html><html lang="{{lang}}"><title>{{t .Title}}</title>` +
			`<link rel="stylesheet" href="{{static "portal.css"}}">{{template "content" .}}</html>{{end}}`)},
		"t/home.html": {Data: []byte(`{{define "content"}}<p>{{t "Upcoming appointments"}}</p><p>{{longdate .Day}}</p>` +
			`<p>{{tn .N "{0} later absence is not listed." "{0} later absences are not listed." .N}}</p>{{end}}`)},
		"static/portal.css": {Data: []byte("body{}")},
	}
}

func TestParseAndExecute(t *testing.T) {
	fsys := portal()
	a, err := LoadAssets(fsys, "static", "/assets/")
	if err != nil {
		t.Fatal(err)
	}
	set, err := Parse(Config{FS: fsys, Layouts: []string{"t/layout.html"}, Pages: map[string]string{"home": "t/home.html"},
		Blocks: []string{"layout", "content"}, Assets: a})
	if err != nil {
		t.Fatal(err)
	}
	data := struct {
		Title string
		Day   string
		N     int
	}{"Sign in", "2026-03-03", 2}
	for loc, want := range map[i18n.Locale][]string{
		i18n.English: {`lang="en"`, "<title>Sign in</title>", "Upcoming appointments", "Tuesday 3 March 2026", "2 later absences are not listed.", `href="/assets/portal.css?v=`},
		i18n.French:  {`lang="fr"`, "<title>Se connecter</title>", "Rendez-vous à venir", "mardi 3 mars 2026", "2 absences ultérieures"},
	} {
		b, err := set.Execute(loc, "home", "layout", data)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%v: output lacks %q:\n%s", loc, w, b)
			}
		}
	}
	if _, err := set.Execute(i18n.English, "nope", "layout", data); err == nil {
		t.Error("unknown page: no error")
	}
	if !set.Has("home") || set.Has("nope") {
		t.Error("Has is wrong")
	}
}

func TestParseFailsAtStart(t *testing.T) {
	for name, c := range map[string]Config{
		"missing block": {FS: portal(), Layouts: []string{"t/layout.html"}, Pages: map[string]string{"home": "t/home.html"}, Blocks: []string{"bare"}},
		"missing file":  {FS: portal(), Pages: map[string]string{"home": "t/nope.html"}},
		"syntax error":  {FS: fstest.MapFS{"x.html": {Data: []byte(`{{define "content"}}{{if}}{{end}}`)}}, Pages: map[string]string{"x": "x.html"}},
		"unknown func":  {FS: fstest.MapFS{"x.html": {Data: []byte(`{{define "content"}}{{nope "x"}}{{end}}`)}}, Pages: map[string]string{"x": "x.html"}},
	} {
		if _, err := Parse(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestAssets(t *testing.T) {
	a, err := LoadAssets(portal(), "static", "/assets/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.URL("nope.css"); err == nil {
		t.Error("unknown asset: no error")
	}
	for path, status := range map[string]int{"/assets/portal.css": 200, "/assets/": 404, "/assets/../t/home.html": 404, "/assets/x.css": 404} {
		w := httptest.NewRecorder()
		a.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != status {
			t.Errorf("%s: status %d, want %d", path, w.Code, status)
		}
	}
}

func TestFlash(t *testing.T) {
	f := Flashes{"saved": "Reason saved."}
	r := httptest.NewRequest(http.MethodGet, WithDone("/reasons?x=1", "saved"), nil)
	if got := f.For(r); got != "Reason saved." {
		t.Errorf("For = %q", got)
	}
	if got := f.For(httptest.NewRequest(http.MethodGet, "/reasons?done=%3Cscript%3E", nil)); got != "" {
		t.Errorf("a key not in the set shows %q", got)
	}
	u, _ := url.Parse("/reasons?x=1&done=saved")
	if got := WithoutFlash(u); got != "/reasons?x=1" {
		t.Errorf("WithoutFlash = %q", got)
	}
}

func TestErrors(t *testing.T) {
	e := ErrorOf(clinic.Invalid("date", "is required"))
	if e.Status != 422 || e.Title != "Please check your request" || len(e.Fields) != 1 || e.Message != "Some fields are not valid." {
		t.Errorf("ErrorOf(invalid) = %+v", e)
	}
	if e := ErrorOf(errors.New("db exploded: patient 12")); e.Status != 500 || strings.Contains(e.Message, "patient") {
		t.Errorf("an internal error shows %+v", e)
	}
	var got int
	var msg string
	DenyCrossOrigin(func(w http.ResponseWriter, r *http.Request, status int, message string) { got, msg = status, message }).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", nil))
	if got != http.StatusForbidden || msg != MsgCrossOrigin {
		t.Errorf("deny page %d %q", got, msg)
	}
}

func TestLocale(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if _, ok := LocaleFrom(r.Context()); ok {
		t.Error("a locale in a bare context")
	}
	if loc, ok := LocaleFrom(WithLocale(r.Context(), i18n.French)); !ok || loc != i18n.French {
		t.Error("WithLocale lost the locale")
	}
	r.Header.Set("Accept-Language", "fr-BE, en;q=0.5")
	if got := Negotiate(r, "", i18n.English); got != i18n.French {
		t.Errorf("Negotiate = %v", got)
	}
	if got := Negotiate(r, "en", i18n.French); got != i18n.English {
		t.Errorf("a preference loses to the browser: %v", got)
	}
	w := httptest.NewRecorder()
	WriteHTML(w, 200, i18n.French, []byte("x"))
	if w.Header().Get("Content-Language") != "fr" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", w.Header())
	}
}
