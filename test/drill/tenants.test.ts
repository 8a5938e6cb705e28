import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseConfig, type DrillbotConfig, type TenantsConfig } from '../../src/core/config.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import type { Report } from '../../src/core/report/report.js';
import { renderMarkdown } from '../../src/core/report/render/markdown.js';
import { renderText } from '../../src/core/report/render/text.js';
import { review } from '../../src/core/review.js';
import { buildIfStale, ROOT } from '../support/build.js';
import { changeSetOf } from '../support/change-set.js';
import { LOCAL_URL, RULES_OFF } from '../support/drill.js';
import { gitRepo } from '../support/git-repo.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/tenants/', import.meta.url));
const MIGRATIONS = 'db/migrations';

/** The fixture's migrations of one side (base or change), by file name. */
function migrations(side: 'base' | 'change'): Record<string, string> {
  const dir = join(FIXTURE, side, MIGRATIONS);
  return Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
}

const CONFIG_TEXT = readFileSync(join(FIXTURE, 'base/.github/drillbot.yml'), 'utf8');
const CONFIG = parseConfig(CONFIG_TEXT);

function drillTenants(tenants: TenantsConfig | undefined, change = migrations('change'), base = migrations('base')): Promise<Report> {
  const config: DrillbotConfig = { ...CONFIG, rules: RULES_OFF, shadow: { ...CONFIG.shadow, tenants } };
  return review({ changeSet: changeSetOf(MIGRATIONS, base, change), config, provider: createUrlProvider(LOCAL_URL) });
}

const CHANGE = `${MIGRATIONS}/000003_unique_email.up.sql`;
const tenantFindings = (report: Report) => report.findings.filter((f) => /^In tenant schemas? /.test(f.message));

describe('multi-tenant drill (shadow.tenants) on PostgreSQL', () => {
  it('reads the tenants from the query, runs the change in each schema and reports the one whose data breaks it', async () => {
    const report = await drillTenants(CONFIG.shadow.tenants);
    const tenants = report.drill!.tenants!;
    expect(tenants.tenants.map((t) => [t.schema, t.forward, t.failedAt?.line ?? null, t.reverse])).toEqual([
      ['acme', 'applied', null, 'applied'],
      ['globex', 'failed', 2, 'not-run'],
      ['initech', 'applied', null, 'applied'],
    ]);
    // The template's drill says the constraint needs data without duplicates (its synthetic rows
    // have some); the tenant drill says which tenant's data has them.
    const at = (hazard: string) => report.findings.filter((f) => f.hazard === hazard).map((f) => `${f.path}:${f.line}`);
    expect([at('data-dependent'), at('forward-error')]).toEqual([[`${CHANGE}:2`], [`${CHANGE}:2`]]);
    const [globex] = tenantFindings(report);
    expect(globex.message).toMatch(/^In tenant schema globex: The forward migration fails on PostgreSQL: could not create unique index "users_email_key"/);
    expect(globex.evidence).toBe('tenant globex: SQLSTATE 23505, Key (email)=(ops@globex.example) is duplicated.');
    expect(report.verdict).toBe('fail');
    // The lock time is the sum over the tenants that ran the migration.
    const [total] = tenants.lockMs;
    expect(total).toMatchObject({ path: CHANGE, tenants: 3 });
    const perTenant = tenants.tenants.flatMap((t) => t.lockMs.map((l) => l.ms));
    expect(total.ms).toBeCloseTo(
      perTenant.reduce((a, b) => a + b, 0),
      0,
    );
    expect(tenants.tenants.filter((t) => t.forward === 'applied').every((t) => t.lockMs[0].ms > 0)).toBe(true);
    const migrate = report.rollout!.find((s) => s.kind === 'migrate')!;
    expect(migrate.title).toMatch(
      /^Do not run 000003_unique_email as it stands: it failed on the drill and in tenant schema globex \(see its findings\); fix it first, for every tenant's data\.$/,
    );
    expect(migrate.lock).toMatch(/across 3 tenant schemas, \d+ ms of locks on existing tables in total \(the sum of each tenant's lock time\)$/);
    expect(renderMarkdown(report)).toContain('\nTenants (3 schemas, search_path tenant then public): acme applied, reverse applied; globex failed at');
    expect(renderText(report)).toMatch(
      /\nTenants \(3 schemas, search_path tenant then public\): acme applied, reverse applied; globex failed at db\/migrations\/000003_unique_email\.up\.sql:2; initech applied, reverse applied\. Lock time on existing tables, summed over the tenants: db\/migrations\/000003_unique_email\.up\.sql \d+ ms over 3\n/,
    );
  });

  it('runs the change in each listed schema, and every tenant passes when no data breaks it', async () => {
    const report = await drillTenants({ template: 'public', schemas: ['acme', 'initech'], seed: {} });
    expect(report.drill!.tenants!.tenants.map((t) => `${t.schema}:${t.forward}/${t.reverse}`)).toEqual(['acme:applied/applied', 'initech:applied/applied']);
    expect(tenantFindings(report)).toEqual([]);
  });

  it('runs the reverse in each tenant after its forward, and reports a failing reverse per tenant', async () => {
    const report = await drillTenants(
      { template: 'public', schemas: ['acme', 'initech'], seed: {} },
      {
        '000003_unique_email.up.sql': 'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n',
        '000003_unique_email.down.sql': '-- a typo in the constraint name\nALTER TABLE users DROP CONSTRAINT users_email_kee;\n',
      },
    );
    const down = `${MIGRATIONS}/000003_unique_email.down.sql`;
    expect(report.drill!.tenants!.tenants.map((t) => `${t.schema}:${t.forward}/${t.reverse}`)).toEqual(['acme:applied/failed', 'initech:applied/failed']);
    // One finding for the place, naming both tenants; the template's drill reports the same reverse-error.
    const reverse = report.findings.filter((f) => f.hazard === 'reverse-error');
    expect(reverse.map((f) => `${f.path}:${f.line}`)).toEqual([`${down}:2`]);
    expect(reverse[0].evidence).toMatch(/tenant acme: SQLSTATE 42704; tenant initech: SQLSTATE 42704$/);
  });

  it('drills a tenant schema the history created as it stands, with the rows the history put there', async () => {
    const base = {
      ...migrations('base'),
      '000003_acme.up.sql':
        "CREATE SCHEMA acme;\nCREATE TABLE acme.users (LIKE public.users INCLUDING ALL);\nINSERT INTO acme.users (email) VALUES ('a@acme.example'), ('a@acme.example');\n",
      '000003_acme.down.sql': 'DROP SCHEMA acme CASCADE;\n',
    };
    const change = Object.fromEntries(Object.entries(migrations('change')).map(([name, sql]) => [name.replace('000003', '000004'), sql]));
    const report = await drillTenants({ template: 'public', schemas: ['acme'], seed: {} }, change, base);
    expect(report.drill!.tenants!.tenants.map((t) => `${t.schema}:${t.forward}`)).toEqual(['acme:failed']);
    expect(tenantFindings(report).map((f) => f.evidence)).toEqual(['tenant acme: SQLSTATE 23505, Key (email)=(a@acme.example) is duplicated.']);
  });

  it('reports a tenant whose seed SQL fails as infra, naming it, and still drills the others', async () => {
    const report = await drillTenants(
      { template: 'public', schemas: ['acme', 'initech'], seed: { initech: 'CREATE TABLE audit (email text REFERENCES users (email));' } },
      {
        '000003_unique_email.up.sql': 'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n',
        '000003_unique_email.down.sql': 'ALTER TABLE users DROP CONSTRAINT users_email_key;\n',
      },
    );
    // The seed references users(email), which needs a unique constraint there first: seeding initech fails, reported as infra.
    expect(report.findings.filter((f) => f.hazard === 'infra').map((f) => f.message)).toEqual([
      expect.stringMatching(/^The multi-tenant drill could not run: tenant schema initech could not be prepared: its seed SQL \(shadow\.tenants\.seed\) fails/),
    ]);
    expect(report.drill!.tenants!.tenants.map((t) => `${t.schema}:${t.forward}`)).toEqual(['acme:applied', 'initech:not-run']);
    expect(report.complete).toBe(false);
  });

  it('fails closed on a tenant query that finds no tenant, and on seed SQL for a schema that is no tenant', async () => {
    const report = await drillTenants({
      template: 'public',
      query: "SELECT schema_name FROM tenant_registry WHERE schema_name = 'umbrella'",
      seed: { acme: 'SELECT 1' },
    });
    // Two infra findings at the same line are merged into one (the review's usual dedup).
    const infra = report.findings.filter((f) => f.hazard === 'infra').map((f) => f.message);
    expect(infra.join(' ')).toBe(
      'The multi-tenant drill could not run: shadow.tenants names no tenant schema other than the template. ' +
        'The multi-tenant drill could not run: shadow.tenants.seed names acme, which is no tenant schema (none).',
    );
    expect(report.drill!.tenants!.tenants).toEqual([]);
    expect(report.complete).toBe(false);
  });

  it('costs nothing without tenants: no tenant database, no tenant summary', async () => {
    const admin = new pg.Client(LOCAL_URL);
    await admin.connect();
    const tenantDatabases = async () =>
      (await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'drillbot\\_tenants\\_%'")).rows[0].n;
    try {
      let seen = 0;
      // One count at a time, the last awaited before the connection ends: a count in flight at end() would fail after the test.
      let counting = Promise.resolve();
      const watching = setInterval(() => (counting = counting.then(tenantDatabases).then((n) => void (seen = Math.max(seen, n)))), 20);
      const report = await drillTenants(undefined).finally(() => clearInterval(watching));
      await counting;
      expect(report.drill!.tenants).toBeUndefined();
      expect(tenantFindings(report)).toEqual([]);
      expect(seen).toBe(0);
    } finally {
      await admin.end();
    }
  });
});

describe('bin/drillbot.js on a schema-per-tenant repository', () => {
  beforeAll(buildIfStale);

  it('exits 1 and names the tenant, file and line', async () => {
    const prefix = (side: 'base' | 'change') => Object.fromEntries(Object.entries(migrations(side)).map(([n, c]) => [`${MIGRATIONS}/${n}`, c]));
    const repo = gitRepo({ ...prefix('base'), '.github/drillbot.yml': CONFIG_TEXT }, prefix('change'));
    try {
      const run = await new Promise<{ status: number | null; stdout: string }>((resolve) =>
        execFile(
          process.execPath,
          [join(ROOT, 'bin', 'drillbot.js'), 'check', '--repo', repo.dir, '--base', 'main', '--database-url', LOCAL_URL, '--quiet'],
          (error, stdout) => resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout }),
        ),
      );
      expect(run.stdout).toMatch(/^Drillbot: FAIL, 2 errors/);
      expect(run.stdout).toMatch(/\n {2}2 +error +forward-error: In tenant schema globex: The forward migration fails on PostgreSQL/);
      expect(run.stdout).toMatch(/\nTenants \(3 schemas, search_path tenant then public\): acme applied, reverse applied; globex failed at/);
      expect(run.status).toBe(1);
    } finally {
      repo.remove();
    }
  });
});
