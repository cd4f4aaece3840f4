// Package page is the kit of Tidings' server-rendered surfaces: the staff dashboard today,
// the patient portal next. It provides what every such surface needs and none should copy:
//
//   - templates parsed at start-up (a broken template fails the boot), each page with the
//     surface's layouts and shared parts, one copy per locale so that {{t "…"}} and the date
//     helpers speak the request's language (Set, Funcs);
//   - rendering into memory, so that a template error becomes an error page rather than half
//     a page, and HTML answers kept out of caches (Set.Execute, WriteHTML);
//   - flash confirmations after Post/Redirect/Get, named by a key from a fixed set
//     (Flashes, WithDone, WithoutFlash);
//   - embedded static files under content-hashed URLs (Assets);
//   - error pages: the status, safe message and fields of an error in staff's or patients'
//     words (ErrorOf, ErrorTitle), and the refusal of a cross-origin form (DenyCrossOrigin);
//   - form fields named in words in error messages ({{field .Field}}), from the surface's
//     own table (FieldLabels), since wire names are the API's, not people's;
//   - the locale of a request (Negotiate, WithLocale, LocaleFrom), through internal/i18n.
//
// What stays with each surface: its templates and layout (the dashboard's header with the
// clinic switcher, the portal's own), its session and who the user is, its routes, and the
// data it shows. A surface builds a Set from its own embedded files:
//
//	assets, _ := page.LoadAssets(staticFS, "static", "/static/")
//	set, _ := page.Parse(page.Config{FS: templateFS, Layouts: []string{"templates/layout.html"},
//		Pages: map[string]string{"home": "templates/home.html"}, Blocks: []string{"layout", "content"},
//		Assets: assets, Catalog: catalog})
//	body, err := set.Execute(locale, "home", "layout", data)
//
// It must not import a surface (dashboard, portal), the server or the store.
package page

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"slices"

	"github.com/tidings-health/tidings/internal/i18n"
)

// Config describes a surface's templates.
type Config struct {
	// FS holds the template files. Required.
	FS fs.FS
	// Layouts are parsed with every page, before it: the layouts and the shared parts.
	Layouts []string
	// Pages maps each page's name to its file. Required.
	Pages map[string]string
	// Blocks are the templates every page must define, checked at parse time
	// (e.g. "layout", "content").
	Blocks []string
	// Funcs are the surface's own template functions; they must not depend on the locale.
	Funcs template.FuncMap
	// Assets, when set, provides the "static" function: {{static "app.css"}}.
	Assets *Assets
	// Catalog translates; nil uses i18n.New().
	Catalog *i18n.Catalog
	// Fields names the surface's form fields in words for its error messages, through the
	// "field" function ({{field .Field}}); nil names none (the function returns "").
	Fields FieldLabels
}

// Set is a surface's parsed pages, one copy per locale. It is safe for concurrent use.
type Set struct {
	pages map[i18n.Locale]map[string]*template.Template
}

// Parse parses every page with the layouts, then clones it per locale with Funcs bound to
// that locale. It fails on any template error and on a page that lacks one of c.Blocks.
func Parse(c Config) (*Set, error) {
	if c.Catalog == nil {
		var err error
		if c.Catalog, err = i18n.New(); err != nil {
			return nil, err
		}
	}
	funcs := template.FuncMap{}
	for k, v := range c.Funcs {
		funcs[k] = v
	}
	if c.Assets != nil {
		funcs["static"] = c.Assets.URL
	}
	s := &Set{pages: map[i18n.Locale]map[string]*template.Template{}}
	for _, loc := range i18n.Locales() {
		s.pages[loc] = map[string]*template.Template{}
	}
	names := make([]string, 0, len(c.Pages))
	for name := range c.Pages {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t := template.New(name).Funcs(funcs).Funcs(Funcs(c.Catalog, i18n.English)).Funcs(fieldFunc(c.Catalog, i18n.English, c.Fields))
		t, err := t.ParseFS(c.FS, append(slices.Clone(c.Layouts), c.Pages[name])...)
		if err != nil {
			return nil, fmt.Errorf("page: parse template %s: %w", name, err)
		}
		for _, block := range c.Blocks {
			if t.Lookup(block) == nil {
				return nil, fmt.Errorf("page: template %s defines no %q", name, block)
			}
		}
		for _, loc := range i18n.Locales() {
			cl, err := t.Clone()
			if err != nil {
				return nil, fmt.Errorf("page: clone template %s: %w", name, err)
			}
			s.pages[loc][name] = cl.Funcs(Funcs(c.Catalog, loc)).Funcs(fieldFunc(c.Catalog, loc, c.Fields))
		}
	}
	return s, nil
}

// Has reports whether the set has a page of that name.
func (s *Set) Has(name string) bool {
	_, ok := s.pages[i18n.English][name]
	return ok
}

// Execute renders block of page (a layout that wraps the page's content, or a fragment
// such as htmx asks for) in loc, into memory.
func (s *Set) Execute(loc i18n.Locale, page, block string, data any) ([]byte, error) {
	byName, ok := s.pages[loc]
	if !ok {
		byName = s.pages[i18n.English]
	}
	t, ok := byName[page]
	if !ok {
		return nil, fmt.Errorf("page: no page template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, data); err != nil {
		return nil, fmt.Errorf("page: render %s/%s: %w", page, block, err)
	}
	return buf.Bytes(), nil
}

// WriteHTML writes an HTML answer. Pages hold personal data: they are kept out of browser
// and proxy caches. Content-Language names the locale the page is in.
func WriteHTML(w http.ResponseWriter, status int, loc i18n.Locale, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", loc.String())
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Language")
	w.WriteHeader(status)
	w.Write(body)
}
