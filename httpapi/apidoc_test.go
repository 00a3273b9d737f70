package httpapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/api.md from the OpenAPI document")

// apiDocPath is the generated reference of the /v1 surface.
const apiDocPath = "../docs/api.md"

// generatedMarker starts the part of docs/api.md made from /openapi.json;
// everything before it is written by hand.
const generatedMarker = "<!-- Everything below is generated from /openapi.json: go test ./httpapi -run TestAPIDoc -update -->"

// TestAPIDoc checks that docs/api.md is what the OpenAPI document says;
// with -update it rewrites the generated part.
func TestAPIDoc(t *testing.T) {
	doc := buildOpenAPI((&Server{}).v1Routes(), "docs")
	want := renderAPIDoc(t, doc)
	old, err := os.ReadFile(apiDocPath)
	if err != nil {
		t.Fatal(err)
	}
	head, _, ok := bytes.Cut(old, []byte(generatedMarker))
	if !ok {
		t.Fatalf("%s lacks the line %q", apiDocPath, generatedMarker)
	}
	full := append(append(append([]byte{}, head...), generatedMarker+"\n"...), want...)
	if *updateDocs {
		if err := os.WriteFile(apiDocPath, full, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(full, old) {
		t.Fatalf("%s does not match /openapi.json; run: go test ./httpapi -run TestAPIDoc -update", apiDocPath)
	}
}

// renderAPIDoc writes one section per route, in path order, from the
// OpenAPI JSON.
func renderAPIDoc(t *testing.T, raw []byte) []byte {
	var doc struct {
		Paths map[string]map[string]struct {
			Summary    string `json:"summary"`
			Parameters []struct {
				Name, In, Description string
				Required              bool
				Schema                struct{ Type string }
			} `json:"parameters"`
			RequestBody *struct {
				Content map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Responses map[string]struct {
				Description string `json:"description"`
				Content     map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		methods := make([]string, 0)
		for m := range doc.Paths[p] {
			methods = append(methods, m)
		}
		sort.Slice(methods, func(i, j int) bool { return methodOrder(methods[i]) < methodOrder(methods[j]) })
		for _, m := range methods {
			op := doc.Paths[p][m]
			fmt.Fprintf(&b, "\n### `%s %s`\n\n%s.\n", strings.ToUpper(m), p, op.Summary)
			if len(op.Parameters) > 0 {
				b.WriteString("\n| parameter | in | type | |\n|---|---|---|---|\n")
				for _, pa := range op.Parameters {
					req := ""
					if pa.Required {
						req = "required; "
					}
					fmt.Fprintf(&b, "| `%s` | %s | %s | %s%s |\n", pa.Name, pa.In, pa.Schema.Type, req, pa.Description)
				}
			}
			if op.RequestBody != nil {
				fmt.Fprintf(&b, "\nRequest body: %s.\n", contentTypes(op.RequestBody.Content))
			}
			codes := make([]string, 0)
			for c := range op.Responses {
				if c != "default" {
					codes = append(codes, c)
				}
			}
			sort.Strings(codes)
			for _, c := range codes {
				r := op.Responses[c]
				what := "no body"
				if len(r.Content) > 0 {
					what = contentTypes(r.Content)
				}
				fmt.Fprintf(&b, "\nAnswer: %s %s, %s. Errors: a problem document with a stable `code`.\n", c, r.Description, what)
			}
		}
	}
	return b.Bytes()
}

// contentTypes describes a content map: "JSON `Type`" or raw bytes.
func contentTypes[T any](content map[string]T) string {
	var parts []string
	keys := make([]string, 0, len(content))
	for k := range content {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := any(content[k])
		schema := map[string]any{}
		if s, ok := v.(struct {
			Schema map[string]any `json:"schema"`
		}); ok {
			schema = s.Schema
		}
		switch k {
		case "application/json":
			parts = append(parts, "JSON "+schemaName(schema))
		default:
			parts = append(parts, "raw bytes (`"+k+"`)")
		}
	}
	return strings.Join(parts, " or ")
}

// schemaName is the wire type a schema names, e.g. "`Artifact`" or
// "list of `HistoryEntry`".
func schemaName(s map[string]any) string {
	if ref, ok := s["$ref"].(string); ok {
		return "`" + ref[strings.LastIndex(ref, "/")+1:] + "`"
	}
	if s["type"] == "array" {
		if items, ok := s["items"].(map[string]any); ok {
			return "list of " + schemaName(items)
		}
	}
	if t, ok := s["type"].(string); ok {
		return t
	}
	return "value"
}

func methodOrder(m string) int {
	return strings.Index("get head post put patch delete", m)
}
