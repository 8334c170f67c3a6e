package sigma

import (
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// search is a named selection or filter of a detection, compiled.
type search struct {
	name string
	sql  string
}

// detection is a rule's detection section, compiled: the condition over one event and, for the legacy
// "| count() … > N" form, the aggregation.
type detection struct {
	where     string
	agg       *aggregation
	timeframe string
	tfNode    *yaml.Node
}

// compileDetection compiles a detection section.
func compileDetection(n *yaml.Node) (*detection, []string, *posError) {
	pairs, perr := mapping(n, "detection")
	if perr != nil {
		return nil, nil, perr
	}
	d := &detection{}
	searches := map[string]*search{}
	var names []string
	var condNode *yaml.Node
	var warnings []string
	for _, kv := range pairs {
		k, v := kv[0], kv[1]
		switch k.Value {
		case "condition":
			condNode = v
			continue
		case "timeframe":
			s, perr := scalar(v, "timeframe")
			if perr != nil {
				return nil, nil, perr
			}
			d.timeframe, d.tfNode = s, v
			continue
		}
		sql, perr := compileSearch(k.Value, v, &warnings)
		if perr != nil {
			return nil, nil, perr
		}
		searches[k.Value] = &search{name: k.Value, sql: sql}
		names = append(names, k.Value)
	}
	if condNode == nil {
		return nil, nil, errAt(n, "detection has no condition")
	}
	if len(names) == 0 {
		return nil, nil, errAt(n, "detection has no selection")
	}
	sort.Strings(names)
	conds := []*yaml.Node{condNode}
	if condNode.Kind == yaml.SequenceNode {
		// Sigma 1's list of conditions: any of them.
		conds = condNode.Content
		if len(conds) == 0 {
			return nil, nil, errAt(condNode, "the condition list is empty")
		}
	}
	var wheres []string
	for _, c := range conds {
		text, perr := scalar(c, "condition")
		if perr != nil {
			return nil, nil, perr
		}
		if strings.TrimSpace(text) == "" {
			return nil, nil, errAt(c, "the condition is empty")
		}
		p := &condParser{node: c, src: text, searches: searches, names: names}
		where, agg, perr := p.parse()
		if perr != nil {
			return nil, nil, perr
		}
		if agg != nil {
			if len(conds) > 1 {
				return nil, nil, unsupportedAt(c, "an aggregation in a list of conditions is not supported")
			}
			d.agg = agg
		}
		wheres = append(wheres, where)
	}
	d.where = join(wheres, "OR")
	if d.timeframe != "" && d.agg == nil {
		warnings = append(warnings, fmt.Sprintf("line %d: timeframe without an aggregation means nothing: ignored (a correlation rule correlates events)", d.tfNode.Line))
	}
	return d, warnings, nil
}

// compileSearch compiles one selection: a mapping (all of its fields match) or a list of mappings (any does).
func compileSearch(name string, v *yaml.Node, warnings *[]string) (string, *posError) {
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.MappingNode:
		return compileMap(name, v, warnings)
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			return "", errAt(v, "selection %s is an empty list", name)
		}
		var alts []string
		for _, e := range v.Content {
			if e.Kind == yaml.AliasNode {
				e = e.Alias
			}
			if e.Kind != yaml.MappingNode {
				return "", unsupportedAt(e, "selection %s: keyword searches (values without a field) are not supported: CloudTrail has no message text; name the field", name)
			}
			s, perr := compileMap(name, e, warnings)
			if perr != nil {
				return "", perr
			}
			alts = append(alts, s)
		}
		return join(alts, "OR"), nil
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return "", errAt(v, "selection %s is empty", name)
		}
		return "", unsupportedAt(v, "selection %s: keyword searches (values without a field) are not supported: CloudTrail has no message text; name the field", name)
	}
	return "", errAt(v, "selection %s must be a mapping of fields or a list of them", name)
}

func compileMap(name string, v *yaml.Node, warnings *[]string) (string, *posError) {
	pairs, perr := mapping(v, "selection "+name)
	if perr != nil {
		return "", perr
	}
	if len(pairs) == 0 {
		return "", errAt(v, "selection %s is empty", name)
	}
	var conds []string
	for _, kv := range pairs {
		k, val := kv[0], kv[1]
		parts := strings.Split(k.Value, "|")
		if parts[0] == "" {
			return "", unsupportedAt(k, "selection %s: keyword searches (values without a field) are not supported: CloudTrail has no message text; name the field", name)
		}
		it := &item{key: k, field: parts[0], mods: parts[1:]}
		if val.Kind == yaml.AliasNode {
			val = val.Alias
		}
		switch val.Kind {
		case yaml.SequenceNode:
			it.values = val.Content
		case yaml.MappingNode:
			return "", errAt(val, "the value of %s must be a value or a list of values, not a mapping", it.field)
		default:
			it.values = []*yaml.Node{val}
		}
		c, perr := compileItem(it, warnings)
		if perr != nil {
			return "", perr
		}
		conds = append(conds, c)
	}
	return join(conds, "AND"), nil
}
