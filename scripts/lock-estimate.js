#!/usr/bin/env node
// Lock-time estimates against a measured run: for an index build, SET NOT NULL and an int → bigint
// type change, times each statement on a table of n1 and n2 rows, extrapolates the slope to N rows,
// runs the statement on N rows and prints estimate / measured. For comparison, the proportional
// formula (time on the drill's default 100 seeded rows × N / 100) against the same measurement.
// Assumption of the slope estimate: the statement's time is a fixed part plus a part linear in the
// rows (an index build's sort is n log n: over a 10-30× extrapolation that log factor stays small).
// Usage: node scripts/lock-estimate.js [--n1 10000] [--n2 100000] [--rows 300000] [--repeat 5]
// Runs on the local PostgreSQL (127.0.0.1:5432, user postgres) in a scratch database it drops.
import { parseArgs } from 'node:util';
import pg from 'pg';

const SERVER = { host: '127.0.0.1', port: 5432, user: 'postgres' };
/** The drill's default rows per table: what the proportional formula scaled from. */
const DRILL_SEED_ROWS = 100;

const STATEMENTS = [
  { kind: 'CREATE INDEX', sql: 'CREATE INDEX t_b ON t (b)' },
  { kind: 'SET NOT NULL', sql: 'ALTER TABLE t ALTER COLUMN c SET NOT NULL' },
  { kind: 'int -> bigint', sql: 'ALTER TABLE t ALTER COLUMN a TYPE bigint' },
];

/** A table shaped like a typical row: an identity key, an int, a short text and a nullable int that holds no NULL. */
const fill = (rows) => [
  'DROP TABLE IF EXISTS t',
  'CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a int NOT NULL, b text NOT NULL, c int, created timestamptz NOT NULL DEFAULT now())',
  `INSERT INTO t (a, b, c) SELECT (random() * 1e9)::int, md5(g::text), g FROM generate_series(1, ${rows}) AS g`,
  'VACUUM ANALYZE t',
];

function options() {
  const { values } = parseArgs({
    options: {
      n1: { type: 'string', default: '10000' },
      n2: { type: 'string', default: '100000' },
      rows: { type: 'string', default: '300000' },
      repeat: { type: 'string', default: '5' },
    },
  });
  const int = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  const opts = { n1: int('n1'), n2: int('n2'), rows: int('rows'), repeat: int('repeat') };
  if (opts.n2 <= opts.n1) throw new Error('--n2 must be larger than --n1');
  return opts;
}

/**
 * Milliseconds the statement takes on a fresh table of `rows` rows: the fastest of `repeat` runs,
 * each rolled back. Other work on the machine only ever adds time, so the fastest run is the one
 * closest to the statement's own cost.
 */
async function timeAt(client, sql, rows, repeat) {
  for (const step of fill(rows)) await client.query(step);
  const times = [];
  for (let i = 0; i < repeat; i++) {
    await client.query('BEGIN');
    const t0 = performance.now();
    await client.query(sql);
    times.push(performance.now() - t0);
    await client.query('ROLLBACK');
  }
  return Math.min(...times);
}

async function main() {
  const opts = options();
  const database = `lock_estimate_${process.pid}`;
  const admin = new pg.Client({ ...SERVER, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const client = new pg.Client({ ...SERVER, database });
  try {
    await client.connect();
    const rows = [];
    for (const { kind, sql } of STATEMENTS) {
      const small = await timeAt(client, sql, DRILL_SEED_ROWS, opts.repeat);
      const t1 = await timeAt(client, sql, opts.n1, opts.repeat);
      const t2 = await timeAt(client, sql, opts.n2, opts.repeat);
      const real = await timeAt(client, sql, opts.rows, opts.repeat);
      const slope = Math.max(0, (t2 - t1) / (opts.n2 - opts.n1));
      const estimate = t2 + slope * (opts.rows - opts.n2);
      const proportional = (small * opts.rows) / DRILL_SEED_ROWS;
      rows.push({ kind, small, t1, t2, estimate, real, proportional });
      process.stderr.write(`${kind}: ${opts.n1} rows ${t1.toFixed(1)} ms, ${opts.n2} rows ${t2.toFixed(1)} ms, ${opts.rows} rows ${real.toFixed(1)} ms\n`);
    }
    const version = (await client.query('SHOW server_version')).rows[0].server_version;
    const out = [
      `lock-time estimates, PostgreSQL ${version}: slope of ${opts.n1} and ${opts.n2} rows extrapolated to ${opts.rows}; fastest of ${opts.repeat}`,
      [
        'statement',
        `${DRILL_SEED_ROWS} rows ms`,
        `${opts.n1} ms`,
        `${opts.n2} ms`,
        `estimate ms`,
        `measured ms`,
        'estimate/measured',
        'old formula/measured',
      ].join('\t'),
      ...rows.map((r) =>
        [r.kind, r.small, r.t1, r.t2, r.estimate, r.real]
          .map((x) => (typeof x === 'number' ? x.toFixed(1) : x))
          .concat([(r.estimate / r.real).toFixed(2), (r.proportional / r.real).toFixed(1)])
          .join('\t'),
      ),
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await client.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error) => {
  process.stderr.write(`lock-estimate: ${error.message}\n`);
  process.exitCode = 1;
});
