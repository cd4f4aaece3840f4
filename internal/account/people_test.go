package account

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// TestClassify (POR-6): which records sharing an address are one person, a duplicate, or a
// holder with the relatives they manage.
func TestClassify(t *testing.T) {
	rec := func(id int64, db int64, given, family, birth, email string, managers ...clinic.PatientID) store.EmailRecord {
		return store.EmailRecord{PatientID: clinic.PatientID(id), DatabaseID: clinic.DatabaseID(db), GivenName: given, FamilyName: family,
			BirthDate: birth, Email: email, Managers: managers}
	}
	type want struct {
		Email     string
		Valid     bool
		People    int
		Holder    int
		Duplicate bool
	}
	tests := []struct {
		name string
		in   []store.EmailRecord
		want []want
	}{
		{"one person", []store.EmailRecord{rec(1, 1, "Ada", "Lovelace", "1815-12-10", "ada@example.org")},
			[]want{{"ada@example.org", true, 1, 0, false}}},
		{"the same person in two databases, case and spaces aside", []store.EmailRecord{
			rec(1, 1, "Ada", "Lovelace", "1815-12-10", "Ada@Example.org"), rec(2, 2, " ada ", "LOVELACE", "1815-12-10", "ada@example.org")},
			[]want{{"ada@example.org", true, 1, 0, false}}},
		{"two people: a duplicate", []store.EmailRecord{
			rec(1, 1, "Ada", "Lovelace", "1815-12-10", "family@example.org"), rec(2, 1, "Byron", "Lovelace", "1788-01-22", "family@example.org")},
			[]want{{"family@example.org", true, 2, -1, true}}},
		{"a parent and the child they manage", []store.EmailRecord{
			rec(1, 1, "Ada", "Lovelace", "1815-12-10", "family@example.org"), rec(2, 1, "Annabella", "King", "2010-09-12", "family@example.org", 1)},
			[]want{{"family@example.org", true, 2, 0, false}}},
		{"a child managed by someone outside the address: still a duplicate", []store.EmailRecord{
			rec(1, 1, "Ada", "Lovelace", "1815-12-10", "family@example.org"), rec(2, 1, "Annabella", "King", "2010-09-12", "family@example.org", 9)},
			[]want{{"family@example.org", true, 2, -1, true}}},
		{"not an address", []store.EmailRecord{rec(1, 1, "Ada", "Lovelace", "1815-12-10", "ada at example")},
			[]want{{"ada at example", false, 1, 0, false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []want
			for _, g := range Classify(tc.in) {
				got = append(got, want{g.Email, g.Valid, len(g.People), g.Holder, g.Duplicate()})
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
}
