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
			params = append(params, map[string]any{"name": q.Name, "in": "query", "description": q.Description, "schema": map[string]any{"type": q.Type}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Doc.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.ref(reflect.TypeOf(r.Doc.Request))}}}
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
				"Errors are RFC 9457 problem documents whose `errors` name each refused field. Lists are paged with `next_cursor`."},
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
			props[name] = fs
			if f.Type.Kind() != reflect.Pointer && !strings.Contains(opts, "omitempty") {
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
