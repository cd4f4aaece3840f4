package api

import (
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidings-health/tidings/internal/web"
)

// OpenAPI builds the OpenAPI 3.1 document of routes. It is generated from the route table
// and the wire types by reflection, so a route or field cannot be added without the
// document saying so.
func OpenAPI(routes []web.Route) map[string]any {
	g := &schemaGen{schemas: map[string]any{}}
	paths := map[string]map[string]any{}
	g.schemas["Problem"] = g.schemaOf(reflect.TypeFor[web.Problem]())
	for _, r := range routes {
		if r.Doc == nil {
			continue
		}
		op := map[string]any{
			"summary":     r.Doc.Summary,
			"operationId": operationID(r),
			"tags":        []string{r.Doc.Tag},
			"security":    []map[string][]string{{"bearerAuth": {}}},
		}
		var params []map[string]any
		for _, name := range pathParams(r.Pattern) {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "integer"}})
		}
		for _, q := range r.Doc.Query {
			params = append(params, param(q, "query"))
		}
		for _, h := range r.Doc.Headers {
			params = append(params, param(h, "header"))
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Doc.Request != nil {
			t := reflect.TypeOf(r.Doc.Request)
			schema := g.ref(t)
			if r.Method == http.MethodPost {
				// A POST creates (or acts): the fields required to create are required
				// here; a PATCH of the same schema may send any of them.
				if req := createRequired(t); len(req) > 0 {
					schema = map[string]any{"allOf": []any{schema}, "required": req}
				}
			}
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": schema}}}
		}
		status := r.Doc.Status
		if status == 0 {
			status = http.StatusOK
		}
		responses := map[string]any{}
		ok := map[string]any{"description": http.StatusText(status)}
		if r.Doc.Response != nil {
			schema := g.ref(reflect.TypeOf(r.Doc.Response))
			if r.Doc.List {
				schema = map[string]any{"type": "object", "required": []string{"items"}, "properties": map[string]any{
					"items":       map[string]any{"type": "array", "items": schema},
					"next_cursor": map[string]any{"type": "string", "description": "absent on the last page"},
				}}
			}
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schema}}
		}
		if status == http.StatusCreated {
			ok["headers"] = map[string]any{"Location": map[string]any{
				"description": "the URL of what was created; when it has none of its own, the list it joined",
				"required":    true,
				"schema":      map[string]any{"type": "string", "format": "uri-reference"}}}
		}
		responses[strconv.Itoa(status)] = ok
		errs := []int{400, 401, 403, 404, 422}
		if r.Doc.Request != nil {
			errs = append(errs, 413)
		}
		for _, code := range append(errs, r.Doc.Errors...) {
			responses[strconv.Itoa(code)] = map[string]any{"description": http.StatusText(code), "content": map[string]any{
				"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
		}
		op["responses"] = responses
		if paths[r.Pattern] == nil {
			paths[r.Pattern] = map[string]any{}
		}
		paths[r.Pattern][strings.ToLower(r.Method)] = op
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "Tidings API", "version": "1",
			"description": "Patient engagement for clinics. Authenticate with an API token (`tidings token create`) as a Bearer token. " +
				"Errors are RFC 9457 problem documents whose `errors` name each refused field; a method a path does not take is a 405 " +
				"whose `Allow` header lists the ones it does. Lists are paged with `next_cursor`. Every 201 carries a `Location`.\n\n" +
				"Times: instants are RFC 3339 with an offset, any offset is read, and availability answers write them in UTC (`Z`). Each clinic has an IANA time zone " +
				"(`zone`), in which its hours, days (`YYYY-MM-DD`) and wall-clock times (`HH:MM`) are read; a field holding a wall-clock " +
				"date and time without an offset is named `local_…`.\n\n" +
				"Availability with `online=true` applies what a patient booking online is held to: a reason that cannot be booked " +
				"online is refused with a 422 naming `reason_id`, as the booking itself would be, rather than offering slots nobody " +
				"could book online."},
		"servers": []map[string]any{{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         g.schemas,
			"securitySchemes": map[string]any{"bearerAuth": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

var paramRE = regexp.MustCompile(`\{([a-z_]+)\}`)

func pathParams(pattern string) []string {
	var out []string
	for _, m := range paramRE.FindAllStringSubmatch(pattern, -1) {
		out = append(out, m[1])
	}
	return out
}

func operationID(r web.Route) string {
	parts := strings.FieldsFunc(strings.TrimPrefix(r.Pattern, Prefix), func(c rune) bool { return c == '/' || c == '{' || c == '}' })
	return strings.ToLower(r.Method) + "_" + strings.Join(parts, "_")
}

type schemaGen struct{ schemas map[string]any }

// param is the OpenAPI parameter of p, in the query or a header.
func param(p web.Param, in string) map[string]any {
	schema := map[string]any{"type": p.Type}
	if len(p.Enum) > 0 {
		schema["enum"] = p.Enum
	}
	if p.MaxLength > 0 {
		schema["maxLength"] = p.MaxLength
	}
	return map[string]any{"name": p.Name, "in": in, "description": p.Description, "schema": schema}
}

// createRequired lists the fields of request type t that creating requires (sorted).
func createRequired(t reflect.Type) []string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for name, r := range contracts[t.Name()].fields {
		if r.required == onCreate {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// ref returns a $ref to the named schema of t, generating it once.
func (g *schemaGen) ref(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() {
		return g.schemaOf(t)
	}
	if _, ok := g.schemas[t.Name()]; !ok {
		g.schemas[t.Name()] = map[string]any{} // break cycles
		g.schemas[t.Name()] = g.schemaOf(t)
	}
	return map[string]any{"$ref": "#/components/schemas/" + t.Name()}
}

func (g *schemaGen) schemaOf(t reflect.Type) map[string]any {
	nullable := false
	if t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	var s map[string]any
	switch {
	case t == reflect.TypeFor[time.Time]():
		s = map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		s = map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		s = map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s = map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice:
		s = map[string]any{"type": "array", "items": g.schemaOf(t.Elem())}
	case t.Kind() == reflect.Struct:
		props := map[string]any{}
		var required []string
		rules, request := contracts[t.Name()].fields, contracts[t.Name()].request
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			var fs map[string]any
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Time]() {
				fs = g.ref(f.Type)
			} else {
				fs = g.schemaOf(f.Type)
			}
			if r, ok := rules[name]; ok {
				fs = r.apply(fs, request)
			}
			props[name] = fs
			omitted := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			switch {
			case request:
				// A request's contract is its rules: a Go zero value does not say whether a
				// client may leave the field out.
				if rules[name].required == always {
					required = append(required, name)
				}
			case f.Type.Kind() != reflect.Pointer && !omitted:
				required = append(required, name)
			}
		}
		sort.Strings(required)
		s = map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			s["required"] = required
		}
	default:
		s = map[string]any{}
	}
	if nullable {
		if typ, ok := s["type"].(string); ok {
			s["type"] = []string{typ, "null"}
		}
	}
	return s
}

func (a *API) openAPIHandler(routes []web.Route) http.HandlerFunc {
	doc := OpenAPI(routes)
	return func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSON(w, http.StatusOK, doc)
	}
}
