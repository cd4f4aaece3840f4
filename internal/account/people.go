package account

import (
	"slices"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/contact"
	"github.com/tidings-health/tidings/internal/store"
)

// Person is one person among the records that share an e-mail address: their records (one
// per clinical database, or more when not merged yet) have the same name and birth date.
type Person struct {
	Records []store.EmailRecord
	// Managed: a parent or guardian of this person among the same address's people is
	// recorded as their relative, so the parent holds the account and acts for them.
	Managed bool
}

// Name is the person's name as their first record has it.
func (p Person) Name() string { return p.Records[0].GivenName + " " + p.Records[0].FamilyName }

// In returns the person's record in database db; ok is false when they have none there.
func (p Person) In(db clinic.DatabaseID) (store.EmailRecord, bool) {
	for _, r := range p.Records {
		if r.DatabaseID == db {
			return r, true
		}
	}
	return store.EmailRecord{}, false
}

// Group is the people of one e-mail address (POR-6).
type Group struct {
	Email  string // lower-case
	Valid  bool   // the address is one an e-mail can be sent to
	People []Person
	// Holder indexes People: the person the address's account is for; -1 when the group
	// is a duplicate (two people, neither managing the other).
	Holder int
}

// Duplicate reports whether the address is shared by people of whom none holds it for the
// others: the duplicate-e-mail report lists it and no invitation goes to it.
func (g Group) Duplicate() bool { return g.Holder < 0 }

// AccountID is the account the holder's records belong to (0: none yet), and whether it
// is active.
func (g Group) AccountID() (int64, bool) {
	if g.Holder < 0 {
		return 0, false
	}
	for _, r := range g.People[g.Holder].Records {
		if r.AccountID != 0 {
			return r.AccountID, r.Active
		}
	}
	return 0, false
}

// personKey says which records are one person: the same name and birth date, compared
// without case and extra spaces (records in two databases of one organisation with the
// same e-mail, name and birth date are the same person, not duplicates).
func personKey(r store.EmailRecord) string {
	norm := func(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
	return norm(r.GivenName) + "\x00" + norm(r.FamilyName) + "\x00" + r.BirthDate
}

// NormalEmail is the form an account's address is kept and compared in: checked as an
// address, then lower-case. ok is false for what is not an address.
func NormalEmail(raw string) (string, bool) {
	e, err := contact.Email(raw)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(raw)), false
	}
	return strings.ToLower(e), true
}

// Classify groups records by e-mail address and, in each group, by person, and finds each
// group's holder: its only person, or the only one not managed by another person of the
// group (a parent sharing the address with a child recorded as their relative). Groups
// come in address order, people in the order of their first record.
func Classify(rs []store.EmailRecord) []Group {
	byEmail := map[string]*Group{}
	var order []string
	for _, r := range rs {
		e, ok := NormalEmail(r.Email)
		g := byEmail[e]
		if g == nil {
			g = &Group{Email: e, Valid: ok}
			byEmail[e] = g
			order = append(order, e)
		}
		k := personKey(r)
		i := slices.IndexFunc(g.People, func(p Person) bool { return personKey(p.Records[0]) == k })
		if i < 0 {
			g.People = append(g.People, Person{})
			i = len(g.People) - 1
		}
		g.People[i].Records = append(g.People[i].Records, r)
	}
	slices.Sort(order)
	out := make([]Group, 0, len(order))
	for _, e := range order {
		g := byEmail[e]
		owner := map[clinic.PatientID]int{}
		for i, p := range g.People {
			for _, r := range p.Records {
				owner[r.PatientID] = i
			}
		}
		holders := []int{}
		for i := range g.People {
			for _, r := range g.People[i].Records {
				for _, m := range r.Managers {
					if j, ok := owner[m]; ok && j != i {
						g.People[i].Managed = true
					}
				}
			}
			if !g.People[i].Managed {
				holders = append(holders, i)
			}
		}
		g.Holder = -1
		if len(holders) == 1 {
			g.Holder = holders[0]
		}
		out = append(out, *g)
	}
	return out
}
