package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/trailq/trailq/internal/cloudtrail"
)

// rowsFunction is the table function a load's INSERT reads its rows from.
const rowsFunction = "trailq_load_rows"

// streamPart is a part of a file's records on its way into the events table.
type streamPart struct {
	of      *openFile
	records []*cloudtrail.Record
}

// insertStream runs one INSERT INTO the events table SELECT * FROM the rows function, whose rows DuckDB's
// threads take from parts, in parallel, converting them into its vectors and compressing them as they go: the
// writer only hands records over. Close ends it.
type insertStream struct {
	parts chan streamPart
	done  chan struct{} // closed when the INSERT has returned
	err   error         // its error, once done is closed
}

func startInsert(ctx context.Context, conn *sql.Conn, cur *streamSource) *insertStream {
	s := &insertStream{parts: make(chan streamPart, 4), done: make(chan struct{})}
	cur.set(s.parts)
	go func() {
		defer close(s.done)
		if _, err := conn.ExecContext(ctx, `INSERT INTO `+EventsTable+` SELECT * FROM `+rowsFunction+`()`); err != nil {
			s.err = err
		}
		cur.set(nil)
		// Let a sender blocked on a failed INSERT go (it sees done).
	}()
	return s
}

// send hands a part to the INSERT; it fails if the INSERT has stopped.
func (s *insertStream) send(p streamPart) error {
	select {
	case s.parts <- p:
		return nil
	case <-s.done:
		if s.err != nil {
			return s.err
		}
		return fmt.Errorf("the insert stopped")
	}
}

// close ends the rows and waits for the INSERT.
func (s *insertStream) close() error {
	close(s.parts)
	<-s.done
	return s.err
}

// streamSource is the rows function's state for one connection: the parts channel of the running INSERT.
type streamSource struct {
	mu    sync.Mutex
	parts <-chan streamPart
	cols  []duckdb.ColumnInfo
}

func (c *streamSource) set(p chan streamPart) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.parts = p
}

// register adds the rows function to the connection.
func (c *streamSource) register(conn *sql.Conn) error {
	for _, col := range eventColumns() {
		// The schema's types are written over several lines; the parser wants them on one.
		ti, err := typeInfo(parseType(strings.ReplaceAll(strings.Join(strings.Fields(col[1]), " "), "( ", "(")))
		if err != nil {
			return fmt.Errorf("column %s: %w", col[0], err)
		}
		c.cols = append(c.cols, duckdb.ColumnInfo{Name: col[0], T: ti})
	}
	return duckdb.RegisterTableUDF(conn, rowsFunction, duckdb.ParallelChunkTableFunction{
		BindArguments: func(map[string]any, ...any) (duckdb.ParallelChunkTableSource, error) {
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.parts == nil {
				return nil, fmt.Errorf("%s is only for trailq's loads", rowsFunction)
			}
			return &rowSource{parts: c.parts, cols: c.cols}, nil
		},
	})
}

// rowSource feeds one INSERT. DuckDB calls FillChunk from several threads, each with its own fillState.
type rowSource struct {
	parts <-chan streamPart
	cols  []duckdb.ColumnInfo
}

type fillState struct {
	part streamPart
	next int
	rows *rowBuffer
}

func (s *rowSource) ColumnInfos() []duckdb.ColumnInfo     { return s.cols }
func (s *rowSource) Cardinality() *duckdb.CardinalityInfo { return nil }
func (s *rowSource) Init() duckdb.ParallelTableSourceInfo { return duckdb.ParallelTableSourceInfo{} }
func (s *rowSource) NewLocalState() any                   { return &fillState{rows: newRowBuffer()} }

// FillChunk fills a chunk with the next records; an empty chunk ends the INSERT, once the parts are closed.
func (s *rowSource) FillChunk(ls any, chunk duckdb.DataChunk) error {
	st := ls.(*fillState)
	capacity := duckdb.GetDataChunkCapacity()
	n := 0
	for n < capacity {
		if st.next == len(st.part.records) {
			p, ok := <-s.parts
			if !ok {
				break
			}
			st.part, st.next = p, 0
			continue
		}
		r := st.part.records[st.next]
		st.next++
		for c, v := range st.rows.values(r, st.part.of) {
			if err := chunk.SetValue(c, n, v); err != nil {
				return fmt.Errorf("load %s: column %s: %w", st.part.of.f.Key, s.cols[c].Name, err)
			}
		}
		n++
	}
	return chunk.SetSize(n)
}

// eventColumns returns the events table's columns with their types, in order.
func eventColumns() [][2]string {
	var cols [][2]string
	for _, g := range [][][2]string{athenaColumns, partitionColumns, internalColumns} {
		cols = append(cols, g...)
	}
	return cols
}

// typeInfo turns a parsed column type into the driver's type description.
func typeInfo(t *typeNode) (duckdb.TypeInfo, error) {
	switch t.kind {
	case kindStruct:
		var entries []duckdb.StructEntry
		for _, f := range t.fields {
			ft, err := typeInfo(f.typ)
			if err != nil {
				return nil, err
			}
			e, err := duckdb.NewStructEntry(ft, f.name)
			if err != nil {
				return nil, err
			}
			entries = append(entries, e)
		}
		return duckdb.NewStructInfo(entries[0], entries[1:]...)
	case kindList:
		et, err := typeInfo(t.elem)
		if err != nil {
			return nil, err
		}
		return duckdb.NewListInfo(et)
	case kindMap:
		kt, err := typeInfo(t.key)
		if err != nil {
			return nil, err
		}
		vt, err := typeInfo(t.val)
		if err != nil {
			return nil, err
		}
		return duckdb.NewMapInfo(kt, vt)
	}
	switch t.name {
	case "VARCHAR":
		return duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	case "BIGINT":
		return duckdb.NewTypeInfo(duckdb.TYPE_BIGINT)
	case "UBIGINT":
		return duckdb.NewTypeInfo(duckdb.TYPE_UBIGINT)
	}
	return nil, fmt.Errorf("no type info for %s", t.name)
}
