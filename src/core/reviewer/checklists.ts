import type { TeamChecklistItem } from '../config.js';
import type { Hazard } from '../hazards.js';
import type { Migration } from '../layouts/layout.js';
import { isEmptySql } from '../layouts/util.js';
import type { ChecklistAnswer, ChecklistDirection, DrillSummary, Finding, MigrationResult, ReverseDraft } from '../report/report.js';
import { lockNotes } from '../report/render/text.js';

/**
 * One checklist item. `engine` items are facts the drill, the history checks or the rules decide;
 * the model is never asked them. `judgement` items go to the model, unless a finding of one of
 * `failsOn` already answers them (then the finding decides, and the model is not asked).
 */
export interface ChecklistItem {
  readonly id: string;
  readonly direction: ChecklistDirection;
  readonly question: string;
  /** What decides the answer (shown in checklists/*.md). */
  readonly evidence: string;
  readonly decidedBy: 'engine' | 'judgement';
  readonly failsOn: readonly Hazard[];
}

/**
 * The built-in items: the same ids, questions and evidence as checklists/forward.md and
 * checklists/reverse.md (a test keeps them equal; the package ships this module, not the files).
 */
export const CHECKLIST: readonly ChecklistItem[] = [
  {
    id: 'forward-applies',
    direction: 'forward',
    question: 'Does every forward migration apply on a seeded copy of the base schema?',
    evidence:
      'The drill runs each forward migration on the shadow PostgreSQL after seeding existing tables; `forward-error` and `data-dependent` findings fail it.',
    decidedBy: 'engine',
    failsOn: ['forward-error', 'data-dependent'],
  },
  {
    id: 'forward-history',
    direction: 'forward',
    question: 'Does the change only add migrations, each sorting after the newest base migration?',
    evidence: 'Git history of the migrations directory; `history-edit` and `ordering` findings fail it.',
    decidedBy: 'engine',
    failsOn: ['history-edit', 'ordering'],
  },
  {
    id: 'forward-locks',
    direction: 'forward',
    question: 'Do the forward migrations avoid long blocking locks on existing tables (no rewrite, blocking scan or blocking index build)?',
    evidence:
      'Locks and rewrites the drill observed (pg_locks, relfilenode) and the lock rules; `rewrite`, `blocking-scan`, `blocking-index` and `concurrently-in-transaction` findings fail it.',
    decidedBy: 'engine',
    failsOn: ['rewrite', 'blocking-scan', 'blocking-index', 'concurrently-in-transaction'],
  },
  {
    id: 'forward-lock-timeout',
    direction: 'forward',
    question: 'Is every strong lock on an existing table guarded by lock_timeout?',
    evidence: 'The `require-lock-timeout` rule; `lock-timeout` findings fail it.',
    decidedBy: 'engine',
    failsOn: ['lock-timeout'],
  },
  {
    id: 'forward-keeps-data',
    direction: 'forward',
    question: 'Do the forward migrations keep the rows and values that exist before them?',
    evidence: 'Seeded rows compared before and after (data fingerprints) and the drop/truncate rules; `data-loss` findings on a forward migration fail it.',
    decidedBy: 'engine',
    failsOn: ['data-loss'],
  },
  {
    id: 'forward-compatible',
    direction: 'forward',
    question: 'Does the application code that runs during the deploy keep working against the new schema (expand/contract)?',
    evidence:
      '`breaking-change` findings fail it; when representative queries were given (`drillbot stats`, `queries:`) the drill answers it from their plans after each forward and reverse; otherwise the reviewer judges renames, drops and new required columns against the migration and its comments.',
    decidedBy: 'judgement',
    failsOn: ['breaking-change'],
  },
  {
    id: 'forward-index-serves-queries',
    direction: 'forward',
    question: 'Do the application’s queries keep an index that serves them, and does every new index serve a query?',
    evidence:
      'When representative queries were given, their plans (EXPLAIN (GENERIC_PLAN)) before and after each forward: `query-regression` and `unused-index` findings fail it; otherwise the reviewer judges the indexes the change drops and adds.',
    decidedBy: 'judgement',
    failsOn: ['query-regression', 'unused-index'],
  },
  {
    id: 'forward-data-migration-separate',
    direction: 'forward',
    question: 'Are data migrations (backfills) kept apart from schema changes and done in batches?',
    evidence: '`unbatched-backfill` findings fail it; otherwise the reviewer judges whether UPDATE/INSERT … SELECT sit beside DDL or run unbatched.',
    decidedBy: 'judgement',
    failsOn: ['unbatched-backfill'],
  },
  {
    id: 'forward-rollout-documented',
    direction: 'forward',
    question: 'Does a change that locks, rewrites or destroys data say how it is rolled out (timing, expected lock, batch size, order of deploys)?',
    evidence:
      "Drillbot's rollout plan (the report's last section) documents it from the drill once every forward applied; otherwise the reviewer reads the migration comments (and the pull request description where given) against the drill findings.",
    decidedBy: 'judgement',
    failsOn: [],
  },
  {
    id: 'reverse-present',
    direction: 'reverse',
    question: 'Does every forward migration have a reverse migration?',
    evidence: 'The migration layout; `missing-reverse` findings fail it (a drafted reverse the drill proved is offered as the fix).',
    decidedBy: 'engine',
    failsOn: ['missing-reverse'],
  },
  {
    id: 'reverse-applies',
    direction: 'reverse',
    question: 'Does each reverse migration apply after its forward migration?',
    evidence: 'The drill runs the reverses newest first; `reverse-error` findings, or a reverse that did not run, fail it.',
    decidedBy: 'engine',
    failsOn: ['reverse-error'],
  },
  {
    id: 'reverse-round-trips',
    direction: 'reverse',
    question: 'Does forward then reverse restore the schema and the seeded data?',
    evidence:
      'Catalog snapshots and data fingerprints before the forward and after the reverse; `reverse-mismatch` findings and data lost on the way back fail it.',
    decidedBy: 'engine',
    failsOn: ['reverse-mismatch'],
  },
  {
    id: 'reverse-redo',
    direction: 'reverse',
    question: 'Does the forward apply again after the reverse (forward → reverse → forward)?',
    evidence: 'The drill re-applies every forward after the reverses; a redo that fails or does not run fails it.',
    decidedBy: 'engine',
    failsOn: [],
  },
  {
    id: 'reverse-locks',
    direction: 'reverse',
    question: 'Do the reverse migrations avoid rewriting existing tables?',
    evidence: 'Rewrites (relfilenode changes) and locks the drill observed while the reverses ran.',
    decidedBy: 'engine',
    failsOn: [],
  },
  {
    id: 'reverse-keeps-new-data',
    direction: 'reverse',
    question: 'Does the reverse avoid destroying data written after the forward ran (e.g. dropping a column that new code has filled)?',
    evidence: 'The reviewer judges what the reverse drops against what the forward lets the application write.',
    decidedBy: 'judgement',
    failsOn: [],
  },
  {
    id: 'reverse-rollback-plan',
    direction: 'reverse',
    question: 'Is it documented when to roll back and what the reverse cannot restore?',
    evidence: 'The reviewer reads the migration comments (and the pull request description where given) against the drill findings.',
    decidedBy: 'judgement',
    failsOn: [],
  },
];

/** The built-in items followed by the team's own (from `reviewer.checklist`), which are judgement items. */
export function checklistItems(team: readonly TeamChecklistItem[]): ChecklistItem[] {
  const builtIn = new Set(CHECKLIST.map((i) => i.id));
  const extra = team
    .filter((t) => !builtIn.has(t.id))
    .map((t): ChecklistItem => ({ ...t, evidence: "The team's item (.github/drillbot.yml), judged by the reviewer.", decidedBy: 'judgement', failsOn: [] }));
  return [...CHECKLIST, ...extra];
}

/** What the engine knows when it answers the checklist. */
export interface ChecklistFacts {
  readonly added: readonly Migration[];
  readonly findings: readonly Finding[];
  readonly migrations: readonly MigrationResult[];
  readonly drill: DrillSummary | null;
  readonly drafts: readonly ReverseDraft[];
}

/**
 * Answers an item from the findings and the drill alone; null for a judgement item that no
 * finding decides (the model's, or a person's). Acknowledged findings still count: the item
 * reports the fact, the acknowledgement is the team's decision about it.
 */
export function answerFromFacts(item: ChecklistItem, facts: ChecklistFacts): ChecklistAnswer | null {
  const failing = facts.findings.filter((f) => item.failsOn.includes(f.hazard) && appliesTo(item, f, facts));
  if (failing.length > 0) {
    const note = item.id === 'reverse-present' ? draftNote(facts) : '';
    return answer(item, 'fail', `${failing.map(describeFinding).join('; ')}${note}`, failing.every((f) => f.source === 'rule') ? 'rule' : 'drill');
  }
  if (item.decidedBy === 'judgement') {
    const fact = DRILL_FACTS[item.id]?.(facts);
    return fact ? answer(item, 'pass', fact, 'drill') : null;
  }
  const special = SPECIAL[item.id]?.(facts);
  if (special) return answer(item, special.status, special.evidence, 'drill');
  const drilled = forwardResults(facts);
  // A fact the drill did not get to establish is not a pass: fail closed to a person.
  if (needsDrill(item) && drilled.length < facts.added.length) return answer(item, 'needs-human', notDrilled(facts), 'drill');
  const isRule = item.failsOn.every((h) => h === 'lock-timeout');
  return answer(item, 'pass', passEvidence(item, facts), isRule ? 'rule' : 'drill');
}

function answer(item: ChecklistItem, status: ChecklistAnswer['status'], evidence: string, source: ChecklistAnswer['source']): ChecklistAnswer {
  return { id: item.id, direction: item.direction, question: item.question, status, evidence, source };
}

/** Data lost by the forward belongs to `forward-keeps-data`; data lost on the way back to the round trip. */
function appliesTo(_item: ChecklistItem, f: Finding, facts: ChecklistFacts): boolean {
  return f.hazard !== 'data-loss' || !isOnReverse(f, facts);
}

/** The finding sits in a reverse script (goose and dbmate keep both directions in one file). */
function isOnReverse(f: Finding, facts: ChecklistFacts): boolean {
  return facts.added.some((m) => m.reverse !== null && m.reverse.path === f.path && f.line >= m.reverse.startLine);
}

function needsDrill(item: ChecklistItem): boolean {
  return !['forward-history', 'forward-lock-timeout'].includes(item.id);
}

function forwardResults(facts: ChecklistFacts): MigrationResult[] {
  return facts.migrations.filter((m) => m.direction === 'forward' && m.status === 'applied');
}

function notDrilled(facts: ChecklistFacts): string {
  // An infra notice (a history Drillbot could not fully replay) is not why the drill stopped.
  const infra = facts.findings.find((f) => f.hazard === 'infra' && f.severity === 'error');
  return infra ? `the drill did not complete (${infra.message})` : 'the drill did not run every forward migration';
}

function describeFinding(f: Finding): string {
  return `${f.hazard} at ${f.path}:${f.line}${f.acknowledged ? ' (acknowledged)' : ''}${f.evidence ? `, observed: ${f.evidence}` : ''}`;
}

function passEvidence(item: ChecklistItem, facts: ChecklistFacts): string {
  const forward = forwardResults(facts);
  switch (item.id) {
    case 'forward-applies':
      return `${forward.length} forward migration(s) applied on ${facts.drill?.seededRows ?? 0} seeded rows (PostgreSQL ${facts.drill?.serverVersion ?? '?'})`;
    case 'forward-history':
      return 'only new migrations, after the newest base migration';
    case 'forward-locks':
      return `observed locks on existing tables: ${locksOf(forward)}; no rewrite`;
    case 'forward-lock-timeout':
      return 'no strong lock on an existing table without lock_timeout';
    case 'forward-keeps-data':
      return `seeded rows and values of existing tables survived the forward migrations${unseededNote(facts)}`;
    default:
      return 'no finding';
  }
}

/** Data checks pass vacuously on a table the seeder could not fill: name those tables. */
function unseededNote(facts: ChecklistFacts): string {
  const empty = (facts.drill?.seeding ?? []).filter((t) => t.rows === 0 && t.reason);
  return empty.length > 0 ? `; not checked for lack of seeded rows: ${empty.map((t) => t.table).join(', ')}` : '';
}

/** The locks on existing tables, and how those of statements outside a transaction were seen (unobserved is not "none"). */
function locksOf(results: readonly MigrationResult[]): string {
  const held = [...new Set(results.flatMap((r) => r.locks.filter((l) => l.existing).map((l) => `${l.relation} ${l.mode}`)))].join(', ');
  return [held || 'none', ...results.flatMap((r) => lockNotes(r).map((note) => `${r.path} ${note}`))].join('; ');
}

/**
 * Judgement items the drill answers when it established the facts: the representative queries
 * planned after every forward, the rollout plan built from a drill that applied every forward.
 * Null leaves the item to the model or a person. Failures come from findings (failsOn) first.
 */
const DRILL_FACTS: Record<string, (facts: ChecklistFacts) => string | null> = {
  'forward-compatible': (facts) => {
    const plans = plannedQueries(facts);
    return plans
      ? `${plans.plannedAtBase} representative quer${plans.plannedAtBase === 1 ? 'y' : 'ies'} of the base still plan after each forward and reverse migration`
      : null;
  },
  'forward-index-serves-queries': (facts) => {
    const plans = plannedQueries(facts);
    return plans ? `no plan of the ${plans.plannedAtBase} representative queries got much worse, and every new index serves one of them` : null;
  },
  'forward-rollout-documented': (facts) =>
    forwardResults(facts).length === facts.added.length && facts.added.length > 0
      ? "the report's rollout plan orders the deploys and migrations, says which run outside a transaction, with which lock_timeout and retries, the backfills' batches, the observed locks and each step's rollback"
      : null,
};

/** The query-plan facts, when the drill planned queries after every forward migration. */
function plannedQueries(facts: ChecklistFacts): { plannedAtBase: number } | null {
  const plans = facts.drill?.queryPlans;
  return plans?.checked && plans.plannedAtBase > 0 && forwardResults(facts).length === facts.added.length ? plans : null;
}

type Special = (facts: ChecklistFacts) => { status: ChecklistAnswer['status']; evidence: string } | null;

/** Reverse items read the drill's per-direction results, not only findings. */
const SPECIAL: Record<string, Special> = {
  'reverse-present': (facts) => {
    const missing = facts.added.filter(lacksReverse);
    return missing.length === 0 ? { status: 'pass', evidence: `every forward migration has a reverse` } : null;
  },
  'reverse-applies': (facts) => {
    const reverses = facts.migrations.filter((m) => m.direction === 'reverse');
    const missing = facts.added.filter(lacksReverse).map((m) => m.name);
    if (missing.length > 0) return { status: 'fail', evidence: `no reverse to run for ${missing.join(', ')}${draftNote(facts)}` };
    if (reverses.length === 0) return { status: 'needs-human', evidence: notDrilled(facts) };
    const failed = reverses.filter((r) => r.status !== 'applied');
    return failed.length > 0
      ? { status: 'fail', evidence: failed.map((r) => `${r.path} ${r.status}`).join('; ') }
      : { status: 'pass', evidence: `${reverses.length} reverse migration(s) applied after their forward` };
  },
  'reverse-round-trips': (facts) => {
    const lost = facts.findings.filter((f) => f.hazard === 'data-loss' && isOnReverse(f, facts));
    if (lost.length > 0) return { status: 'fail', evidence: lost.map(describeFinding).join('; ') };
    switch (facts.drill?.roundTrip) {
      case 'restored':
        return { status: 'pass', evidence: `schema snapshot and seeded data after forward → reverse equal the state before the forward${unseededNote(facts)}` };
      case 'mismatch':
        return { status: 'fail', evidence: 'forward → reverse → forward did not restore the state (see the findings)' };
      default:
        return {
          status: facts.added.some(lacksReverse) ? 'fail' : 'needs-human',
          evidence: `the round trip did not run: ${facts.added.some(lacksReverse) ? `a reverse is missing${draftNote(facts)}` : notDrilled(facts)}`,
        };
    }
  },
  'reverse-redo': (facts) => {
    const redo = facts.migrations.filter((m) => m.direction === 'redo');
    if (redo.length === 0)
      return {
        status: facts.added.some(lacksReverse) ? 'fail' : 'needs-human',
        evidence: `redo did not run: ${facts.added.some(lacksReverse) ? 'a reverse is missing' : notDrilled(facts)}`,
      };
    const failed = redo.filter((r) => r.status !== 'applied');
    return failed.length > 0
      ? { status: 'fail', evidence: failed.map((r) => `${r.path} ${r.status} on redo`).join('; ') }
      : { status: 'pass', evidence: `${redo.length} forward migration(s) applied again after the reverse` };
  },
  'reverse-locks': (facts) => {
    const reverses = facts.migrations.filter((m) => m.direction === 'reverse');
    if (reverses.length === 0) return { status: 'needs-human', evidence: 'no reverse ran, so no locks were observed' };
    const rewrites = [...new Set(reverses.flatMap((r) => r.rewrites))];
    const locks = locksOf(reverses);
    return rewrites.length > 0
      ? { status: 'fail', evidence: `the reverse rewrote ${rewrites.join(', ')}; locks: ${locks}` }
      : { status: 'pass', evidence: `no rewrite; locks on existing tables: ${locks}` };
  },
};

/** A forward of comments only needs no reverse (see analyzeChange). */
function lacksReverse(m: Migration): boolean {
  return m.reverse === null && !isEmptySql(m.forward.sql);
}

function draftNote(facts: ChecklistFacts): string {
  const proven = facts.drafts.filter((d) => d.status === 'proven');
  return proven.length > 0 ? ` (Drillbot drafted ${proven.map((d) => d.path).join(', ')}; the drill proved ${proven.length > 1 ? 'them' : 'it'})` : '';
}
