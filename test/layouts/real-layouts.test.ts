import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { ChangeSet } from '../../src/core/change-set/change-set.js';
import { DEFAULT_CONFIG, type DrillbotConfig } from '../../src/core/config.js';
import { createUrlProvider } from '../../src/core/drill/providers/index.js';
import { atlasSum } from '../../src/core/layouts/atlas.js';
import { readMigrations } from '../../src/core/layouts/index.js';
import type { FileTree } from '../../src/core/layouts/layout.js';
import type { Report } from '../../src/core/report/report.js';
import { review } from '../../src/core/review.js';
import { loadFileTree } from '../../src/core/testing/file-tree.js';
import { LOCAL_URL } from '../support/drill.js';

// Real migration directories of public projects (test/fixtures/real-layouts/<tool>/README.md),
// drilled end to end on the local PostgreSQL with each tool's own layout, detected, not configured.
const FIXTURES = fileURLToPath(new URL('../fixtures/real-layouts/', import.meta.url));
function load(t: Tool): FileTree {
  const tree = loadFileTree(`${FIXTURES}${t.tool}`, t.dir);
  return { ...tree, files: tree.files.filter((f) => !t.without?.test(f.path)) };
}

/** What the Supabase platform provides before a project's first migration: the schemas and roles its migrations use. */
const SUPABASE_PLATFORM = `
CREATE SCHEMA IF NOT EXISTS extensions;
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE IF NOT EXISTS auth.users (id uuid PRIMARY KEY);
CREATE OR REPLACE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT NULL::uuid $$;
CREATE OR REPLACE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_user::text $$;
`;
/** Supabase's roles, which its migrations grant to; roles belong to the server, so the test creates them there (the drill may not). */
const SUPABASE_ROLES = ['anon', 'authenticated', 'service_role', 'supabase_auth_admin'].map(
  (role) => `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} NOLOGIN; END IF; END $$`,
);

interface Tool {
  readonly tool: string;
  readonly dir: string;
  readonly setup?: string;
  /** Files left out of the drilled history, and why. */
  readonly without?: RegExp;
}
const PRISMA: Tool = { tool: 'prisma', dir: 'prisma/migrations' };
// Its last migration alters default privileges FOR ROLE postgres, which the drill's own role may not do here.
const SUPABASE: Tool = { tool: 'supabase', dir: 'supabase/migrations', setup: SUPABASE_PLATFORM, without: /20260627094211_add_explicit_grants\.sql$/ };
const DRIZZLE: Tool = { tool: 'drizzle', dir: 'drizzle' };
const ATLAS: Tool = { tool: 'atlas', dir: 'sql/migrations' };
const LIQUIBASE: Tool = { tool: 'liquibase', dir: 'src/main/resources/db/changelog' };
const CHANGELOG = 'src/main/resources/db/changelog/db.changelog-master.sql';
const LIQUIBASE_MASTER: Tool = { tool: 'liquibase-master', dir: 'src/main/resources/db/changelog' };
const MOD_LISTS = (path: string) => `${LIQUIBASE_MASTER.dir}/${path}`;
const SQITCH: Tool = { tool: 'sqitch', dir: '' };
// The module creates its tenant's schema before Liquibase runs, and passes the tenant as ${tenant_id}.
const FQM: Tool = { tool: 'liquibase-parameters', dir: 'src/main/resources/db/changelog', setup: 'CREATE SCHEMA IF NOT EXISTS diku_mod_fqm_manager;' };

/** The OpenFn sqitch project without its last `drop` changes (plan lines and scripts), plus `added` ones. */
function sqitchProject(drop: number, added: Array<{ name: string; deploy: string; revert: string; verify?: string }> = []): FileTree {
  const tree = load(SQITCH);
  const plan = tree.files.find((f) => f.path === 'sqitch.plan')!;
  const lines = plan.content.trimEnd().split('\n');
  const dropped = lines.slice(lines.length - drop).map((l) => l.split(' ')[0]);
  const kept = tree.files.filter((f) => !dropped.some((name) => f.path.endsWith(`/${name}.sql`)));
  const newLines = added.map((c) => `${c.name} 2026-01-01T00:00:00Z Drill <drill@example.com> # test`);
  const scripts = added.flatMap((c) => [
    { path: `deploy/${c.name}.sql`, content: c.deploy },
    { path: `revert/${c.name}.sql`, content: c.revert },
    ...(c.verify ? [{ path: `verify/${c.name}.sql`, content: c.verify }] : []),
  ]);
  const content = [...lines.slice(0, lines.length - drop), ...newLines].join('\n') + '\n';
  return { root: '', files: [...kept.map((f) => (f === plan ? { ...f, content } : f)), ...scripts] };
}

function drill(t: Tool, changeSet: ChangeSet, migrations: Partial<DrillbotConfig['migrations']> = {}): Promise<Report> {
  return review({
    changeSet,
    config: {
      ...DEFAULT_CONFIG,
      migrations: { ...DEFAULT_CONFIG.migrations, ...migrations },
      shadow: { ...DEFAULT_CONFIG.shadow, seedRows: 20, ...(t.setup ? { setup: t.setup } : {}) },
      reviewer: { ...DEFAULT_CONFIG.reviewer, enabled: false },
    },
    provider: createUrlProvider(LOCAL_URL),
  });
}

/** The fixture with its last migration as the change: base is everything before it. */
function lastAsChange(t: Tool): ChangeSet {
  const head = load(t);
  const last = readMigrations(head).migrations.at(-1)!;
  // Drizzle's journal lists the last migration too: the base has the journal as it was before it.
  const base = head.files.filter((f) => f.path !== last.forward.path).map((f) => (f.path.endsWith('_journal.json') ? withoutLastEntry(f) : f));
  return { base: { root: head.root, files: rehashed(base) }, head };
}

/** Atlas's atlas.sum as `atlas migrate hash` rewrites it for the files beside it. */
function rehashed(files: FileTree['files']): FileTree['files'] {
  const sql = files.filter((f) => /\/[^/]+\.sql$/.test(f.path)).map((f) => ({ name: f.path.split('/').pop()!, content: f.content }));
  return files.map((f) => (f.path.endsWith('/atlas.sum') ? { ...f, content: atlasSum(sql.sort((a, b) => (a.name < b.name ? -1 : 1))) } : f));
}

function withoutLastEntry(file: { path: string; content: string }): { path: string; content: string } {
  const journal = JSON.parse(file.content) as { entries: unknown[] };
  return { ...file, content: JSON.stringify({ ...journal, entries: journal.entries.slice(0, -1) }, null, 2) };
}

/** The fixture as base, plus one new migration holding `sql`, placed the tool's way. */
function withNewMigration(t: Tool, sql: string): ChangeSet {
  const base = load(t);
  const added = (path: string, content: string) => ({ path: `${t.dir}/${path}`, content });
  const files = [...base.files];
  if (t.tool === 'prisma') files.push(added('99999999999999_change/migration.sql', sql));
  if (t.tool === 'supabase') files.push(added('99999999999999_change.sql', sql));
  if (t.tool === 'atlas') files.push(added('99999999999999_change.sql', sql));
  if (t.tool === 'liquibase') {
    const i = files.findIndex((f) => f.path === CHANGELOG);
    files[i] = { ...files[i]!, content: `${files[i]!.content}\n${sql}` };
  }
  if (t.tool === 'drizzle') {
    const i = files.findIndex((f) => f.path.endsWith('_journal.json'));
    const journal = JSON.parse(files[i]!.content) as { entries: Array<Record<string, unknown>> };
    const entry = { idx: journal.entries.length, version: '5', when: 1_900_000_000_000, tag: '9999_change', breakpoints: true };
    files[i] = { ...files[i]!, content: JSON.stringify({ ...journal, entries: [...journal.entries, entry] }, null, 2) };
    files.push(added('9999_change.sql', sql));
  }
  return { base, head: { root: base.root, files: rehashed(files) } };
}

const at = (report: Report) => report.findings.map((f) => `${f.hazard}/${f.severity}@${f.path}:${f.line}`);
const TIMEOUT = 240_000;

beforeAll(async () => {
  const client = new pg.Client({ connectionString: LOCAL_URL });
  await client.connect();
  try {
    for (const sql of SUPABASE_ROLES) await client.query(sql);
  } finally {
    await client.end();
  }
});

describe('real migration directories, detected and drilled', () => {
  it('reads each with its layout: umami (Prisma) 19, nextbase (Supabase) 6 of 7, Dokploy (Drizzle) 39, hatchet (Atlas) 32, no problems', () => {
    const read = [PRISMA, SUPABASE, DRIZZLE, ATLAS].map((t) => readMigrations(load(t)));
    expect(read.map((r) => [r.layout, r.migrations.length, r.problems])).toEqual([
      ['prisma', 19, []],
      ['supabase', 6, []],
      ['drizzle', 39, []],
      ['atlas', 32, []],
    ]);
    expect(read.every((r) => r.migrations.every((m) => m.reverse === null))).toBe(true);
  });

  it(
    "umami's last Prisma migration: the DROP COLUMN at line 4 and a notice, not an error, for the missing reverse",
    async () => {
      const report = await drill(PRISMA, lastAsChange(PRISMA));
      const file = 'prisma/migrations/19_add_session_replay/migration.sql';
      expect(report.complete).toBe(true);
      expect(at(report)).toEqual(expect.arrayContaining([`data-loss/error@${file}:4`, `missing-reverse/notice@${file}:1`]));
    },
    TIMEOUT,
  );

  it(
    'a forward-only missing reverse is an error with migrations.requireReverse, and the proven draft is its rollback plan',
    async () => {
      const report = await drill(PRISMA, withNewMigration(PRISMA, 'ALTER TABLE "website" ADD COLUMN "note" text;\n'), { requireReverse: true });
      expect(at(report)).toContain('missing-reverse/error@prisma/migrations/99999999999999_change/migration.sql:1');
      // The drafted reverse, proven on the shadow, is the rollback plan, and is said to be a draft.
      expect(report.reverseDrafts).toEqual([
        expect.objectContaining({ placement: 'rollback-plan', status: 'proven', sql: expect.stringMatching(/DROP COLUMN "?note"?/) }),
      ]);
      const reverse = report.findings.find((f) => f.hazard === 'missing-reverse');
      expect(reverse?.fix).toMatch(
        /^Keep this rollback plan with the deploy and run it by hand to undo it \(a draft, drafted by Drillbot \(the drill on PostgreSQL/,
      );
    },
    TIMEOUT,
  );

  it(
    "nextbase's Supabase history replays (on the platform's schemas) and its CREATE INDEX at line 9 blocks writes",
    async () => {
      const report = await drill(SUPABASE, lastAsChange(SUPABASE));
      expect(report.complete).toBe(true);
      expect(at(report)).toContain('blocking-index/error@supabase/migrations/20251117162807_add_owner_id_to_private_items.sql:9');
    },
    TIMEOUT,
  );

  it(
    "Dokploy's Drizzle migration 0037: the scan under an ACCESS EXCLUSIVE lock at line 35",
    async () => {
      // 0037 as the change: 0038 and its journal entry leave both sides.
      const change = lastAsChange(DRIZZLE);
      const before38 = (files: FileTree['files']) =>
        files.filter((f) => !f.path.endsWith('0038_rapid_landau.sql')).map((f) => (f.path.endsWith('_journal.json') ? withoutLastEntry(f) : f));
      const report = await drill(DRIZZLE, {
        base: { root: 'drizzle', files: before38(change.base.files) },
        head: { root: 'drizzle', files: before38(change.head.files) },
      });
      expect(report.complete).toBe(true);
      expect(at(report)).toContain('blocking-scan/error@drizzle/0037_legal_namor.sql:35');
      expect(at(report)).toContain('missing-reverse/notice@drizzle/0037_legal_namor.sql:1');
    },
    TIMEOUT,
  );
});

describe('Atlas (hatchet before it moved to goose)', () => {
  it(
    'drills the last file: SET NOT NULL scanning Worker under ACCESS EXCLUSIVE at line 11',
    async () => {
      const report = await drill(ATLAS, lastAsChange(ATLAS));
      expect(report.complete).toBe(true);
      expect(at(report)).toEqual(
        expect.arrayContaining([
          'blocking-scan/error@sql/migrations/20240531200418_v0_30_1.sql:11',
          'missing-reverse/notice@sql/migrations/20240531200418_v0_30_1.sql:1',
        ]),
      );
    },
    TIMEOUT,
  );

  it(
    'reports a change whose files no longer match atlas.sum at the entry that differs',
    async () => {
      const change = withNewMigration(ATLAS, 'ALTER TABLE "Worker" ADD COLUMN "note" text;\n');
      // The new file is hashed, then edited: what `atlas migrate apply` refuses.
      const files = change.head.files.map((f) => (f.path.endsWith('99999999999999_change.sql') ? { ...f, content: `${f.content}SELECT 1;\n` } : f));
      const report = await drill(ATLAS, { ...change, head: { ...change.head, files } });
      expect(report.findings).toContainEqual(expect.objectContaining({ hazard: 'forward-error', path: 'sql/migrations/atlas.sum', line: 34 }));
    },
    TIMEOUT,
  );
});

describe('Liquibase formatted SQL (MixewayBackend)', () => {
  it(
    "drills its last four changesets: the UPDATE backfill at line 1282, a missing --rollback at each new changeset, and Liquibase's refusal of line 857",
    async () => {
      const head = load(LIQUIBASE);
      const text = head.files[0]!.content;
      const base = { ...head, files: [{ ...head.files[0]!, content: text.slice(0, text.indexOf('--changeset siewer:add-crated-time')) }] };
      const report = await drill(LIQUIBASE, { base, head });
      expect(report.complete).toBe(true);
      expect(at(report)).toEqual(
        expect.arrayContaining([
          `unbatched-backfill/warning@${CHANGELOG}:1282`,
          `missing-reverse/error@${CHANGELOG}:1280`,
          `missing-reverse/error@${CHANGELOG}:1312`,
          `forward-error/error@${CHANGELOG}:857`,
        ]),
      );
      // The 214 changesets the base already had are not this change's missing reverses.
      expect(report.findings.filter((f) => f.hazard === 'missing-reverse')).toHaveLength(4);
    },
    TIMEOUT,
  );
});

describe('Liquibase changelog parameters (FOLIO mod-fqm-manager)', () => {
  const releaseT = `${FQM.dir}/migrations/t-migrations/changelog-t-migrations.xml`;
  /** mod-fqm-manager with one changeset of ours added to its last release. */
  function withIndex(): ChangeSet {
    const base = load(FQM);
    const changeSet = [
      '  <changeSet id="drill-1" author="drillbot">',
      '    <sql>CREATE INDEX query_details_status_idx ON query_details (status);</sql>',
      '    <rollback>DROP INDEX query_details_status_idx;</rollback>',
      '  </changeSet>',
      '',
    ].join('\n');
    const files = base.files.map((f) =>
      f.path === releaseT ? { ...f, content: f.content.replace('</databaseChangeLog>', `${changeSet}</databaseChangeLog>`) } : f,
    );
    return { base, head: { ...base, files } };
  }
  const mentionsTenant = (report: Report) => report.findings.filter((f) => `${f.message} ${f.fix}`.includes('tenant_id'));

  it(
    'with the tenant the deployment passes, the history replays its ${tenant_id} SQL and the change is drilled',
    async () => {
      const report = await drill(FQM, withIndex(), { parameters: { tenant_id: 'diku' } });
      const line =
        withIndex()
          .head.files.find((f) => f.path === releaseT)!
          .content.split('\n')
          .findIndex((l) => l.includes('CREATE INDEX')) + 1;
      expect(report.complete).toBe(true);
      expect(at(report)).toContain(`blocking-index/error@${releaseT}:${line}`);
      expect(report.findings.filter((f) => f.hazard === 'forward-error')).toEqual([]);
      expect(mentionsTenant(report)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'without it, the history notice names the changeset that needs it and how to give it',
    async () => {
      const report = await drill(FQM, withIndex());
      expect(mentionsTenant(report)).toEqual([
        expect.objectContaining({
          rule: 'unreplayed-history',
          severity: 'notice',
          fix: expect.stringContaining('migrations.parameters of .github/drillbot.yml (tenant_id: …)'),
        }),
      ]);
    },
    TIMEOUT,
  );
});

describe('Liquibase master changelog (FOLIO mod-lists)', () => {
  /** mod-lists with its master's last include (release 3.2.0) as the change, plus `extra` releases of ours. */
  function modLists(extra: Record<string, string> = {}): ChangeSet {
    const head = load(LIQUIBASE_MASTER);
    const master = MOD_LISTS('changelog-master.xml');
    const includes = Object.keys(extra).map((path) => `  <include file="${path.slice(LIQUIBASE_MASTER.dir.length + 1)}" relativeToChangelogFile="true"/>\n`);
    const files = head.files.map((f) =>
      f.path === master ? { ...f, content: f.content.replace('</databaseChangeLog>', `${includes.join('')}</databaseChangeLog>`) } : f,
    );
    const base = head.files
      .filter((f) => !f.path.includes('/v3.2.0/'))
      .map((f) => (f.path === master ? { ...f, content: f.content.replace(/ *<include file="changes\/v3\.2\.0\/[^\n]*\n/, '') } : f));
    return { base: { ...head, files: base }, head: { ...head, files: [...files, ...Object.entries(extra).map(([path, content]) => ({ path, content }))] } };
  }

  it(
    "replays the history in its master's order and drills release 3.2.0's <sql> changeset: the DROP COLUMN at line 10; the YAML/XML native changes named once",
    async () => {
      const report = await drill(LIQUIBASE_MASTER, modLists());
      const v320 = MOD_LISTS('changes/v3.2.0/changelog-v3.2.0.xml');
      expect(report.complete).toBe(true);
      expect(at(report)).toEqual(expect.arrayContaining([`data-loss/error@${v320}:10`, `missing-reverse/error@${v320}:6`]));
      // Path order would create list_contents before list_details; the master's order replays cleanly.
      expect(report.findings.filter((f) => f.hazard === 'forward-error')).toEqual([]);
      expect(report.findings.filter((f) => f.hazard === 'infra')).toEqual([
        expect.objectContaining({
          rule: 'unreplayed-history',
          severity: 'notice',
          path: MOD_LISTS('changes/v1.1.0/yml/update-list-versions-fkey.yaml'),
          line: 2,
          message: expect.stringMatching(/^The base history holds 6 migrations that Drillbot cannot run .*dropForeignKeyConstraint \(line 6\)/),
        }),
      ]);
    },
    TIMEOUT,
  );

  it(
    'an edited runOnChange changeset (MODLISTS-211) runs again after the history: drilled, not a history edit',
    async () => {
      const v212 = MOD_LISTS('changes/v2.1.2/changelog-v2.1.2.xml');
      const change = modLists();
      const edited = change.base.files.map((f) =>
        f.path === v212 ? { ...f, content: f.content.replace('ON CONFLICT (id) DO UPDATE SET name', 'ON CONFLICT (id) DO UPDATE SET title') } : f,
      );
      const report = await drill(LIQUIBASE_MASTER, { base: change.base, head: { ...change.base, files: edited } });
      expect(report.findings.filter((f) => f.hazard === 'history-edit')).toEqual([]);
      expect(report.findings).toContainEqual(
        expect.objectContaining({
          hazard: 'forward-error',
          path: v212,
          message: expect.stringMatching(/column "title" of relation "list_details" does not exist/),
        }),
      );
    },
    TIMEOUT,
  );

  it(
    'a new changeset of native change types is not drilled: an infra error at it, the review incomplete',
    async () => {
      const added = MOD_LISTS('changes/v3.3.0/changelog-v3.3.0.xml');
      const xml = [
        '<?xml version="1.1" encoding="UTF-8" standalone="no"?>',
        '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">',
        '  <changeSet id="drill-1" author="drillbot">',
        '    <addColumn tableName="list_details"><column name="note" type="text"/></addColumn>',
        '  </changeSet>',
        '</databaseChangeLog>',
        '',
      ].join('\n');
      const report = await drill(LIQUIBASE_MASTER, modLists({ [added]: xml }));
      expect(report.complete).toBe(false);
      expect(report.findings).toContainEqual(
        expect.objectContaining({
          hazard: 'infra',
          rule: 'not-drilled',
          severity: 'error',
          path: added,
          line: 3,
          message: expect.stringMatching(/addColumn \(line 4\)/),
        }),
      );
    },
    TIMEOUT,
  );
});

describe('sqitch (OpenFn/db)', () => {
  it(
    'its last change fails at line 5: the trigger calls update_modified_column() unqualified, created in schema "1"',
    async () => {
      // Upstream relied on a search_path holding "1"; on PostgreSQL's default one the deploy fails.
      const report = await drill(SQITCH, { base: sqitchProject(1), head: sqitchProject(0) });
      expect(report.findings).toContainEqual(
        expect.objectContaining({
          hazard: 'forward-error',
          path: 'deploy/modifiedTransformsTrigger.sql',
          line: 5,
          message: expect.stringMatching(/update_modified_column\(\) does not exist/),
        }),
      );
    },
    TIMEOUT,
  );

  it(
    'runs each verify script after its deploy: the real one passes, a failing one is a forward-error at its line',
    async () => {
      const passing = await drill(SQITCH, { base: sqitchProject(3), head: sqitchProject(2) });
      expect([passing.complete, passing.findings.filter((f) => f.severity === 'error')]).toEqual([true, []]);
      const change = {
        name: 'labels',
        deploy: 'BEGIN;\nCREATE TABLE "1".labels (id int);\nCOMMIT;\n',
        revert: 'BEGIN;\nDROP TABLE "1".labels;\nCOMMIT;\n',
        verify: 'BEGIN;\n\nSELECT id, name FROM "1".labels WHERE FALSE;\n\nROLLBACK;\n',
      };
      const failing = await drill(SQITCH, { base: sqitchProject(3), head: sqitchProject(3, [change]) });
      expect(failing.findings).toContainEqual(
        expect.objectContaining({
          hazard: 'forward-error',
          path: 'verify/labels.sql',
          line: 3,
          message: expect.stringMatching(/^The verify script fails right after the forward migration ran/),
        }),
      );
    },
    TIMEOUT,
  );
});

describe('sqitch rework (theory/sqitch-intro)', () => {
  const REWORK = (side: 'base' | 'head'): Tool => ({ tool: `sqitch-rework/${side}`, dir: '' });

  it(
    'drills the reworked insert_user and change_pass from deploy/x.sql while their earlier places replay from x@v1.0.0-dev2.sql, unedited',
    async () => {
      const report = await drill(REWORK('head'), { base: load(REWORK('base')), head: load(REWORK('head')) });
      expect(report.migrations.map((m) => [m.direction, m.version, m.path, m.status])).toEqual(
        expect.arrayContaining([
          ['forward', 'insert_user (rework 1)', 'deploy/insert_user.sql', 'applied'],
          ['forward', 'change_pass (rework 1)', 'deploy/change_pass.sql', 'applied'],
          ['reverse', 'insert_user (rework 1)', 'revert/insert_user.sql', 'applied'],
          ['reverse', 'change_pass (rework 1)', 'revert/change_pass.sql', 'applied'],
        ]),
      );
      expect(report.drill).toMatchObject({ baseMigrations: 11, roundTrip: 'restored' });
      expect(report.findings.filter((f) => f.hazard === 'history-edit' || f.severity === 'error')).toEqual([]);
    },
    TIMEOUT,
  );
});

describe('node-pg-migrate (freshlytics)', () => {
  const NPM: Tool = { tool: 'node-pg-migrate', dir: 'src/server/migrations' };
  const empty = { root: NPM.dir, files: [] };

  it(
    'its only migration fails at line 32, a foreign table on the pipelinedb server PostgreSQL does not have, and has no down section',
    async () => {
      const report = await drill(NPM, { base: empty, head: load(NPM) });
      const file = 'src/server/migrations/1561030715992_init.sql';
      expect(report.findings).toContainEqual(
        expect.objectContaining({ hazard: 'forward-error', path: file, line: 32, message: expect.stringMatching(/server "pipelinedb" does not exist/) }),
      );
      expect(at(report)).toContain(`missing-reverse/error@${file}:1`);
    },
    TIMEOUT,
  );

  it(
    'runs a SQL migration in a transaction it cannot leave: CONCURRENTLY fails, a plain index works',
    async () => {
      const file = (sql: string) => ({
        root: NPM.dir,
        files: [
          { path: `${NPM.dir}/1700000000000_t.sql`, content: '-- Up Migration\nCREATE TABLE t (id int);\n-- Down Migration\nDROP TABLE t;\n' },
          { path: `${NPM.dir}/1700000000001_i.sql`, content: sql },
        ],
      });
      const base = { root: NPM.dir, files: file('').files.slice(0, 1) };
      const concurrently = await drill(NPM, {
        base,
        head: file('-- Up Migration\nCREATE INDEX CONCURRENTLY t_idx ON t (id);\n-- Down Migration\nDROP INDEX t_idx;\n'),
      });
      expect(concurrently.findings).toContainEqual(
        expect.objectContaining({ hazard: 'concurrently-in-transaction', path: `${NPM.dir}/1700000000001_i.sql`, line: 2 }),
      );
      const plain = await drill(NPM, { base, head: file('-- Up Migration\nCREATE INDEX t_idx ON t (id);\n-- Down Migration\nDROP INDEX t_idx;\n') });
      expect([plain.complete, plain.findings.filter((f) => f.hazard === 'forward-error' || f.hazard === 'concurrently-in-transaction')]).toEqual([true, []]);
    },
    TIMEOUT,
  );
});

describe("each tool's transaction semantics, on its real history", () => {
  const failures = (report: Report) =>
    report.findings.filter((f) => f.hazard === 'forward-error' || f.hazard === 'concurrently-in-transaction').map((f) => `${f.hazard}@${f.line}`);

  it.each([PRISMA, SUPABASE])(
    '$tool sends a lone statement outside a transaction: CONCURRENTLY alone in its migration works',
    async (t) => {
      const table = t.tool === 'prisma' ? '"website"' : 'public.private_items';
      const concurrently = await drill(t, withNewMigration(t, `CREATE INDEX CONCURRENTLY change_idx ON ${table} (created_at);\n`));
      expect(concurrently.complete).toBe(true);
      expect(failures(concurrently)).toEqual([]);
    },
    TIMEOUT,
  );

  it.each([PRISMA, SUPABASE])(
    '$tool runs a file of several statements as one transaction: CONCURRENTLY beside another statement fails',
    async (t) => {
      const table = t.tool === 'prisma' ? '"website"' : 'public.private_items';
      const report = await drill(t, withNewMigration(t, `SELECT 1;\nCREATE INDEX CONCURRENTLY change_idx ON ${table} (created_at);\n`));
      expect(report.complete).toBe(true);
      expect(failures(report).length).toBeGreaterThan(0);
      expect(report.findings.filter((f) => f.hazard === 'forward-error' || f.hazard === 'concurrently-in-transaction').every((f) => f.line === 2)).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'atlas runs a file in a transaction unless its header says `-- atlas:txmode none`',
    async () => {
      const index = 'CREATE INDEX CONCURRENTLY change_idx ON "Worker" ("createdAt");\n';
      const inFile = await drill(ATLAS, withNewMigration(ATLAS, index));
      expect(inFile.findings.find((f) => f.hazard === 'concurrently-in-transaction' || f.hazard === 'forward-error')).toMatchObject({
        path: 'sql/migrations/99999999999999_change.sql',
        line: 1,
      });
      const none = await drill(ATLAS, withNewMigration(ATLAS, `-- atlas:txmode none\n\n${index}`));
      expect([none.complete, failures(none)]).toEqual([true, []]);
    },
    TIMEOUT,
  );

  it(
    'liquibase runs a changeset in a transaction unless it says runInTransaction:false',
    async () => {
      const index = 'CREATE INDEX CONCURRENTLY change_idx ON projectvulnerability (id);\n';
      const wrapped = await drill(LIQUIBASE, withNewMigration(LIQUIBASE, `--changeset drill:1\n${index}`));
      const line = load(LIQUIBASE).files[0]!.content.split('\n').length + 2;
      expect(wrapped.findings.find((f) => f.hazard === 'concurrently-in-transaction' || (f.hazard === 'forward-error' && f.line !== 857))).toMatchObject({
        path: CHANGELOG,
        line,
      });
      const own = await drill(LIQUIBASE, withNewMigration(LIQUIBASE, `--changeset drill:1 runInTransaction:false\n${index}`));
      expect([own.complete, failures(own).filter((f) => f !== 'forward-error@857')]).toEqual([true, []]);
    },
    TIMEOUT,
  );

  it(
    "sqitch runs the script with psql: CONCURRENTLY fails inside the script's BEGIN … COMMIT, works outside it",
    async () => {
      const index = 'CREATE INDEX CONCURRENTLY change_idx ON "1".mappings (id);\n';
      const revert = 'DROP INDEX "1".change_idx;\n';
      const inBlock = await drill(SQITCH, { base: sqitchProject(3), head: sqitchProject(3, [{ name: 'idx', deploy: `BEGIN;\n${index}COMMIT;\n`, revert }]) });
      expect(inBlock.findings.find((f) => f.hazard === 'concurrently-in-transaction' || f.hazard === 'forward-error')).toMatchObject({
        path: 'deploy/idx.sql',
        line: 2,
      });
      const bare = await drill(SQITCH, { base: sqitchProject(3), head: sqitchProject(3, [{ name: 'idx', deploy: index, revert }]) });
      expect([bare.complete, failures(bare)]).toEqual([true, []]);
    },
    TIMEOUT,
  );

  it(
    'drizzle runs every migration in a transaction: CONCURRENTLY fails even alone, a plain ALTER works',
    async () => {
      const concurrently = await drill(DRIZZLE, withNewMigration(DRIZZLE, 'CREATE INDEX CONCURRENTLY change_idx ON "project" ("createdAt");\n'));
      expect(failures(concurrently).length).toBeGreaterThan(0);
      expect(concurrently.findings.find((f) => f.hazard === 'concurrently-in-transaction' || f.hazard === 'forward-error')).toMatchObject({
        path: 'drizzle/9999_change.sql',
        line: 1,
      });
      const plain = await drill(DRIZZLE, withNewMigration(DRIZZLE, 'ALTER TABLE "project" ADD COLUMN "note" text;\n'));
      expect([plain.complete, failures(plain)]).toEqual([true, []]);
    },
    TIMEOUT,
  );
});
