import { analyzeChange } from './change-set/analyze.js';
import type { ChangeSet } from './change-set/change-set.js';
import type { DrillbotConfig } from './config.js';
import { runDrill, type DrillOutcome } from './drill/drill.js';
import { BaseReplayError } from './drill/base-history.js';
import type { ShadowProvider, ShadowServer } from './drill/providers/provider.js';
import { DrillTimeoutError, isDrillbotError, redact } from './errors.js';
import type { LayoutId } from './layouts/layout.js';
import { buildReport } from './report/build.js';
import { finding } from './report/findings.js';
import type { Finding, Report } from './report/report.js';

export interface ReviewOptions {
  readonly changeSet: ChangeSet;
  readonly config: DrillbotConfig;
  readonly provider: ShadowProvider;
  /** Reuse (and save) template databases of the base history. */
  readonly useTemplateCache?: boolean;
  readonly onProgress?: (message: string) => void;
}

/**
 * Reviews a change: history checks, then the drill on a shadow PostgreSQL. Never throws for
 * Drillbot's own failures: they become `infra` findings, so the review fails closed.
 */
export async function review(opts: ReviewOptions): Promise<Report> {
  const started = performance.now();
  const onProgress = opts.onProgress ?? (() => undefined);
  const analysis = analyzeChange(opts.changeSet, opts.config.migrations.layout);
  if (analysis.added.length === 0) return buildReport(analysis.findings, [], null);
  const shadow = opts.config.shadow;
  let server: ShadowServer | null = null;
  let outcome: DrillOutcome | null = null;
  const findings: Finding[] = [...analysis.findings];
  try {
    onProgress(`starting the ${opts.provider.kind} shadow PostgreSQL`);
    const deadline = AbortSignal.timeout(shadow.timeoutMs);
    server = await opts.provider.start({ pgMajor: shadow.pgMajor, signal: deadline });
    onProgress(`PostgreSQL ${server.version}: ${analysis.base.length} base migrations, ${analysis.added.length} new`);
    const plan = {
      layout: analysis.layout,
      base: analysis.base,
      added: analysis.added,
      setupSql: shadow.setup,
      seedRows: shadow.seedRows,
      statementTimeoutMs: shadow.statementTimeoutMs,
      useTemplateCache: opts.useTemplateCache ?? true,
    };
    outcome = await withDeadline(runDrill(server, plan, onProgress, deadline), deadline, shadow.timeoutMs);
    findings.push(...outcome.findings);
  } catch (error) {
    findings.push(infraFinding(error, analysis.added[0].forward.path));
  } finally {
    await server?.close().catch(() => undefined);
  }
  return buildReport(findings, outcome?.migrations ?? [], {
    provider: opts.provider.kind,
    serverVersion: server?.version ?? 'unknown',
    layout: analysis.layout satisfies LayoutId,
    baseMigrations: analysis.base.length,
    newMigrations: analysis.added.length,
    templateCache: outcome?.templateCache ?? 'none',
    seededRows: outcome?.seededRows ?? 0,
    seededTables: outcome?.seededTables ?? 0,
    roundTrip: outcome?.roundTrip ?? 'not-run',
    durationMs: Math.round(performance.now() - started),
  });
}

function withDeadline<T>(work: Promise<T>, deadline: AbortSignal, limitMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DrillTimeoutError(`the drill did not finish within its time limit (${Math.round(limitMs / 1000)} s; shadow.timeout)`));
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
