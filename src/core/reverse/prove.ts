import type { DrillbotConfig } from '../config.js';
import type { Deadline } from '../deadline.js';
import { runDrill, type DrillOutcome } from '../drill/drill.js';
import type { ShadowServer } from '../drill/providers/provider.js';
import { redact } from '../errors.js';
import type { LayoutId, Migration, MigrationScript } from '../layouts/layout.js';
import type { Finding, ReverseDraft, ReverseProof } from '../report/report.js';
import { parseScript } from '../sql/parse.js';
import type { ParsedMigration } from '../sql/parse-migrations.js';

/** A drafted reverse before the drill has tried it. */
export interface DraftCandidate {
  readonly migration: Migration;
  readonly drafter: ReverseDraft['drafter'];
  readonly sql: string;
}

export interface ProofPlan {
  /** The server the first drill ran on (its base template is already there). */
  readonly server: ShadowServer;
  readonly config: DrillbotConfig;
  readonly layout: LayoutId;
  readonly base: readonly Migration[];
  readonly added: readonly ParsedMigration[];
  /** The first drill's findings: what the forward alone already showed is not held against a draft. */
  readonly firstFindings: readonly Finding[];
  readonly useTemplateCache: boolean;
  readonly onProgress: (message: string) => void;
  /** The review's time limit: the proof drill gets what is left of it, not a limit of its own. */
  readonly deadline: Deadline;
}

/** Hazards by which the drill says a reverse does not undo its forward. */
const ROUND_TRIP_HAZARDS = new Set(['reverse-error', 'reverse-mismatch', 'data-loss', 'forward-error', 'infra']);

/**
 * Proves drafted reverses with a second drill: the change's migrations with each draft put in
 * place of its missing reverse, forward → drafted reverse → schema and data compared with the state
 * before the forward → redo. A draft is `proven` only when its reverse and its redo applied and the
 * drill reported nothing against it; a draft that does not parse is `failed` without a drill.
 */
export async function proveDrafts(plan: ProofPlan, candidates: readonly DraftCandidate[]): Promise<ReverseDraft[]> {
  if (candidates.length === 0) return [];
  const parsed = await Promise.all(
    candidates.map(async (c) => {
      const script = scriptFor(plan.layout, c);
      return { candidate: c, script, result: await parseScript(script) };
    }),
  );
  const runnable = new Map<string, { script: MigrationScript; statements: NonNullable<ParsedMigration['reverse']> }>();
  for (const p of parsed)
    if (p.result.ok && p.result.statements.length > 0) runnable.set(p.candidate.migration.version, { script: p.script, statements: p.result.statements });
  let drill: { outcome: DrillOutcome; serverVersion: string } | { error: string } | null = null;
  if (runnable.size > 0) {
    const added = plan.added.map((p) => {
      const draft = runnable.get(p.migration.version);
      return draft ? { migration: { ...p.migration, reverse: draft.script }, forward: p.forward, reverse: draft.statements } : p;
    });
    drill = await drillWith(plan, added);
  }
  return parsed.map(({ candidate, script, result }) => {
    const base = draftBase(plan.layout, candidate, script);
    if (!result.ok) return { ...base, status: 'failed', proof: null, reason: `the drafted SQL does not parse: ${result.error.message}` };
    if (result.statements.length === 0) return { ...base, status: 'failed', proof: null, reason: 'the draft holds no statement' };
    if (!drill) return { ...base, status: 'unproven', proof: null, reason: 'the drill did not run' };
    if ('error' in drill) return { ...base, status: 'unproven', proof: null, reason: `the proof drill could not run: ${drill.error}` };
    return judge(base, candidate, script, drill.outcome, drill.serverVersion, plan.firstFindings);
  });
}

type DraftBase = Omit<ReverseDraft, 'status' | 'proof' | 'reason'>;

function judge(
  base: DraftBase,
  candidate: DraftCandidate,
  script: MigrationScript,
  outcome: DrillOutcome,
  serverVersion: string,
  first: readonly Finding[],
): ReverseDraft {
  const version = candidate.migration.version;
  const paths = new Set([candidate.migration.forward.path, script.path]);
  const seenBefore = new Set(first.map(placeKey));
  const problems = outcome.findings
    .filter((f) => ROUND_TRIP_HAZARDS.has(f.hazard) && paths.has(f.path) && !seenBefore.has(placeKey(f)))
    .map((f) => `${f.hazard} at ${f.path}:${f.line}: ${f.message}`);
  const status = (direction: 'reverse' | 'redo') => outcome.migrations.find((m) => m.version === version && m.direction === direction)?.status ?? 'not-run';
  const reverse = status('reverse');
  const redo = status('redo');
  const roundTrip = reverse !== 'applied' ? 'not-run' : problems.some((p) => /^(reverse-mismatch|data-loss)/.test(p)) ? 'mismatch' : 'restored';
  const proof: ReverseProof = { serverVersion, reverse, roundTrip, redo, problems };
  if (reverse === 'applied' && roundTrip === 'restored' && redo === 'applied' && problems.length === 0) return { ...base, status: 'proven', proof };
  const reason =
    problems.length > 0
      ? problems[0]
      : reverse === 'not-run'
        ? 'the drill did not reach this reverse (a newer migration has no working reverse, or a forward failed)'
        : reverse !== 'applied'
          ? `the drafted reverse ${reverse}`
          : `redo ${redo}: the forward did not apply again after the drafted reverse`;
  return { ...base, status: reverse === 'not-run' ? 'unproven' : 'failed', proof, reason };
}

function placeKey(f: Finding): string {
  return `${f.hazard}\0${f.path}\0${f.line}`;
}

async function drillWith(plan: ProofPlan, added: ParsedMigration[]): Promise<{ outcome: DrillOutcome; serverVersion: string } | { error: string }> {
  const shadow = plan.config.shadow;
  try {
    plan.onProgress('proving drafted reverse migrations with a second drill');
    const outcome = await plan.deadline.race(
      runDrill(
        plan.server,
        {
          layout: plan.layout,
          base: plan.base,
          added,
          setupSql: shadow.setup,
          historyPrivileges: shadow.historyPrivileges,
          seedRows: shadow.seedRows,
          statementTimeoutMs: shadow.statementTimeoutMs,
          useTemplateCache: plan.useTemplateCache,
          limits: shadow,
        },
        plan.onProgress,
        plan.deadline,
      ),
    );
    return { outcome, serverVersion: plan.server.version };
  } catch (error) {
    return { error: redact(error instanceof Error ? error.message : String(error)) };
  }
}

/** Where each tool keeps a reverse: its own file, or a section of the forward's file. */
export function reversePlacement(layout: LayoutId, forwardPath: string): Pick<ReverseDraft, 'path' | 'placement' | 'section'> {
  switch (layout) {
    case 'goose':
      return { path: forwardPath, placement: 'section', section: '-- +goose Down' };
    case 'node-pg-migrate':
      return { path: forwardPath, placement: 'section', section: '-- Down Migration' };
    case 'dbmate':
      return { path: forwardPath, placement: 'section', section: '-- migrate:down' };
    case 'flyway':
      return { path: forwardPath.replace(/(^|\/)V([^/]*)$/, '$1U$2'), placement: 'new-file' };
    case 'sqitch':
      return { path: forwardPath.replace(/(^|\/)deploy\/([^/]+)$/, '$1revert/$2'), placement: 'new-file' };
    case 'diesel':
      return { path: forwardPath.replace(/up\.sql$/, 'down.sql'), placement: 'new-file' };
    case 'liquibase':
      return { path: forwardPath, placement: 'section', section: '--rollback' };
    case 'golang-migrate':
    case 'plain':
      return { path: forwardPath.replace(/\.up\.sql$/, '.down.sql'), placement: 'new-file' };
    // Forward-only tools run no reverse: the draft is a plan to keep and run by hand.
    case 'prisma':
    case 'supabase':
    case 'drizzle':
    case 'atlas':
      return { path: forwardPath, placement: 'rollback-plan' };
  }
}

function scriptFor(layout: LayoutId, c: DraftCandidate): MigrationScript {
  const { path, placement } = reversePlacement(layout, c.migration.forward.path);
  // A section goes after the forward's lines and its marker.
  const startLine = placement === 'section' ? c.migration.forward.startLine + c.migration.forward.sql.split('\n').length + 1 : 1;
  return { path, sql: c.sql, startLine, transaction: c.migration.forward.transaction };
}

function draftBase(layout: LayoutId, c: DraftCandidate, script: MigrationScript): DraftBase {
  return {
    version: c.migration.version,
    name: c.migration.name,
    forwardPath: c.migration.forward.path,
    ...reversePlacement(layout, c.migration.forward.path),
    path: script.path,
    drafter: c.drafter,
    sql: c.sql,
  };
}
