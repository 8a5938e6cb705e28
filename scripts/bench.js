#!/usr/bin/env node
// Benchmark: replays a real migration history from ../shared/corpus and compares, in one run,
//   1. psql baseline: the same forward files applied with raw psql on a scratch database,
//   2. drillbot cold: `drillbot check --no-cache` (the base history is replayed),
//   3. drillbot warm: `drillbot check` after a cache-filling run (the base is cloned from its template).
// Usage: npm run bench -- [--corpus harness|openfga] [--k K] [--runs R] [--embedded]
// Progress goes to stderr, the result table to stdout. Exit status 1 on any failure.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS_DIR = path.resolve(process.env.DRILLBOT_CORPUS_DIR ?? path.join(REPO_ROOT, '../shared/corpus'));
const CLI = path.join(REPO_ROOT, 'bin', 'drillbot.js');
const PG = { host: '127.0.0.1', port: '5432', user: 'postgres' };
const DATABASE_URL = `postgres://${PG.user}@${PG.host}:${PG.port}/postgres`;

/** The corpora this bench knows: where the files are and how their tool orders them. */
const CORPORA = {
  harness: {
    dir: 'harness__harness',
    path: 'app/store/database/migrate/postgres',
    layout: 'plain',
    // maragudk/migrate writes its version into this table, which must exist before the first file.
    setup: 'CREATE TABLE migrations (version text NOT NULL);',
    defaultK: 10,
    read: readMaragudk,
  },
  openfga: {
    dir: 'openfga__openfga',
    path: 'assets/migrations/postgres',
    layout: 'goose',
    setup: undefined,
    defaultK: 2,
    read: readGoose,
  },
};

class BenchError extends Error {}

/** A warm run that finds no template (evicted by another process) is repeated up to this often. */
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

// ---------------------------------------------------------------------------------------------
// Options

function parseOptions(argv) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        corpus: { type: 'string', default: 'harness' },
        k: { type: 'string' },
        runs: { type: 'string', default: '3' },
        embedded: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new BenchError(`${error.message}\nUsage: npm run bench -- [--corpus harness|openfga] [--k K] [--runs R] [--embedded]`);
  }
  if (values.help) {
    process.stdout.write('Usage: npm run bench -- [--corpus harness|openfga] [--k K] [--runs R] [--embedded]\n');
    process.exit(0);
  }
  const corpus = CORPORA[values.corpus];
  if (!corpus) throw new BenchError(`--corpus: unknown corpus "${values.corpus}" (known: ${Object.keys(CORPORA).join(', ')})`);
  const k = positiveInt(values.k ?? String(corpus.defaultK), '--k');
  const runs = positiveInt(values.runs, '--runs');
  return { corpusName: values.corpus, corpus, k, runs, embedded: values.embedded };
}

function positiveInt(text, flag) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new BenchError(`${flag} must be a positive integer; got "${text}"`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Reading the corpus in the migration tool's order (independently of drillbot's own readers;
// the migration counts drillbot reports are checked against these).

/** A migration: its version, its forward script (file to feed psql), and every file that belongs to it. */
function migration(version, forwardFile, files, transaction = true) {
  return { version, forwardFile, files, transaction };
}

/**
 * maragudk/migrate (harness): `^([\w-]+).up.sql$` / `^([\w-]+).down.sql` with unescaped dots,
 * files sorted by name, and an up whose version is not greater than the current one is skipped.
 */
function readMaragudk(dir) {
  const UP = /^([\w-]+).up.sql$/;
  const DOWN = /^([\w-]+).down.sql/;
  const names = readdirSync(dir).sort(compareBytes);
  const downs = new Map();
  for (const name of names) {
    const m = DOWN.exec(name);
    if (m && !UP.test(name)) downs.set(m[1] + name.slice(m[0].length), name);
  }
  const migrations = [];
  const skipped = [];
  let current = '';
  for (const name of names) {
    const m = UP.exec(name);
    if (!m) continue;
    if (compareBytes(m[1], current) <= 0) {
      skipped.push(name);
      continue;
    }
    current = m[1];
    const files = [name, ...(downs.has(m[1]) ? [downs.get(m[1])] : [])];
    migrations.push(migration(m[1], path.join(dir, name), files));
  }
  return { migrations, versionOf: (file) => (UP.exec(file) ?? DOWN.exec(file))?.[1] ?? file, compare: compareBytes, skipped };
}

/** goose: `<digits>_<name>.sql`, ordered by the number; the Up section is the forward script. */
function readGoose(dir) {
  const FILE = /^(\d+)_.*\.sql$/;
  const files = readdirSync(dir)
    .filter((name) => FILE.test(name))
    .sort((a, b) => compareNumeric(FILE.exec(a)[1], FILE.exec(b)[1]));
  const migrations = files.map((name) => {
    const text = readFileSync(path.join(dir, name), 'utf8');
    const transaction = !/^--\s*\+goose\s+no\s+transaction\s*$/im.test(text);
    return { ...migration(FILE.exec(name)[1], null, [name], transaction), upSql: gooseUpSection(text, name) };
  });
  return { migrations, versionOf: (file) => FILE.exec(file)?.[1] ?? file, compare: compareNumeric, skipped: [] };
}

function gooseUpSection(text, name) {
  let section = 'start';
  const up = [];
  for (const line of text.split('\n')) {
    if (/^--\s*\+goose\s+up\s*$/i.test(line.trimEnd())) section = 'up';
    else if (/^--\s*\+goose\s+down\s*$/i.test(line.trimEnd())) section = 'down';
    else if (section === 'up') up.push(line);
  }
  if (section === 'start') throw new BenchError(`${name}: no "-- +goose Up" annotation`);
  return `${up.join('\n')}\n`;
}

function compareBytes(a, b) {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function compareNumeric(a, b) {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Runs a command; resolves with { code, stdout, stderr, seconds } (never rejects on exit status). */
function run(command, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', (error) => reject(new BenchError(`cannot run ${command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 1),
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        seconds: (performance.now() - t0) / 1000,
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

function psqlArgs(database, ...rest) {
  return ['-X', '-q', '-h', PG.host, '-p', PG.port, '-U', PG.user, '-d', database, '-v', 'ON_ERROR_STOP=1', ...rest];
}

async function psqlAdmin(sql, what) {
  return mustRun('psql', psqlArgs('postgres', '-At', '-c', sql), what, { env: psqlEnv() });
}

// ---------------------------------------------------------------------------------------------
// 1. psql baseline

/**
 * Applies the forward files with raw psql, one process per file, on a fresh scratch database.
 * Returns the wall seconds of the base files and of the change's files (database creation and the
 * setup SQL are not timed).
 */
async function psqlBaseline(migrations, baseCount, setup, round) {
  const database = `bench_psql_${process.pid}_${round}`;
  await psqlAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, 'dropping a leftover scratch database');
  await psqlAdmin(`CREATE DATABASE ${database} TEMPLATE template0`, `creating scratch database ${database}`);
  try {
    if (setup) await mustRun('psql', psqlArgs(database, '-c', setup), 'the setup SQL', { env: psqlEnv() });
    const seconds = { base: 0, change: 0 };
    for (const [i, m] of migrations.entries()) {
      // NO TRANSACTION scripts (CREATE INDEX CONCURRENTLY) cannot run inside one transaction.
      const tx = m.transaction ? ['--single-transaction'] : [];
      const result = await run('psql', psqlArgs(database, ...tx, '-f', m.forwardFile), { env: psqlEnv() });
      if (result.code !== 0) {
        throw new BenchError(`psql baseline: ${path.basename(m.forwardFile)} (migration ${i + 1}/${migrations.length}) failed:\n${result.stderr.trim()}`);
      }
      seconds[i < baseCount ? 'base' : 'change'] += result.seconds;
    }
    return seconds;
  } finally {
    await psqlAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, `dropping scratch database ${database}`);
  }
}

/**
 * For context only: the same files through ONE psql process (`\i` per file, each in its own
 * transaction unless NO TRANSACTION), which leaves out psql's per-process start and connection.
 */
async function psqlOneSession(migrations, setup, round, tmp) {
  const database = `bench_psql1_${process.pid}_${round}`;
  const driver = path.join(tmp, `one-session-${round}.sql`);
  const quote = (file) => `'${file.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
  const lines = migrations.map((m) => (m.transaction ? `BEGIN;\n\\i ${quote(m.forwardFile)}\nCOMMIT;` : `\\i ${quote(m.forwardFile)}`));
  await writeFile(driver, `${lines.join('\n')}\n`);
  await psqlAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, 'dropping a leftover scratch database');
  await psqlAdmin(`CREATE DATABASE ${database} TEMPLATE template0`, `creating scratch database ${database}`);
  try {
    if (setup) await mustRun('psql', psqlArgs(database, '-c', setup), 'the setup SQL', { env: psqlEnv() });
    const result = await run('psql', psqlArgs(database, '-f', driver), { env: psqlEnv() });
    if (result.code !== 0) throw new BenchError(`psql (one session) failed:\n${result.stderr.trim()}`);
    return result.seconds;
  } finally {
    await psqlAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, `dropping scratch database ${database}`);
  }
}

// ---------------------------------------------------------------------------------------------
// 2./3. drillbot

async function git(repo, args) {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  for (const key of Object.keys(env)) if (key.startsWith('GIT_') && !['GIT_CONFIG_NOSYSTEM', 'GIT_CONFIG_GLOBAL'].includes(key)) delete env[key];
  const common = ['-c', 'user.name=drillbot bench', '-c', 'user.email=bench@localhost', '-c', 'commit.gpgsign=false'];
  return mustRun('git', ['-C', repo, ...common, ...args], `git ${args[0]}`, { env });
}

/** A repository whose `main` holds the base migrations and whose HEAD (branch `change`) adds the rest. */
async function buildRepository(tmp, sourceDir, corpus, read, baseCount) {
  const repo = path.join(tmp, 'repo');
  const target = path.join(repo, corpus.path);
  await mkdir(target, { recursive: true });
  const { migrations, versionOf, compare } = read;
  const lastBase = migrations[baseCount - 1].version;
  // Every file of the directory goes to the commit its version belongs to: files no migration
  // claims (an orphan down, an up the tool skips) go by where their version sorts.
  const all = readdirSync(sourceDir).filter((name) => statSync(path.join(sourceDir, name)).isFile());
  const inChange = new Set(migrations.slice(baseCount).flatMap((m) => m.files));
  const inBase = new Set(migrations.slice(0, baseCount).flatMap((m) => m.files));
  const baseFiles = all.filter((f) => inBase.has(f) || (!inChange.has(f) && compare(versionOf(f), lastBase) <= 0));
  const changeFiles = all.filter((f) => !baseFiles.includes(f));
  await git(tmp, ['init', '-q', '-b', 'main', repo]);
  for (const f of baseFiles) await copyFile(path.join(sourceDir, f), path.join(target, f));
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '-m', `base: ${baseCount} migrations`]);
  await git(repo, ['checkout', '-q', '-b', 'change']);
  for (const f of changeFiles) await copyFile(path.join(sourceDir, f), path.join(target, f));
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '-m', `change: ${migrations.length - baseCount} migrations`]);
  return { repo, baseFiles: baseFiles.length, changeFiles: changeFiles.length };
}

function configYaml(corpus) {
  const lines = ['migrations:', `  layout: ${corpus.layout}`, `  path: ${corpus.path}`];
  if (corpus.setup) lines.push('shadow:', `  setup: ${JSON.stringify(corpus.setup)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Runs `drillbot check` once and returns { seconds, report }. Exit 0 (pass) and 1 (fail) are
 * reviews that ran; anything else is a failure of the bench.
 */
async function drillbot({ repo, config, cache, embeddedCacheDir }, label) {
  const args = [CLI, 'check', '--repo', repo, '--base', 'main', '--config', config, '--format', 'json', '--quiet'];
  if (!embeddedCacheDir) args.push('--database-url', DATABASE_URL);
  if (!cache) args.push('--no-cache');
  const env = { ...process.env };
  delete env.DRILLBOT_DATABASE_URL;
  if (embeddedCacheDir) env.DRILLBOT_CACHE_DIR = embeddedCacheDir;
  const result = await run(process.execPath, args, { env, cwd: REPO_ROOT });
  let report = null;
  try {
    report = JSON.parse(result.stdout);
  } catch {
    // reported below
  }
  if (result.code === 2) {
    const infra = report?.findings?.filter((f) => f.hazard === 'infra') ?? [];
    throw new BenchError(
      `${label}: drillbot could not run the review (exit 2).\nstderr:\n${result.stderr.trim() || '(empty)'}` +
        (infra.length ? `\ninfra findings:\n${JSON.stringify(infra, null, 2)}` : ''),
    );
  }
  if (result.code !== 0 && result.code !== 1) {
    throw new BenchError(`${label}: drillbot exited with ${result.code}${result.signal ? ` (${result.signal})` : ''}.\nstderr:\n${result.stderr.trim()}`);
  }
  if (!report) throw new BenchError(`${label}: drillbot printed no JSON report.\nstdout:\n${result.stdout.slice(0, 2000)}\nstderr:\n${result.stderr.trim()}`);
  if (!report.drill) throw new BenchError(`${label}: the report has no drill summary (no new migrations found?):\n${JSON.stringify(report.findings, null, 2)}`);
  return { seconds: result.seconds, report };
}

const warnings = [];
function warn(message) {
  const text = `!!!!! WARNING: ${message} !!!!!`;
  warnings.push(text);
  process.stderr.write(`${text}\n`);
}

function expectCache(report, expected, label) {
  if (report.drill.templateCache !== expected) {
    const retry = expected === 'hit' ? ` (template evicted by another drillbot on this server? a miss is retried up to ${WARM_ATTEMPTS} times)` : '';
    warn(`${label}: drill.templateCache is "${report.drill.templateCache}", expected "${expected}"${retry}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and output

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const stats = (values) => ({ median: median(values), min: Math.min(...values) });
const fmt = (x) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');

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
  const byHazard = new Map();
  for (const f of report.findings) byHazard.set(`${f.hazard}/${f.severity}`, (byHazard.get(`${f.hazard}/${f.severity}`) ?? 0) + 1);
  const parts = [...byHazard].map(([k, n]) => `${n} ${k}`);
  return `${report.findings.length} finding(s)${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  const { corpus, k, runs, embedded } = opts;

  if (!existsSync(CORPUS_DIR)) {
    throw new BenchError(`the migration corpus is missing: expected ${CORPUS_DIR} (../shared/corpus relative to the repository root)`);
  }
  const sourceDir = path.join(CORPUS_DIR, corpus.dir, corpus.path);
  if (!existsSync(sourceDir)) throw new BenchError(`the corpus has no ${corpus.dir}/${corpus.path} (looked in ${sourceDir})`);
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js')))
    throw new BenchError('dist/ is missing: run "npm run bench" (it builds first) or "npm run build"');

  const read = corpus.read(sourceDir);
  const { migrations } = read;
  const total = migrations.length;
  if (k >= total) throw new BenchError(`--k ${k} leaves no base history: the ${opts.corpusName} corpus has ${total} migrations`);
  const baseCount = total - k;
  progress(`${opts.corpusName}: ${total} migrations in ${corpus.path} (${corpus.layout}); base ${baseCount}, new ${k}; ${runs} run(s)`);
  if (read.skipped.length) progress(`files the tool never runs (skipped, as maragudk does): ${read.skipped.join(', ')}`);

  // Reachability and versions of the local server (the psql baseline always runs there).
  await run('psql', ['--version']).then((r) => {
    if (r.code !== 0) throw new BenchError('psql is not on PATH');
  });
  let localVersion;
  try {
    localVersion = (await psqlAdmin('SHOW server_version', 'connecting')).stdout.trim();
  } catch (error) {
    throw new BenchError(
      `cannot reach the local PostgreSQL at ${PG.host}:${PG.port} as ${PG.user} (start it with "pg_ctlcluster 15 main start"):\n${error.message}`,
    );
  }
  const psqlClient = (await run('psql', ['--version'])).stdout.trim().replace(/^psql \(PostgreSQL\) /, 'client psql ');

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'drillbot-bench-'));
  cleanups.push(() => rm(tmp, { recursive: true, force: true }));
  // embedded PostgreSQL runs as the OS user "postgres" when we are root: it must be able to enter tmp.
  await chmod(tmp, 0o755);

  // Goose files: the Up section alone is what the tool runs, so psql gets exactly that.
  const forwardDir = path.join(tmp, 'forward');
  await mkdir(forwardDir);
  for (const m of migrations) {
    if (m.forwardFile) continue;
    m.forwardFile = path.join(forwardDir, `${m.files[0].replace(/\.sql$/, '')}.up.sql`);
    await writeFile(m.forwardFile, m.upSql);
  }

  const built = await buildRepository(tmp, sourceDir, corpus, read, baseCount);
  const config = path.join(tmp, 'drillbot.yml');
  await writeFile(config, configYaml(corpus));
  progress(`temporary repository ${built.repo}: main has ${built.baseFiles} files, HEAD adds ${built.changeFiles}`);

  // --- 1. psql baseline
  const psqlRuns = [];
  for (let i = 1; i <= runs; i++) {
    progress(`psql baseline ${i}/${runs}: ${total} files on a scratch database at ${PG.host}:${PG.port}`);
    const s = await psqlBaseline(migrations, baseCount, corpus.setup, i);
    progress(`  base ${s.base.toFixed(2)} s, change ${s.change.toFixed(2)} s`);
    psqlRuns.push(s);
  }
  const oneSession = [];
  for (let i = 1; i <= runs; i++) {
    progress(`psql one session ${i}/${runs} (context row: no per-file process start)`);
    oneSession.push(await psqlOneSession(migrations, corpus.setup, i, tmp));
    progress(`  ${oneSession[i - 1].toFixed(2)} s`);
  }

  // --- 2./3. drillbot cold and warm, interleaved so that drift hits both alike.
  let warmCacheDir;
  const embeddedRoot = path.join(tmp, 'embedded');
  if (embedded) {
    await mkdir(embeddedRoot, { mode: 0o755 });
    warmCacheDir = path.join(embeddedRoot, 'warm'); // created by drillbot (0755)
  }
  const common = { repo: built.repo, config };
  progress(`drillbot cache-filling run (${embedded ? `embedded, DRILLBOT_CACHE_DIR=${warmCacheDir}` : 'url provider'})`);
  const fill = await drillbot({ ...common, cache: true, embeddedCacheDir: warmCacheDir }, 'cache-filling run');
  progress(`  ${fill.seconds.toFixed(2)} s, templateCache ${fill.report.drill.templateCache}, verdict ${fill.report.verdict}`);

  const cold = [];
  const warm = [];
  for (let i = 1; i <= runs; i++) {
    let coldCacheDir;
    if (embedded) coldCacheDir = path.join(embeddedRoot, `cold-${i}`); // empty: initdb + replay
    progress(`drillbot cold ${i}/${runs} (--no-cache${embedded ? ', empty DRILLBOT_CACHE_DIR' : ''})`);
    const c = await drillbot({ ...common, cache: false, embeddedCacheDir: coldCacheDir }, `cold run ${i}`);
    if (coldCacheDir) await rm(coldCacheDir, { recursive: true, force: true });
    expectCache(c.report, 'miss', `cold run ${i}`);
    progress(`  ${c.seconds.toFixed(2)} s wall, review ${(c.report.drill.durationMs / 1000).toFixed(2)} s, templateCache ${c.report.drill.templateCache}`);
    cold.push(c);

    // Other drillbot users of the same server can evict our template (drillbot keeps only a few,
    // least recently used first): a warm run that misses re-fills the cache, so try again.
    let w;
    for (let attempt = 1; attempt <= WARM_ATTEMPTS; attempt++) {
      const label = `warm run ${i}${attempt > 1 ? ` (attempt ${attempt})` : ''}`;
      progress(`drillbot ${label}`);
      w = await drillbot({ ...common, cache: true, embeddedCacheDir: warmCacheDir }, label);
      progress(`  ${w.seconds.toFixed(2)} s wall, review ${(w.report.drill.durationMs / 1000).toFixed(2)} s, templateCache ${w.report.drill.templateCache}`);
      expectCache(w.report, 'hit', label);
      if (w.report.drill.templateCache === 'hit') break;
    }
    warm.push(w);
  }

  // --- checks across the runs
  const report = warm[warm.length - 1].report;
  const d = report.drill;
  if (d.baseMigrations !== baseCount || d.newMigrations !== k) {
    warn(`drillbot counted ${d.baseMigrations} base + ${d.newMigrations} new migrations; the bench (and the psql baseline) used ${baseCount} + ${k}`);
  }
  const verdicts = new Set([...cold, ...warm].map((r) => `${r.report.verdict}/${r.report.findings.length}`));
  if (verdicts.size > 1) warn(`the runs disagree on the review: ${[...verdicts].join(' vs ')}`);

  // --- output
  const psqlAll = stats(psqlRuns.map((s) => s.base + s.change));
  const psqlBase = stats(psqlRuns.map((s) => s.base));
  const psqlChange = stats(psqlRuns.map((s) => s.change));
  const psqlOne = stats(oneSession);
  const coldWall = stats(cold.map((r) => r.seconds));
  const warmWall = stats(warm.map((r) => r.seconds));
  const coldReview = stats(cold.map((r) => r.report.drill.durationMs / 1000));
  const warmReview = stats(warm.map((r) => r.report.drill.durationMs / 1000));

  const out = [];
  out.push(`drillbot bench: corpus ${opts.corpusName} (${corpus.dir}/${corpus.path}, layout ${corpus.layout}), ${runs} run(s) each`);
  out.push(`migrations: ${baseCount} base + ${k} new (drillbot counted ${d.baseMigrations} + ${d.newMigrations})`);
  if (embedded) {
    out.push(
      `drillbot: embedded provider, PostgreSQL ${d.serverVersion}; cold = empty temporary DRILLBOT_CACHE_DIR each run (includes initdb), warm = cache dir filled by a first run`,
    );
    out.push(`psql baseline: NOT on the embedded server but on the local server ${PG.host}:${PG.port}, PostgreSQL ${localVersion}, ${psqlClient}`);
  } else {
    out.push(`server: PostgreSQL ${d.serverVersion} at ${PG.host}:${PG.port} for both psql (${psqlClient}) and drillbot (url provider)`);
  }
  out.push(`review: verdict ${report.verdict}, ${findingsSummary(report)}; round trip ${d.roundTrip}; seeded ${d.seededRows} rows in ${d.seededTables} tables`);
  const noTx = migrations.filter((m) => !m.transaction).length;
  if (noTx) out.push(`note: ${noTx} NO TRANSACTION file(s) ran in psql without --single-transaction`);
  out.push('');
  out.push(
    table([
      ['seconds', 'median', 'min', 'review median', 'review min'],
      [`psql base+change (${total} files)`, fmt(psqlAll.median), fmt(psqlAll.min), '', ''],
      [`psql base only (${baseCount} files)`, fmt(psqlBase.median), fmt(psqlBase.min), '', ''],
      [`psql change only (${k} files)`, fmt(psqlChange.median), fmt(psqlChange.min), '', ''],
      [`(psql all ${total} in one session)`, fmt(psqlOne.median), fmt(psqlOne.min), '', ''],
      ['drillbot cold (--no-cache)', fmt(coldWall.median), fmt(coldWall.min), fmt(coldReview.median), fmt(coldReview.min)],
      ['drillbot warm (template)', fmt(warmWall.median), fmt(warmWall.min), fmt(warmReview.median), fmt(warmReview.min)],
    ]),
  );
  out.push('(drillbot columns "median"/"min": wall time of the CLI process; "review": the report\'s drill.durationMs;');
  out.push(' psql rows: one `psql --single-transaction -f FILE` process per file, summed; the one-session row is context only)');
  out.push('');
  out.push(
    table([
      ['ratios (medians, wall)', 'value'],
      ['cold / psql(base+change)', ratio(coldWall.median, psqlAll.median)],
      ['warm / psql(base+change)', ratio(warmWall.median, psqlAll.median)],
      ['warm / cold', ratio(warmWall.median, coldWall.median)],
    ]),
  );
  const warmMisses = warm.filter((r) => r.report.drill.templateCache !== 'hit').length;
  if (warmMisses) out.push('', `!!!!! WARNING: ${warmMisses} of ${runs} warm timings in the table are NOT template hits !!!!!`);
  if (warnings.length) out.push('', ...warnings);
  process.stdout.write(`${out.join('\n')}\n`);
  // A warning is loud but not a failure: the numbers are printed, flagged.
  return 0;
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
