package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// File is a rule file: its name (for messages) and contents. A file may hold several rules as YAML documents
// separated by "---", as Sigma's correlation rules usually are.
type File struct {
	Name string
	Data []byte
}

// doc is one YAML document of a rule file: a mapping of attributes, each kept with its key's position.
type doc struct {
	file  string
	line  int
	attrs map[string]*yaml.Node // attribute → value
	keys  map[string]*yaml.Node // attribute → its key, for positions
	order []string
}

// posError is an error at a place in a rule file.
type posError struct {
	line, col int
	kind      ProblemKind
	msg       string
}

func (e *posError) Error() string { return fmt.Sprintf("%d:%d: %s", e.line, e.col, e.msg) }

func errAt(n *yaml.Node, format string, args ...any) *posError {
	e := &posError{kind: Invalid, msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.line, e.col = n.Line, n.Column
	}
	return e
}

func unsupportedAt(n *yaml.Node, format string, args ...any) *posError {
	e := errAt(n, format, args...)
	e.kind = Unsupported
	return e
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// readDocs parses a rule file into its documents.
func readDocs(f File) ([]*doc, *Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(f.Data))
	var docs []*doc
	for {
		var root yaml.Node
		err := dec.Decode(&root)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p := &Problem{File: f.Name, Kind: Invalid, Msg: "parse YAML: " + err.Error()}
			if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
				p.Line, _ = strconv.Atoi(m[1])
				p.Msg = "parse YAML: " + err.Error()[len(m[0]):]
			}
			return docs, p
		}
		if len(root.Content) == 0 {
			continue // an empty document, as after a final "---"
		}
		n := root.Content[0]
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			continue
		}
		if n.Kind != yaml.MappingNode {
			return docs, &Problem{File: f.Name, Line: n.Line, Column: n.Column, Kind: Invalid,
				Msg: "a rule is a YAML mapping of attributes (title, logsource, detection, …)"}
		}
		d := &doc{file: f.Name, line: n.Line, attrs: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if _, dup := d.attrs[k.Value]; dup {
				return docs, &Problem{File: f.Name, Line: k.Line, Column: k.Column, Kind: Invalid,
					Msg: fmt.Sprintf("attribute %s given twice", k.Value)}
			}
			d.attrs[k.Value], d.keys[k.Value] = v, k
			d.order = append(d.order, k.Value)
		}
		docs = append(docs, d)
	}
	return docs, nil
}

// scalar returns the text of a scalar node.
func scalar(n *yaml.Node, what string) (string, *posError) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return "", errAt(n, "%s must be a single value, not a %s", what, kindName(n))
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	return n.Value, nil
}

// strings returns a list of strings, or a single string as a list of one.
func stringList(n *yaml.Node, what string) ([]string, *posError) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode {
		s, err := scalar(n, what)
		if err != nil || s == "" {
			return nil, err
		}
		return []string{s}, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, errAt(n, "%s must be a list of values, not a %s", what, kindName(n))
	}
	var out []string
	for _, c := range n.Content {
		s, err := scalar(c, what)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "value"
	}
	return "node"
}

// mapping returns the key/value pairs of a mapping node.
func mapping(n *yaml.Node, what string) ([][2]*yaml.Node, *posError) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "%s must be a mapping, not a %s", what, kindName(n))
	}
	var out [][2]*yaml.Node
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if seen[k.Value] {
			return nil, errAt(k, "%s: %s given twice", what, k.Value)
		}
		seen[k.Value] = true
		out = append(out, [2]*yaml.Node{k, n.Content[i+1]})
	}
	return out, nil
}

// Attributes of rules (Sigma rules specification 2.x, and of correlation rules); anything else is a custom
// attribute, which Sigma allows: it is kept out of the SQL and named in a warning, in case it is a typo.
var knownAttrs = map[string]bool{
	"title": true, "id": true, "name": true, "related": true, "taxonomy": true, "status": true,
	"description": true, "license": true, "author": true, "references": true, "date": true, "modified": true,
	"logsource": true, "detection": true, "fields": true, "falsepositives": true, "level": true, "tags": true,
	"scope": true, "correlation": true, "generate": true, "filter": true, "action": true, "sigma-version": true,
}

var statuses = map[string]bool{"stable": true, "test": true, "experimental": true, "deprecated": true, "unsupported": true}

// meta reads the attributes every rule has.
func (d *doc) meta(opts Options) (*Rule, *posError) {
	r := &Rule{File: d.file, Line: d.line, License: opts.License, RuleSet: opts.RuleSet}
	str := func(name string, dst *string) *posError {
		if n := d.attrs[name]; n != nil {
			s, err := scalar(n, name)
			if err != nil {
				return err
			}
			*dst = strings.TrimSpace(s)
		}
		return nil
	}
	list := func(name string, dst *[]string) *posError {
		if n := d.attrs[name]; n != nil {
			l, err := stringList(n, name)
			if err != nil {
				return err
			}
			*dst = l
		}
		return nil
	}
	var level, license string
	for _, e := range []*posError{
		str("title", &r.Title), str("id", &r.ID), str("name", &r.Name), str("description", &r.Description),
		str("status", &r.Status), str("author", &r.Author), str("date", &r.Date), str("modified", &r.Modified),
		str("level", &level), str("license", &license),
		list("tags", &r.Tags), list("references", &r.References), list("falsepositives", &r.FalsePositives),
		list("fields", &r.Fields),
	} {
		if e != nil {
			return r, e
		}
	}
	if r.Title == "" {
		return r, errAt(d.keys[d.order[0]], "the rule has no title")
	}
	if license != "" {
		r.License = license
	}
	if level != "" {
		r.Level = Level(strings.ToLower(level))
		if r.Level.Rank() == 0 {
			return r, errAt(d.attrs["level"], "unknown level %q: use informational, low, medium, high or critical", level)
		}
	}
	if r.Status != "" && !statuses[r.Status] {
		r.Warnings = append(r.Warnings, fmt.Sprintf("line %d: unknown status %q", d.attrs["status"].Line, r.Status))
	}
	for _, k := range d.order {
		if !knownAttrs[k] {
			r.Warnings = append(r.Warnings, fmt.Sprintf("line %d: attribute %s is not Sigma's: ignored", d.keys[k].Line, k))
		}
	}
	r.Techniques, r.Tactics = attack(r.Tags)
	return r, nil
}
