import type { DrillbotConfig } from './config.js';
import { Deadline } from './deadline.js';
import { runCommandDrill } from './drill/command-drill.js';
import type { ShadowProvider, ShadowServer } from './drill/providers/provider.js';
import type { ResolvedCommand } from './layouts/command-presets.js';
import type { SourceFile } from './layouts/layout.js';
import { buildReport } from './report/build.js';
import { planRollout } from './report/rollout.js';
import type { Report, ReverseNotDrafted } from './report/report.js';
import { closeServer, engineFailure } from './review.js';
import { applySeverities, severityResolver } from './severity.js';

export interface CodeReviewOptions {
  readonly config: DrillbotConfig;
  readonly provider: ShadowProvider;
  readonly command: ResolvedCommand;
  /** Checkouts of the base and the head commit where the tool runs (the CLI makes them). */
  readonly baseDir: string;
  readonly headDir: string;
  /** How many migration files the base has (for the summary). */
  readonly baseMigrations: number;
  /** The change's new migration files, in the order the tool runs them. */
  readonly added: readonly SourceFile[];
  readonly onProgress?: (message: string) => void;
}

/**
 * Reviews code migrations (a `migrations.command` or `migrations.preset`): the command drill on
 * a shadow PostgreSQL, its findings under the configured severities. The static rules need SQL
 * files and do not run; Drillbot's own failures become `infra` findings, so the review fails closed.
 */
export async function reviewCode(opts: CodeReviewOptions): Promise<Report> {
  const started = performance.now();
  if (opts.added.length === 0) return buildReport([], [], null);
  const onProgress = opts.onProgress ?? (() => undefined);
  const shadow = opts.config.shadow;
  const deadline = new Deadline(shadow.timeoutMs);
  let server: ShadowServer | null = null;
  try {
    onProgress(`starting the ${opts.provider.kind} shadow PostgreSQL`);
    server = await deadline.race(opts.provider.start({ pgMajor: shadow.pgMajor, signal: deadline.signal, onProgress }));
    const plan = {
      command: opts.command,
      baseDir: opts.baseDir,
      headDir: opts.headDir,
      added: opts.added,
      seedRows: shadow.seedRows,
      statementTimeoutMs: shadow.statementTimeoutMs,
      limits: shadow,
    };
    const outcome = await deadline.race(runCommandDrill(server, plan, onProgress, deadline));
    const findings = applySeverities(outcome.findings, severityResolver(opts.config));
    // The runbook from what the tool was seen to send: each migration inside a transaction block or outside one, as it ran.
    const rollout = planRollout({
      parsed: outcome.parsed,
      migrations: outcome.migrations,
      findings,
      roundTrip: outcome.roundTrip,
      reverseDrafts: [],
      reverseNotDrafted: opts.command.down ? [] : opts.added.map(undrilledReverse),
      seededRows: shadow.seedRows,
    });
    return buildReport(
      findings,
      outcome.migrations,
      {
        provider: opts.provider.kind,
        serverVersion: server.version,
        layout: `command (${opts.command.tool})`,
        baseMigrations: opts.baseMigrations,
        historyPrivileges: 'owner',
        newMigrations: opts.added.length,
        templateCache: 'none',
        seededRows: outcome.seededRows,
        seededTables: outcome.seededTables,
        seeding: outcome.seeding,
        roundTrip: outcome.roundTrip,
        durationMs: Math.round(performance.now() - started),
      },
      { rollout },
    );
  } catch (error) {
    const fix = 'Re-run the review; if it fails again, check the shadow PostgreSQL settings (--provider, --database-url) and the migration tool’s command.';
    return buildReport([engineFailure(error, opts.added[0].path, fix)], [], null);
  } finally {
    await closeServer(server);
    deadline.done();
  }
}

/** Without a `down` command (Django's preset) the drill runs no reverse: the rollback the runbook names is the user's to prove. */
function undrilledReverse(file: SourceFile): ReverseNotDrafted {
  const name = file.path.split('/').pop()!;
  return { version: name, forwardPath: file.path, reason: 'the command has no `down` (migrations.command.down), so the drill ran no reverse of it' };
}
