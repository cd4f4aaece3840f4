package page

import (
	"html/template"

	"github.com/tidings-health/tidings/internal/i18n"
)

// FieldLabel is a form field's name in the words of the form, for error messages: the
// people who fill a form in never see its wire names (hours[Tuesday][0].end), so an error
// names the field as they read it ("Tuesday, first interval, end"). Key is a catalog key,
// with placeholders {0}, {1}… filled by Args, each a catalog key too ("Tuesday", "first
// interval"), so that the label is translated as a whole.
type FieldLabel struct {
	Key  string
	Args []string
}

// FieldLabels is a surface's table of its forms' fields: the label of a field's wire name,
// and false for a name it does not know (a forged field: the template then shows the name
// as sent).
type FieldLabels func(field string) (FieldLabel, bool)

// fieldFunc is the "field" template function of loc:
//
//	{{field .Field}}    "Tuesday, first interval, end" / "Mardi, première plage, fin", or ""
//
// "" when labels is nil or does not know the name.
func fieldFunc(c *i18n.Catalog, loc i18n.Locale, labels FieldLabels) template.FuncMap {
	return template.FuncMap{"field": func(name string) string {
		if labels == nil {
			return ""
		}
		l, ok := labels(name)
		if !ok {
			return ""
		}
		args := make([]any, len(l.Args))
		for i, a := range l.Args {
			args[i] = c.T(loc, a)
		}
		return c.T(loc, l.Key, args...)
	}}
}
