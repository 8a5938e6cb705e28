import { applyAckDirectives, readAckDirectives } from './acknowledgements.js';
import { analyzeChange, withBaseline, type ChangeAnalysis } from './change-set/analyze.js';
import type { ChangeSet } from './change-set/change-set.js';
import type { DrillbotConfig } from './config.js';
import { BaseReplayError } from './drill/base-history.js';
import { sweepLeakedDatabases } from './drill/databases.js';
import { runDrill, type DrillOutcome, type DrillPlan } from './drill/drill.js';
import { runSizedPass } from './drill/sized-pass.js';
import type { ShadowProvider, ShadowServer } from './drill/providers/provider.js';
import type { ClonePool } from './drill/clone-pool.js';
import { bounded, CLEANUP_STEP_MS, Deadline } from './deadline.js';
import { HistoryPrivilegeError, isDrillbotError, redact } from './errors.js';
import { codeReferenceFindings } from './code-refs/scan.js';
import { buildReport } from './report/build.js';
import { planRollout } from './report/rollout.js';
import { finding } from './report/findings.js';
import type { DrillSummary, Finding, MigrationResult, Report } from './report/report.js';
import type { SourceFile } from './layouts/layout.js';
import type { TableSize } from './rules/define-rule.js';
import { RULES } from './rules/index.js';
import type { RepresentativeQuery } from './queries/representative.js';
import { runRules } from './rules/run-rules.js';
import { applySeverities, severityResolver } from './severity.js';
import { parseMigrations, type ParsedMigration } from './sql/parse-migrations.js';
import { judgeBySize, rowsToSeed, tablesToSize } from './table-sizes.js';
import { diskCache, type ReviewerCache } from './reviewer/cache.js';
import { llmClientFromEnvironment, type LlmClient } from './reviewer/llm-client.js';
import { runReviewerStep, type ReviewerStepResult } from './reviewer/step.js';

/** How long closing the shadow server may take (the embedded provider stops a process). */
const SERVER_CLOSE_MS = 5 * CLEANUP_STEP_MS;

/** The youngest a shadow database must be before a drill on the same server may take it for leaked. */
const LEAK_AGE_MS = 60 * 60_000;

/** PostgreSQL major the rules assume when neither the configuration nor a shadow server says. */
const DEFAULT_PG_MAJOR = 16;

export interface ReviewOptions {
  readonly changeSet: ChangeSet;
  readonly config: DrillbotConfig;
  readonly provider: ShadowProvider;
  /** Production table sizes (from `drillbot stats`), for size-aware findings. */
  readonly tableSizes?: ReadonlyMap<string, TableSize>;
  /** The base's representative queries (`drillbot stats`' export and the `queries:` files), planned before and after the change. */
  readonly queries?: readonly RepresentativeQuery[];
  /** The file `shadow.baseline` names, as the base has it: replayed instead of the base history. */
  readonly baseline?: SourceFile;
  /** Reuse (and save) template databases of the base history. */
  readonly useTemplateCache?: boolean;
  /** Ready clones of base templates: the App's, kept between reviews on a server that outlives them (keepRunning); the CLI's, primed while it reads the change. */
  readonly pool?: ClonePool;
  readonly onProgress?: (message: string) => void;
  /** The LLM reviewer's model; undefined: from config and environment (OPENAI_*), null: none. */
  readonly llm?: LlmClient | null;
  /** Where model answers are cached; defaults to files under the Drillbot cache dir. */
  readonly reviewerCache?: ReviewerCache;
  /** Aborts the drill (e.g. a newer push superseded the change); it ends like a passed deadline. */
  readonly signal?: AbortSignal;
}

/**
 * Reviews a change: history checks, the drill on a shadow PostgreSQL and the static rules, merged
 * into one report; then the reviewer step drafts missing reverses (proven by a second drill) and
 * answers the checklist, adding only warnings. Never throws for Drillbot's own failures: they
 * become `infra` findings, so the review fails closed.
 */
export async function review(opts: ReviewOptions): Promise<Report> {
  const started = performance.now();
  const analysis = withBaseline(analyzeChange(opts.changeSet, opts.config.migrations), opts.baseline);
  if (analysis.added.length === 0 || !analysis.allFilesRead) return buildReport(analysis.findings, [], null);
  const { parsed, findings: parseFindings } = await parseMigrations(analysis.added, opts.changeSet.head.files);
  // One limit for the drill and the reviewer step's proof drill together.
  const deadline = new Deadline(opts.config.shadow.timeoutMs, opts.signal);
  const drill = await drillOrInfra(opts, analysis, parsed, deadline);
  // The server stays up for the reviewer step's proof drill; whoever started it closes it.
  try {
    return await reviewDrilled(opts, started, analysis, parsed, parseFindings, drill, deadline);
  } finally {
    await closeServer(drill.server);
    deadline.done();
  }
}

/** Closes (or stops) the shadow server, without waiting on one that does not answer. */
export async function closeServer(server: ShadowServer | null): Promise<void> {
  if (server) await bounded(server.close(), SERVER_CLOSE_MS, 'closing the shadow PostgreSQL').catch(() => undefined);
}

/** The rules, severities and acknowledgements over the drill's findings, then the reviewer step. */
async function reviewDrilled(
  opts: ReviewOptions,
  started: number,
  analysis: ChangeAnalysis,
  parsed: ParsedMigration[],
  parseFindings: Finding[],
  drill: DrillAttempt,
  deadline: Deadline,
): Promise<Report> {
  const resolve = severityResolver(opts.config);
  const ruleFindings = runRules({
    rules: RULES,
    scripts: parsed.flatMap((p) => (p.forward ? [{ script: p.migration.forward, statements: p.forward }] : [])),
    layout: analysis.layout,
    pgMajor: opts.config.shadow.pgMajor ?? drill.info?.major ?? DEFAULT_PG_MAJOR,
    tableSizes: opts.tableSizes,
    severityOf: (rule, path) => resolve(rule.id, rule.hazard, path) ?? (rule.enabledByDefault ? rule.severity : 'off'),
  });
  // Rule findings first: where a rule and the drill see the same thing, the rule's explanation
  // and fix lead and the drill's observation is kept as evidence.
  const codeFindings = opts.changeSet.code ? await codeReferenceFindings(parsed, opts.changeSet.code, opts.changeSet.head.root) : [];
  let findings = [...ruleFindings, ...applySeverities([...analysis.findings, ...parseFindings, ...codeFindings, ...drill.findings], resolve)];
  if (opts.tableSizes) findings = await judgeSizes(opts, opts.tableSizes, findings, drill, drillPlan(opts, analysis, parsed), deadline);
  findings = applyAckDirectives(findings, readAckDirectives(opts.changeSet.head.files, parsed));
  const outcome = drill.outcome;
  const summary: DrillSummary = {
    provider: opts.provider.kind,
    serverVersion: drill.info?.version ?? 'unknown',
    ...pgMajorMismatch(opts.config.shadow.pgMajor, drill.info),
    layout: analysis.layout,
    baseMigrations: analysis.base.length,
    historyPrivileges: opts.config.shadow.historyPrivileges,
    newMigrations: analysis.added.length,
    templateCache: outcome?.templateCache ?? 'none',
    seededRows: outcome?.seededRows ?? 0,
    seededTables: outcome?.seededTables ?? 0,
    seeding: outcome?.seeding ?? [],
    roundTrip: outcome?.roundTrip ?? 'not-run',
    ...(outcome?.tenants ? { tenants: outcome.tenants } : {}),
    ...(outcome?.queryPlans ? { queryPlans: outcome.queryPlans } : {}),
    durationMs: Math.round(performance.now() - started),
  };
  const reviewed = await reviewerStepOrInfra(opts, {
    analysis,
    parsed,
    findings,
    migrations: outcome?.migrations ?? [],
    drill: summary,
    server: drill.server,
    deadline,
  });
  const rollout = planRollout({
    parsed,
    migrations: outcome?.migrations ?? [],
    findings: reviewed.findings,
    roundTrip: summary.roundTrip,
    reverseDrafts: reviewed.reverseDrafts ?? [],
    reverseNotDrafted: reviewed.reverseNotDrafted ?? [],
    seededRows: opts.config.shadow.seedRows,
    tenants: summary.tenants,
  });
  return buildReport(
    reviewed.findings,
    outcome?.migrations ?? [],
    { ...summary, durationMs: Math.round(performance.now() - started) },
    { ...reviewed, rollout },
  );
}

/** The summary's pgMajorMismatch when the server is not of the configured major (a URL server is what it is). */
function pgMajorMismatch(configured: number | undefined, server: DrillAttempt['info']): Pick<DrillSummary, 'pgMajorMismatch'> {
  return configured !== undefined && server && server.major !== configured ? { pgMajorMismatch: { configured, server: server.major } } : {};
}

/** The reviewer step; a bug in it fails closed like any other failure of Drillbot's own. */
async function reviewerStepOrInfra(
  opts: ReviewOptions,
  state: {
    analysis: ChangeAnalysis;
    parsed: ParsedMigration[];
    findings: Finding[];
    migrations: MigrationResult[];
    drill: DrillSummary;
    server: ShadowServer | null;
    deadline: Deadline;
  },
): Promise<Pick<ReviewerStepResult, 'findings'> & Partial<ReviewerStepResult>> {
  try {
    return await runReviewerStep({
      ...state,
      config: opts.config,
      llm: opts.llm === undefined ? llmClientFromEnvironment(opts.config.reviewer) : opts.llm,
      cache: opts.reviewerCache ?? diskCache(),
      useTemplateCache: opts.useTemplateCache ?? true,
      onProgress: opts.onProgress ?? (() => undefined),
    });
  } catch (error) {
    return { findings: [...state.findings, infraFinding(error, state.analysis.added[0].forward.path)] };
  }
}

interface DrillAttempt {
  /** The server's version, also when the drill failed. */
  readonly info: Pick<ShadowServer, 'version' | 'major'> | null;
  /** After a drill that completed, the server, still open for the proof drill: the caller closes it. */
  readonly server: ShadowServer | null;
  readonly outcome: DrillOutcome | null;
  readonly findings: Finding[];
}

async function drillOrInfra(opts: ReviewOptions, analysis: ChangeAnalysis, parsed: ParsedMigration[], deadline: Deadline): Promise<DrillAttempt> {
  const shadow = opts.config.shadow;
  const onProgress = opts.onProgress ?? (() => undefined);
  let server: ShadowServer | null = null;
  onProgress(`starting the ${opts.provider.kind} shadow PostgreSQL`);
  const starting = opts.provider.start({ pgMajor: shadow.pgMajor, signal: deadline.signal, onProgress });
  try {
    server = await deadline.race(starting);
    onProgress(`PostgreSQL ${server.version}: ${analysis.base.length} base migrations, ${analysis.added.length} new`);
    await deadline.race(sweepLeaks(server, shadow.timeoutMs, onProgress));
    const outcome = await deadline.race(runDrill(server, drillPlan(opts, analysis, parsed), onProgress, deadline));
    return { info: server, server, outcome, findings: outcome.findings };
  } catch (error) {
    // A drill that failed or ran out of time may still hold the server: release it now (a start
    // that lost the race with the deadline, once it ends).
    if (server) await closeServer(server);
    else void starting.then((late) => late.close()).catch(() => undefined);
    return { info: server, server: null, outcome: null, findings: [infraFinding(error, analysis.added[0].forward.path)] };
  }
}

function drillPlan(opts: ReviewOptions, analysis: ChangeAnalysis, parsed: ParsedMigration[]): DrillPlan {
  const shadow = opts.config.shadow;
  return {
    layout: analysis.layout,
    base: analysis.replay,
    added: parsed,
    setupSql: shadow.setup,
    historyPrivileges: shadow.historyPrivileges,
    seedRows: shadow.seedRows,
    statementTimeoutMs: shadow.statementTimeoutMs,
    useTemplateCache: opts.useTemplateCache ?? true,
    limits: shadow,
    tenants: shadow.tenants,
    queries: opts.queries,
    queryCostRatio: shadow.queryCostRatio,
    pool: opts.pool,
  };
}

/**
 * Production sizes on the size hazards' findings, with lock-time estimates. When a large table is
 * under such a hazard, the forward runs once more with those tables seeded at more rows (only
 * then: it costs a clone, the seeding and the change's time), for the slope of each statement's time.
 */
async function judgeSizes(
  opts: ReviewOptions,
  sizes: ReadonlyMap<string, TableSize>,
  findings: Finding[],
  drill: DrillAttempt,
  plan: DrillPlan,
  deadline: Deadline,
): Promise<Finding[]> {
  const tables = tablesToSize(findings, sizes, plan.seedRows);
  const sized =
    tables.size > 0 && drill.server && drill.outcome
      ? await runSizedPass(drill.server, plan, (table) => rowsToSeed(tables, table), opts.onProgress ?? (() => undefined), deadline)
      : undefined;
  return judgeBySize(findings, sizes, { migrations: drill.outcome?.migrations ?? [], seeding: drill.outcome?.seeding ?? [], sized });
}

/**
 * What drills killed with SIGKILL left on this server (their databases, sessions and roles) goes
 * once it is older than any review may run: twice this review's limit, and at least an hour.
 */
async function sweepLeaks(server: ShadowServer, timeoutMs: number, onProgress: (message: string) => void): Promise<void> {
  const swept = await sweepLeakedDatabases(server, Math.max(LEAK_AGE_MS, 2 * timeoutMs));
  if (swept.length > 0) onProgress(`dropped ${swept.length} database(s) and role(s) left behind by killed drills`);
}

/** Drillbot's own failure, in plain words, failing the review. */
function infraFinding(error: unknown, fallbackPath: string): Finding {
  if (error instanceof BaseReplayError) {
    return finding({
      hazard: 'infra',
      source: 'engine',
      path: error.path,
      line: error.line,
      message: `The base branch's migration history does not replay on the shadow PostgreSQL (${redact(error.message)}), so the change could not be drilled.`,
      fix:
        "Add the setup this history needs to shadow.setup in .github/drillbot.yml (e.g. the migration tool's bookkeeping table), or match shadow.pgMajor to production; " +
        'or, when the history cannot replay from its first file, set shadow.baseline to a schema-only dump (pg_dump --schema-only --no-owner --no-privileges) or the schema file your tool keeps. The static rules ran all the same.',
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof HistoryPrivilegeError) {
    return finding({
      hazard: 'infra',
      source: 'engine',
      path: fallbackPath,
      line: 1,
      message: `${redact(message)}.`,
      fix: 'Give the shadow PostgreSQL a superuser admin, or replay the history as the owner (shadow.historyPrivileges: owner), or set shadow.baseline to a schema-only dump; what the superuser history left must not hand the change a superuser’s rights.',
    });
  }
  return engineFailure(error, fallbackPath);
}

/** Any other failure of Drillbot's own: an `infra` error at `path`, so the review fails closed. */
export function engineFailure(
  error: unknown,
  path: string,
  fix = 'Re-run the review; if it fails again, check the shadow PostgreSQL settings (--provider, --database-url).',
): Finding {
  const message = error instanceof Error ? error.message : String(error);
  return finding({
    hazard: 'infra',
    source: 'engine',
    path,
    line: 1,
    message: `Drillbot could not complete the review: ${redact(message)}${isDrillbotError(error) ? '' : ' (unexpected error)'}.`,
    fix,
  });
}
