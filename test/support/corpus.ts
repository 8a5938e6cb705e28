import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChangeSet } from '../../src/core/change-set/change-set.js';
import { DEFAULT_CONFIG, type DrillbotConfig } from '../../src/core/config.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import { readMigrations } from '../../src/core/layouts/index.js';
import type { FileTree, LayoutId, Migration } from '../../src/core/layouts/layout.js';
import type { Finding, Report } from '../../src/core/report/report.js';
import { review } from '../../src/core/review.js';
import { loadFileTree } from '../../src/core/testing/file-tree.js';
import { LOCAL_URL } from './drill.js';

/**
 * The real-world corpus beside the repository (../shared/corpus, see its README): four upstream
 * migration histories and the psql round-trip baselines of replay.sh under results/.
 */
export const CORPUS = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
export const hasCorpus = existsSync(CORPUS);

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
  /** 1-based corpus index of the migration a finding's file belongs to (goose: the same file both ways). */
  readonly indexOf: (f: Finding) => number;
  /** `hazard#idx` for every finding of a drill hazard (deduplicated, in order). */
  readonly byMigration: (hazard: string) => number[];
}

/** Drills #(baseCount+1)..#end on the local PostgreSQL, the base history replayed (or cached) first. */
export async function drillCorpus(corpus: CorpusRepo, baseCount: number, end: number, shadow: Partial<DrillbotConfig['shadow']> = {}): Promise<CorpusDrill> {
  const c = loadCorpus(corpus);
  const started = performance.now();
  const report = await review({
    changeSet: corpusChangeSet(c, baseCount, end),
    config: {
      migrations: { layout: corpus.layout },
      shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 20, setup: corpus.setup, ...shadow },
    },
    provider: createUrlProvider(LOCAL_URL),
  });
  const ms = performance.now() - started;
  const byPath = new Map<string, number>();
  c.migrations.forEach((m, i) => {
    byPath.set(m.forward.path, i + 1);
    if (m.reverse) byPath.set(m.reverse.path, i + 1);
  });
  const indexOf = (f: Finding) => byPath.get(f.path) ?? -1;
  const byMigration = (hazard: string) => [...new Set(report.findings.filter((f) => f.hazard === hazard).map(indexOf))];
  return { report, ms, indexOf, byMigration };
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
