package recall

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/auth"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// Limits of the identity check.
const (
	// MaxFailures is how many wrong answers a link takes before it locks for LockFor.
	MaxFailures = 5
	// MaxTotalFailures is how many wrong answers in all a link takes before it stops
	// opening for good: the hourly lock alone would allow a guess of a date of birth a
	// few minutes at a time for the link's whole life.
	MaxTotalFailures = 3 * MaxFailures
	// LockFor is how long a link stays locked after MaxFailures wrong answers.
	LockFor = time.Hour
	// PassFor is how long a passed check lets the page show again without asking.
	PassFor = time.Hour
)

// ErrCheckFailed is the one answer to a check that did not pass, whatever the cause (no
// such link, expired, locked, wrong surname or date of birth), so the page tells nobody
// whether a link or a patient exists.
var ErrCheckFailed = errors.New("recall: the details do not match, or the link has expired")

// ErrTooMany is the answer once the caller's address made too many failed checks.
var ErrTooMany = errors.New("recall: too many attempts from this address; try again later")

// Visit is what the identity check shows once passed: who wants to see the patient and
// where to book. It names no test and no result.
type Visit struct {
	ClinicID     clinic.ClinicID
	Clinic       string
	Practitioner string // the requesting doctor, "" when the clinical software named none
	Kind         string // results or recall
	Due          string // a recall's due date, "" for results
	Open         bool   // false once the recall is done, skipped or booked
	// Slug is the clinic's patient portal, /p/{slug}, where the patient books; "" when the
	// clinic's portal is off or takes no bookings online (the patient calls the clinic).
	Slug string
}

var linkToken = regexp.MustCompile(`/r/[A-Za-z0-9_-]{16,}`)

// Redact blanks the token of any identity-check link in text: the communication log keeps
// what was sent, never a live link.
func Redact(text string) string { return linkToken.ReplaceAllString(text, "/r/…") }

// Mint makes the identity-check link of a step's message as it is sent (the dispatcher's
// round transaction): a fresh token of 256 bits, stored hashed, valid for Config.LinkTTL.
// The link holds nothing but the token.
//
// Errors: clinic.ErrNotFound when n is no step of a sequence of its organisation.
func (s *Service) Mint(ctx context.Context, tx *store.Tx, n store.Notification) (string, error) {
	if n.SequenceID == 0 {
		return "", fmt.Errorf("notification %d is no recall step: %w", n.ID, clinic.ErrNotFound)
	}
	// The link's foreign key (organisation, sequence) refuses a sequence of another
	// organisation: no read of the sequence here (the dispatcher has it already).
	plain, hash, err := auth.NewToken("")
	if err != nil {
		return "", err
	}
	if err := tx.Recalls().AddRecallLink(ctx, store.RecallLink{Hash: hash, OrgID: n.OrgID, SequenceID: n.SequenceID,
		ExpiresAt: tx.Now.Add(s.cfg.LinkTTL)}); err != nil {
		return "", err
	}
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/r/" + plain, nil
}

// Check asks the link's patient's surname and date of birth (YYYY-MM-DD) before showing
// who wants to see them (RES-3). Surnames compare without case, accents, spaces, hyphens
// and apostrophes. Every attempt is audited on the link's patient ("recall.identity_failed"
// or "recall.identity_passed"); every MaxFailures wrong answers lock the link for LockFor,
// MaxTotalFailures for good; the
// caller's address is limited across links like a sign-in (auth.Gate). A link, locked or
// not, answers the same ErrCheckFailed as no link at all, after the same work.
//
// Errors: *clinic.ValidationError for an empty surname or a malformed date; ErrCheckFailed;
// ErrTooMany.
func (s *Service) Check(ctx context.Context, token, surname, birthDate, client string) (Visit, error) {
	var v clinic.ValidationError
	if strings.TrimSpace(surname) == "" || len(surname) > 200 {
		v.Add("surname", "is required (at most 200 characters)")
	}
	if _, err := time.Parse(time.DateOnly, birthDate); err != nil {
		v.Add("birth_date", "must be a date written YYYY-MM-DD")
	}
	if err := v.Err(); err != nil {
		return Visit{}, err
	}
	hash := auth.HashToken(token)
	pass, _, ok := s.gate.Enter(hex.EncodeToString(hash), client)
	if !ok {
		return Visit{}, ErrTooMany
	}
	var visit Visit
	passed := false
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		l, err := tx.Recalls().RecallLinkByHash(ctx, hash)
		if errors.Is(err, clinic.ErrNotFound) {
			compareIdentity("", "", surname, birthDate) // the same work as a real link
			return nil
		} else if err != nil {
			return err
		}
		seq, err := tx.Recalls().Sequence(ctx, l.OrgID, l.SequenceID)
		if err != nil {
			return err
		}
		p, err := tx.Patients().Patient(ctx, l.OrgID, seq.PatientID)
		if err != nil {
			return err
		}
		match := compareIdentity(p.FamilyName, p.BirthDate, surname, birthDate)
		actor := clinic.SystemActor(l.OrgID, "recall link")
		live := tx.Now.Before(l.ExpiresAt) && !tx.Now.Before(l.LockedUntil)
		if !match || !live {
			if live {
				l.Failures++
				switch {
				case l.Failures >= MaxTotalFailures:
					l.LockedUntil = l.ExpiresAt // for good: the patient calls the clinic
				case l.Failures%MaxFailures == 0:
					l.LockedUntil = tx.Now.Add(LockFor)
				}
				if err := tx.Recalls().MarkRecallLink(ctx, l); err != nil {
					return err
				}
			}
			return audit.Record(ctx, tx, actor, "recall.identity_failed", seq.PatientID)
		}
		l.PassedAt = tx.Now
		if err := tx.Recalls().MarkRecallLink(ctx, l); err != nil {
			return err
		}
		cl, err := tx.Directory().Clinic(ctx, l.OrgID, seq.ClinicID)
		if err != nil {
			return err
		}
		ps, found, err := tx.Portal().PortalSettingsOf(ctx, l.OrgID, cl.ID)
		if err != nil {
			return err
		}
		passed = true
		visit = Visit{ClinicID: cl.ID, Clinic: cl.Name, Practitioner: seq.DoctorName, Kind: seq.Kind, Due: seq.DueDate,
			Open: seq.State != store.SeqDone && seq.State != store.SeqSkipped && seq.State != store.SeqBooked}
		if found && ps.Enabled && ps.OnlineBooking {
			visit.Slug = ps.Slug
		}
		return audit.Record(ctx, tx, actor, "recall.identity_passed", seq.PatientID)
	})
	if err != nil {
		pass.Abort()
		return Visit{}, err
	}
	if !passed {
		pass.Fail()
		return Visit{}, ErrCheckFailed
	}
	pass.Succeed()
	return visit, nil
}

// compareIdentity compares in constant time the folded surname and the date of birth.
func compareIdentity(wantName, wantBirth, gotName, gotBirth string) bool {
	a, b := fold(wantName), fold(gotName)
	name := subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
	birth := subtle.ConstantTimeCompare([]byte(wantBirth), []byte(gotBirth)) == 1
	return name && birth && a != ""
}

// fold is a surname as compared: lower case, without accents, spaces, hyphens or
// apostrophes ("D'Arcy-Núñez" and "darcy nunez" are one name).
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if unicode.Is(unicode.Mn, r) || unicode.IsSpace(r) || unicode.IsPunct(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
