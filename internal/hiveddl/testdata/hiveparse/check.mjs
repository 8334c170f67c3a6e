// Reads Hive DDL statements on stdin and prints, as JSON, the syntax errors Apache Hive's grammar (dt-sql-parser's
// HiveSQL) finds in them: [] when there are none. Run with: node --import ./register.mjs check.mjs < file.sql
import { HiveSQL } from 'dt-sql-parser';
import { readFileSync } from 'fs';

const sql = readFileSync(0, 'utf8');
const errs = new HiveSQL().validate(sql);
console.log(JSON.stringify(errs.map((e) => ({ line: e.startLine, col: e.startColumn, msg: e.message }))));
