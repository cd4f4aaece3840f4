package compose

import (
	"time"

	"github.com/tidings-health/tidings/internal/i18n"
)

// sampleVars are typical values, for Preview and for the segment counts the tests assert:
// a short first name, a clinic name of two words, a practitioner by surname, a short portal
// link, on a Wednesday in October (a long weekday) at 10:30. The zone is UTC so that the
// package never loads one; only the wall clock shows.
func sampleVars(loc i18n.Locale) Vars {
	at := func(h, m int) time.Time { return time.Date(2026, time.October, 14, h, m, 0, 0, time.UTC) }
	if loc == i18n.French {
		return Vars{
			FirstName: "Camille", Clinic: "Cabinet médical du Parc", ClinicPhone: "01 23 45 67 89",
			Practitioner: "Dr Martin", PortalLink: "https://parc.tidings.example/a/K7Q2XM9D", ClaimWord: "BOOK 4821",
			Start: at(10, 30), Zone: time.UTC, AsksReply: true,
			Group: []Appointment{{FirstName: "Camille", Start: at(10, 30)}, {FirstName: "Louis", Start: at(10, 45)}},
		}
	}
	return Vars{
		FirstName: "Olivia", Clinic: "Harbour Medical", ClinicPhone: "02 9123 4567",
		Practitioner: "Dr Nguyen", PortalLink: "https://harbour.tidings.example/a/K7Q2XM9D", ClaimWord: "BOOK 4821",
		Start: at(10, 30), Zone: time.UTC, AsksReply: true,
		Group: []Appointment{{FirstName: "Olivia", Start: at(10, 30)}, {FirstName: "Noah", Start: at(10, 45)}},
	}
}

// longVars are long but real-looking values, all in GSM-7, that Check renders a template
// with to bound its size: a hyphenated first name, a five-word clinic, a double-barrelled
// practitioner, a long portal link, the longest date in both languages (a Wednesday in
// September), a family of four, and the reply hint.
func longVars() Vars {
	at := func(h, m int) time.Time { return time.Date(2026, time.September, 30, h, m, 0, 0, time.UTC) }
	return Vars{
		FirstName:    "Anne-Catherine",
		Clinic:       "Northern Beaches Family Medical Centre",
		ClinicPhone:  "+61 2 9999 9999",
		Practitioner: "Dr Alexandra Montgomery-Whitfield",
		PortalLink:   "https://northern-beaches-family-medical.tidings.example/a/K7Q2XM9DP4WZ",
		ClaimWord:    "BOOK 4821",
		Start:        at(10, 45),
		Zone:         time.UTC,
		AsksReply:    true,
		Group: []Appointment{
			{FirstName: "Anne-Catherine", Start: at(10, 45)},
			{FirstName: "Maximilien", Start: at(11, 0)},
			{FirstName: "Jean-Baptiste", Start: at(11, 15)},
			{FirstName: "Marie-Charlotte", Start: at(11, 30)},
		},
	}
}
