#!/usr/bin/env bash
# bench.sh: trailq against DuckDB's own JSON reader and jq on generated CloudTrail trees (issue 6).
#
#   make bench                               # everything at full size (A: 1 M records in ~2,000 objects,
#                                            # B: 1 M in ~100,000 objects, C: 10 M for query speed)
#   BENCH_SCALE=0.01 make bench              # a quick run: every data set shrunk to 1 %
#   BENCH_SETS="A" BENCH_RUNS=5 scripts/bench.sh
#
# Environment:
#   BENCH_SCALE  multiplies the record counts (default 1)
#   BENCH_SETS   data sets to run, among A B C (default "A B C")
#   BENCH_RUNS   runs per measurement; the median is reported (default 3)
#   BENCH_DIR    scratch folder for data, stores and node_modules (default bench-out, git-ignored)
#   BENCH_JQ_MAX jq is run on the repeated queries only up to this many records (default 2000000)
#   BENCH_DOCS   1 (default): write the results into docs/BENCHMARKS.md; 0: only print them
#
# Tools: Go, jq (Debian: apt-get install -y jq), GNU time (apt-get install -y time), node and npm (DuckDB comes
# as the npm package @duckdb/node-api, installed into $BENCH_DIR/node). Timings are wall-clock medians.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SCALE=${BENCH_SCALE:-1}
SETS=${BENCH_SETS:-A B C}
RUNS=${BENCH_RUNS:-3}
DIR=${BENCH_DIR:-bench-out}
JQ_MAX=${BENCH_JQ_MAX:-2000000}
DOCS=${BENCH_DOCS:-1}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
TRAILQ=$DIR/trailq
RESULTS=$DIR/results-$SCALE.md
TIMES=$DIR/times
mkdir -p "$TIMES"

log() { printf '%s\n' "$*" >&2; }

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ -n "${2:-}" ] && command -v apt-get >/dev/null 2>&1; then
		log "installing $2 (apt-get install -y $2)"
		apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$2" >/dev/null; }
	fi
	command -v "$1" >/dev/null 2>&1 || { log "bench: $1 is missing"; exit 1; }
}
need go
need jq jq
need node
need npm
[ -x /usr/bin/time ] || need /usr/bin/time time

# ---- tools ---------------------------------------------------------------------------------------------------
log "building trailq"
go build -o "$TRAILQ" ./cmd/trailq

NODE_DIR=$DIR/node
if [ ! -d "$NODE_DIR/node_modules/@duckdb/node-api" ]; then
	log "installing @duckdb/node-api into $NODE_DIR"
	mkdir -p "$NODE_DIR"
	(cd "$NODE_DIR" && npm install --no-audit --no-fund --silent @duckdb/node-api >/dev/null)
fi
DUCKDB_VERSION=$(node -p "require('$NODE_DIR/node_modules/@duckdb/node-api/package.json').version")

# duck.mjs runs DuckDB through node: load a tree into a DuckDB file, answer the seed query on the .gz files,
# or run SQL on a DuckDB file. It prints the number of result rows on stdout and its in-process time on stderr.
cat >"$NODE_DIR/duck.mjs" <<'EOF'
import { DuckDBInstance } from '@duckdb/node-api';
let [mode, a, b, c] = process.argv.slice(2);
// CloudTrail's fields with Athena's types (JSON text for the free-form objects).
const spec = `STRUCT(eventVersion VARCHAR, userIdentity STRUCT("type" VARCHAR, principalId VARCHAR, arn VARCHAR,
 accountId VARCHAR, invokedBy VARCHAR, accessKeyId VARCHAR, userName VARCHAR, onBehalfOf STRUCT(userId VARCHAR,
 identityStoreArn VARCHAR), sessionContext STRUCT(attributes STRUCT(mfaAuthenticated VARCHAR, creationDate VARCHAR),
 sessionIssuer STRUCT("type" VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, userName VARCHAR),
 ec2RoleDelivery VARCHAR, webIdFederationData JSON)), eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR,
 awsRegion VARCHAR, sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, errorMessage VARCHAR,
 requestParameters JSON, responseElements JSON, additionalEventData JSON, requestID VARCHAR, eventID VARCHAR,
 readOnly VARCHAR, resources STRUCT(ARN VARCHAR, accountId VARCHAR, "type" VARCHAR)[], eventType VARCHAR,
 apiVersion VARCHAR, recipientAccountId VARCHAR, serviceEventDetails JSON, sharedEventID VARCHAR,
 vpcEndpointId VARCHAR, vpcEndpointAccountId VARCHAR, eventCategory VARCHAR, addendum STRUCT(reason VARCHAR,
 updatedFields VARCHAR, originalRequestID VARCHAR, originalEventID VARCHAR), sessionCredentialFromConsole VARCHAR,
 edgeDeviceDetails JSON, tlsDetails STRUCT(tlsVersion VARCHAR, cipherSuite VARCHAR, clientProvidedHostHeader VARCHAR))[]`
  .replaceAll('\n', '');
const q = (s) => "'" + s.replaceAll("'", "''") + "'";
const t0 = Date.now();
let inst, sql;
if (mode === 'prof') {
  // prof DB TABLE SQL: the query (its " T " is TABLE) 7 times on one connection and one thread, after one run
  // to warm the caches; prints the median wall and CPU milliseconds (CPU is steadier on a shared host).
  inst = await DuckDBInstance.create(a, { access_mode: 'READ_ONLY' });
  const con = await inst.connect();
  await con.run('SET threads = 1');
  await con.run('SET parquet_metadata_cache = true');
  const s = c.replaceAll(' T ', ` ${b} `);
  await con.runAndReadAll(s);
  const wall = [], cpu = [];
  for (let i = 0; i < 7; i++) {
    const c0 = process.cpuUsage(), w0 = performance.now();
    await con.runAndReadAll(s);
    const u = process.cpuUsage(c0);
    wall.push(performance.now() - w0); cpu.push((u.user + u.system) / 1000);
  }
  const med = (v) => v.sort((x, y) => x - y)[v.length >> 1].toFixed(1);
  process.stdout.write(`${med(wall)} ${med(cpu)}\n`);
  process.exit(0);
} else if (mode === 'copy') {
  // copy STORE DB: DuckDB's own table of a trailq store's events (the same rows and types), for prof.
  inst = await DuckDBInstance.create(b);
  await (await inst.connect()).run(`ATTACH ${q(a)} AS s (READ_ONLY)`);
  sql = 'CREATE TABLE cloudtrail AS SELECT * FROM s.cloudtrail_logs';
  mode = 'load';
} else if (mode === 'load') {
  inst = await DuckDBInstance.create(b);
  // The usual bulk-load setting: without it DuckDB keeps file order and runs out of memory on many small files.
  await (await inst.connect()).run('SET preserve_insertion_order = false');
  sql = `CREATE TABLE cloudtrail AS SELECT unnest(r) FROM (SELECT unnest(Records) AS r
    FROM read_json(${q(a)}, format='unstructured', columns={Records: ${q(spec)}}))`;
} else if (mode === 'scan') {
  // The seed sign-in query straight on the .gz files, reading only the fields it needs (optionally another period).
  inst = await DuckDBInstance.create(':memory:');
  sql = `SELECT r.eventTime, r.eventName, r.userIdentity, r.sourceIPAddress, r.userAgent, r.responseElements
    FROM (SELECT unnest(Records) AS r FROM read_json(${q(a)}, format='unstructured', columns={Records:
      'STRUCT(eventTime VARCHAR, eventName VARCHAR, eventType VARCHAR, userIdentity JSON, sourceIPAddress VARCHAR, userAgent VARCHAR, responseElements JSON)[]'}))
    WHERE r.eventType = 'AwsConsoleSignIn' AND r.eventTime >= ${q(b || '2024-09-01T00:00:00Z')} AND r.eventTime <= ${q(c || '2024-09-30T23:59:59Z')}`;
} else {
  inst = await DuckDBInstance.create(a, { access_mode: 'READ_ONLY' });
  sql = b;
}
const con = await inst.connect();
const res = await con.runAndReadAll(sql);
if (mode === 'load') await con.run('CHECKPOINT');
process.stdout.write(String(mode === 'load' ? 0 : res.getRows().length) + '\n');
process.stderr.write(`in-process ${Date.now() - t0} ms\n`);
EOF

# ---- measuring -------------------------------------------------------------------------------------------------
# measure ID RUNS PRE CMD: runs CMD (a shell command) RUNS times after PRE (not timed), keeps wall seconds and
# peak RSS (KiB) of each run in $TIMES/ID.
measure() {
	local id=$1 runs=$2 pre=$3 cmd=$4 i
	: >"$TIMES/$id"
	for ((i = 1; i <= runs; i++)); do
		[ -n "$pre" ] && sh -c "$pre"
		/usr/bin/time -f '%e %M' -o "$TIMES/$id.run" sh -c "$cmd" >"$TIMES/$id.out" 2>"$TIMES/$id.err" || {
			log "bench: '$cmd' failed:"
			tail -5 "$TIMES/$id.err" >&2
			exit 1
		}
		tail -1 "$TIMES/$id.run" >>"$TIMES/$id"
		log "  $id run $i: $(tail -1 "$TIMES/$id.run" | awk '{printf "%.2f s, %.0f MiB", $1, $2/1024}')"
	done
}
# measure_answer ID RUNS PRE CMD: like measure, for a trailq query that answers before it stores the logs
# (--answer-first): CMD's standard output goes through a pipe, and the time kept is when its reader saw the end
# of the answer (trailq closes its output then), not when the command ended. No peak RSS (0): measure gives it.
measure_answer() {
	local id=$1 runs=$2 pre=$3 cmd=$4 i s
	: >"$TIMES/$id"
	for ((i = 1; i <= runs; i++)); do
		[ -n "$pre" ] && sh -c "$pre"
		s=$(date +%s.%N)
		sh -c "exec $cmd" 2>"$TIMES/$id.err" | { cat >"$TIMES/$id.out"; date +%s.%N >"$TIMES/$id.t"; }
		if [ "${PIPESTATUS[0]}" != 0 ]; then
			log "bench: '$cmd' failed:"
			tail -5 "$TIMES/$id.err" >&2
			exit 1
		fi
		awk -v a="$(cat "$TIMES/$id.t")" -v b="$s" 'BEGIN {printf "%.2f 0\n", a - b}' >>"$TIMES/$id"
		log "  $id run $i: $(tail -1 "$TIMES/$id" | cut -d' ' -f1) s to the answer"
	done
}
median() { awk '{print $1}' "$TIMES/$1" | sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
peak() { awk '{if ($2>m) m=$2} END {if (m > 0) printf "%.0f", m/1024; else print "-"}' "$TIMES/$1"; }
runs() { wc -l <"$TIMES/$1" | tr -d ' '; }
ratio() { awk -v a="$(median "$1")" -v b="$(median "$2")" 'BEGIN {if (b > 0) printf "%.2f×", a/b; else print "-"}'; }
rate() { awk -v n="$2" -v s="$(median "$1")" 'BEGIN {if (s > 0) printf "%.0f k", n/s/1000; else print "-"}'; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b/1048576}'; }
filesize() { stat -c %s "$1"; }
# storesize: a trailq store is its file and its folder of part files.
storesize() { du -cb "$1" "$1.parts" 2>/dev/null | tail -1 | cut -f1; }

out() { printf '%s\n' "$*" >>"$RESULTS"; }
# row TASK TOOL ID RECORDS BASE: a table row with the median, runs, records/s, peak RSS and the ratio to BASE.
row() {
	local rps="-"
	[ "$4" != "-" ] && rps=$(rate "$3" "$4")
	local r="1.00×"
	[ "$3" != "$5" ] && r=$(ratio "$3" "$5")
	out "| $1 | $2 | $(median "$3") | $(runs "$3") | $rps | $(peak "$3") | $r |"
}

# ---- data sets -----------------------------------------------------------------------------------------------
records_of() { awk -v n="$1" -v s="$SCALE" 'BEGIN {printf "%d", n*s}'; }
days_b=$(awk -v s="$SCALE" 'BEGIN {d=int(10*s+0.5); if (d<1) d=1; print d}')
declare -A GEN_ARGS REC
REC[A]=$(records_of 1000000)
REC[B]=$(records_of 1000000)
REC[C]=$(records_of 10000000)
GEN_ARGS[A]="--records ${REC[A]} --days 1 --accounts 1 --seed 1"
GEN_ARGS[B]="--records ${REC[B]} --days $days_b --accounts 5 --seed 2"
GEN_ARGS[C]="--records ${REC[C]} --days 7 --accounts 2 --seed 3 --org o-bench12345"

declare -A OBJS GZ
# dataset S: generates data set S unless it is there, and sets d to its folder.
dataset() {
	local s=$1
	d="$DIR/data/$1-$(echo "${GEN_ARGS[$1]}" | tr -d ' -')"
	if [ ! -f "$d/.done" ]; then
		rm -rf "$d"
		log "generating data set $s: trailq gen --out $d ${GEN_ARGS[$s]}"
		# shellcheck disable=SC2086
		"$TRAILQ" gen --out "$d" ${GEN_ARGS[$s]}
		touch "$d/.done"
	fi
	OBJS[$s]=$(find "$d/AWSLogs" -type f -name '*.json.gz' | wc -l | tr -d ' ')
	GZ[$s]=$(find "$d/AWSLogs" -type f -name '*.json.gz' -printf '%s\n' | awk '{s+=$1} END {print s}')
}

# shq S: S quoted for sh.
shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

SEED_SQL="SELECT eventtime, eventname, useridentity, sourceipaddress, useragent, responseelements FROM cloudtrail_logs_mybucket WHERE eventtype = 'AwsConsoleSignIn' AND eventtime >= '2024-09-01T00:00:00Z' AND eventtime <= '2024-09-30T23:59:59Z'"
DAY_SQL="SELECT eventtime, eventname, useridentity, sourceipaddress, useragent, responseelements FROM cloudtrail_logs_mybucket WHERE eventtype = 'AwsConsoleSignIn' AND eventtime >= '2024-09-03T00:00:00Z' AND eventtime <= '2024-09-03T23:59:59Z'"
JQ_SEED='.Records[] | select(.eventType == "AwsConsoleSignIn" and .eventTime >= "2024-09-01T00:00:00Z" and .eventTime <= "2024-09-30T23:59:59Z") | [.eventTime, .eventName, .userIdentity, .sourceIPAddress, .userAgent, .responseElements]'
ZCAT="find AWSLogs -name '*.json.gz' -print0 | xargs -0 zcat"

# ---- machine ---------------------------------------------------------------------------------------------------
: >"$RESULTS"
out "<!-- bench:$SCALE:begin -->"
out "### Scale $SCALE ($(date -u +%Y-%m-%d), data sets: $SETS, $RUNS runs per measurement)"
out ""
out "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) memory, $(uname -sr);"
out "load average at start $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: timings are noisy, medians are quoted)."
# The host's speed, for comparing runs made on different days: one core decoding one generated file.
log "calibrating (BenchmarkDecode, one core)"
CAL=$(go test -run '^$' -bench '^BenchmarkDecode$' -benchtime 100x -cpu 1 -count 3 ./internal/cloudtrail 2>/dev/null |
	awk '/^BenchmarkDecode/ {print $3/1e6}' | sort -n | awk '{v[NR]=$1} END {if (NR) printf "%.1f", v[int((NR+1)/2)]; else print "-"}')
out "Host speed: \`go test -bench '^BenchmarkDecode$' -benchtime 100x -cpu 1 ./internal/cloudtrail\` $CAL ms/op, median of 3 (5.5 on the quiet host of 2026-12-01, 14–18 on the slow one of 2026-12-02)."
out "Tools: trailq $(git rev-parse --short HEAD), $(go version | cut -d' ' -f3), DuckDB $DUCKDB_VERSION (@duckdb/node-api on node $(node --version)), $(jq --version)."
out ""

for s in $SETS; do
	dataset "$s"
	out "Data set $s: \`trailq gen ${GEN_ARGS[$s]}\`: ${REC[$s]} records in ${OBJS[$s]} objects, $(mib "${GZ[$s]}") MiB gzip."
done
out ""

# ---- A and B: load, first answer ----------------------------------------------------------------------------------
for s in $SETS; do
	[ "$s" = C ] && continue
	dataset "$s"
	n=${REC[$s]}
	log "data set $s: load"
	measure "load-$s-trailq" "$RUNS" "rm -rf $DIR/$s-trailq.duckdb*" "$TRAILQ load --source $d/AWSLogs --store $DIR/$s-trailq.duckdb"
	measure "load-$s-duckdb" "$RUNS" "rm -f $DIR/$s-duckdb.duckdb*" "node $NODE_DIR/duck.mjs load '$d/AWSLogs/**/*.json.gz' $DIR/$s-duckdb.duckdb"
	measure "load-$s-jq" "$RUNS" "rm -f $DIR/$s.jsonl" "cd $d && $ZCAT | jq -c '.Records[]' > $DIR/$s.jsonl"
	log "data set $s: first answer on logs never loaded"
	measure "first-$s-trailq" "$RUNS" "rm -rf $DIR/$s-first.duckdb*" "$TRAILQ query --source $d/AWSLogs --store $DIR/$s-first.duckdb --format csv $(shq "$SEED_SQL")"
	measure_answer "answer-$s-trailq" "$RUNS" "rm -rf $DIR/$s-first.duckdb*" "$TRAILQ query --source $d/AWSLogs --store $DIR/$s-first.duckdb --format csv $(shq "$SEED_SQL")"
	measure "first-$s-never" "$RUNS" "rm -rf $DIR/$s-first.duckdb*" "$TRAILQ query --source $d/AWSLogs --store $DIR/$s-first.duckdb --answer-first never --format csv $(shq "$SEED_SQL")"
	measure "first-$s-duckdb" "$RUNS" "" "node $NODE_DIR/duck.mjs scan '$d/AWSLogs/**/*.json.gz'"
	measure "first-$s-jq" "$RUNS" "" "cd $d && $ZCAT | jq -c $(shq "$JQ_SEED")"
	if [ "$s" = B ]; then
		# A question about one day of the ten: trailq loads that day's files (and the delivery margin) only.
		measure "day-$s-trailq" "$RUNS" "rm -rf $DIR/$s-day.duckdb*" "$TRAILQ query --source $d/AWSLogs --store $DIR/$s-day.duckdb --format csv $(shq "$DAY_SQL")"
		measure_answer "dayanswer-$s-trailq" "$RUNS" "rm -rf $DIR/$s-day.duckdb*" "$TRAILQ query --source $d/AWSLogs --store $DIR/$s-day.duckdb --format csv $(shq "$DAY_SQL")"
		measure "day-$s-duckdb" "$RUNS" "" "node $NODE_DIR/duck.mjs scan '$d/AWSLogs/**/*.json.gz' 2024-09-03T00:00:00Z 2024-09-03T23:59:59Z"
	fi
	rows_t=$(($(wc -l <"$TIMES/answer-$s-trailq.out") - 1))
	rows_n=$(($(wc -l <"$TIMES/first-$s-never.out") - 1))
	rows_d=$(cat "$TIMES/first-$s-duckdb.out")
	rows_j=$(wc -l <"$TIMES/first-$s-jq.out" | tr -d ' ')

	out "#### Data set $s (${REC[$s]} records, ${OBJS[$s]} objects, $(mib "${GZ[$s]}") MiB gzip)"
	out ""
	out "| task | tool | median s | runs | records/s | peak RSS MiB | time vs trailq |"
	out "|---|---|---|---|---|---|---|"
	row "load into a store" trailq "load-$s-trailq" "$n" "load-$s-trailq"
	row "load into a store" "DuckDB read_json → table" "load-$s-duckdb" "$n" "load-$s-trailq"
	row "load into a store" "zcat \\| jq → JSON Lines" "load-$s-jq" "$n" "load-$s-trailq"
	row "seed sign-in query, never loaded" "trailq query (fresh store): the answer" "answer-$s-trailq" "$n" "answer-$s-trailq"
	row "seed sign-in query, never loaded" "trailq query: the command, logs stored" "first-$s-trailq" "$n" "answer-$s-trailq"
	row "seed sign-in query, never loaded" "trailq query --answer-first never" "first-$s-never" "$n" "answer-$s-trailq"
	row "seed sign-in query, never loaded" "DuckDB read_json on .gz" "first-$s-duckdb" "$n" "answer-$s-trailq"
	row "seed sign-in query, never loaded" "zcat \\| jq" "first-$s-jq" "$n" "answer-$s-trailq"
	if [ "$s" = B ]; then
		row "one-day sign-in query, never loaded" "trailq query (fresh store): the answer" "dayanswer-$s-trailq" "$n" "dayanswer-$s-trailq"
		row "one-day sign-in query, never loaded" "trailq query: the command, logs stored" "day-$s-trailq" "$n" "dayanswer-$s-trailq"
		row "one-day sign-in query, never loaded" "DuckDB read_json on .gz" "day-$s-duckdb" "$n" "dayanswer-$s-trailq"
	fi
	out ""
	out "Rows of the seed query: trailq $rows_t (answered first), $rows_n (stored first), DuckDB $rows_d, jq $rows_j."
	out "Store size: trailq $(mib "$(storesize "$DIR/$s-trailq.duckdb")") MiB ($(awk -v a="$(storesize "$DIR/$s-trailq.duckdb")" -v b="${GZ[$s]}" 'BEGIN {printf "%.2f", a/b}')× the gzip input),"
	out "DuckDB $(mib "$(filesize "$DIR/$s-duckdb.duckdb")") MiB ($(awk -v a="$(filesize "$DIR/$s-duckdb.duckdb")" -v b="${GZ[$s]}" 'BEGIN {printf "%.2f", a/b}')×), JSON Lines $(mib "$(filesize "$DIR/$s.jsonl")") MiB."
	out ""
	rm -rf "$DIR/$s.jsonl" "$DIR/$s-first.duckdb"*
done

# ---- C: repeated answers from the store ------------------------------------------------------------------------
if [[ " $SETS " == *" C "* ]]; then
	dataset C
	n=${REC[C]}
	log "data set C: load once"
	measure load-C-trailq 1 "rm -rf $DIR/C-trailq.duckdb*" "$TRAILQ load --source $d/AWSLogs --store $DIR/C-trailq.duckdb"
	measure load-C-duckdb 1 "rm -f $DIR/C-duckdb.duckdb*" "node $NODE_DIR/duck.mjs load '$d/AWSLogs/**/*.json.gz' $DIR/C-duckdb.duckdb"
	jq_c=0
	if [ "$n" -le "$JQ_MAX" ]; then
		jq_c=1
		measure load-C-jq 1 "rm -f $DIR/C.jsonl" "cd $d && $ZCAT | jq -c '.Records[]' > $DIR/C.jsonl"
	fi
	ST=$DIR/C-trailq.duckdb
	DB=$DIR/C-duckdb.duckdb
	Q1="SELECT eventtime, useridentity.arn, sourceipaddress, responseelements FROM cloudtrail_logs WHERE eventtype = 'AwsConsoleSignIn' AND eventtime >= '2024-09-01T00:00:00Z' AND eventtime <= '2024-09-30T23:59:59Z' ORDER BY eventtime"
	D1="SELECT eventTime, userIdentity.arn, sourceIPAddress, responseElements FROM cloudtrail WHERE eventType = 'AwsConsoleSignIn' AND eventTime >= '2024-09-01T00:00:00Z' AND eventTime <= '2024-09-30T23:59:59Z' ORDER BY eventTime"
	J1='select(.eventType == "AwsConsoleSignIn" and .eventTime >= "2024-09-01T00:00:00Z" and .eventTime <= "2024-09-30T23:59:59Z") | [.eventTime, .userIdentity.arn, .sourceIPAddress, .responseElements]'
	Q2="SELECT useridentity.arn, count(*) AS n FROM cloudtrail_logs GROUP BY 1 ORDER BY n DESC LIMIT 20"
	D2="SELECT userIdentity.arn, count(*) AS n FROM cloudtrail GROUP BY 1 ORDER BY n DESC LIMIT 20"
	J2='.userIdentity.arn'
	Q3="SELECT json_extract_scalar(requestparameters, '\$.bucketName') AS bucket, count(*) AS n FROM cloudtrail_logs GROUP BY 1 ORDER BY n DESC"
	D3="SELECT json_extract_string(requestParameters, '\$.bucketName') AS bucket, count(*) AS n FROM cloudtrail GROUP BY 1 ORDER BY n DESC"
	J3='.requestParameters.bucketName'
	QR=$((RUNS < 5 ? 5 : RUNS))
	for q in 1 2 3; do
		eval "sql=\$Q$q; dsql=\$D$q; jqf=\$J$q"
		log "data set C: query $q"
		measure "q$q-trailq" "$QR" "" "$TRAILQ query --store $ST --no-load --format csv $(shq "$sql")"
		measure "q$q-duckdb" "$QR" "" "node $NODE_DIR/duck.mjs query $DB $(shq "$dsql")"
		if [ "$jq_c" = 1 ]; then
			if [ "$q" = 1 ]; then
				measure "q$q-jq" 1 "" "jq -c $(shq "$jqf") $DIR/C.jsonl"
			else
				measure "q$q-jq" 1 "" "jq -r $(shq "$jqf") $DIR/C.jsonl | sort | uniq -c | sort -rn | head -20"
			fi
		fi
	done
	signins=0
	if "$TRAILQ" signins --help >/dev/null 2>&1; then
		signins=1
		log "data set C: trailq signins"
		measure "q0-trailq" "$QR" "" "$TRAILQ signins --store $ST --no-load --since 2024-09-01 --until 2024-09-30 --utc --format csv"
		measure "q0d-trailq" "$QR" "" "$TRAILQ signins --store $ST --no-load --since 2024-09-02 --until 2024-09-02 --utc --format csv"
		# In process (query, decoding and classification, no output): the Go benchmark on the same store.
		log "data set C: sign-in report in process (go test -bench SignInReport)"
		TRAILQ_BENCH_STORE=$ST go test -run '^$' -bench SignInReport -benchtime 10x ./internal/signin >"$TIMES/q0-go.out" 2>&1 || true
	fi

	# In process, one thread, the same SQL on trailq's part files and on DuckDB's own table of the same rows
	# (issue 22): what the store's format costs, without process start.
	log "data set C: in process, one thread, against DuckDB's own table of the same rows"
	rm -f "$DIR/C-copy.duckdb"*
	node "$NODE_DIR/duck.mjs" copy "$ST" "$DIR/C-copy.duckdb" >/dev/null 2>"$TIMES/copy.err"
	PROF=(
		"sign-in SQL|SELECT eventtime, useridentity.arn, sourceipaddress, responseelements FROM T WHERE eventtype = 'AwsConsoleSignIn' AND eventtime >= '2024-09-01T00:00:00Z' AND eventtime <= '2024-09-30T23:59:59Z' ORDER BY eventtime"
		"GROUP BY useridentity.arn|SELECT useridentity.arn, count(*) AS n FROM T GROUP BY 1 ORDER BY n DESC LIMIT 20"
		"json_extract over all rows|SELECT json_extract_string(requestparameters, '\$.bucketName') AS bucket, count(*) AS n FROM T GROUP BY 1 ORDER BY n DESC"
		"one-day window|SELECT eventname, count(*) AS n FROM T WHERE eventtime >= '2024-09-03T00:00:00Z' AND eventtime < '2024-09-04T00:00:00Z' GROUP BY 1 ORDER BY n DESC"
		"30-day window|SELECT eventname, count(*) AS n FROM T WHERE eventtime >= '2024-09-01T00:00:00Z' AND eventtime < '2024-10-01T00:00:00Z' GROUP BY 1 ORDER BY n DESC"
		"an access key (trace)|SELECT eventid, eventtime, eventname, sourceipaddress FROM T WHERE useridentity.accesskeyid IN ('ASIANOTTHERE0000000') ORDER BY eventtime"
	)
	: >"$TIMES/prof"
	for p in "${PROF[@]}"; do
		name=${p%%|*}
		psql=${p#*|}
		tq=$(node "$NODE_DIR/duck.mjs" prof "$ST" cloudtrail_logs "$psql")
		dq=$(node "$NODE_DIR/duck.mjs" prof "$DIR/C-copy.duckdb" cloudtrail "$psql")
		printf '%s|%s|%s\n' "$name" "$tq" "$dq" >>"$TIMES/prof"
	done
	rm -f "$DIR/C-copy.duckdb"*

	out "#### Data set C (${REC[C]} records, ${OBJS[C]} objects, $(mib "${GZ[C]}") MiB gzip): repeated answers from the store"
	out ""
	out "| task | tool | median s | runs | records/s | peak RSS MiB | time vs trailq |"
	out "|---|---|---|---|---|---|---|"
	row "load into a store (once)" trailq load-C-trailq "$n" load-C-trailq
	row "load into a store (once)" "DuckDB read_json → table" load-C-duckdb "$n" load-C-trailq
	[ "$jq_c" = 1 ] && row "load into a store (once)" "zcat \\| jq → JSON Lines" load-C-jq "$n" load-C-trailq
	if [ "$signins" = 1 ]; then
		row "sign-in report: \`trailq signins\` (September, $(($(wc -l <"$TIMES/q0-trailq.out") - 1)) sign-ins)" trailq q0-trailq - q0-trailq
		row "sign-in report: \`trailq signins\` (2 September, $(($(wc -l <"$TIMES/q0d-trailq.out") - 1)) sign-ins)" trailq q0d-trailq - q0d-trailq
	fi
	names=("" "sign-in query (SQL)" "GROUP BY useridentity.arn" "json_extract over all rows")
	for q in 1 2 3; do
		row "${names[$q]}" "trailq query --no-load" "q$q-trailq" - "q$q-trailq"
		row "${names[$q]}" "DuckDB (node) on its own file" "q$q-duckdb" - "q$q-trailq"
		[ "$jq_c" = 1 ] && row "${names[$q]}" "jq on the JSON Lines" "q$q-jq" - "q$q-trailq"
	done
	out ""
	if [ "$signins" = 1 ]; then
		out "Sign-in report in process (\`TRAILQ_BENCH_STORE=… go test -bench SignInReport ./internal/signin\`, ms per report):"
		out "$(awk '/^BenchmarkSignInReport/ {printf "%s %.0f ms (%s events); ", $1, $3/1e6, $5}' "$TIMES/q0-go.out")"
		out ""
	fi
	out "In process, one thread (\`node duck.mjs prof\`: median of 7 after a warm-up, wall and CPU ms), trailq's part files against DuckDB's own table of the same rows (\`node duck.mjs copy\`):"
	out ""
	out "| query | trailq wall | trailq CPU | DuckDB table wall | DuckDB table CPU | CPU ratio |"
	out "|---|---|---|---|---|---|"
	while IFS='|' read -r name tq dq; do
		out "| $name | ${tq% *} | ${tq#* } | ${dq% *} | ${dq#* } | $(awk -v a="${tq#* }" -v b="${dq#* }" 'BEGIN {if (b > 0) printf "%.2f×", a/b}') |"
	done <"$TIMES/prof"
	out ""
	out "In-process DuckDB times (node, last run): sign-in $(tail -1 "$TIMES/q1-duckdb.err" | cut -d' ' -f2) ms, GROUP BY $(tail -1 "$TIMES/q2-duckdb.err" | cut -d' ' -f2) ms, json_extract $(tail -1 "$TIMES/q3-duckdb.err" | cut -d' ' -f2) ms (including opening the file)."
	out "Store size: trailq $(mib "$(storesize "$ST")") MiB ($(awk -v a="$(storesize "$ST")" -v b="${GZ[C]}" 'BEGIN {printf "%.2f", a/b}')× the gzip input), DuckDB $(mib "$(filesize "$DB")") MiB ($(awk -v a="$(filesize "$DB")" -v b="${GZ[C]}" 'BEGIN {printf "%.2f", a/b}')×)."
	out "Rows: sign-in query trailq $(($(wc -l <"$TIMES/q1-trailq.out") - 1)), DuckDB $(cat "$TIMES/q1-duckdb.out")."
	out ""
	rm -f "$DIR/C.jsonl"
fi

# ---- targets (issue 6) ---------------------------------------------------------------------------------------
out "Targets of issue 6 at this scale (the targets are stated for the full-size data sets):"
out ""
for s in A B; do
	[[ " $SETS " == *" $s "* ]] || continue
	want=150; [ "$s" = B ] && want=100
	out "- load $s ≥ ${want} k records/s and ≥ 3× DuckDB's own load: $(rate "load-$s-trailq" "${REC[$s]}")/s, DuckDB $(ratio "load-$s-duckdb" "load-$s-trailq") trailq's time."
	out "- first answer on $s no slower than DuckDB on the .gz: trailq $(median "answer-$s-trailq") s to the answer ($(median "first-$s-trailq") s until the logs are stored), DuckDB $(median "first-$s-duckdb") s: DuckDB takes $(ratio "first-$s-duckdb" "answer-$s-trailq") trailq's time."
	out "- store ≤ 1.2× the gzip input: $(awk -v a="$(storesize "$DIR/$s-trailq.duckdb")" -v b="${GZ[$s]}" 'BEGIN {printf "%.2f", a/b}')×."
done
if [[ " $SETS " == *" C "* ]]; then
	[ "$signins" = 1 ] && out "- sign-in report over ${REC[C]} stored events ≤ 100 ms in process, ≤ 400 ms as a whole command: \`trailq signins\` for one day $(median q0d-trailq) s, for September $(median q0-trailq) s; in process $(awk '/^BenchmarkSignInReport/ {printf "%s %.0f ms; ", $1, $3/1e6}' "$TIMES/q0-go.out"); sign-in SQL $(median q1-trailq) s."
	out "- peak RSS ≤ 1 GiB while loading ${REC[C]} records: $(peak load-C-trailq) MiB."
fi
out ""
out "<!-- bench:$SCALE:end -->"

cat "$RESULTS"
if [ "$DOCS" = 1 ]; then
	doc=$ROOT/docs/BENCHMARKS.md
	[ -f "$doc" ] || printf '# Benchmarks\n\n## Results\n' >"$doc"
	# Replace this scale's block, or add it at the end.
	awk -v b="<!-- bench:$SCALE:begin -->" -v e="<!-- bench:$SCALE:end -->" -v f="$RESULTS" '
		$0 == b {skip = 1; while ((getline l < f) > 0) print l; done = 1; next}
		$0 == e {skip = 0; next}
		!skip {print}
		END {if (!done) {print ""; while ((getline l < f) > 0) print l}}' "$doc" >"$doc.tmp" && mv "$doc.tmp" "$doc"
	log "results written to $doc"
fi
