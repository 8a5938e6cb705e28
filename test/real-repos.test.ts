import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from '../src/cli/main.js';
import type { LayoutId } from '../src/core/layouts/layout.js';
import type { Finding, Report } from '../src/core/report/report.js';
import { LOCAL_URL } from './support/drill.js';
import { gitRepo } from './support/git-repo.js';

/**
 * Real migration changes from public Diesel, goose, dbmate and golang-migrate repositories
 * (test/fixtures/real, built by scripts/real-fixtures.mjs; each directory keeps the upstream
 * licence). Each case is a git repository holding the migrations of the upstream base commit and
 * the change's files on top, reviewed like `drillbot check` on the local PostgreSQL. A case
 * lists the findings judged true (README there has the judgement of every finding): each must
 * be reported, and no error beyond them may appear. The same change is then reviewed with a
 * history that cannot replay: the static rules must report what they reported beside the drill.
 */
const ROOT = 'test/fixtures/real';

interface RealCase {
  readonly head: string;
  readonly base: string;
  readonly subject: string;
  readonly why: string;
  /** Path under the migrations directory → fixture file holding its content at that commit. */
  readonly baseFiles: Record<string, string>;
  readonly changeFiles: Record<string, string>;
  readonly deleted: string[];
  /** `severity rule/hazard@path:line`, path under the migrations directory. */
  readonly expected: string[];
}

interface RealRepo {
  readonly repository: string;
  readonly licence: string;
  readonly dir: string;
  readonly layout: LayoutId;
  /** .github/drillbot.yml at the base commit (the tool's bookkeeping table as shadow.setup). */
  readonly config?: string;
  readonly cases: RealCase[];
}

const repos = readdirSync(ROOT, { withFileTypes: true })
  .filter((tool) => tool.isDirectory())
  .flatMap((tool) => readdirSync(join(ROOT, tool.name)).map((name) => join(ROOT, tool.name, name)))
  .map((dir) => ({ dir, repo: JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as RealRepo }));

/** The case's files at their real paths, read from the fixture. */
function files(fixture: string, repo: RealRepo, entries: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(entries).map(([rel, stored]) => [`${repo.dir}/${rel}`, readFileSync(join(fixture, stored), 'utf8')]));
}

/** The key the cases list findings by. */
function findingKey(f: Finding, dir: string): string {
  return `${f.severity} ${f.rule}/${f.hazard}@${f.path.startsWith(`${dir}/`) ? f.path.slice(dir.length + 1) : f.path}:${f.line}`;
}

/** A setup that fails: the base history never replays, so only the static rules and the history checks run. */
const UNREPLAYABLE = `shadow:\n  setup: "DO $$ BEGIN RAISE EXCEPTION 'no replay'; END $$;"\n`;

/** The static rules' findings, whatever their severity (a rule may say less without the drill's evidence). */
function ruleFindings(report: Report): string[] {
  return report.findings
    .filter((f) => f.source === 'rule')
    .map((f) => `${f.rule}@${f.path}:${f.line}`)
    .sort();
}

async function reviewCase(fixture: string, repo: RealRepo, c: RealCase, config = repo.config): Promise<Report> {
  const base = { ...files(fixture, repo, c.baseFiles), ...(config ? { '.github/drillbot.yml': config } : {}) };
  const git = gitRepo(base, files(fixture, repo, c.changeFiles));
  try {
    return await check(
      {
        command: 'check',
        repo: git.dir,
        base: 'main',
        path: repo.dir,
        layout: repo.layout,
        outputs: [{ format: 'json', file: null }],
        provider: 'url',
        databaseUrl: LOCAL_URL,
        seedRows: 50,
        cache: false,
        quiet: true,
      },
      () => undefined,
    );
  } finally {
    git.remove();
  }
}

describe('real migration changes from public repositories', () => {
  for (const { dir: fixture, repo } of repos) {
    describe(`${repo.repository} (${repo.layout}, ${repo.licence})`, () => {
      it.each(repo.cases.map((c) => [`${c.head} ${c.subject}`, c] as const))(
        '%s',
        async (_name, c) => {
          const report = await reviewCase(fixture, repo, c);
          const found = report.findings.map((f) => findingKey(f, repo.dir));
          expect(found).toEqual(expect.arrayContaining(c.expected));
          // An infra error is unexpected too, unless the case expects it (a history that does not replay upstream either).
          expect(found.filter((k) => k.startsWith('error ') && !c.expected.includes(k))).toEqual([]);
          const undrilled = await reviewCase(fixture, repo, c, UNREPLAYABLE);
          expect(undrilled.complete).toBe(false);
          expect(ruleFindings(undrilled)).toEqual(ruleFindings(report));
        },
        120_000,
      );
    });
  }
});
