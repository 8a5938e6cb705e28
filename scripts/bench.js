#!/usr/bin/env node
// Benchmark: drillbot against PostgreSQL running the same SQL in one psql session, on Lemmy's real
// history (Diesel, ../shared/corpus or $DRILLBOT_CORPUS_DIR), on the same server, in one run.
// Four scenarios, each a whole `drillbot check` process (url provider) against a baseline that is
// one whole psql process:
//   cold       drillbot --no-cache, one new migration   vs  the history replayed in one session + one clone
//                                                            + the change's round trip
//   warm       drillbot (template cached), one new      vs  clone of the base + the change's round trip + drop
//              (twice: a base reviewed before, whose template's clone starts early from its hint, and a new one)
//   20         warm, the last 20 migrations new         vs  clone + the 20 migrations' round trip + drop
//   seed-rows  warm, one new, --seed-rows 10000         vs  clone + the change's round trip + drop
// A change's round trip is the SQL the drill runs: its up.sql files, their down.sql newest first, the up.sql again.
// Each drillbot run's progress lines are timestamped as they arrive, and each baseline prints the server's clock
// between its steps (replay, clone, SQL, drop), so the phases' times of both are printed too.
// Usage: npm run bench -- [--runs R] [--end N] [--scenario NAME]   (N: the last Lemmy migration used; default 233;
// NAME: run only the scenario whose name starts with it, e.g. 20)
// Progress goes to stderr, the result tables to stdout. Exit status 1 on any failure.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile, cp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS_DIR = path.resolve(process.env.DRILLBOT_CORPUS_DIR ?? path.join(REPO_ROOT, '../shared/corpus'));
const LEMMY_DIR = path.join(CORPUS_DIR, 'LemmyNet__lemmy', 'migrations');
const CLI = path.join(REPO_ROOT, 'bin', 'drillbot.js');
const PG = { host: '127.0.0.1', port: '5432', user: 'postgres' };
const DATABASE_URL = `postgres://${PG.user}@${PG.host}:${PG.port}/postgres`;
// Diesel's bookkeeping table: #2025-08-01-000017 puts a trigger on it, so it must exist first.
const SETUP_SQL = 'CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY NOT NULL, run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);';
// #248 needs PostgreSQL 16 (FROM (subquery) without an alias) and #234 is a guard that refuses seeded
// rows (see test/corpus/lemmy.test.ts): #233 is the newest migration every scenario drills through.
const DEFAULT_END = 233;
const USAGE = 'Usage: npm run bench -- [--runs R] [--end N] [--scenario NAME]';

class BenchError extends Error {}

/** The drillbot runs' cache directory (set in main): template hints, reviewer answers. */
let CACHE_DIR;

/** A run expected warm that finds no template (evicted by another review) is repeated up to this often. */
const WARM_ATTEMPTS = 3;

const started = performance.now();
const progress = (message) => process.stderr.write(`bench [${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`);

// ---------------------------------------------------------------------------------------------
// Cleanup: temp dirs and scratch databases, also on Ctrl-C.

const cleanups = [];
let cleaning = null;
function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        process.stderr.write(`bench: cleanup: ${error.message}\n`);
      }
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    process.stderr.write(`bench: ${signal}, cleaning up\n`);
    cleanup().finally(() => process.exit(130));
  });
}

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        runs: { type: 'string', default: '3' },
        end: { type: 'string', default: String(DEFAULT_END) },
        scenario: { type: 'string', default: '' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new BenchError(`${error.message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  return { runs: positiveInt(values.runs, '--runs'), end: positiveInt(values.end, '--end'), only: values.scenario };
}

function positiveInt(text, flag) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new BenchError(`${flag} must be a positive integer; got "${text}"`);
  return n;
}

/** Diesel's order: directory names byte-wise (the corpus README checked it equals the version order). */
function readLemmy() {
  const names = readdirSync(LEMMY_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return names.map((name) => ({ name, up: path.join(LEMMY_DIR, name, 'up.sql'), down: path.join(LEMMY_DIR, name, 'down.sql') }));
}

// ---------------------------------------------------------------------------------------------
// Processes

/**
 * Runs a command; resolves with { code, stdout, stderr, seconds, lines } (never rejects on exit
 * status). `lines` are the stderr lines with the seconds since the start at which each arrived.
 */
function run(command, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    const out = [];
    const err = [];
    const lines = [];
    let partial = '';
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => {
      const at = (performance.now() - t0) / 1000;
      err.push(c);
      const parts = (partial + c.toString('utf8')).split('\n');
      partial = parts.pop();
      for (const text of parts) lines.push({ at, text });
    });
    child.on('error', (error) => reject(new BenchError(`cannot run ${command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 1),
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        seconds: (performance.now() - t0) / 1000,
        lines,
      });
    });
  });
}

async function mustRun(command, args, what, opts) {
  const result = await run(command, args, opts);
  if (result.code !== 0) throw new BenchError(`${what} failed (exit ${result.code}):\n${(result.stderr || result.stdout).trim()}`);
  return result;
}

const psqlEnv = () => {
  // Only our explicit connection flags count: a PGDATABASE/PGOPTIONS in the environment must not.
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('PG')) delete env[key];
  return env;
};

const psqlArgs = (database, ...rest) => ['-X', '-q', '-h', PG.host, '-p', PG.port, '-U', PG.user, '-d', database, '-v', 'ON_ERROR_STOP=1', ...rest];
const psqlAdmin = (sql, what) => mustRun('psql', psqlArgs('postgres', '-At', '-c', sql), what, { env: psqlEnv() });

// ---------------------------------------------------------------------------------------------
// Baselines: one psql process each, timed as a whole (start, connections, SQL, clone).

const quote = (file) => `'${file.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
/** Diesel runs every migration in its own transaction. */
const scriptLines = (files) => files.map((file) => `BEGIN;\n\\i ${quote(file)}\nCOMMIT;`);
const applyLines = (migrations) => scriptLines(migrations.map((m) => m.up));
/** The drill's SQL for a change: forward, reverse newest first, forward again (its seeding and observation aside). */
const roundTripLines = (change) => [...applyLines(change), ...scriptLines(change.map((m) => m.down).reverse()), ...applyLines(change)];

let scratchCount = 0;
function scratchName(what) {
  const name = `bench_${what}_${process.pid}_${++scratchCount}`;
  cleanups.push(() => psqlAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`, `dropping ${name}`));
  return name;
}

/**
 * A line of a baseline script that prints the server's clock as `bench-mark <name> <epoch seconds>`:
 * the marks split the baseline into its phases (replay, clone, SQL, drop) without a process of
 * their own. Unaligned, tuples only (set by psqlScript), so each mark is one line of its own.
 */
const markLine = (name) => `SELECT 'bench-mark ${name} ' || extract(epoch FROM clock_timestamp());`;

/**
 * Runs a baseline script in one psql process; resolves with its whole time (`seconds`) and the
 * phases between its marks (`phases`: each named by the mark that ends it, from the mark before).
 */
async function psqlScript(tmp, lines, what) {
  const file = path.join(tmp, `${what}-${scratchCount}.sql`);
  await writeFile(file, `${['\\pset format unaligned', '\\pset tuples_only on', ...lines].join('\n')}\n`);
  const result = await mustRun('psql', psqlArgs('postgres', '-f', file), `psql ${what}`, { env: psqlEnv() });
  const marks = [...result.stdout.matchAll(/^bench-mark (\S+) ([\d.]+)$/gm)].map((m) => ({ name: m[1], at: Number(m[2]) }));
  const phases = {};
  for (let i = 1; i < marks.length; i++) phases[marks[i].name] = marks[i].at - marks[i - 1].at;
  return { seconds: result.seconds, phases };
}

/** A database holding the first `count` migrations (untimed): the warm baselines clone it. */
async function replayedBase(tmp, migrations, count) {
  const name = scratchName('base');
  await psqlScript(tmp, [`CREATE DATABASE ${name} TEMPLATE template0;`, `\\c ${name}`, SETUP_SQL, ...applyLines(migrations.slice(0, count))], 'base');
  return name;
}

/** Cold: replay the base in one session, clone it once, run the change's round trip in the clone. */
async function coldBaseline(tmp, migrations, baseCount) {
  const base = scratchName('cold');
  const clone = scratchName('coldclone');
  const lines = [
    markLine('start'),
    `CREATE DATABASE ${base} TEMPLATE template0;`,
    `\\c ${base}`,
    SETUP_SQL,
    ...applyLines(migrations.slice(0, baseCount)),
    '\\c postgres',
    markLine('replay'),
    `CREATE DATABASE ${clone} TEMPLATE ${base};`,
    markLine('clone'),
    `\\c ${clone}`,
    markLine('connect'),
    ...roundTripLines(migrations.slice(baseCount)),
    markLine('sql'),
  ];
  const timed = await psqlScript(tmp, lines, 'cold');
  await psqlAdmin(`DROP DATABASE ${clone}`, "dropping the cold baseline's clone");
  await psqlAdmin(`DROP DATABASE ${base}`, "dropping the cold baseline's base");
  return timed;
}

/** Warm: clone the base, run the change's round trip, drop the clone. */
async function warmBaseline(tmp, template, change) {
  const clone = scratchName('warm');
  const lines = [
    markLine('start'),
    `CREATE DATABASE ${clone} TEMPLATE ${template};`,
    markLine('clone'),
    `\\c ${clone}`,
    markLine('connect'),
    ...roundTripLines(change),
    markLine('sql'),
    '\\c postgres',
    `DROP DATABASE ${clone};`,
    markLine('drop'),
  ];
  return psqlScript(tmp, lines, 'warm');
}

// ---------------------------------------------------------------------------------------------
// drillbot

async function git(repo, args) {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  for (const key of Object.keys(env)) if (key.startsWith('GIT_') && !['GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_GLOBAL'].includes(key)) delete env[key];
  const common = ['-c', 'user.name=drillbot bench', '-c', 'user.email=bench@localhost', '-c', 'commit.gpgsign=false'];
  return mustRun('git', ['-C', repo, ...common, ...args], `git ${args[0]}`, { env });
}

/** A repository whose `main` holds the base migrations and whose HEAD (branch `change`) adds the rest. */
async function buildRepository(tmp, name, migrations, baseCount) {
  const repo = path.join(tmp, name);
  const copy = (m) => cp(path.join(LEMMY_DIR, m.name), path.join(repo, 'migrations', m.name), { recursive: true });
  await git(tmp, ['init', '-q', '-b', 'main', repo]);
  await writeFile(path.join(repo, 'drillbot.yml'), `migrations:\n  layout: diesel\n  path: migrations\nshadow:\n  setup: ${JSON.stringify(SETUP_SQL)}\n`);
  for (const m of migrations.slice(0, baseCount)) await copy(m);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '-m', `base: ${baseCount} migrations`]);
  await git(repo, ['checkout', '-q', '-b', 'change']);
  for (const m of migrations.slice(baseCount)) await copy(m);
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '-m', `change: ${migrations.length - baseCount} migrations`]);
  return repo;
}

/**
 * Runs `drillbot check` once and returns { seconds, report, phases }. Exit 0 (pass) and 1 (fail)
 * are reviews that ran; anything else is a failure of the bench.
 */
async function drillbot(repo, { cache, seedRows, hint = true }, label) {
  const args = [
    CLI,
    'check',
    '--repo',
    repo,
    '--base',
    'main',
    '--config',
    path.join(repo, 'drillbot.yml'),
    '--format',
    'json',
    '--database-url',
    DATABASE_URL,
  ];
  if (!cache) args.push('--no-cache');
  if (seedRows !== undefined) args.push('--seed-rows', String(seedRows));
  const env = { ...process.env };
  delete env.DRILLBOT_DATABASE_URL;
  // The bench's own cache directory, where the last review of a base leaves its template hint
  // (src/cli/template-hint.ts); without one the review clones the template once it has keyed it.
  env.DRILLBOT_CACHE_DIR = hint ? CACHE_DIR : await mkdtemp(path.join(os.tmpdir(), 'drillbot-bench-nohint-'));
  const result = await run(process.execPath, args, { env, cwd: REPO_ROOT });
  if (!hint) await rm(env.DRILLBOT_CACHE_DIR, { recursive: true, force: true });
  let report = null;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    // reported below
  }
  if (result.code !== 0 && result.code !== 1) {
    throw new BenchError(
      `${label}: drillbot exited with ${result.code}.\nstderr:\n${result.stderr.trim()}\nfindings: ${JSON.stringify(report?.findings ?? [], null, 2)}`,
    );
  }
  if (!report?.drill) throw new BenchError(`${label}: no drill summary in the report:\n${result.stdout.slice(0, 2000)}\n${result.stderr.trim()}`);
  return { seconds: result.seconds, report, phases: phasesOf(result) };
}

/**
 * The phases of a run, from the progress lines' arrival times: each phase runs from the line that
 * starts it to the next phase's line; the last ends when the process exits.
 */
const PHASES = [
  ['start', null], // Node start, imports, config, merge-base: until the first line
  ['changes', /^comparing HEAD/], // git trees, layout, parse
  ['server', /^starting the /],
  ['base', /^PostgreSQL .*base migrations/], // leak sweep, role, template lookup or replay, clone
  ['seed', /^seeding /],
  ['forward', /^forward /],
  ['reverse', /^reverse /],
  ['redo', /^redo /], // redo, then rules, drafts, report and exit
];

function phasesOf(result) {
  const marks = [{ phase: 'start', at: 0 }];
  for (const { at, text } of result.lines) {
    const message = text.replace(/^drillbot \[[\d.]+s\] /, '');
    const i = PHASES.findIndex(([, re]) => re?.test(message));
    if (i >= 0 && marks[marks.length - 1].phase !== PHASES[i][0]) marks.push({ phase: PHASES[i][0], at });
  }
  const seconds = {};
  marks.forEach((m, i) => {
    seconds[m.phase] = (seconds[m.phase] ?? 0) + ((marks[i + 1]?.at ?? result.seconds) - m.at);
  });
  return seconds;
}

// ---------------------------------------------------------------------------------------------
// Statistics and output

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const fmt = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('   ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('   ')}` : line;
    })
    .join('\n');
}

function findingsSummary(report) {
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  return `${report.findings.length} (${errors} error${errors === 1 ? '' : 's'})`;
}

// ---------------------------------------------------------------------------------------------

/** One scenario: its repository, drillbot options and baseline; measured `runs` times, interleaved. */
async function measure(scenario, runs) {
  const drill = [];
  const baseline = [];
  for (let i = 1; i <= runs; i++) {
    baseline.push(await scenario.baseline());
    const expected = scenario.options.cache ? 'hit' : 'miss';
    let r;
    // Other reviews on the same server can evict the template (drillbot keeps a few): a warm run
    // that misses has filled the cache again, so the next attempt is warm.
    for (let attempt = 1; attempt <= WARM_ATTEMPTS; attempt++) {
      r = await drillbot(scenario.repo, scenario.options, `${scenario.name} ${i}`);
      if (r.report.drill.templateCache === expected) break;
      progress(`  ${scenario.name} ${i}: templateCache ${r.report.drill.templateCache}, expected ${expected}; again`);
    }
    if (r.report.drill.templateCache !== expected)
      throw new BenchError(`${scenario.name} ${i}: templateCache ${r.report.drill.templateCache}, expected ${expected}`);
    progress(`  ${scenario.name} ${i}/${runs}: drillbot ${fmt(r.seconds)} s, baseline ${fmt(baseline[i - 1].seconds)} s`);
    drill.push(r);
  }
  return { scenario, drill, baseline };
}

async function main() {
  const { runs, end, only } = parseOptions(process.argv.slice(2));
  if (!existsSync(LEMMY_DIR)) throw new BenchError(`Lemmy's migrations are missing: expected ${LEMMY_DIR} (set DRILLBOT_CORPUS_DIR)`);
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) throw new BenchError('dist/ is missing: run "npm run bench" (it builds first)');
  const all = readLemmy();
  if (end > all.length || end < 21) throw new BenchError(`--end must be between 21 and ${all.length}`);
  const migrations = all.slice(0, end);
  const serverVersion = (await psqlAdmin('SHOW server_version', 'connecting to the local PostgreSQL')).stdout.trim();

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'drillbot-bench-'));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  CACHE_DIR = path.join(tmp, 'cache');
  await mkdir(path.join(tmp, 'sql'));
  const sqlDir = path.join(tmp, 'sql');
  progress(`Lemmy: migrations 1..${end} (${migrations[end - 1].name}); PostgreSQL ${serverVersion} at ${PG.host}:${PG.port}; ${runs} run(s)`);

  const one = await buildRepository(tmp, 'one', migrations, end - 1);
  const twenty = await buildRepository(tmp, 'twenty', migrations, end - 20);
  // The warm baselines' bases, replayed (untimed) once a chosen scenario needs them.
  const bases = new Map();
  const replayed = (count) => {
    if (!bases.has(count)) bases.set(count, replayedBase(sqlDir, migrations, count));
    return bases.get(count);
  };
  const warm = async (count) => warmBaseline(sqlDir, await replayed(count), migrations.slice(count));

  const scenarios = [
    { name: 'cold', repo: one, options: { cache: false }, baseline: () => coldBaseline(sqlDir, migrations, end - 1), what: `1 new, base ${end - 1} replayed` },
    { name: 'warm', repo: one, options: { cache: true }, baseline: () => warm(end - 1), what: '1 new, base reviewed before' },
    { name: 'warm, new base', repo: one, options: { cache: true, hint: false }, baseline: () => warm(end - 1), what: '1 new, no hint' },
    { name: '20-migration', repo: twenty, options: { cache: true }, baseline: () => warm(end - 20), what: '20 new' },
    { name: 'seed-rows 10000', repo: one, options: { cache: true, seedRows: 10000 }, baseline: () => warm(end - 1), what: '1 new, --seed-rows 10000' },
  ].filter((s) => s.name.startsWith(only));
  if (scenarios.length === 0) throw new BenchError(`no scenario starts with "${only}"\n${USAGE}`);
  progress("filling drillbot's template cache (untimed)");
  for (const repo of new Set(scenarios.filter((s) => s.options.cache).map((s) => s.repo)))
    await drillbot(repo, { cache: true }, `cache fill (${path.basename(repo)})`);

  const results = [];
  for (const s of scenarios) {
    progress(`scenario ${s.name} (${s.what})`);
    results.push(await measure(s, runs));
  }

  const out = [];
  out.push(`drillbot bench: Lemmy (Diesel) migrations 1..${end}, PostgreSQL ${serverVersion} at ${PG.host}:${PG.port} (url provider), medians of ${runs}`);
  out.push('baseline: one psql process running the same SQL in one session, each migration in its own transaction');
  out.push('  cold: the base history replayed + one clone + the change; warm: clone of the replayed base + the change + drop;');
  out.push("  the change's SQL is what the drill runs of it: forward, reverse newest first, forward again");
  out.push('');
  out.push(
    table([
      ['scenario', 'drillbot s', 'baseline s', 'ratio', 'seeded rows/tables', 'findings'],
      ...results.map(({ scenario, drill, baseline }) => {
        const d = median(drill.map((r) => r.seconds));
        const b = median(baseline.map((x) => x.seconds));
        const last = drill[drill.length - 1].report;
        return [
          `${scenario.name} (${scenario.what})`,
          fmt(d),
          fmt(b),
          `${(d / b).toFixed(2)}x`,
          `${last.drill.seededRows}/${last.drill.seededTables}`,
          findingsSummary(last),
        ];
      }),
    ]),
  );
  out.push(...incrementalLine(results));
  out.push('');
  const names = PHASES.map(([name]) => name);
  out.push(
    table([
      ['phases (median s)', ...names],
      ...results.map(({ scenario, drill }) => [scenario.name, ...names.map((p) => fmt(median(drill.map((r) => r.phases[p] ?? 0))))]),
    ]),
  );
  out.push("(phases from the progress lines' arrival: start = Node, imports, config, merge-base; changes = git trees, layout, parse;");
  out.push(" server = what is left of the shadow's start, begun before the change is read; base = leak sweep, template lookup or replay,");
  out.push(' clone (or the wait for the clone begun from the hint); redo includes the rules, drafts and report)');
  out.push('');
  out.push(
    table([
      ['baseline phases (median s)', ...BASELINE_PHASES, 'psql'],
      ...results.map(({ scenario, baseline }) => [
        scenario.name,
        ...BASELINE_PHASES.map((p) => fmt(median(baseline.map((b) => b.phases[p] ?? NaN)))),
        fmt(median(baseline.map((b) => b.seconds - Object.values(b.phases).reduce((sum, x) => sum + x, 0)))),
      ]),
    ]),
  );
  out.push("(from the server's clock between the script's steps: replay = the base history (cold only), clone = CREATE DATABASE,");
  out.push(" connect = \\c to the clone, sql = the change's round trip, drop = back to postgres and DROP DATABASE (warm only);");
  out.push(' psql = the rest of the whole process: its start, first connection and exit)');
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

/** The baselines' phases, in script order (see markLine). */
const BASELINE_PHASES = ['replay', 'clone', 'connect', 'sql', 'drop'];

/**
 * The 20-migration change judged as "its SQL + the warm fixed cost": what drillbot adds over its
 * warm one-migration review, against what PostgreSQL's SQL adds over the warm baseline's (the 19
 * more migrations' round trips). The SQL phases are compared, not the whole baselines: those are
 * mostly a clone, whose time swings more between runs than the SQL the comparison is about.
 * Shown only when both scenarios ran.
 */
function incrementalLine(results) {
  const byName = (name) => results.find((r) => r.scenario.name === name);
  const [warmRun, twenty] = [byName('warm'), byName('20-migration')];
  if (!warmRun || !twenty) return [];
  const extra = median(twenty.drill.map((r) => r.seconds)) - median(warmRun.drill.map((r) => r.seconds));
  const sqlOf = (result) => median(result.baseline.map((b) => b.phases.sql));
  const sql = sqlOf(twenty) - sqlOf(warmRun);
  const ratio = sql > 0 ? `${(extra / sql).toFixed(2)}x` : 'n/a (no SQL time above the warm baseline)';
  return [`20-migration over warm: drillbot +${fmt(extra)} s, PostgreSQL's SQL phase +${fmt(sql)} s: ${ratio}`];
}

main()
  .then(async (code) => {
    await cleanup();
    process.exitCode = code;
  })
  .catch(async (error) => {
    await cleanup();
    process.stderr.write(`bench: ${error instanceof BenchError ? error.message : (error?.stack ?? String(error))}\n`);
    process.exitCode = 1;
  });
