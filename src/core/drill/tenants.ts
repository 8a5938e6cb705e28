import type pg from 'pg';
import type { TenantsConfig } from '../config.js';
import type { LayoutId, Migration, MigrationScript } from '../layouts/layout.js';
import { finding } from '../report/findings.js';
import type { Finding, TenantOutcome, TenantSummary } from '../report/report.js';
import type { ParsedStatement } from '../sql/parse.js';
import type { ParsedMigration } from '../sql/parse-migrations.js';
import { wrappedWhole } from '../sql/transaction-block.js';
import { applyScript, BaseReplayError } from './base-history.js';
import type { ScriptRun } from './execute.js';
import { failureFinding } from './failures.js';
import { captureRelationState } from './relation-state.js';

/**
 * What the tenant drill needs of the drill: a connection to its own clone of the base, and the
 * drill's guarded, observed way of running a script of the change.
 */
export interface TenantDrillContext {
  readonly client: pg.Client;
  readonly base: readonly Migration[];
  readonly added: readonly ParsedMigration[];
  readonly layout: LayoutId;
  readonly run: (script: MigrationScript, statements: ParsedStatement[]) => Promise<ScriptRun>;
  readonly onProgress: (message: string) => void;
}

/**
 * The change as a schema-per-tenant tool runs it (django-tenants' migrate_schemas, apartment):
 * once per tenant schema, with `search_path` set to the tenant and then the template, every
 * migration of the change in order for one tenant before the next. A tenant schema the base history
 * did not create is created the way these tools create a tenant: an empty schema in which the
 * history's migrations are replayed under that search_path. A tenant holds what the history put
 * there and its own seed SQL from the config, not the drill's synthetic rows: the template's drill
 * already runs the change against those (its `data-dependent` finding), and here the question is
 * whether each tenant's own data lets it apply. After its forward migrations its reverses run
 * newest first. Failures are reported per tenant; the lock time of a migration is the sum over the
 * tenants, since the tool migrates them one after the other.
 */
export async function drillTenants(ctx: TenantDrillContext, config: TenantsConfig): Promise<{ summary: TenantSummary; findings: Finding[] }> {
  const findings: Finding[] = [];
  const changePath = ctx.added[0]?.migration.forward.path ?? '';
  const schemas = await tenantSchemas(ctx.client, config, changePath, findings);
  const ready: string[] = [];
  for (const schema of schemas) {
    ctx.onProgress(`tenant ${schema}: preparing`);
    if (await prepareTenant(ctx, config, schema, findings)) ready.push(schema);
  }
  const existing = new Set((await captureRelationState(ctx.client)).keys());
  const outcomes: TenantOutcome[] = [];
  const failures: TenantFailure[] = [];
  for (const [i, schema] of schemas.entries()) {
    if (!ready.includes(schema)) {
      outcomes.push({ schema, forward: 'not-run', reverse: 'not-run', lockMs: [] });
      continue;
    }
    ctx.onProgress(`tenant ${i + 1}/${schemas.length}: ${schema}`);
    await useSchema(ctx.client, schema, config.template);
    outcomes.push(await drillTenant(ctx, schema, existing, failures));
  }
  findings.push(...tenantFindings(failures));
  await ctx.client.query('RESET search_path');
  return { summary: { template: config.template, tenants: outcomes, lockMs: totalLocks(ctx, outcomes) }, findings };
}

/**
 * The configured list, or the first column of the configured query's rows; the template is drilled
 * by the main drill already. A query that fails or finds no tenant, and seed SQL for a schema that
 * is no tenant (a typo would seed nothing), fail the review closed rather than drill nothing.
 */
async function tenantSchemas(client: pg.Client, config: TenantsConfig, changePath: string, findings: Finding[]): Promise<string[]> {
  let schemas: string[];
  try {
    schemas = config.schemas ? [...config.schemas] : await queriedSchemas(client, config.query ?? '');
  } catch (error) {
    findings.push(setupFinding(changePath, `the tenant query shadow.tenants.query fails on the base history: ${(error as Error).message}`));
    return [];
  }
  schemas = schemas.filter((s) => s !== config.template);
  if (schemas.length === 0) findings.push(setupFinding(changePath, 'shadow.tenants names no tenant schema other than the template'));
  const strays = Object.keys(config.seed).filter((s) => !schemas.includes(s));
  if (strays.length > 0)
    findings.push(setupFinding(changePath, `shadow.tenants.seed names ${strays.join(', ')}, which is no tenant schema (${schemas.join(', ') || 'none'})`));
  return schemas;
}

async function queriedSchemas(client: pg.Client, query: string): Promise<string[]> {
  const { rows, fields } = await client.query<Record<string, unknown>>(query);
  const column = fields[0]?.name ?? '';
  return [...new Set(rows.map((r) => String(r[column])))];
}

/** Creates the tenant's schema from the history when the history did not, then runs its seed SQL; false (with a finding) when either fails. */
async function prepareTenant(ctx: TenantDrillContext, config: TenantsConfig, schema: string, findings: Finding[]): Promise<boolean> {
  const { client } = ctx;
  const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  try {
    if (exists.rowCount === 0) {
      await client.query(`CREATE SCHEMA ${client.escapeIdentifier(schema)}`);
      await useSchema(client, schema, config.template);
      for (const migration of ctx.base) await applyScript(client, migration.forward);
    }
    const seed = config.seed[schema];
    await useSchema(client, schema, config.template);
    if (seed) await client.query(seed);
    return true;
  } catch (error) {
    if (!(error instanceof BaseReplayError) && typeof (error as { code?: unknown }).code !== 'string') throw error;
    await client.query('ROLLBACK').catch(() => undefined);
    const where = error instanceof BaseReplayError ? { path: error.path, line: error.line } : { path: ctx.added[0]?.migration.forward.path ?? '', line: 1 };
    const step = error instanceof BaseReplayError ? 'the base history does not replay in it' : 'its seed SQL (shadow.tenants.seed) fails';
    findings.push({ ...setupFinding(where.path, `tenant schema ${schema} could not be prepared: ${step} (${(error as Error).message})`), line: where.line });
    return false;
  } finally {
    await client.query('RESET search_path');
  }
}

async function useSchema(client: pg.Client, schema: string, template: string): Promise<void> {
  await client.query(`SET search_path = ${client.escapeIdentifier(schema)}, ${client.escapeIdentifier(template)}`);
}

/** One tenant: its forwards until the first failure, then the reverses of those that applied, newest first. */
async function drillTenant(ctx: TenantDrillContext, schema: string, existing: ReadonlySet<number>, failures: TenantFailure[]): Promise<TenantOutcome> {
  const lockMs: TenantOutcome['lockMs'][number][] = [];
  const applied: ParsedMigration[] = [];
  let forward: TenantOutcome['forward'] = 'applied';
  let failedAt: TenantOutcome['failedAt'];
  for (const p of ctx.added) {
    if (!p.forward) break;
    const run = await ctx.run(p.migration.forward, p.forward);
    lockMs.push({ path: p.migration.forward.path, ms: round(heldMs(run, p.migration.forward, existing)) });
    if (run.status !== 'applied') {
      const failure = failureFinding(run, p.migration.forward, 'forward-error', ctx.layout);
      failures.push({ schema, finding: failure, detail: lastError(run)?.detail });
      forward = 'failed';
      failedAt = { path: failure.path, line: failure.line };
      break;
    }
    applied.push(p);
  }
  return { schema, forward, ...(failedAt ? { failedAt } : {}), reverse: await reverseTenant(ctx, schema, applied, failures), lockMs };
}

async function reverseTenant(
  ctx: TenantDrillContext,
  schema: string,
  applied: ParsedMigration[],
  failures: TenantFailure[],
): Promise<TenantOutcome['reverse']> {
  const toReverse = applied.filter((p) => p.forward?.length !== 0).reverse();
  if (toReverse.length === 0) return 'not-run';
  for (const { migration, reverse } of toReverse) {
    if (!migration.reverse || !reverse) return 'not-run';
    const run = await ctx.run(migration.reverse, reverse);
    if (run.status !== 'applied') {
      failures.push({ schema, finding: failureFinding(run, migration.reverse, 'reverse-error', ctx.layout), detail: lastError(run)?.detail });
      return 'failed';
    }
  }
  return 'applied';
}

/**
 * How long the migration held locks on tables that existed before the change: the whole script
 * when the tool runs it in one transaction (locks last until COMMIT), else the statements that took one.
 */
function heldMs(run: ScriptRun, script: MigrationScript, existing: ReadonlySet<number>): number {
  const locking = run.statements.filter((s) => s.locks.some((l) => existing.has(l.oid)));
  if (locking.length === 0) return 0;
  return wrappedWhole(script, run.statements.length) ? run.durationMs : locking.reduce((sum, s) => sum + s.durationMs, 0);
}

/** Per forward migration, the lock time summed over the tenants that ran it. */
function totalLocks(ctx: TenantDrillContext, outcomes: TenantOutcome[]): TenantSummary['lockMs'] {
  return ctx.added.flatMap((p) => {
    const path = p.migration.forward.path;
    const held = outcomes.flatMap((o) => o.lockMs.filter((l) => l.path === path));
    return held.length > 0 ? [{ path, ms: round(held.reduce((sum, l) => sum + l.ms, 0)), tenants: held.length }] : [];
  });
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** The change failed in one tenant schema: the drill's finding for it, and what PostgreSQL said of the rows. */
interface TenantFailure {
  readonly schema: string;
  readonly finding: Finding;
  readonly detail?: string;
}

const lastError = (run: ScriptRun) => run.statements[run.statements.length - 1]?.error;

/**
 * One finding per failing place (file, line, hazard) naming every tenant schema it fails in, with
 * each tenant's SQLSTATE and DETAIL as evidence: the report merges findings of one place, so a
 * finding per tenant would lose all tenants but the first.
 */
function tenantFindings(failures: readonly TenantFailure[]): Finding[] {
  const byPlace = new Map<string, TenantFailure[]>();
  for (const f of failures) {
    const key = `${f.finding.path}\0${f.finding.line}\0${f.finding.hazard}`;
    byPlace.set(key, [...(byPlace.get(key) ?? []), f]);
  }
  return [...byPlace.values()].map((group) => {
    const { finding: first } = group[0];
    const schemas = group.map((f) => f.schema);
    return {
      ...first,
      message: `In tenant schema${schemas.length > 1 ? 's' : ''} ${schemas.join(', ')}: ${first.message}`,
      evidence: group.map((f) => `tenant ${f.schema}: ${[f.finding.evidence, f.detail].filter(Boolean).join(', ')}`).join('; '),
      fix: `${first.fix ?? ''} The migration runs once per tenant schema: it must apply to every tenant's data, not only the template's.`.trim(),
    };
  });
}

function setupFinding(path: string, message: string): Finding {
  return finding({
    hazard: 'infra',
    source: 'engine',
    path,
    line: 1,
    message: `The multi-tenant drill could not run: ${message}.`,
    fix: 'Fix shadow.tenants in .github/drillbot.yml (schemas or query, template, seed) so that every tenant schema can be created and seeded on the base history.',
  });
}
