import type { DrillbotConfig } from '../config.js';
import type { Severity } from '../hazards.js';
import type { Finding } from '../report/report.js';
import type { Layout, LayoutId, LayoutProblem, Migration, OutOfOrderBehaviour, SourceFile } from '../layouts/layout.js';
import { compareVersions, detectLayout, LAYOUTS, readMigrations } from '../layouts/index.js';
import { isEmptySql } from '../layouts/util.js';
import { finding } from '../report/findings.js';
import { oversizedFindings } from './file-bytes.js';
import { diffFiles, firstDifferentLine, type ChangeSet, type FileChange } from './change-set.js';
import { undrilledFinding, undrilledSqlFiles } from './undrilled.js';

/** What the drill needs from a change: the base history, the new migrations, and what history already tells. */
export interface ChangeAnalysis {
  readonly layout: LayoutId;
  /** The base branch's migrations, in the tool's order: what production has run. */
  readonly base: Migration[];
  /** Migrations the change adds, in the tool's order: what the drill runs forward and back. */
  readonly added: Migration[];
  /** What the shadow replays to stand for the base: its history, or the `shadow.baseline` file in its place. */
  readonly replay: readonly Migration[];
  readonly findings: Finding[];
  /** False when a file was too large to read: the drill would run something other than the change. */
  readonly allFilesRead: boolean;
}

/** Reads both sides with the layout and judges the change's history: edits, ordering, missing reverses. */
export function analyzeChange(
  changeSet: ChangeSet,
  migrations: Pick<DrillbotConfig['migrations'], 'layout' | 'outOfOrder' | 'requireReverse' | 'changelog' | 'parameters'> = {},
): ChangeAnalysis {
  // The base is the history the tool has accepted: what the change adds (a repeated version, say)
  // must not sway which tool this is.
  const layout = migrations.layout ? LAYOUTS.find((l) => l.id === migrations.layout) : (detectLayout(changeSet.base) ?? detectLayout(changeSet.head));
  if (!layout) throw new Error(`no migration layout recognised under "${changeSet.head.root || '.'}"`);
  const options = {
    ...(migrations.changelog === undefined ? {} : { changelog: migrations.changelog }),
    ...(migrations.parameters === undefined ? {} : { parameters: migrations.parameters }),
  };
  const base = readMigrations(changeSet.base, layout.id, options);
  const head = readMigrations(changeSet.head, layout.id, options);
  const baseVersions = new Set(base.migrations.map((m) => m.version));
  const reruns = rerunsOfEdits(base.migrations, head.migrations);
  const added = head.migrations.filter((m) => !baseVersions.has(m.version) || reruns.has(m));
  const changes = diffFiles(changeSet);
  const changed = new Set([...changes.flatMap((c) => (c.kind === 'deleted' ? [] : [c.path])), ...added.flatMap(scriptPaths)]);
  const context: ProblemContext = { tool: layout.outOfOrder.tool, changed, basePaths: forwardPaths(base.migrations), headPaths: forwardPaths(head.migrations) };
  // A forward migration of comments only needs no reverse (Harness 0059 is such a placeholder).
  const placeholders = new Set(added.filter((m) => isEmptySql(m.forward.sql)).map((m) => m.forward.path));
  const oversized = oversizedFindings(changeSet);
  const notDrilledBefore = new Set(base.problems.flatMap((p) => (p.kind === 'not-drilled' ? [p.version] : [])));
  const findings = [
    ...oversized,
    ...historyEdits(changes, base.migrations, head.migrations),
    ...orderingProblems(
      layout,
      migrations.outOfOrder,
      base.migrations,
      added.filter((m) => !reruns.has(m)),
      head.migrations,
    ),
    ...head.problems
      .filter((p) => problemPaths(p).some((path) => changed.has(path)))
      // One file can hold many migrations (Liquibase): a reverse the base already lacked is not this change's.
      .filter((p) => !(p.kind === 'missing-reverse' && base.problems.some((q) => q.kind === 'missing-reverse' && q.version === p.version)))
      .filter((p) => !(p.kind === 'missing-reverse' && placeholders.has(p.path)))
      .filter((p) => !(p.kind === 'not-drilled' && notDrilledBefore.has(p.version)))
      .map((p) => problemFinding(p, context)),
    ...(layout.supportsReverse ? [] : added.filter((m) => !placeholders.has(m.forward.path)).map((m) => forwardOnly(layout, m, migrations.requireReverse))),
    ...undrilledFindings(changeSet, head),
    ...unreplayedHistory(base.problems),
  ];
  return { layout: layout.id, base: base.migrations, added, replay: base.migrations, findings, allFilesRead: oversized.length === 0 };
}

/** A baseline file (a schema-only dump or the tool's schema file) replayed in place of the base history, in one transaction. */
export function withBaseline(analysis: ChangeAnalysis, baseline: SourceFile | undefined): ChangeAnalysis {
  if (!baseline) return analysis;
  // The baseline stands for the whole history, so what the history could not replay is no longer missing.
  const findings = analysis.findings.filter((f) => f.rule !== UNREPLAYED_HISTORY);
  const forward = { path: baseline.path, sql: baseline.content, startLine: 1, transaction: 'transaction' as const };
  return { ...analysis, findings, replay: [{ version: 'baseline', name: baseline.path, forward, reverse: null }] };
}

const UNREPLAYED_HISTORY = 'unreplayed-history';
const SHOWN_UNREPLAYED = 3;

/**
 * Base migrations the tool runs and the drill cannot (Liquibase changesets of native change types):
 * the shadow lacks what they create or change. Not the change's fault, so a notice, never a block;
 * a statement of the change that needs those objects fails on the shadow for that reason.
 */
function unreplayedHistory(problems: readonly LayoutProblem[]): Finding[] {
  const missing = problems.filter((p): p is Extract<LayoutProblem, { kind: 'not-drilled' }> => p.kind === 'not-drilled');
  const first = missing[0];
  if (!first) return [];
  const named = missing.slice(0, SHOWN_UNREPLAYED).map((p) => `${p.path}:${p.line}`);
  const more = missing.length > SHOWN_UNREPLAYED ? ` and ${missing.length - SHOWN_UNREPLAYED} more` : '';
  return [
    finding({
      hazard: 'infra',
      source: 'change-set',
      rule: UNREPLAYED_HISTORY,
      severity: 'notice',
      path: first.path,
      line: first.line,
      message: `The base history holds ${missing.length} migration${missing.length === 1 ? '' : 's'} that Drillbot cannot run (${named.join(', ')}${more}): ${first.detail}. The shadow replayed the history without them, so what they create or change is missing there, and a statement of this change that needs it fails on the shadow for that reason alone.`,
      fix: [...new Set(missing.map((p) => p.fix ?? BASELINE_FIX))].join(' '),
    }),
  ];
}

const BASELINE_FIX = 'Set shadow.baseline to a schema-only dump of production (pg_dump --schema-only), which the shadow replays instead of the history.';

/** Base migrations the tool runs again because the change edited them (Liquibase runOnChange): drilled as new runs after the history. */
function rerunsOfEdits(base: readonly Migration[], head: readonly Migration[]): Set<Migration> {
  const before = new Map(base.map((m) => [m.version, m]));
  return new Set(head.filter((m) => m.rerunsOnChange && before.has(m.version) && before.get(m.version)!.forward.sql !== m.forward.sql));
}

/** Editing or deleting a migration the base already has (either direction): production ran the old text. */
function historyEdits(changes: readonly FileChange[], base: Migration[], head: Migration[]): Finding[] {
  const headByVersion = new Map(head.map((m) => [m.version, m]));
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
    return [...forwardEdit(old, now), ...reverseEdit(old, now)];
  });
}

function forwardEdit(old: Migration, now: Migration): Finding[] {
  if (now.forward.sql === old.forward.sql || now.rerunsOnChange) return [];
  return [
    finding({
      hazard: 'history-edit',
      source: 'change-set',
      path: now.forward.path,
      line: now.forward.startLine - 1 + firstDifferentLine(old.forward.sql, now.forward.sql),
      message: `Migration ${old.name} exists on the base branch and has most likely run in production; editing it changes nothing there and makes fresh environments diverge.`,
      fix: 'Revert the edit and put the change in a new migration.',
    }),
  ];
}

/** A base migration's reverse is what rolls production back: removing or rewriting it is not drilled here. */
function reverseEdit(old: Migration, now: Migration): Finding[] {
  if (!old.reverse || now.reverse?.sql === old.reverse.sql) return [];
  const removed = now.reverse === null;
  return [
    finding({
      hazard: 'history-edit',
      source: 'change-set',
      path: now.reverse?.path ?? old.reverse.path,
      line: removed ? 1 : now.reverse!.startLine - 1 + firstDifferentLine(old.reverse.sql, now.reverse!.sql),
      message: removed
        ? `The reverse of migration ${old.name}, which has most likely run in production, was removed: that migration can no longer be rolled back.`
        : `The reverse of migration ${old.name}, which has most likely run in production, was edited; only new migrations are drilled, so this rollback is not proven against what production ran.`,
      fix: removed
        ? 'Restore the reverse.'
        : 'Revert the edit, or, if the old reverse was broken, acknowledge this finding with the reason (-- drillbot:ack history-edit <why>) after running forward and this reverse on a copy of production.',
    }),
  ];
}

/** New versions must sort after every base version, judged by what the tool does otherwise (repeats are layout problems). */
function orderingProblems(layout: Layout, outOfOrder: boolean | undefined, base: Migration[], added: Migration[], head: Migration[]): Finding[] {
  if (layout.versionsOrderedBy === 'position') return placedAbove(layout, outOfOrder, base, added, head);
  const newest = base.reduce<Migration | null>((max, m) => (!max || compareVersions(layout.id, m.version, max.version) > 0 ? m : max), null);
  if (!newest) return [];
  return added.filter((m) => compareVersions(layout.id, m.version, newest.version) < 0).map((m) => olderThanNewest(layout.outOfOrder, outOfOrder, m, newest));
}

/** A new migration placed above the last one the base has: the tool runs it after that one where that already ran. */
function placedAbove(layout: Layout, outOfOrder: boolean | undefined, base: Migration[], added: Migration[], head: Migration[]): Finding[] {
  const baseVersions = new Set(base.map((m) => m.version));
  const last = [...head].reverse().find((m) => baseVersions.has(m.version));
  if (!last) return [];
  const lastAt = head.indexOf(last);
  return added.filter((m) => head.indexOf(m) < lastAt).map((m) => olderThanNewest(layout.outOfOrder, outOfOrder, m, last, byPlace(m, last)));
}

/** How an out-of-order migration is named and moved: by its version, or by its place (Liquibase, sqitch). */
interface Placing {
  readonly line: number;
  readonly before: string;
  readonly move: string;
}

const byVersion = (m: Migration, newest: Migration): Placing => ({
  line: 1,
  before: `Version ${m.version} sorts before the newest base migration ${newest.version}`,
  move: `Renumber it to sort after ${newest.version}.`,
});

// The line above the forward's first one is its header (Liquibase's --changeset line).
const byPlace = (m: Migration, last: Migration): Placing => ({
  line: Math.max(1, m.forward.startLine - 1),
  before: `${m.name} is placed above ${last.name}, which the base already has`,
  move: `Move it below ${last.name}.`,
});

/** A new version below the newest base one, in the words of what the tool does with it. */
function olderThanNewest(
  behaviour: OutOfOrderBehaviour,
  outOfOrder: boolean | undefined,
  m: Migration,
  newest: Migration,
  placing = byVersion(m, newest),
): Finding {
  const { before, move: renumber, line } = placing;
  const applies = behaviour.kind === 'applies' ? outOfOrder !== false || !behaviour.refusedBy : behaviour.kind === 'refuses' && outOfOrder === true;
  if (applies) {
    return ordering(
      m.forward.path,
      `${before}; ${behaviour.tool} applies it after ${newest.version} where that already ran, so environments run the migrations in different orders (the drill ran it after ${newest.version}, as they will).`,
      `Make sure it does not depend on running before ${newest.version}, or ${renumber.charAt(0).toLowerCase()}${renumber.slice(1)}`,
      'notice',
      line,
    );
  }
  if (behaviour.kind === 'skips') {
    return ordering(
      m.forward.path,
      `${before}; ${behaviour.tool} ${behaviour.why ?? 'records only the newest version applied'}, so environments that already ran ${newest.version} skip this migration without an error.`,
      renumber,
      undefined,
      line,
    );
  }
  const setting =
    behaviour.kind === 'refuses'
      ? `unless run with ${behaviour.allowedBy} (then set migrations.outOfOrder: true in .github/drillbot.yml)`
      : `because it runs with ${behaviour.refusedBy}`;
  return ordering(
    m.forward.path,
    `${before}; ${behaviour.tool} refuses to migrate environments that already ran ${newest.version}, ${setting}.`,
    renumber,
    undefined,
    line,
  );
}

function ordering(path: string, message: string, fix: string, severity?: Severity, line = 1): Finding {
  return finding({ hazard: 'ordering', source: 'change-set', path, line, message, fix, ...(severity ? { severity } : {}) });
}

/**
 * A migration of a forward-only tool has no reverse by design: said as a notice (an error with
 * migrations.requireReverse), with the drafted reverse offered as a rollback plan by the reviewer step.
 */
function forwardOnly(layout: Layout, m: Migration, requireReverse: boolean | undefined): Finding {
  const { tool } = layout.outOfOrder;
  return finding({
    hazard: 'missing-reverse',
    source: 'layout',
    path: m.forward.path,
    line: m.forward.startLine,
    severity: requireReverse ? 'error' : 'notice',
    message: `${tool.charAt(0).toUpperCase()}${tool.slice(1)} keeps no reverse migrations in the repository, so no rollback of ${m.name} is written or reviewed with it.`,
    fix: 'Keep a rollback plan with the deploy: Drillbot offers a drafted one when the drill proves it.',
  });
}

interface ProblemContext {
  readonly tool: string;
  /** Files the change added or modified. */
  readonly changed: ReadonlySet<string>;
  /** Forward scripts of the base migrations (what production has run), and of the head's. */
  readonly basePaths: ReadonlySet<string>;
  readonly headPaths: ReadonlySet<string>;
}

const forwardPaths = (migrations: readonly Migration[]) => new Set(migrations.map((m) => m.forward.path));

function problemFinding(problem: LayoutProblem, ctx: ProblemContext): Finding {
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
      return repeatedVersion(problem, ctx);
    case 'not-drilled':
      return finding({
        hazard: 'infra',
        source: 'layout',
        rule: 'not-drilled',
        path: problem.path,
        line: problem.line,
        message: `This migration was not drilled: ${problem.detail}.`,
        fix: problem.fix ?? 'Write the change as SQL (an sql or sqlFile change, or a formatted-SQL changelog) so that it can be drilled and reviewed.',
      });
    case 'unparsable':
      return finding({
        hazard: 'forward-error',
        source: 'layout',
        path: problem.path,
        line: problem.line,
        message: problem.detail,
        fix: 'Fix the file so its migration tool can read it.',
      });
  }
}

/** Several files with one version, reported at a file the change touched. */
function repeatedVersion(problem: Extract<LayoutProblem, { kind: 'duplicate-version' }>, ctx: ProblemContext): Finding {
  const touched = problem.paths.filter((p) => ctx.changed.has(p));
  const at = touched.find((p) => ctx.headPaths.has(p)) ?? touched[0] ?? problem.paths[0]!;
  const ran = problem.paths.filter((p) => ctx.basePaths.has(p) && !ctx.changed.has(p));
  if (ran.length > 0) {
    const message = `Version ${problem.version} of ${at} is already used by ${ran.join(' and ')}, which has most likely run in production; ${ctx.tool} records versions, so environments that ran it never run this migration (or refuse to migrate), and the drill did not run it.`;
    return ordering(at, message, 'Give this migration a new version that sorts after every existing one.');
  }
  return ordering(
    at,
    `Version ${problem.version} is used by ${problem.paths.join(' and ')}; ${ctx.tool} cannot tell them apart: it refuses to migrate or runs only one of them.`,
    'Give each migration its own version.',
  );
}

/** Changed SQL the layout neither read as a migration nor reported on: the change must not pass as drilled. */
function undrilledFindings(changeSet: ChangeSet, head: ReturnType<typeof readMigrations>): Finding[] {
  const seen = new Set([...head.migrations.flatMap(scriptPaths), ...head.problems.flatMap(problemPaths)]);
  const undrilled = undrilledSqlFiles(changeSet.changedPaths ?? [], changeSet.head.root, seen);
  return undrilled.length > 0 ? [undrilledFinding(undrilled, changeSet.head.root)] : [];
}

function scriptPaths(m: Migration): string[] {
  return m.reverse ? [m.forward.path, m.reverse.path] : [m.forward.path];
}

function problemPaths(p: LayoutProblem): string[] {
  if (p.kind === 'duplicate-version') return p.paths;
  return p.kind === 'missing-reverse' && p.emptyReverse ? [p.path, p.emptyReverse] : [p.path];
}
