import { applyAckDirectives, readAckDirectives } from './acknowledgements.js';
import { analyzeChange, type ChangeAnalysis } from './change-set/analyze.js';
import type { ChangeSet } from './change-set/change-set.js';
import type { DrillbotConfig } from './config.js';
import { BaseReplayError } from './drill/base-history.js';
import { runDrill, type DrillOutcome } from './drill/drill.js';
import type { ShadowProvider, ShadowServer } from './drill/providers/provider.js';
import { DrillTimeoutError, isDrillbotError, redact } from './errors.js';
import { buildReport } from './report/build.js';
import { finding } from './report/findings.js';
import type { DrillSummary, Finding, MigrationResult, Report } from './report/report.js';
import type { TableSize } from './rules/define-rule.js';
import { RULES } from './rules/index.js';
import { runRules } from './rules/run-rules.js';
import { applySeverities, severityResolver } from './severity.js';
import { parseMigrations, type ParsedMigration } from './sql/parse-migrations.js';
import { judgeBySize } from './table-sizes.js';
import { diskCache, type ReviewerCache } from './reviewer/cache.js';
import { llmClientFromEnvironment, type LlmClient } from './reviewer/llm-client.js';
import { runReviewerStep, type ReviewerStepResult } from './reviewer/step.js';

/** PostgreSQL major the rules assume when neither the configuration nor a shadow server says. */
const DEFAULT_PG_MAJOR = 16;

export interface ReviewOptions {
  readonly changeSet: ChangeSet;
  readonly config: DrillbotConfig;
  readonly provider: ShadowProvider;
  /** Production table sizes (from `drillbot stats`), for size-aware findings. */
  readonly tableSizes?: ReadonlyMap<string, TableSize>;
  /** Reuse (and save) template databases of the base history. */
  readonly useTemplateCache?: boolean;
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
  const analysis = analyzeChange(opts.changeSet, opts.config.migrations);
  if (analysis.added.length === 0) return buildReport(analysis.findings, [], null);
  const { parsed, findings: parseFindings } = await parseMigrations(analysis.added);
  const drill = await drillOrInfra(opts, analysis, parsed);
  // The server stays up for the reviewer step's proof drill; whoever started it closes it.
  try {
    return await reviewDrilled(opts, started, analysis, parsed, parseFindings, drill);
  } finally {
    await drill.server?.close().catch(() => undefined);
  }
}

/** The rules, severities and acknowledgements over the drill's findings, then the reviewer step. */
async function reviewDrilled(
  opts: ReviewOptions,
  started: number,
  analysis: ChangeAnalysis,
  parsed: ParsedMigration[],
  parseFindings: Finding[],
  drill: DrillAttempt,
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
  let findings = [...ruleFindings, ...applySeverities([...analysis.findings, ...parseFindings, ...drill.findings], resolve)];
  if (opts.tableSizes) findings = judgeBySize(findings, opts.tableSizes, drill.outcome?.migrations ?? [], opts.config.shadow.seedRows);
  findings = applyAckDirectives(findings, readAckDirectives(opts.changeSet.head.files, parsed));
  const outcome = drill.outcome;
  const summary: DrillSummary = {
    provider: opts.provider.kind,
    serverVersion: drill.info?.version ?? 'unknown',
    ...pgMajorMismatch(opts.config.shadow.pgMajor, drill.info),
    layout: analysis.layout,
    baseMigrations: analysis.base.length,
    newMigrations: analysis.added.length,
    templateCache: outcome?.templateCache ?? 'none',
    seededRows: outcome?.seededRows ?? 0,
    seededTables: outcome?.seededTables ?? 0,
    seeding: outcome?.seeding ?? [],
    roundTrip: outcome?.roundTrip ?? 'not-run',
    durationMs: Math.round(performance.now() - started),
  };
  const reviewed = await reviewerStepOrInfra(opts, { analysis, parsed, findings, migrations: outcome?.migrations ?? [], drill: summary, server: drill.server });
  return buildReport(reviewed.findings, outcome?.migrations ?? [], { ...summary, durationMs: Math.round(performance.now() - started) }, reviewed);
}

/** The summary's pgMajorMismatch when the server is not of the configured major (a URL server is what it is). */
function pgMajorMismatch(configured: number | undefined, server: DrillAttempt['info']): Pick<DrillSummary, 'pgMajorMismatch'> {
  return configured !== undefined && server && server.major !== configured ? { pgMajorMismatch: { configured, server: server.major } } : {};
}

/** The reviewer step; a bug in it fails closed like any other failure of Drillbot's own. */
async function reviewerStepOrInfra(
  opts: ReviewOptions,
  state: { analysis: ChangeAnalysis; parsed: ParsedMigration[]; findings: Finding[]; migrations: MigrationResult[]; drill: DrillSummary; server: ShadowServer | null },
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

async function drillOrInfra(opts: ReviewOptions, analysis: ChangeAnalysis, parsed: ParsedMigration[]): Promise<DrillAttempt> {
  const shadow = opts.config.shadow;
  const onProgress = opts.onProgress ?? (() => undefined);
  let server: ShadowServer | null = null;
  try {
    onProgress(`starting the ${opts.provider.kind} shadow PostgreSQL`);
    const deadline = opts.signal ? AbortSignal.any([AbortSignal.timeout(shadow.timeoutMs), opts.signal]) : AbortSignal.timeout(shadow.timeoutMs);
    server = await opts.provider.start({ pgMajor: shadow.pgMajor, signal: deadline, onProgress });
    onProgress(`PostgreSQL ${server.version}: ${analysis.base.length} base migrations, ${analysis.added.length} new`);
    const plan = {
      layout: analysis.layout,
      base: analysis.base,
      added: parsed,
      setupSql: shadow.setup,
      seedRows: shadow.seedRows,
      statementTimeoutMs: shadow.statementTimeoutMs,
      useTemplateCache: opts.useTemplateCache ?? true,
      limits: shadow,
    };
    const outcome = await withDeadline(runDrill(server, plan, onProgress, deadline), deadline, shadow.timeoutMs, opts.signal);
    return { info: server, server, outcome, findings: outcome.findings };
  } catch (error) {
    // A drill that failed or ran out of time may still hold the server: release it now.
    await server?.close().catch(() => undefined);
    return { info: server, server: null, outcome: null, findings: [infraFinding(error, analysis.added[0].forward.path)] };
  }
}

function withDeadline<T>(work: Promise<T>, deadline: AbortSignal, limitMs: number, cancel?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(
        new DrillTimeoutError(
          cancel?.aborted ? 'the review was cancelled before the drill finished' : `the drill did not finish within its time limit (${Math.round(limitMs / 1000)} s; shadow.timeout)`,
        ),
      );
    if (deadline.aborted) onAbort();
    deadline.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => deadline.removeEventListener('abort', onAbort));
  });
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
      fix: 'Add the setup this history needs to shadow.setup in .github/drillbot.yml (e.g. the migration tool\'s bookkeeping table), or match shadow.pgMajor to production.',
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return finding({
    hazard: 'infra',
    source: 'engine',
    path: fallbackPath,
    line: 1,
    message: `Drillbot could not complete the review: ${redact(message)}${isDrillbotError(error) ? '' : ' (unexpected error)'}.`,
    fix: 'Re-run the review; if it fails again, check the shadow PostgreSQL settings (--provider, --database-url).',
  });
}
