// Package partfile writes the store's part files: Parquet files of CloudTrail records with the columns and types
// of the store's events table (Athena's CloudTrail columns, the partition columns and the internal ones), encoded
// by Go as the records come, so that loading does not wait on DuckDB's own writer. The writer shreds each record
// straight into per-column buffers (levels, values, dictionaries, statistics) and encodes, compresses and writes
// the pages of a row group with parquet-go's format structures; no rows are built for a generic writer.
//
// The columns come from their declarations in internal/schema: from them the package derives, at init, the
// file's schema (the footer's elements, each leaf's levels and encoding), and TestShredderIsGenerated writes the
// shredder of Athena's columns (shred_gen.go: straight-line code, field by field, as the hand-written shredder
// was; a loop over the declarations' accessors cost about 27% more instructions a record). The writer fills the
// partition and internal columns from the object.
//
// # Why an encoder of our own
//
// The load's target is 150 k records/s on 2 cores (docs/BENCHMARKS.md, the targets table): 6.7 µs of wall time a
// record for everything, gunzip and decoding included. Each way of having DuckDB store the rows costs more than
// that by itself, as measured on this kind of machine:
//
//   - Through DuckDB's appender (the store before part files): about 40 µs of CPU a record, of which 12.8 µs in
//     the appender's calls (5 µs of them cgo string copies) and 10.8 µs in DuckDB's commit; data set A's 1 M
//     records in 35.0 s, 29 k records/s (docs/BENCHMARKS.md, second and third sittings). The design's engine facts
//     (shared/design/ENGINE-FACTS.md) have 26–31 s for 1 M records through the appender, and 20–21 s (49 k
//     records/s) for DuckDB's own read_json.
//   - With DuckDB's writers, once the rows are in DuckDB: CREATE TABLE … AS SELECT of 400 k in-memory rows
//     3.1–3.3 s, COPY … TO parquet 2.0 s; "writing into DuckDB alone takes about 8 µs per row on 2 cores"
//     (docs/BENCHMARKS.md, second sitting), and the rows must still get into DuckDB first.
//
// Parquet written by Go in the load's own goroutine skips both. With parquet-go's GenericWriter, A loaded in
// 10.6 s instead of 35.0 s, with 21 µs of CPU a record instead of 40, a peak RSS of 378 MiB instead of 1,121 MiB,
// and a store of 0.68× the gzip instead of 1.01× (third sitting); DuckDB scans these files as fast as its own
// COPY … TO parquet of the same rows (55 against 66 ms and 161 against 156 ms on 1 M rows), though its files
// were smaller (115 against 174 MB). The GenericWriter (reflection over a row struct built for each record) then
// cost 7.5 of the 21 µs; this encoder, which shreds the records themselves, took BenchmarkWriter (50,000 records
// of A's shape, one goroutine) from 7.1 to 3.4 µs a row, the files from 173.5 to 140.2 bytes a row and a file's
// memory from 42 to 19 MiB (fourth sitting). With the one-pass decoder of the same sitting, A loaded in
// 6.73–6.82 s on a quiet host, about 147 k records/s, the encoder 3.4 of the 12.5 µs of CPU a record.
//
// The price is a Parquet writer of our own to keep right. TestEncoderMatchesReference compares its files with
// the GenericWriter's (kept in the tests as the reference), level by level, with small limits so that every
// fallback runs; FuzzPartFile (in internal/store, which may import DuckDB) has DuckDB read back fuzzed records
// written under fuzzed limits (CreateWith), every value and every chunk's statistics.
package partfile
