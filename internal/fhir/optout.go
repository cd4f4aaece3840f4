package fhir

// OptOutExtensionURL is the Patient extension a clinic's FHIR server uses to say that the
// patient opted out of messages from Tidings (its valueBoolean); see the package doc.
const OptOutExtensionURL = "https://tidings.health/fhir/StructureDefinition/sms-opt-out"

// ConsentCategorySystem and ConsentCategoryCode name patient communications in a Consent's
// scope or category: FHIR R4 has no standard code for "contacting the patient" (its consent
// scopes are adr, research, patient-privacy and treatment, and a privacy deny is about who may
// see the record, not whether the patient may be contacted), so Tidings defines its own.
const (
	ConsentCategorySystem = "https://tidings.health/fhir/CodeSystem/consent-category"
	ConsentCategoryCode   = "patient-communications"
)

// OptOut reads the opt-out extension of p. set says whether p carries it with a boolean
// value at all (a server or profile that never sets it tells Tidings nothing, which the
// consent rules treat differently from "not opted out"); value says whether the patient opted
// out. Several such extensions opt out when any of them says true.
func OptOut(p *Patient) (set bool, value bool) {
	if p == nil {
		return false, false
	}
	for _, e := range p.Extension {
		if e.URL != OptOutExtensionURL || e.ValueBoolean == nil {
			continue
		}
		set = true
		value = value || *e.ValueBoolean
	}
	return set, value
}

// ConsentDenies reports whether c is an opt-out from patient communications: status active,
// top-level provision.type deny, and ConsentCategorySystem|ConsentCategoryCode in its scope or
// one of its categories. It does not check whose Consent it is (search by patient) and, to
// fail closed, ignores provision periods and nested provisions: a clinic ends an opt-out by
// making the Consent inactive or rejected.
func ConsentDenies(c *Consent) bool {
	if c == nil || c.Status != "active" || c.Provision == nil || c.Provision.Type != "deny" {
		return false
	}
	if c.Scope.Has(ConsentCategorySystem, ConsentCategoryCode) {
		return true
	}
	for _, cat := range c.Category {
		if cat.Has(ConsentCategorySystem, ConsentCategoryCode) {
			return true
		}
	}
	return false
}
