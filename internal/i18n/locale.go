package i18n

import (
	"strings"

	"golang.org/x/text/language"
)

// Locale is a language the interface is shown in. The zero value is English, the language
// of the keys and the last fallback.
type Locale uint8

// The supported locales.
const (
	English Locale = iota
	French
)

// Locales lists every supported locale, English first.
func Locales() []Locale { return []Locale{English, French} }

// String is the locale's BCP 47 tag, for <html lang> and Content-Language.
func (l Locale) String() string {
	if l == French {
		return "fr"
	}
	return "en"
}

// Tag is the locale's language tag.
func (l Locale) Tag() language.Tag {
	if l == French {
		return language.French
	}
	return language.English
}

// Parse reads a stored preference such as "fr" or "fr-FR"; ok is false for anything that is
// not a supported language.
func Parse(s string) (l Locale, ok bool) {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	base, _, _ = strings.Cut(base, "_")
	switch base {
	case "en":
		return English, true
	case "fr":
		return French, true
	}
	return English, false
}

// ForRegion is the default locale of a clinic in an ISO 3166 region: French where the most
// spoken language is French (FR, MC, LU, RE…), English elsewhere and for an unknown region.
func ForRegion(region string) Locale {
	r, err := language.ParseRegion(region)
	if err != nil {
		return English
	}
	t, err := language.Compose(language.Und, r)
	if err != nil {
		return English
	}
	if b, conf := t.Base(); conf >= language.High && b.String() == "fr" {
		return French
	}
	return English
}

// Negotiate picks the locale of a request: the user's preference when it names a supported
// language, else the best supported language of the Accept-Language header (by its quality
// values; a header naming none of them is ignored), else fallback (the clinic's default,
// English when there is no clinic).
func Negotiate(preference, acceptLanguage string, fallback Locale) Locale {
	if l, ok := Parse(preference); ok {
		return l
	}
	if acceptLanguage == "" || len(acceptLanguage) > 1024 {
		return fallback
	}
	tags, q, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil {
		return fallback
	}
	// The tags come sorted by quality; the first whose language is supported wins
	// (fr-CA is French). Two languages need no CLDR matcher, which costs tens of
	// microseconds a request to build.
	for i, t := range tags {
		if q[i] <= 0 {
			continue
		}
		b, conf := t.Base()
		if conf == language.No {
			continue
		}
		if l, ok := Parse(b.String()); ok {
			return l
		}
	}
	return fallback
}
