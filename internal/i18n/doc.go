// Package i18n is the message catalog and the locale rules of everything a person reads in
// Tidings (ADM-6, house rule 16): the English and French texts, which language a request
// gets, and how dates, times and numbers are written in each.
//
// Keys are the English text (gettext style): code and templates stay readable, English
// needs no catalog of its own, and a text produced in English by domain code (a
// clinic.FieldError reason such as "is required", a web.SafeMessage) is translated at display
// time by looking it up. The French texts live in fr.po, a gettext PO file embedded in the
// binary, so that translators can use their usual tools.
//
// Arguments are numbered placeholders, {0}, {1}…, in both languages, so a translation may
// reorder them. A key with placeholders is also a pattern: when an English text is not a
// key itself, T matches it against those keys ("must be at most 200 characters" matches
// "must be at most {0} characters"), translates the arguments it captured that are keys too
// (a status label inside a sentence), and writes the French sentence around them. This lets
// messages composed in English by packages that know nothing of locales reach staff in
// French without each of them taking a locale.
//
// A key missing from the French catalog falls back to English at run time. Nothing is logged:
// a missing key could be a text with patient data in it. Tests find missing keys instead:
// one scans templates and Go sources for keys and checks fr.po has each, another renders
// every page in French with a Catalog whose OnMissing hook fails the test.
//
// Negotiation (Negotiate): the user's own preference, else the browser's Accept-Language,
// else the clinic's default (ForRegion: the language most spoken in its region, by CLDR's
// likely subtags), else English.
//
// Formatting (format.go): both languages write times on the 24-hour clock ("09:30"), as the
// dashboard always has and as appointment books are kept in both Australia and France;
// dates are "Tuesday 3 March 2026" and "mardi 3 mars 2026" (French writes the first of the
// month "1er"); numbers are grouped per CLDR ("1,234" and "1 234").
//
// It imports nothing of the application, only golang.org/x/text.
package i18n
