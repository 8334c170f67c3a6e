package rules_test

import (
	"testing"

	"github.com/trailq/trailq/internal/rules"
	"github.com/trailq/trailq/internal/sigma"
)

// TestCompile: every built-in rule compiles, with no problem and no warning.
func TestCompile(t *testing.T) {
	set := sigma.Compile(rules.Files(), sigma.Options{})
	for _, p := range set.Problems {
		t.Errorf("%v", p)
	}
	for _, r := range set.Rules {
		for _, w := range r.Warnings {
			t.Errorf("%s:%d: %s", r.File, r.Line, w)
		}
	}
	if len(set.Rules) == 0 {
		t.Fatal("no rules")
	}
}
