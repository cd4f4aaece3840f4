package sms

import (
	"strconv"
	"strings"
	"unicode"
)

// Keyword is what an inbound SMS asks for when the whole message is one of the words
// patients and carriers use (NOT-10). Anything else is a conversation for the staff inbox.
type Keyword int

// The keywords. The words each one matches are listed at ParseKeyword.
const (
	// KeywordNone is any other message: it goes to the staff inbox, with no automatic
	// answer.
	KeywordNone Keyword = iota
	// KeywordConfirm confirms the appointment the patient was reminded of.
	KeywordConfirm
	// KeywordStop opts the patient out of SMS (CON-3: a consent record from SourceSMS).
	KeywordStop
	// KeywordStart opts the patient back in after a STOP.
	KeywordStart
	// KeywordHelp asks who is writing and how to reach them.
	KeywordHelp
)

// String names the keyword for logs and the communication log: "none", "confirm", "stop",
// "start", "help".
func (k Keyword) String() string {
	switch k {
	case KeywordNone:
		return "none"
	case KeywordConfirm:
		return "confirm"
	case KeywordStop:
		return "stop"
	case KeywordStart:
		return "start"
	case KeywordHelp:
		return "help"
	}
	return "Keyword(" + strconv.Itoa(int(k)) + ")"
}

// maxKeyword bounds the normalised message that can still be a keyword ("UNSUBSCRIBE" is
// the longest), so a long message is turned away without further work.
const maxKeyword = 16

// ParseKeyword reads an inbound SMS. It matches only when the whole message, once
// normalised, is a keyword, as carriers and Twilio do: "STOP" opts out, "stop please" and
// "cancel my appointment" are conversations for staff.
//
// Normalisation: case is ignored; spaces around the message and runs of spaces inside it
// are ignored; trailing full stops and exclamation marks (ASCII or full-width) are dropped ("Yes!", "c.", "Stop !"
// with a French space), but not a question mark ("Stop?" is a question, for staff);
// full-width letters (ＳＴＯＰ) read as ASCII; accents are ignored (ARRÊT is ARRET); zero-width
// and other invisible format characters are dropped.
//
// The words:
//
//   - Confirm: C, Y, YES, OUI, CONFIRM, CONFIRMED, CONFIRMÉ. YES is also one of Twilio's
//     default opt-in words; here it confirms an appointment, and START and UNSTOP are the
//     opt-in words. (A patient who sent STOP and then YES is, for Twilio, subscribed again
//     while Tidings still has them opted out: Tidings sends nothing, which errs on the safe
//     side; the opt-in words should be set to START and UNSTOP in Twilio's Advanced Opt-Out
//     to keep the two in step.) Loose answers such as OK or 👍 go to staff: they may not
//     mean "I will come".
//   - Stop: Twilio's opt-out words STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE,
//     OPTOUT, and OPT OUT, OPT-OUT, STOP ALL; in French ARRET, ARRÊT and STOP SMS (the form
//     French mobile users know from commercial texts). A lone CANCEL is an opt-out because
//     Twilio treats it as one and blocks every later message to that number (error 21610):
//     recording it as anything else would leave Tidings believing it can still send. The
//     patient may have meant the appointment, so the inbound handler should also show the
//     message to staff.
//   - Start: START, UNSTOP.
//   - Help: HELP, INFO, AIDE.
func ParseKeyword(body string) Keyword {
	switch normaliseKeyword(body) {
	case "C", "Y", "YES", "OUI", "CONFIRM", "CONFIRMED", "CONFIRME":
		return KeywordConfirm
	case "STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
		"OPTOUT", "OPT OUT", "OPT-OUT", "ARRET", "STOP SMS":
		return KeywordStop
	case "START", "UNSTOP":
		return KeywordStart
	case "HELP", "INFO", "AIDE":
		return KeywordHelp
	}
	return KeywordNone
}

// normaliseKeyword upper-cases body, folds full-width forms and accents to ASCII, drops
// format characters, collapses spaces, and trims spaces and trailing "." and "!". It returns
// "" for anything longer than a keyword can be.
func normaliseKeyword(body string) string {
	invisible := func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) }
	body = strings.TrimLeftFunc(body, invisible)
	body = strings.TrimRightFunc(body, func(r rune) bool {
		switch r {
		case '.', '!', '．', '！', '。':
			return true
		}
		return invisible(r)
	})
	if len(body) > 4*maxKeyword { // four bytes a rune at most
		return ""
	}
	var b strings.Builder
	space := false
	for _, r := range body {
		switch {
		case unicode.IsSpace(r):
			space = true
			continue
		case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Mn, r):
			continue // zero-width characters; combining accents (E + U+0302)
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(foldKeywordRune(r))
		if b.Len() > maxKeyword {
			return ""
		}
	}
	return b.String()
}

// foldKeywordRune maps a character to the upper-case ASCII letter it stands for in a
// keyword: full-width forms (U+FF01–U+FF5E) to ASCII, accented Latin letters to their base
// letter. Other characters are upper-cased and otherwise left as they are, so they match
// no keyword.
func foldKeywordRune(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	}
	r = unicode.ToUpper(r)
	switch r {
	case 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å':
		return 'A'
	case 'Ç':
		return 'C'
	case 'È', 'É', 'Ê', 'Ë':
		return 'E'
	case 'Ì', 'Í', 'Î', 'Ï':
		return 'I'
	case 'Ñ':
		return 'N'
	case 'Ò', 'Ó', 'Ô', 'Õ', 'Ö':
		return 'O'
	case 'Ù', 'Ú', 'Û', 'Ü':
		return 'U'
	case 'Ý', 'Ÿ':
		return 'Y'
	}
	return r
}
