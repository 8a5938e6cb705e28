import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChangeSet } from '../../src/core/change-set/change-set.js';
import { DEFAULT_CONFIG, type DrillbotConfig } from '../../src/core/config.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import type { ShadowProvider } from '../../src/core/drill/providers/provider.js';
import { readMigrations } from '../../src/core/layouts/index.js';
import type { FileTree, LayoutId, Migration } from '../../src/core/layouts/layout.js';
import type { Finding, Report } from '../../src/core/report/report.js';
import { review } from '../../src/core/review.js';
import { loadFileTree } from '../../src/core/testing/file-tree.js';
import { LOCAL_URL } from './drill.js';
import { isEmptySql } from '../../src/core/layouts/util.js';

/**
 * The real-world corpus (four upstream migration histories and the psql round-trip baselines of
 * replay.sh under results/) lives outside the repository; `.ci/run` points DRILLBOT_CORPUS_DIR at
 * it. Without it the corpus suites are reported as skipped, with the reason.
 */
const CORPUS_DIR = process.env.DRILLBOT_CORPUS_DIR;
export const CORPUS = CORPUS_DIR ? `${path.resolve(CORPUS_DIR)}/` : '';
export const hasCorpus = CORPUS !== '' && existsSync(CORPUS);
const MISSING = CORPUS_DIR ? `${CORPUS} does not exist` : 'DRILLBOT_CORPUS_DIR is not set';

export interface CorpusRepo {
  /** Directory under the corpus. */
  readonly repo: string;
  /** Migrations directory inside it. */
  readonly dir: string;
  readonly layout: LayoutId;
  /** Directory name under results/pg15-*. */
  readonly results: string;
  /** What the tool's bookkeeping needs before the first migration. */
  readonly setup?: string;
}

export const OPENFGA: CorpusRepo = { repo: 'openfga__openfga', dir: 'assets/migrations/postgres', layout: 'goose', results: 'openfga' };
export const HARNESS: CorpusRepo = {
  repo: 'harness__harness',
  dir: 'app/store/database/migrate/postgres',
  layout: 'plain',
  results: 'harness',
  setup: 'CREATE TABLE migrations (version text NOT NULL);',
};
export const LEMMY: CorpusRepo = {
  repo: 'LemmyNet__lemmy',
  dir: 'migrations',
  layout: 'diesel',
  results: 'lemmy',
  setup: 'CREATE TABLE __diesel_schema_migrations (version varchar(50) PRIMARY KEY NOT NULL, run_on timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP);',
};
export const HATCHET: CorpusRepo = { repo: 'hatchet-dev__hatchet', dir: 'cmd/hatchet-migrate/migrate/migrations', layout: 'goose', results: 'hatchet' };

export interface LoadedCorpus {
  readonly corpus: CorpusRepo;
  readonly tree: FileTree;
  /** In the tool's order; index i is the baseline's idx i + 1. */
  readonly migrations: Migration[];
}

const loaded = new Map<string, LoadedCorpus>();

export function loadCorpus(corpus: CorpusRepo): LoadedCorpus {
  let entry = loaded.get(corpus.repo);
  if (!entry) {
    const tree = loadFileTree(`${CORPUS}${corpus.repo}`, corpus.dir);
    entry = { corpus, tree, migrations: readMigrations(tree, corpus.layout).migrations };
    loaded.set(corpus.repo, entry);
  }
  return entry;
}

/** The files of migrations #from..#to (1-based, inclusive), as the layout assigned them. */
function filesOf(c: LoadedCorpus, from: number, to: number): FileTree['files'] {
  const paths = new Set(c.migrations.slice(from - 1, to).flatMap((m) => [m.forward.path, m.reverse?.path ?? m.forward.path]));
  return c.tree.files.filter((f) => paths.has(f.path));
}

/**
 * A change that adds migrations #(baseCount+1)..#end on top of a base branch holding #1..#baseCount.
 * For layouts that keep both directions in one file (goose) the file set is the same thing.
 */
export function corpusChangeSet(c: LoadedCorpus, baseCount: number, end: number): ChangeSet {
  return {
    base: { root: c.tree.root, files: filesOf(c, 1, baseCount) },
    head: { root: c.tree.root, files: filesOf(c, 1, end) },
  };
}

export interface CorpusDrill {
  readonly report: Report;
  readonly ms: number;
  /** 1-based corpus index of the migration a script path belongs to. */
  readonly indexOfPath: (path: string) => number;
  /** 1-based corpus index of the migration a finding's file belongs to (goose: the same file both ways). */
  readonly indexOf: (f: Finding) => number;
  /** Corpus indexes of the migrations with a drill or layout finding of `hazard` (deduplicated, in order). */
  readonly byMigration: (hazard: string) => number[];
}

/** Drills #(baseCount+1)..#end on the local PostgreSQL (or `provider`'s), the base history replayed (or cached) first. */
export async function drillCorpus(
  corpus: CorpusRepo,
  baseCount: number,
  end: number,
  shadow: Partial<DrillbotConfig['shadow']> = {},
  provider: ShadowProvider = createUrlProvider(LOCAL_URL),
): Promise<CorpusDrill> {
  const c = loadCorpus(corpus);
  const started = performance.now();
  const report = await review({
    changeSet: corpusChangeSet(c, baseCount, end),
    config: {
      ...DEFAULT_CONFIG,
      migrations: { ...DEFAULT_CONFIG.migrations, layout: corpus.layout },
      shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 20, setup: corpus.setup, ...shadow },
    },
    provider,
  });
  const ms = performance.now() - started;
  const byPath = new Map<string, number>();
  c.migrations.forEach((m, i) => {
    byPath.set(m.forward.path, i + 1);
    if (m.reverse) byPath.set(m.reverse.path, i + 1);
  });
  const indexOfPath = (path: string) => byPath.get(path) ?? -1;
  const indexOf = (f: Finding) => indexOfPath(f.path);
  // Static rules may raise the same hazards on the text; the baseline compares what the drill and the layout find.
  const byMigration = (hazard: string) => [
    ...new Set(report.findings.filter((f) => f.hazard === hazard && (f.source === 'drill' || f.source === 'layout')).map(indexOf)),
  ];
  return { report, ms, indexOfPath, indexOf, byMigration };
}

export type BaselineResult = 'exact' | 'sorted-equal' | 'DIFF' | 'down-failed' | 'up-failed';

export interface BaselineRow {
  readonly idx: number;
  readonly name: string;
  readonly down: 'present' | 'empty' | 'missing';
  readonly result: BaselineResult;
}

/** results/<run>/<repo>/roundtrip.tsv of replay.sh: one row per migration of the round-trip window. */
export function readBaseline(run: 'pg15-all' | 'pg15-last20', corpus: CorpusRepo): Map<number, BaselineRow> {
  const text = readFileSync(`${CORPUS}results/${run}/${corpus.results}/roundtrip.tsv`, 'utf8');
  const rows = text
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [idx, name, down, result] = line.split('\t');
      return { idx: Number(idx), name, down, result } as BaselineRow;
    });
  return new Map(rows.map((r) => [r.idx, r]));
}

/** The baseline's rows for #from..#to. */
export function baselineWindow(baseline: Map<number, BaselineRow>, from: number, to: number): BaselineRow[] {
  const rows: BaselineRow[] = [];
  for (let i = from; i <= to; i++) {
    const row = baseline.get(i);
    if (!row) throw new Error(`baseline has no row for #${i}`);
    rows.push(row);
  }
  return rows;
}

/** Migration indexes of the rows whose result is one of `results`. */
export const indexesWhere = (rows: BaselineRow[], ...results: BaselineResult[]): number[] => rows.filter((r) => results.includes(r.result)).map((r) => r.idx);

/** A one-line summary of a drill for the test log: time, cache, round trip, findings per hazard. */
export function summary(label: string, d: CorpusDrill): string {
  const counts = new Map<string, number[]>();
  for (const f of d.report.findings) counts.set(f.hazard, [...new Set([...(counts.get(f.hazard) ?? []), d.indexOf(f)])]);
  const drill = d.report.drill;
  const parts = [...counts].map(([h, idx]) => `${h}:${idx.join(',')}`);
  return `${label}: ${(d.ms / 1000).toFixed(1)} s, template ${drill?.templateCache}, roundTrip ${drill?.roundTrip}; ${parts.join(' ') || 'no findings'}`;
}

/** What Drillbot must report for a window, derived from the baseline and the layout. */
export interface WindowExpectation {
  /** Migrations whose forward ran (all of the window unless a forward stops it). */
  readonly applied: number[];
  /** Migrations whose round trip the drill checked: newest first, until a reverse is missing or fails. */
  readonly verified: number[];
  readonly reverseMismatch: number[];
  readonly reverseError: number[];
  /** Every added migration without a (non-empty) reverse: the layout reports them, drilled or not. */
  readonly missingReverse: number[];
  /** Whether the reverse stopped before the oldest applied migration (then there is no redo). */
  readonly stopped: boolean;
}

export interface WindowOverrides {
  /** A forward that fails on the seeded shadow although the psql baseline (empty tables) applied it. */
  readonly forwardStop?: number;
  /** How the drill classifies that failure (default data-dependent). */
  readonly forwardStopHazard?: 'data-dependent' | 'forward-error';
  /** Reverses that fail in the drill although the baseline's isolated round trip passed. */
  readonly reverseError?: number[];
}

/**
 * Walks the window the way the drill does: forward until `forwardStop`, then reverse newest first;
 * a missing reverse or a failing one (baseline `down-failed`) ends the walk. A baseline DIFF is a
 * `reverse-mismatch`; exact and sorted-equal (only column order differs, which Drillbot ignores)
 * are restored.
 */
export function expectWindow(
  corpus: CorpusRepo,
  baseline: Map<number, BaselineRow>,
  baseCount: number,
  end: number,
  overrides: WindowOverrides = {},
): WindowExpectation {
  const c = loadCorpus(corpus);
  const last = overrides.forwardStop ? overrides.forwardStop - 1 : end;
  const applied = range(baseCount + 1, last);
  // A forward of comments only is a placeholder: it needs no reverse and the drill skips it.
  const placeholder = (i: number) => isEmptySql(c.migrations[i - 1].forward.sql);
  const missingReverse = range(baseCount + 1, end).filter((i) => c.migrations[i - 1].reverse === null && !placeholder(i));
  const verified: number[] = [];
  const reverseMismatch: number[] = [];
  const reverseError: number[] = [];
  let stopped = false;
  for (const i of [...applied].reverse()) {
    if (placeholder(i)) continue;
    if (c.migrations[i - 1].reverse === null) {
      stopped = true;
      break;
    }
    const row = baselineWindow(baseline, i, i)[0];
    if (row.result === 'down-failed' || overrides.reverseError?.includes(i)) {
      reverseError.push(i);
      stopped = true;
      break;
    }
    verified.push(i);
    if (row.result === 'DIFF') reverseMismatch.push(i);
  }
  return { applied, verified, reverseMismatch: reverseMismatch.sort((a, b) => a - b), reverseError, missingReverse, stopped };
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, k) => from + k);
}

/** The per-migration outcome of a drill, in the shape `expectedVerdicts` gives for the baseline. */
export function verdicts(d: CorpusDrill) {
  const ran = (direction: string, status?: string) =>
    d.report.migrations.filter((m) => m.direction === direction && (!status || m.status === status)).map((m) => d.indexOfPath(m.path));
  const sorted = (list: number[]) => [...list].sort((a, b) => a - b);
  const reverseError = d.byMigration('reverse-error');
  const reversed = ran('reverse');
  return {
    forwardApplied: ran('forward', 'applied'),
    /**
     * Newest first, as the drill reaches them; the last one failed when the reverse stopped on an
     * error (a reverse PostgreSQL cannot parse is rejected before it runs, so it is added here).
     */
    reversed: [...reversed, ...reverseError.filter((i) => !reversed.includes(i))],
    reverseMismatch: sorted(d.byMigration('reverse-mismatch')),
    reverseError,
    missingReverse: sorted(d.byMigration('missing-reverse')),
  };
}

export function expectedVerdicts(x: WindowExpectation): ReturnType<typeof verdicts> {
  return {
    forwardApplied: x.applied,
    reversed: [...x.verified, ...x.reverseError],
    reverseMismatch: x.reverseMismatch,
    reverseError: x.reverseError,
    missingReverse: x.missingReverse,
  };
}

/** Findings Drillbot raises when it cannot do its job (base replay, connection, timeout). */
export const infraFindings = (d: CorpusDrill) => d.report.findings.filter((f) => f.hazard === 'infra').map((f) => `${f.path}:${f.line} ${f.message}`);

/** Runs `work` once, on first use: several tests assert on the same drill. */
export function once<T>(work: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= work());
}

/** Set DRILLBOT_CORPUS_FULL=1 to also drill the windows that only widen the baseline coverage. */
export const FULL = process.env.DRILLBOT_CORPUS_FULL === '1';

/**
 * The `describe` of a corpus test file and the `it` of tests that run only with
 * DRILLBOT_CORPUS_FULL=1. Without the corpus the suite's body is never run (it reads the corpus
 * while collecting tests): one skipped test says why.
 */
export function corpusSuite(label: string): { describeCorpus: (title: string, body: () => void) => void; fullOnly: jest.It } {
  const describeCorpus = hasCorpus
    ? describe
    : (title: string) =>
        describe(title, () => it.skip(`${label} corpus not available: ${MISSING} (.ci/run points it at the corpus beside the repository)`, () => undefined));
  return { describeCorpus, fullOnly: FULL ? it : it.skip };
}

/** `#from–#end on #1–#base: why`, for test titles. */
export const windowTitle = (w: CorpusWindow): string => `${w.end === w.base + 1 ? `#${w.end}` : `#${w.base + 1}–#${w.end}`} on #1–#${w.base}: ${w.why}`;

/** A window of a corpus: base #1..#base, the change adds #(base+1)..#end. */
export interface CorpusWindow {
  readonly base: number;
  readonly end: number;
  /** What the window exercises, from the baseline (used in the test title). */
  readonly why: string;
  readonly overrides?: WindowOverrides;
  /** shadow.seedRows for this drill (default 20). */
  readonly seedRows?: number;
  /** Baseline run to compare with (default pg15-all). */
  readonly run?: 'pg15-all' | 'pg15-last20';
}

const drillLog: string[] = [];

/** Set DRILLBOT_CORPUS_LOG=1 to print one line per drill (time, cache, findings) after each file. */
export function printDrillLog(): void {
  if (process.env.DRILLBOT_CORPUS_LOG === '1' && drillLog.length > 0) console.log(drillLog.splice(0).join('\n'));
}

/** Drills the window and derives what the baseline says the drill must find. */
export async function drillWindow(corpus: CorpusRepo, w: CorpusWindow): Promise<{ d: CorpusDrill; x: WindowExpectation }> {
  const d = await drillCorpus(corpus, w.base, w.end, w.seedRows !== undefined ? { seedRows: w.seedRows } : {});
  const x = expectWindow(corpus, readBaseline(w.run ?? 'pg15-all', corpus), w.base, w.end, w.overrides);
  drillLog.push(summary(`${corpus.repo} #${w.base + 1}..#${w.end} on #1..#${w.base}${w.seedRows !== undefined ? ` (seedRows ${w.seedRows})` : ''}`, d));
  return { d, x };
}

/** Drills the window and asserts that the drill agrees with the baseline (`expectAgreement`). */
export async function expectWindowAgrees(corpus: CorpusRepo, w: CorpusWindow): Promise<void> {
  const { d, x } = await drillWindow(corpus, w);
  expectAgreement(d, x, w);
}

/**
 * The drill agrees with the baseline on every migration it verified: the base replays, every
 * forward applies (up to `forwardStop`, which must be a data-dependent failure), the reverses ran
 * newest first exactly as far as expected, and the reverse-mismatch / reverse-error /
 * missing-reverse verdicts are the baseline's.
 */
export function expectAgreement(d: CorpusDrill, x: WindowExpectation, w: CorpusWindow): void {
  expect(infraFindings(d)).toEqual([]);
  expect(d.report.drill?.baseMigrations).toBe(w.base);
  expect(verdicts(d)).toEqual(expectedVerdicts(x));
  const stop = w.overrides?.forwardStop;
  const stopHazard = w.overrides?.forwardStopHazard ?? 'data-dependent';
  for (const hazard of ['forward-error', 'data-dependent'] as const) expect(d.byMigration(hazard)).toEqual(stop && hazard === stopHazard ? [stop] : []);
  if (x.stopped) {
    expect(d.report.drill?.roundTrip).toBe('not-run');
  } else {
    // Redo runs only when every reverse ran, oldest first, and stops at the first forward that no
    // longer applies: that is a leftover of a reverse (e.g. an enum value ADD VALUE meets again),
    // reported as a reverse-mismatch of that migration, so it must be one the baseline calls DIFF.
    const redo = d.report.migrations.filter((m) => m.direction === 'redo').map((m) => [d.indexOfPath(m.path), m.status] as const);
    const failed = redo.filter(([, status]) => status !== 'applied');
    expect(redo.map(([i]) => i)).toEqual(x.applied.slice(0, redo.length));
    if (failed.length === 0) expect(redo).toHaveLength(x.applied.length);
    else expect(failed).toEqual([[redo[redo.length - 1][0], 'failed']]);
    failed.forEach(([i]) => expect(x.reverseMismatch).toContain(i));
    if (x.reverseMismatch.length > 0) expect(d.report.drill?.roundTrip).toBe('mismatch');
  }
}
