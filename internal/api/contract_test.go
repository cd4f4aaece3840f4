package api

import (
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// wireTypes collects the named struct types reachable from the routes' request and
// response bodies, and which of them a request reaches.
func wireTypes(t *testing.T) (types map[string]reflect.Type, request map[string]bool) {
	t.Helper()
	types, request = map[string]reflect.Type{}, map[string]bool{}
	var walk func(reflect.Type, bool)
	walk = func(rt reflect.Type, req bool) {
		for rt.Kind() == reflect.Pointer || rt.Kind() == reflect.Slice {
			rt = rt.Elem()
		}
		if rt.Kind() != reflect.Struct || rt == reflect.TypeFor[time.Time]() {
			return
		}
		_, seen := types[rt.Name()]
		if seen && (!req || request[rt.Name()]) {
			return
		}
		types[rt.Name()] = rt
		request[rt.Name()] = request[rt.Name()] || req
		for i := range rt.NumField() {
			if f := rt.Field(i); f.IsExported() && f.Tag.Get("json") != "-" {
				walk(f.Type, req)
			}
		}
	}
	for _, r := range New(Deps{}).Routes() {
		if r.Doc == nil {
			continue
		}
		if r.Doc.Request != nil {
			walk(reflect.TypeOf(r.Doc.Request), true)
		}
		if r.Doc.Response != nil {
			walk(reflect.TypeOf(r.Doc.Response), false)
		}
	}
	return types, request
}

// jsonFields maps a struct's JSON names to their Go types.
func jsonFields(rt reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// TestContractsMatchTypes keeps the OpenAPI contract (ADM-5) and the wire types together:
// every rule names a schema and a field that exist, every request body (and the structs in
// it) has its rules, and every text a client sends has a bound (a length, a pattern, a
// format or a list of values), so a new field cannot reach the document unbounded.
func TestContractsMatchTypes(t *testing.T) {
	types, request := wireTypes(t)
	var problems []string
	for name, c := range contracts {
		rt, ok := types[name]
		if !ok {
			problems = append(problems, name+": no route sends or answers this type")
			continue
		}
		if c.request != request[name] {
			problems = append(problems, name+": request is wrong in contracts")
		}
		fields := jsonFields(rt)
		for field := range c.fields {
			if _, ok := fields[field]; !ok {
				problems = append(problems, name+"."+field+": no such field")
			}
		}
	}
	for name, req := range request {
		if !req {
			continue
		}
		c, ok := contracts[name]
		if !ok {
			problems = append(problems, name+": a request type without an entry in contracts (contract.go)")
			continue
		}
		for field, ft := range jsonFields(types[name]) {
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() != reflect.String {
				continue
			}
			r := c.fields[field]
			if r.maxLength == 0 && len(r.enum) == 0 && r.pattern == "" && r.format == "" {
				problems = append(problems, name+"."+field+": a text field of a request without a bound in contracts (contract.go)")
			}
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		t.Errorf("contracts and wire types disagree:\n%s", strings.Join(problems, "\n"))
	}
}

// TestOpenAPIRequired: a POST that creates requires what creating needs, the PATCH of the
// same schema requires nothing, and a request's nullable optional field accepts null in
// its enum while a required one is not nullable.
func TestOpenAPIRequired(t *testing.T) {
	doc := OpenAPI(New(Deps{}).Routes())
	paths := doc["paths"].(map[string]map[string]any)
	body := func(path, method string) map[string]any {
		op := paths[path][method].(map[string]any)
		return op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	}
	if got, want := body(Prefix+"/agendas", "post")["required"], []string{"clinic_id", "name"}; !cmp.Equal(got, want) {
		t.Errorf("POST /agendas requires %v, want %v", got, want)
	}
	if _, ok := body(Prefix+"/agendas/{id}", "patch")["required"]; ok {
		t.Errorf("PATCH /agendas/{id} requires fields: %v", body(Prefix+"/agendas/{id}", "patch"))
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	booking := schemas["BookingInput"].(map[string]any)
	if got, want := booking["required"], []string{"patient_id", "reason_id", "start"}; !cmp.Equal(got, want) {
		t.Errorf("BookingInput requires %v, want %v", got, want)
	}
	props := booking["properties"].(map[string]any)
	if got := props["start"].(map[string]any)["type"]; got != "string" {
		t.Errorf("required start has type %v, want string (not nullable)", got)
	}
	if got, want := props["booked_by"].(map[string]any)["enum"], []any{"staff", nil}; !cmp.Equal(got, want) {
		t.Errorf("booked_by enum %v, want %v", got, want)
	}
	if got := props["note"].(map[string]any)["maxLength"]; got != 2000 {
		t.Errorf("note maxLength %v, want 2000", got)
	}
	appt := schemas["Appointment"].(map[string]any)["properties"].(map[string]any)
	if got := appt["status"].(map[string]any)["enum"]; len(got.([]any)) != 7 {
		t.Errorf("Appointment.status enum %v, want the 7 statuses", got)
	}
}

// TestArticle: summaries read "Create an agenda", "an SMS account", "a user": the article
// follows the sound of the word, not only its first letter.
func TestArticle(t *testing.T) {
	tests := map[string]string{
		"agenda":          "an agenda",
		"appointment":     "an appointment",
		"exception":       "an exception",
		"clinic":          "a clinic",
		"reason":          "a reason",
		"SMS account":     "an SMS account",
		"HL7 feed":        "an HL7 feed",
		"PMS profile":     "a PMS profile",
		"URL":             "a URL",
		"hour":            "an hour",
		"honest mistake":  "an honest mistake",
		"user":            "a user",
		"unit":            "a unit",
		"uniform grid":    "a uniform grid",
		"umbrella":        "an umbrella",
		"European clinic": "a European clinic",
		"one-off":         "a one-off",
		"":                "a ",
	}
	for in, want := range tests {
		if got := article(in); got != want {
			t.Errorf("article(%q) = %q, want %q", in, got, want)
		}
	}
}
