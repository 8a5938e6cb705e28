import type { FileTree, Layout, LayoutProblem, LayoutResult, Migration, MigrationScript } from './layout.js';
import { compareBytes, listEntries, splitLines, usableReverse, type TreeEntry } from './util.js';

const PLAN = 'sqitch.plan';
// A change line: its name, then optional [dependencies], the timestamp, the planner and a note.
const CHANGE = /^([^\s@:#%[\]][^\s@:#[\]]*)(?:\s+\[([^\]]*)\])?\s+\d{4}-\d\d-\d\dT/;

/**
 * sqitch (https://github.com/sqitchers/sqitch, lib/App/Sqitch/Engine.pm and Engine/pg.pm):
 * - `sqitch.plan` lists the changes in deploy order (`%` pragmas, `@tag` lines and `#` comments
 *   aside); change `x` is `deploy/x.sql`, reverted by `revert/x.sql` and checked by `verify/x.sql`;
 *   the registry (schema `sqitch`) records deployed changes;
 * - the pg engine runs each script with `psql --file` and ON_ERROR_STOP, no transaction of its
 *   own: the statements run one by one, inside whatever BEGIN … COMMIT the script writes;
 * - with verification on (`deploy.verify = true`, or `--verify`) the verify script runs right
 *   after its deploy script, and a failing verify reverts the change and stops the deploy, so
 *   Drillbot runs it after each forward;
 * - deploy starts after the last deployed change of the plan (_sync_plan): a change inserted
 *   above one that is already deployed is never deployed there;
 * - a reworked change (a name planned twice, older scripts as `x@tag.sql`) is not read here.
 */
export const compareSqitchVersions = compareBytes;

interface PlannedChange {
  readonly name: string;
  readonly line: number;
}

function planned(plan: TreeEntry, problems: LayoutProblem[]): PlannedChange[] {
  const changes: PlannedChange[] = [];
  const seen = new Set<string>();
  for (const line of splitLines(plan.file.content)) {
    const text = line.text.trim();
    if (text === '' || /^[%@#]/.test(text)) continue;
    const m = CHANGE.exec(text);
    if (!m) {
      problems.push({ kind: 'unparsable', path: plan.file.path, line: line.number, detail: 'sqitch cannot read this plan line' });
      continue;
    }
    if (seen.has(m[1]!)) {
      problems.push({
        kind: 'unparsable',
        path: plan.file.path,
        line: line.number,
        detail: `change ${m[1]} is reworked: Drillbot does not read reworked sqitch changes`,
      });
      continue;
    }
    seen.add(m[1]!);
    changes.push({ name: m[1]!, line: line.number });
  }
  return changes;
}

function script(entry: TreeEntry): MigrationScript {
  return { path: entry.file.path, sql: entry.file.content, startLine: 1, transaction: 'none' };
}

function readSqitch(tree: FileTree): LayoutResult {
  const problems: LayoutProblem[] = [];
  const entries = listEntries(tree);
  const plan = entries.find((e) => e.rel === PLAN);
  if (!plan) return { migrations: [], problems };
  const byRel = new Map(entries.map((e) => [e.rel, e]));
  const migrations: Migration[] = [];
  for (const change of planned(plan, problems)) {
    const deploy = byRel.get(`deploy/${change.name}.sql`);
    if (!deploy) {
      problems.push({
        kind: 'unparsable',
        path: plan.file.path,
        line: change.line,
        detail: `sqitch cannot deploy ${change.name}: there is no deploy/${change.name}.sql`,
      });
      continue;
    }
    const revert = byRel.get(`revert/${change.name}.sql`);
    const verify = byRel.get(`verify/${change.name}.sql`);
    const found = revert ? { script: script(revert), label: `revert/${change.name}.sql` } : null;
    const reverse = usableReverse(found, { version: change.name, path: deploy.file.path, line: 1 }, `no revert/${change.name}.sql`, problems);
    migrations.push({ version: change.name, name: change.name, forward: script(deploy), reverse, ...(verify ? { verify: script(verify) } : {}) });
  }
  return { migrations, problems };
}

export const sqitch: Layout = {
  id: 'sqitch',
  supportsReverse: true,
  versionsOrderedBy: 'position',
  outOfOrder: { kind: 'skips', tool: 'sqitch', why: 'deploys only the changes planned after the last one deployed' },
  detect: (tree) => listEntries(tree).some((e) => e.rel === PLAN),
  read: readSqitch,
};
