import type { Finding } from '../report/report.js';
import type { LayoutId, LayoutProblem, Migration } from '../layouts/layout.js';
import { compareVersions, detectLayout, readMigrations } from '../layouts/index.js';
import { isEmptySql } from '../layouts/util.js';
import { finding } from '../report/findings.js';
import { oversizedFindings } from './file-bytes.js';
import { diffFiles, firstDifferentLine, type ChangeSet } from './change-set.js';

/** What the drill needs from a change: the base history, the new migrations, and what history already tells. */
export interface ChangeAnalysis {
  readonly layout: LayoutId;
  /** The base branch's migrations, in the tool's order: what production has run. */
  readonly base: Migration[];
  /** Migrations the change adds, in the tool's order: what the drill runs forward and back. */
  readonly added: Migration[];
  readonly findings: Finding[];
  /** False when a file was too large to read: the drill would run something other than the change. */
  readonly allFilesRead: boolean;
}

/** Reads both sides with the layout and judges the change's history: edits, ordering, missing reverses. */
export function analyzeChange(changeSet: ChangeSet, layoutId?: LayoutId): ChangeAnalysis {
  const layout = layoutId ?? detectLayout(changeSet.head)?.id ?? detectLayout(changeSet.base)?.id;
  if (!layout) throw new Error(`no migration layout recognised under "${changeSet.head.root || '.'}"`);
  const base = readMigrations(changeSet.base, layout);
  const head = readMigrations(changeSet.head, layout);
  const baseVersions = new Set(base.migrations.map((m) => m.version));
  const added = head.migrations.filter((m) => !baseVersions.has(m.version));
  const touched = new Set(added.flatMap(scriptPaths));
  // A forward migration of comments only needs no reverse (Harness 0059 is such a placeholder).
  const placeholders = new Set(added.filter((m) => isEmptySql(m.forward.sql)).map((m) => m.forward.path));
  const oversized = oversizedFindings(changeSet);
  const findings = [
    ...oversized,
    ...historyEdits(changeSet, base.migrations, head.migrations),
    ...orderingProblems(layout, base.migrations, added),
    ...head.problems
      .filter((p) => problemPaths(p).some((path) => touched.has(path)))
      .filter((p) => !(p.kind === 'missing-reverse' && placeholders.has(p.path)))
      .map(problemFinding),
  ];
  return { layout, base: base.migrations, added, findings, allFilesRead: oversized.length === 0 };
}

/** Editing or deleting a migration the base already has: production ran the old text. */
function historyEdits(changeSet: ChangeSet, base: Migration[], head: Migration[]): Finding[] {
  const headByVersion = new Map(head.map((m) => [m.version, m]));
  const changes = diffFiles(changeSet);
  return base.flatMap((old) => {
    const now = headByVersion.get(old.version);
    const path = old.forward.path;
    if (!now) {
      const renamed = changes.find((c) => c.kind === 'renamed' && c.from === path);
      const message = renamed
        ? `Migration ${old.name} was renamed to ${renamed.path}; production has already recorded it under its old version, so the tool will run it again or refuse.`
        : `Migration ${old.name} exists on the base branch and has most likely run in production; deleting it makes fresh environments diverge from production.`;
      const fix = 'Restore the file and add a new migration that makes the change.';
      return [finding({ hazard: 'history-edit', source: 'change-set', path: renamed?.path ?? path, line: 1, message, fix })];
    }
    if (now.forward.sql === old.forward.sql) return [];
    const line = now.forward.startLine - 1 + firstDifferentLine(old.forward.sql, now.forward.sql);
    return [
      finding({
        hazard: 'history-edit',
        source: 'change-set',
        path: now.forward.path,
        line,
        message: `Migration ${old.name} exists on the base branch and has most likely run in production; editing it changes nothing there and makes fresh environments diverge.`,
        fix: 'Revert the edit and put the change in a new migration.',
      }),
    ];
  });
}

/** New versions must sort after every base version, and versions must be unique. */
function orderingProblems(layout: LayoutId, base: Migration[], added: Migration[]): Finding[] {
  const newest = base.reduce<Migration | null>((max, m) => (!max || compareVersions(layout, m.version, max.version) > 0 ? m : max), null);
  const seen = new Map<string, Migration>();
  const findings: Finding[] = [];
  for (const m of added) {
    const twin = seen.get(m.version);
    if (twin) {
      findings.push(ordering(m.forward.path, `Version ${m.version} is used twice (also ${twin.forward.path}); the tool will run only one of them.`, 'Give this migration a new, higher version.'));
    } else if (newest && compareVersions(layout, m.version, newest.version) < 0) {
      findings.push(
        ordering(
          m.forward.path,
          `Version ${m.version} sorts before the newest base migration ${newest.version}; environments that already ran ${newest.version} will skip it or refuse to migrate.`,
          `Renumber it to sort after ${newest.version}.`,
        ),
      );
    }
    seen.set(m.version, m);
  }
  return findings;
}

function ordering(path: string, message: string, fix: string): Finding {
  return finding({ hazard: 'ordering', source: 'change-set', path, line: 1, message, fix });
}

function problemFinding(problem: LayoutProblem): Finding {
  switch (problem.kind) {
    case 'missing-reverse':
      return finding({
        hazard: 'missing-reverse',
        source: 'layout',
        path: problem.path,
        line: problem.line,
        message: `This migration has no reverse (${problem.detail}): a failed deploy cannot be rolled back.`,
        fix: 'Write the reverse migration that undoes each statement, newest first.',
      });
    case 'orphan-reverse':
      return finding({
        hazard: 'missing-reverse',
        source: 'layout',
        path: problem.path,
        line: 1,
        message: `Reverse migration ${problem.version} has no forward migration beside it.`,
        fix: 'Rename it to match its forward migration, or remove it.',
      });
    case 'duplicate-version':
      return ordering(problem.paths[1] ?? problem.paths[0], `Version ${problem.version} is used by ${problem.paths.join(' and ')}.`, 'Give each migration its own version.');
    case 'unparsable':
      return finding({ hazard: 'forward-error', source: 'layout', path: problem.path, line: problem.line, message: problem.detail, fix: 'Fix the file so its migration tool can read it.' });
  }
}

function scriptPaths(m: Migration): string[] {
  return m.reverse ? [m.forward.path, m.reverse.path] : [m.forward.path];
}

function problemPaths(p: LayoutProblem): string[] {
  return p.kind === 'duplicate-version' ? p.paths : [p.path];
}
