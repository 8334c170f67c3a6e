// Package storetest holds what the tests of every query surface share: the corpus of hostile SQL and a
// fingerprint of a store (its files' bytes and its answers) to check that nothing changed.
package storetest

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/store"
)

//go:embed hostile.sql
var hostile string

// Attack is one hostile statement of the corpus.
type Attack struct {
	Name string
	SQL  string
}

// Attacks returns the corpus with its placeholders filled in for the store at path, whose part file part (a
// name in its parts folder) it aims at, and the folder out outside the store.
func Attacks(path, part, out string) []Attack {
	r := strings.NewReplacer(
		"{{STORE}}", path,
		"{{PARTS}}", store.PartsDir(path),
		"{{PART}}", filepath.Join(store.PartsDir(path), part),
		"{{STORENAME}}", filepath.Base(path),
		"{{OUT}}", out)
	var list []Attack
	for _, block := range strings.Split(hostile, "\n#> ")[1:] {
		name, sql, _ := strings.Cut(block, "\n")
		list = append(list, Attack{Name: name, SQL: strings.TrimSpace(r.Replace(sql))})
	}
	return list
}

// FirstPart returns the name of a part file of the store at path.
func FirstPart(t testing.TB, path string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(store.PartsDir(path), "part-*.parquet"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no part file in %s (%v)", store.PartsDir(path), err)
	}
	sort.Strings(m)
	return filepath.Base(m[0])
}

// Print is a store's fingerprint: every file in the store's folder with its SHA-256, and the answers of a few
// queries that a changed or shadowed table would alter.
type Print struct {
	Files   map[string]string
	Answers map[string]string
}

// answerQueries are run for the fingerprint.
var answerQueries = []string{
	`SELECT count(*), count(DISTINCT eventid), sum(hash(eventid)) FROM cloudtrail_logs`,
	`SELECT string_agg(eventname || '=' || n, ',' ORDER BY eventname) FROM (SELECT eventname, count(*) AS n FROM cloudtrail_logs GROUP BY 1)`,
	`SELECT count(*) FROM cloudtrail_logs WHERE eventname = 'ConsoleLogin'`,
	`SELECT count(*) FROM cloudtrail_logs WHERE useridentity.type = 'Root'`,
	`SELECT count(*) FROM trailq_signins`,
	`SELECT count(*), sum(hash(key)) FROM trailq_objects`,
}

// Fingerprint takes the fingerprint of the store at path, whose folder holds nothing else that changes.
func Fingerprint(t testing.TB, path string) Print {
	t.Helper()
	p := Print{Files: map[string]string{}, Answers: map[string]string{}}
	dir := filepath.Dir(path)
	err := filepath.WalkDir(dir, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, f)
		if d.IsDir() {
			p.Files[rel+"/"] = "dir"
			return nil
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		p.Files[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open the store for its fingerprint: %v", err)
	}
	defer st.Close()
	for _, q := range answerQueries {
		rows, err := st.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		var b strings.Builder
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		p.Answers[q] = b.String()
	}
	return p
}
