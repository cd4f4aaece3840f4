package page

import (
	"context"
	"net/http"

	"github.com/tidings-health/tidings/internal/i18n"
)

type localeKey struct{}

// WithLocale returns ctx carrying loc, the language the request is answered in.
func WithLocale(ctx context.Context, loc i18n.Locale) context.Context {
	return context.WithValue(ctx, localeKey{}, loc)
}

// LocaleFrom is the locale WithLocale put in ctx; ok is false when none was.
func LocaleFrom(ctx context.Context) (loc i18n.Locale, ok bool) {
	loc, ok = ctx.Value(localeKey{}).(i18n.Locale)
	return loc, ok
}

// Negotiate is the locale of r: the user's preference (a stored tag, "" for none), else the
// browser's Accept-Language, else fallback (the clinic's default; English without one).
func Negotiate(r *http.Request, preference string, fallback i18n.Locale) i18n.Locale {
	return i18n.Negotiate(preference, r.Header.Get("Accept-Language"), fallback)
}
