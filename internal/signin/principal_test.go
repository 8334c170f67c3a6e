package signin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/trailq/trailq/internal/athena"
	"github.com/trailq/trailq/internal/signin"
	"github.com/trailq/trailq/internal/store"
)

// TestPrincipalOfAnyEvent: Principal, over PrincipalColumns of any event, gives the principal and account that
// the sign-in list gives each sign-in of the real records.
func TestPrincipalOfAnyEvent(t *testing.T) {
	ctx := context.Background()
	st := realSigninStore(t)
	events := fetch(t, st, &signin.Query{All: true})
	if len(events) < 50 {
		t.Fatalf("%d sign-in events", len(events))
	}
	// The store has no Athena macros: json_extract_scalar is read as DuckDB's own JSON function.
	sql, err := athena.NewTranslator(athena.Tables{Logs: store.LogsView, LogsExt: store.LogsExtView}).
		Translate("SELECT eventid, " + signin.PrincipalColumns + " FROM cloudtrail_logs")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Query(ctx, `CREATE TEMP MACRO athena_json_extract_scalar(j, p) AS json_extract_string(j, p);
`+sql)
	if err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	defer rows.Close()
	got := map[string][2]string{}
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		p, a := signin.Principal(v[1:])
		got[fmt.Sprint(v[0])] = [2]string{p, a}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if g, w := got[e.EventID], [2]string{e.Principal, e.Account}; g != w {
			t.Errorf("%s: Principal gives %q, the sign-in list %q", e.EventID, g, w)
		}
	}
	if p, a := signin.Principal(nil); p != "" || a != "" {
		t.Errorf("Principal of no values: %q, %q", p, a)
	}
}

func TestPrincipalFields(t *testing.T) {
	if got, want := len(signin.PrincipalFields), 14; got != want {
		t.Fatalf("%d fields, want %d: %q", got, want, signin.PrincipalFields)
	}
	for _, f := range signin.PrincipalFields {
		if f == "" || f != strings.TrimSpace(f) {
			t.Errorf("field %q", f)
		}
	}
}
