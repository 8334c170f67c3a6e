package athena

// Translator turns Athena SQL into DuckDB SQL over the store.
type Translator struct {
	tables Tables
}

// NewTranslator returns a Translator that resolves CloudTrail table names to tables.
func NewTranslator(tables Tables) *Translator { return &Translator{tables: tables} }

// Translate rewrites one query.
func (t *Translator) Translate(sql string) (string, error) {
	toks, err := Lex(sql)
	if err != nil {
		return "", err
	}
	toks = ResolveTables(toks, t.tables)
	return Join(toks), nil
}
