package cli

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/trailq/trailq/internal/engine"
	"github.com/trailq/trailq/internal/sigma"
	"github.com/trailq/trailq/internal/signin"
)

// The SARIF 2.1.0 log trailq detect writes (--format sarif): one run; the tool's rules are the rules run; a
// result per finding, located at the principal in its account (logical locations: there is no file).
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string         `json:"id"`
		Name                 string         `json:"name,omitempty"`
		ShortDescription     sarifText      `json:"shortDescription"`
		FullDescription      *sarifText     `json:"fullDescription,omitempty"`
		HelpURI              string         `json:"helpUri,omitempty"`
		DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
		Properties           map[string]any `json:"properties"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifResult struct {
		RuleID              string            `json:"ruleId"`
		RuleIndex           int               `json:"ruleIndex"`
		Level               string            `json:"level"`
		Message             sarifText         `json:"message"`
		Locations           []sarifLocation   `json:"locations"`
		PartialFingerprints map[string]string `json:"partialFingerprints"`
		Properties          map[string]any    `json:"properties"`
	}
	sarifLocation struct {
		LogicalLocations []sarifLogical `json:"logicalLocations"`
	}
	sarifLogical struct {
		Name               string `json:"name"`
		FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
		Kind               string `json:"kind"`
	}
)

// sarifLevel maps a Sigma level to SARIF's: error for high and critical, warning for medium, note below.
func sarifLevel(l sigma.Level) string {
	switch {
	case l.Rank() >= sigma.High.Rank():
		return "error"
	case l == sigma.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is GitHub code scanning's security-severity (0.0–10.0) of a level.
func securitySeverity(l sigma.Level) string {
	switch l {
	case sigma.Critical:
		return "9.5"
	case sigma.High:
		return "8.0"
	case sigma.Medium:
		return "5.5"
	case sigma.Low:
		return "3.0"
	}
	return "1.0"
}

func writeSARIF(w io.Writer, res *engine.DetectResult, loc *time.Location) error {
	driver := sarifDriver{Name: "trailq", Version: engine.BuildVersions().Version, InformationURI: "https://github.com/trailq/trailq",
		Rules: []sarifRule{}}
	index := map[string]int{}
	for _, r := range res.Rules {
		index[r.ID] = len(driver.Rules)
		sr := sarifRule{ID: r.ID, Name: r.Title, ShortDescription: sarifText{r.Title},
			DefaultConfiguration: sarifConfig{sarifLevel(r.Level)},
			Properties: map[string]any{"tags": append(append([]string{"security"}, r.Techniques...), r.Tactics...),
				"level": string(r.Level), "security-severity": securitySeverity(r.Level), "author": r.Author,
				"license": r.License, "ruleSet": r.RuleSet, "ruleVersion": engine.RuleVersion(r), "kind": string(r.Kind),
				"file": r.File}}
		if d := strings.TrimSpace(r.Description); d != "" {
			sr.FullDescription = &sarifText{d}
		}
		if len(r.References) > 0 {
			sr.HelpURI = r.References[0]
		}
		driver.Rules = append(driver.Rules, sr)
	}
	run := sarifRun{Tool: sarifTool{driver}, Results: []sarifResult{}}
	for i := range res.Findings {
		f := &res.Findings[i]
		principal := f.Principal
		if principal == "" {
			principal = "(unknown principal)"
		}
		fq := principal
		if f.Account != "" {
			fq = f.Account + "/" + principal
		}
		logical := []sarifLogical{{Name: principal, FullyQualifiedName: fq, Kind: "principal"}}
		if f.Account != "" {
			logical = append(logical, sarifLogical{Name: f.Account, FullyQualifiedName: f.Account, Kind: "account"})
		}
		ips := f.SourceIPs
		if ips == nil {
			ips = []string{}
		}
		run.Results = append(run.Results, sarifResult{
			RuleID: f.RuleID, RuleIndex: index[f.RuleID], Level: sarifLevel(f.Level), Message: sarifText{f.Summary},
			Locations:           []sarifLocation{{LogicalLocations: logical}},
			PartialFingerprints: map[string]string{"trailqFinding/v1": f.ID},
			Properties: map[string]any{"findingId": f.ID, "firstSeen": signin.FormatTime(f.First, loc),
				"lastSeen": signin.FormatTime(f.Last, loc), "account": f.Account, "region": f.Region,
				"sourceIPs": ips, "eventCount": f.Count, "eventIds": f.EventIDs, "techniques": f.Techniques,
				"author": f.Author, "license": f.License, "ruleSet": f.RuleSet,
				"computedAt": signin.FormatTime(f.ComputedAt, loc)},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}})
}
