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
 * - a reworked change (`sqitch rework`: the name planned again after a tag) keeps its earlier
 *   scripts as `x@tag.sql` for its earlier place in the plan (Plan.pm: "Cannot rework without an
 *   intervening tag"; lib/App/Sqitch/Plan/Change.pm path_segments picks the file), and its latest
 *   scripts as `x.sql`.
 */
export const compareSqitchVersions = compareBytes;

interface PlannedChange {
  readonly name: string;
  readonly line: number;
  /** The tool's key for this occurrence: the name, and for a rework the name with its rework number. */
  readonly version: string;
  /** The tags between this occurrence and the next of the same name: set when the change is reworked later. */
  reworkTags: string[];
}

/** Reads the plan's changes in order; a name planned again after a tag is a rework of the earlier one. */
function planned(plan: TreeEntry, problems: LayoutProblem[]): PlannedChange[] {
  const changes: PlannedChange[] = [];
  const tags: string[] = [];
  const latest = new Map<string, { change: PlannedChange; tagsBefore: number; reworks: number }>();
  for (const line of splitLines(plan.file.content)) {
    const text = line.text.trim();
    if (text.startsWith('@')) tags.push(text.split(/\s/, 1)[0]!);
    if (text === '' || /^[%@#]/.test(text)) continue;
    const m = CHANGE.exec(text);
    if (!m) {
      problems.push({ kind: 'unparsable', path: plan.file.path, line: line.number, detail: 'sqitch cannot read this plan line' });
      continue;
    }
    const name = m[1]!;
    const earlier = latest.get(name);
    if (earlier && tags.length === earlier.tagsBefore) {
      problems.push({
        kind: 'unparsable',
        path: plan.file.path,
        line: line.number,
        detail: `sqitch cannot rework ${name} without an intervening tag: it is planned again with no tag since line ${earlier.change.line}`,
      });
      continue;
    }
    if (earlier) earlier.change.reworkTags = tags.slice(earlier.tagsBefore);
    const reworks = earlier ? earlier.reworks + 1 : 0;
    const change = { name, line: line.number, version: reworks ? `${name} (rework ${reworks})` : name, reworkTags: [] };
    latest.set(name, { change, tagsBefore: tags.length, reworks });
    changes.push(change);
  }
  return changes;
}

/**
 * The file stem of a change's scripts: `name` for its latest occurrence; a reworked one's scripts
 * were copied to `name@tag` with the first of its rework tags that has a deploy script, as
 * Plan::Change::path_segments picks it (the first tag when none has).
 */
function stem(change: PlannedChange, byRel: ReadonlyMap<string, TreeEntry>): string {
  if (change.reworkTags.length === 0) return change.name;
  const withScript = change.reworkTags.find((tag) => byRel.has(`deploy/${change.name}${tag}.sql`));
  return `${change.name}${withScript ?? change.reworkTags[0]}`;
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
    const file = stem(change, byRel);
    const deploy = byRel.get(`deploy/${file}.sql`);
    if (!deploy) {
      problems.push({
        kind: 'unparsable',
        path: plan.file.path,
        line: change.line,
        detail: `sqitch cannot deploy ${change.name}: there is no deploy/${file}.sql`,
      });
      continue;
    }
    const revert = byRel.get(`revert/${file}.sql`);
    const verify = byRel.get(`verify/${file}.sql`);
    const found = revert ? { script: script(revert), label: `revert/${file}.sql` } : null;
    const reverse = usableReverse(found, { version: change.version, path: deploy.file.path, line: 1 }, `no revert/${file}.sql`, problems);
    migrations.push({ version: change.version, name: change.version, forward: script(deploy), reverse, ...(verify ? { verify: script(verify) } : {}) });
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
