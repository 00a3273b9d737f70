package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sfcas/sfcas/httpapi/api"
)

// The OpenAPI 3.1 document of the /v1 surface, built from the same route
// table that registers the routes (v1Routes), with JSON schemas reflected
// from the wire types in package api.

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// pathParamDocs describe the path parameters routes use.
var pathParamDocs = map[string]string{
	"ns":      "namespace",
	"name":    "artifact or label name (may contain ':' and '.')",
	"index":   "version index",
	"grantee": "namespace to grant to or revoke from",
	"id":      "upload session ID",
	"digest":  "blake3:, sha256: or sha512: digest",
}

func buildOpenAPI(routes []v1Route, version string) []byte {
	sc := schemas{}
	problem := sc.of(reflect.TypeOf(api.Problem{}))
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.pattern, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
				"description": pathParamDocs[m[1]], "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "required": q.required,
				"description": q.desc, "schema": map[string]any{"type": q.typ}})
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		switch {
		case rt.resp != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": sc.of(reflect.TypeOf(rt.resp))}}
		case rt.data:
			ok["content"] = map[string]any{"application/octet-stream": map[string]any{
				"schema": map[string]any{"type": "string", "format": "binary"}}}
		}
		op := map[string]any{
			"operationId": operationID(rt),
			"summary":     rt.summary,
			"security":    []any{map[string]any{"bearer": []any{}}},
			"responses": map[string]any{
				strconv.Itoa(status): ok,
				"default": map[string]any{"description": "an RFC 9457 problem document with a stable code",
					"content": map[string]any{"application/problem+json": map[string]any{"schema": problem}}},
			},
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.body != nil || rt.bytes {
			content := map[string]any{}
			if rt.body != nil {
				content["application/json"] = map[string]any{"schema": sc.of(reflect.TypeOf(rt.body))}
			}
			if rt.bytes {
				content["application/octet-stream"] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			}
			op["requestBody"] = map[string]any{"required": rt.bytes, "content": content}
		}
		if paths[rt.pattern] == nil {
			paths[rt.pattern] = map[string]any{}
		}
		paths[rt.pattern][strings.ToLower(rt.method)] = op
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "sfcas /v1", "version": version,
			"description": "The reworked sfcas storage API. Every reference follows one rule (see GET /v1/resolve); errors are RFC 9457 problem documents with a stable code."},
		"paths": paths,
		"components": map[string]any{
			"schemas":         sc,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "a token from POST /auth"}},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // only maps, strings and bools: cannot happen
	}
	return b
}

// operationID is e.g. "get_v1_labels_ns_name".
func operationID(rt v1Route) string {
	p := strings.NewReplacer("/", "_", "{", "", "}", "").Replace(strings.Trim(rt.pattern, "/"))
	return strings.ToLower(rt.method) + "_" + p
}

// schemas collects the named schemas of the wire types.
type schemas map[string]any

var timeType = reflect.TypeOf(time.Time{})

// of returns the schema of t, registering named structs.
func (sc schemas) of(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == reflect.TypeOf(json.RawMessage{}):
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return sc.of(t.Elem())
	case reflect.Struct:
		if _, ok := sc[t.Name()]; !ok {
			sc[t.Name()] = map[string]any{} // placeholder against recursion
			sc[t.Name()] = sc.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + t.Name()}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": sc.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": sc.of(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{} // any
}

func (sc schemas) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = sc.of(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// handleOpenAPI is GET /openapi.json.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, err := w.Write(s.openapi)
	return err
}
