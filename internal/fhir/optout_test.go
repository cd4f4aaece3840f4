package fhir

import (
	"testing"
)

func TestOptOut(t *testing.T) {
	ext := func(url string, v *bool) Extension { return Extension{URL: url, ValueBoolean: v} }
	tests := []struct {
		name              string
		p                 *Patient
		wantSet, wantTrue bool
	}{
		{name: "nil patient", p: nil},
		{name: "no extension", p: &Patient{}},
		{name: "other extension", p: &Patient{Extension: []Extension{ext("http://example.org/sms-opt-out", ptr(true))}}},
		{name: "extension without a boolean", p: &Patient{Extension: []Extension{{URL: OptOutExtensionURL, ValueString: "true"}}}},
		{name: "false", p: &Patient{Extension: []Extension{ext(OptOutExtensionURL, ptr(false))}}, wantSet: true},
		{name: "true", p: &Patient{Extension: []Extension{ext(OptOutExtensionURL, ptr(true))}}, wantSet: true, wantTrue: true},
		{name: "any true wins", p: &Patient{Extension: []Extension{ext(OptOutExtensionURL, ptr(false)), ext(OptOutExtensionURL, ptr(true))}}, wantSet: true, wantTrue: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set, v := OptOut(tc.p)
			if set != tc.wantSet || v != tc.wantTrue {
				t.Errorf("OptOut = (%v, %v), want (%v, %v)", set, v, tc.wantSet, tc.wantTrue)
			}
		})
	}
}

func TestOptOutExamples(t *testing.T) {
	for _, tc := range []struct {
		file              string
		wantSet, wantTrue bool
	}{
		{file: "patient-example.json"},
		{file: "patient-tidings.json", wantSet: true, wantTrue: true},
	} {
		var p Patient
		if err := Decode(readExample(t, tc.file), &p); err != nil {
			t.Fatal(err)
		}
		if set, v := OptOut(&p); set != tc.wantSet || v != tc.wantTrue {
			t.Errorf("%s: OptOut = (%v, %v), want (%v, %v)", tc.file, set, v, tc.wantSet, tc.wantTrue)
		}
	}
}

func TestConsentDenies(t *testing.T) {
	ours := CodeableConcept{Coding: []Coding{{System: ConsentCategorySystem, Code: ConsentCategoryCode}}}
	privacy := CodeableConcept{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/consentscope", Code: "patient-privacy"}}}
	otherSystem := CodeableConcept{Coding: []Coding{{System: "http://example.org", Code: ConsentCategoryCode}}}
	deny := &ConsentProvision{Type: "deny"}
	tests := []struct {
		name string
		c    *Consent
		want bool
	}{
		{name: "nil", c: nil},
		{name: "deny in category", c: &Consent{Status: "active", Scope: privacy, Category: []CodeableConcept{ours}, Provision: deny}, want: true},
		{name: "deny in scope", c: &Consent{Status: "active", Scope: ours, Provision: deny}, want: true},
		{name: "second category", c: &Consent{Status: "active", Category: []CodeableConcept{privacy, ours}, Provision: deny}, want: true},
		{name: "permit", c: &Consent{Status: "active", Category: []CodeableConcept{ours}, Provision: &ConsentProvision{Type: "permit"}}},
		{name: "no provision", c: &Consent{Status: "active", Category: []CodeableConcept{ours}}},
		{name: "inactive", c: &Consent{Status: "inactive", Category: []CodeableConcept{ours}, Provision: deny}},
		{name: "draft", c: &Consent{Status: "draft", Category: []CodeableConcept{ours}, Provision: deny}},
		{name: "entered in error", c: &Consent{Status: "entered-in-error", Category: []CodeableConcept{ours}, Provision: deny}},
		{name: "privacy deny is not an opt-out", c: &Consent{Status: "active", Scope: privacy, Provision: deny}},
		{name: "our code in another system", c: &Consent{Status: "active", Category: []CodeableConcept{otherSystem}, Provision: deny}},
		{name: "nested permit does not lift it", c: &Consent{Status: "active", Category: []CodeableConcept{ours}, Provision: &ConsentProvision{Type: "deny", Provision: []ConsentProvision{{Type: "permit"}}}}, want: true},
		{name: "ended period still counts", c: &Consent{Status: "active", Category: []CodeableConcept{ours}, Provision: &ConsentProvision{Type: "deny", Period: &Period{End: "2001-01-01"}}}, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ConsentDenies(tc.c); got != tc.want {
				t.Errorf("ConsentDenies = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConsentDeniesExamples(t *testing.T) {
	for _, tc := range []struct {
		file string
		want bool
	}{
		{file: "consent-example-notThem.json", want: false}, // a privacy deny
		{file: "consent-tidings-optout.json", want: true},
	} {
		var c Consent
		if err := Decode(readExample(t, tc.file), &c); err != nil {
			t.Fatal(err)
		}
		if got := ConsentDenies(&c); got != tc.want {
			t.Errorf("%s: ConsentDenies = %v, want %v", tc.file, got, tc.want)
		}
	}
}
