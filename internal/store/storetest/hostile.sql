# Hostile SQL: every entry must be refused by trailq's query surfaces (CLI, web API), and the store must be
# byte-for-byte unchanged afterwards. An entry starts with a line "#> name"; the SQL runs to the next entry.
# {{STORE}} is the store file, {{PARTS}} its parts folder, {{PART}} one of its part files, {{STORENAME}} the
# store file's name, {{OUT}} a folder outside the store. Lines starting with "# " before the first entry are
# comments.

#> multi-statement: COPY into the parts folder between two queries
SELECT 1; COPY (SELECT 1 AS a) TO '{{PARTS}}/x.csv'; SELECT 2
#> multi-statement: a part replaced by a filtered copy of itself
SELECT 1; COPY (SELECT * FROM read_parquet('{{PART}}') WHERE eventname <> 'ConsoleLogin') TO '{{PART}}' (FORMAT parquet); SELECT 2
#> multi-statement: the store file overwritten
SELECT 1; COPY (SELECT 1) TO '{{STORE}}'
#> multi-statement: a temporary view shadows the logs
SELECT 1; CREATE TEMP VIEW cloudtrail_logs AS SELECT 'FAKE' AS eventname; SELECT 3
#> multi-statement: two queries (only the last one's answer would be shown)
SELECT 1; SELECT 2
#> multi-statement without spaces
SELECT 1;SELECT 2;
#> multi-statement: a semicolon hidden after a block comment
SELECT 1 /* ; */ ; DROP VIEW cloudtrail_logs
#> multi-statement: a semicolon inside a string first
SELECT ';' AS a; DELETE FROM trailq_objects
#> multi-statement: a line comment before the semicolon
SELECT 1 -- the end?
; DELETE FROM trailq_objects
#> multi-statement: a CTE then an INSERT
WITH x AS (SELECT 1) SELECT * FROM x; INSERT INTO trailq_meta VALUES ('a', 'b')
#> multi-statement: a query then SET
SELECT 1; SET enable_external_access = true
#> comment trick: a block comment that says SELECT
/* SELECT */ COPY (SELECT 1) TO '{{PARTS}}/c.csv'
#> comment trick: a line comment that says SELECT
-- SELECT
COPY (SELECT 1) TO '{{PARTS}}/c.csv'
#> comment trick: parentheses before COPY
(COPY (SELECT 1) TO '{{PARTS}}/c.csv')
#> comment trick: an odd block comment
/*/ SELECT */ DROP TABLE trailq_objects
#> comment trick: a nested block comment
/* /* SELECT */ */ DELETE FROM trailq_meta
#> EXPLAIN ANALYZE runs a COPY
EXPLAIN ANALYZE COPY (SELECT 1 AS a) TO '{{PARTS}}/e.csv'
#> EXPLAIN of a COPY
EXPLAIN COPY (SELECT 1) TO '{{PARTS}}/e.csv'
#> EXPLAIN ANALYZE of CREATE TEMP VIEW
EXPLAIN ANALYZE CREATE TEMP VIEW cloudtrail_logs AS SELECT 'FAKE' AS eventname
#> EXPLAIN ANALYZE of an INSERT
EXPLAIN ANALYZE INSERT INTO trailq_meta VALUES ('a', 'b')
#> EXPLAIN ANALYZE with a comment between the keywords
explain /* x */ analyze copy (select 1) to '{{PARTS}}/e.csv'
#> EXPLAIN ANALYZE of a query then a COPY
EXPLAIN ANALYZE SELECT 1; COPY (SELECT 1) TO '{{PARTS}}/e.csv'
#> EXPLAIN with options of a COPY
EXPLAIN (FORMAT json) COPY (SELECT 1) TO '{{PARTS}}/e.csv'
#> EXPLAIN ANALYZE of EXPLAIN ANALYZE of a COPY
EXPLAIN ANALYZE EXPLAIN ANALYZE COPY (SELECT 1) TO '{{PARTS}}/e.csv'
#> COPY to a folder outside the store
COPY (SELECT 1) TO '{{OUT}}/out.csv'
#> COPY the events into the parts folder
COPY cloudtrail_events TO '{{PARTS}}/dump.parquet' (FORMAT parquet)
#> COPY FROM into the manifest
COPY trailq_meta FROM '{{OUT}}/in.csv'
#> EXPORT DATABASE
EXPORT DATABASE '{{OUT}}/export'
#> IMPORT DATABASE
IMPORT DATABASE '{{OUT}}/export'
#> Athena UNLOAD into the parts folder
UNLOAD (SELECT 1) TO '{{PARTS}}/u' WITH (format = 'PARQUET')
#> ATTACH a new database
ATTACH '{{OUT}}/x.duckdb' AS x
#> ATTACH the store again for writing
ATTACH '{{STORE}}' AS again
#> DETACH
DETACH DATABASE IF EXISTS memory
#> USE
USE memory
#> INSTALL
INSTALL httpfs
#> LOAD
LOAD httpfs
#> LOAD a file
LOAD '{{OUT}}/evil.duckdb_extension'
#> FORCE INSTALL
FORCE INSTALL httpfs
#> UPDATE EXTENSIONS
UPDATE EXTENSIONS
#> SET external access back on
SET enable_external_access = true
#> SET allowed directories
SET GLOBAL allowed_directories = ['/']
#> SET allowed paths
SET allowed_paths = ['/etc/passwd']
#> RESET the configuration lock
RESET lock_configuration
#> SET VARIABLE
SET VARIABLE x = 1
#> Trino SET SESSION
SET SESSION query_max_run_time = '1h'
#> PRAGMA enable_profiling
PRAGMA enable_profiling
#> PRAGMA profiling output into the parts folder
PRAGMA profiling_output = '{{PARTS}}/prof.json'
#> PRAGMA table_info (a PRAGMA, though it reads)
PRAGMA table_info('cloudtrail_logs')
#> CALL a pragma
CALL pragma_version()
#> CALL enable_logging
CALL enable_logging()
#> table function that turns logging on
SELECT * FROM enable_logging()
#> table function that turns the PEG parser on
SELECT * FROM enable_peg_parser()
#> table function checkpoint
SELECT * FROM checkpoint()
#> table function that deletes the logs
SELECT * FROM truncate_duckdb_logs()
#> CHECKPOINT
CHECKPOINT
#> VACUUM
VACUUM
#> ANALYZE
ANALYZE
#> CREATE TEMP VIEW over the logs
CREATE TEMP VIEW cloudtrail_logs AS SELECT 'FAKE' AS eventname
#> CREATE TEMP TABLE
CREATE TEMP TABLE t AS SELECT 1 AS a
#> CREATE MACRO
CREATE MACRO m(x) AS x
#> CREATE TEMP MACRO that shadows an Athena function
CREATE OR REPLACE TEMP MACRO json_extract_scalar(a, b) AS 'FAKE'
#> CREATE OR REPLACE VIEW of the logs
CREATE OR REPLACE VIEW cloudtrail_logs AS SELECT 1 AS a
#> CREATE SEQUENCE
CREATE SEQUENCE s
#> CREATE SECRET
CREATE SECRET (TYPE s3, KEY_ID 'x', SECRET 'y')
#> CREATE PERSISTENT SECRET
CREATE PERSISTENT SECRET p (TYPE s3, KEY_ID 'x', SECRET 'y')
#> CREATE TABLE AS (Athena CTAS)
CREATE TABLE stolen AS SELECT * FROM cloudtrail_logs
#> INSERT into the manifest
INSERT INTO trailq_meta VALUES ('x', 'y')
#> DELETE from the manifest
DELETE FROM trailq_objects
#> UPDATE the part list
UPDATE trailq_parts SET name = 'x'
#> DROP the logs view
DROP VIEW cloudtrail_logs
#> ALTER the logs view
ALTER VIEW cloudtrail_logs RENAME TO x
#> TRUNCATE
TRUNCATE trailq_objects
#> MSCK REPAIR (Athena)
MSCK REPAIR TABLE cloudtrail_logs
#> ALTER TABLE ADD PARTITION (Athena)
ALTER TABLE cloudtrail_logs ADD PARTITION (region = 'x')
#> BEGIN
BEGIN TRANSACTION
#> PREPARE
PREPARE p AS SELECT 1
#> EXECUTE
EXECUTE p
#> read_csv of a system file
SELECT * FROM read_csv('/etc/passwd')
#> read_text of the store file
SELECT * FROM read_text('{{STORE}}')
#> read_blob of the store file through the parts folder
SELECT * FROM read_blob('{{PARTS}}/../{{STORENAME}}')
#> read_parquet of a part file directly
SELECT * FROM read_parquet('{{PART}}')
#> a file as a table: the store file
SELECT * FROM '{{PARTS}}/../{{STORENAME}}'
#> a file as a table: a part file
SELECT count(*) FROM '{{PART}}'
#> a file as a table: a CSV outside the store
SELECT * FROM '{{OUT}}/in.csv'
#> read_text out of the parts folder with ..
SELECT * FROM read_text('{{PARTS}}/../../../../../../etc/passwd')
#> glob of the parts folder
SELECT * FROM glob('{{PARTS}}/*')
#> read_json of a file outside the store
SELECT * FROM read_json_auto('{{OUT}}/x.json')
#> parquet_metadata of a part
SELECT * FROM parquet_metadata('{{PART}}')
#> sniff_csv of a system file
SELECT * FROM sniff_csv('/etc/passwd')
#> read_duckdb of the store file
SELECT * FROM read_duckdb('{{STORE}}', table_name = 'trailq_meta')
#> query() runs SQL text
SELECT * FROM query('SELECT 1')
#> query_table() of the manifest
SELECT * FROM query_table('trailq_meta')
#> a table function hidden in a subquery
SELECT (SELECT count(*) FROM read_text('{{STORE}}')) AS n
#> a table function in a CTE
WITH f AS (SELECT * FROM read_blob('{{STORE}}')) SELECT size FROM f
#> a table function in a lateral join
SELECT * FROM cloudtrail_logs, LATERAL (SELECT * FROM read_text('/etc/passwd')) LIMIT 1
#> getenv
SELECT getenv('HOME')
#> secrets
SELECT * FROM duckdb_secrets()
#> which_secret
SELECT * FROM which_secret('s3://bucket/x', 's3')
#> write_log
SELECT write_log('x')
#> setseed changes the connection's state
SELECT setseed(0.5)
#> nextval
SELECT nextval('s')
#> json_execute_serialized_sql
SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))
#> sleep
SELECT sleep_ms(600000)
#> a huge allocation: one string of a terabyte
SELECT length(repeat('x', 1099511627776)) AS n
#> a huge allocation: an aggregate of 100 GB
SELECT length(string_agg(repeat('x', 1000000), '')) FROM range(100000)
