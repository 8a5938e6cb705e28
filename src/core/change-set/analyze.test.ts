import type { ChangeSet } from './change-set.js';
import { analyzeChange, withBaseline } from './analyze.js';

/** A change set under `db`: base files stay unless `head` overrides or `removed` deletes them. */
function change(base: Record<string, string>, head: Record<string, string>, removed: string[] = []): ChangeSet {
  const files = (entries: Record<string, string>) => Object.entries(entries).map(([name, content]) => ({ path: `db/${name}`, content }));
  const after: Record<string, string> = { ...base, ...head };
  for (const name of removed) delete after[name];
  return { base: { root: 'db', files: files(base) }, head: { root: 'db', files: files(after) } };
}

const summary = (c: ChangeSet, migrations = {}) =>
  analyzeChange(c, migrations).findings.map((f) => `${f.hazard}/${f.severity}@${f.path.replace(/^db\//, '')}:${f.line} ${f.message}`);

const pair = (name: string) => ({ [`${name}.up.sql`]: 'SELECT 1;\n', [`${name}.down.sql`]: 'SELECT 2;\n' });
const goose = (name: string) => ({ [`${name}.sql`]: '-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n' });
const dbmate = (name: string) => ({ [`${name}.sql`]: '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n' });
const flyway = (version: string) => ({ [`V${version}__x.sql`]: 'SELECT 1;\n', [`U${version}__x.sql`]: 'SELECT 2;\n' });
const diesel = (name: string) => ({ [`${name}/up.sql`]: 'SELECT 1;\n', [`${name}/down.sql`]: 'SELECT 2;\n' });

describe('analyzeChange: a new version older than the newest base one, judged by what the tool does', () => {
  it('golang-migrate skips it silently: an error', () => {
    expect(summary(change({ ...pair('1_a'), ...pair('3_c') }, pair('2_b')))).toEqual([
      expect.stringMatching(
        /^ordering\/error@2_b\.up\.sql:1 Version 2 sorts before the newest base migration 3; golang-migrate records only the newest version applied, so environments that already ran 3 skip this migration without an error\.$/,
      ),
    ]);
  });

  it('maragudk/migrate (plain) skips it silently too', () => {
    expect(summary(change({ ...pair('a_users'), ...pair('c_orders') }, pair('b_items')))).toEqual([
      expect.stringMatching(/^ordering\/error@b_items\.up\.sql:1 .*maragudk\/migrate records only the newest version/),
    ]);
  });

  it('goose refuses unless -allow-missing; with migrations.outOfOrder it applies it, a notice', () => {
    const c = change({ ...goose('1_a'), ...goose('3_c') }, goose('2_b'));
    expect(summary(c)).toEqual([
      expect.stringMatching(/^ordering\/error@2_b\.sql:1 .*goose refuses to migrate environments that already ran 3, unless run with -allow-missing/),
    ]);
    expect(summary(c, { outOfOrder: true })).toEqual([expect.stringMatching(/^ordering\/notice@2_b\.sql:1 .*goose applies it after 3 where that already ran/)]);
  });

  it('dbmate applies it (a notice) unless it runs with --strict', () => {
    const c = change({ ...dbmate('20240101000000_a'), ...dbmate('20240301000000_c') }, dbmate('20240201000000_b'));
    expect(summary(c)).toEqual([expect.stringMatching(/^ordering\/notice@20240201000000_b\.sql:1 .*dbmate applies it after 20240301000000/)]);
    expect(summary(c, { outOfOrder: false })).toEqual([expect.stringMatching(/^ordering\/error@.*dbmate refuses to migrate .*because it runs with --strict/)]);
  });

  it('Flyway refuses unless outOfOrder=true', () => {
    expect(summary(change({ ...flyway('1'), ...flyway('3') }, flyway('2')))).toEqual([
      expect.stringMatching(/^ordering\/error@V2__x\.sql:1 .*Flyway refuses .*outOfOrder=true/),
    ]);
  });

  it('Diesel applies every pending version: a notice, whatever the configuration says', () => {
    const c = change({ ...diesel('2024-01-01-000000_a'), ...diesel('2024-03-01-000000_c') }, diesel('2024-02-01-000000_b'));
    expect(summary(c, { outOfOrder: false })).toEqual([expect.stringMatching(/^ordering\/notice@2024-02-01-000000_b\/up\.sql:1 .*Diesel applies it/)]);
  });
});

describe('analyzeChange: repeated versions', () => {
  it('two new golang-migrate files with one version keep the layout golang-migrate and are an ordering error', () => {
    const analysis = analyzeChange(change({ ...pair('1_a'), ...pair('2_b') }, { ...pair('3_c'), ...pair('3_d') }));
    expect(analysis.layout).toBe('golang-migrate');
    expect(analysis.findings.map((f) => `${f.hazard}@${f.path} ${f.message}`)).toEqual([
      expect.stringMatching(/^ordering@db\/3_c.up.sql Version 3 is used by .*3_d.up.sql; golang-migrate cannot tell them apart/),
    ]);
  });

  it('a new file that reuses a base version is reported, not silently left undrilled', () => {
    const analysis = analyzeChange(change({ ...pair('1_a'), ...pair('2_b') }, pair('2_again')));
    expect(analysis.added).toEqual([]);
    expect(analysis.findings.map((f) => `${f.hazard}@${f.path} ${f.message}`)).toEqual([
      expect.stringMatching(
        /^ordering@db\/2_again\.up\.sql Version 2 of db\/2_again\.up\.sql is already used by db\/2_b\.up\.sql, which .* never run this migration/,
      ),
    ]);
  });
});

describe('analyzeChange: edits of base reverses', () => {
  it('reports a deleted base down file', () => {
    expect(summary(change({ ...pair('1_a'), ...pair('2_b') }, {}, ['2_b.down.sql']))).toEqual([
      expect.stringMatching(/^history-edit\/error@2_b\.down\.sql:1 The reverse of migration 2_b.* was removed/),
    ]);
  });

  it('reports an edited base down file at the edited line, and an edited goose Down section', () => {
    expect(summary(change({ ...pair('1_a'), ...pair('2_b') }, { '2_b.down.sql': 'SELECT 2;\nSELECT 3;\n' }))).toEqual([
      expect.stringMatching(/^history-edit\/error@2_b\.down\.sql:2 The reverse of migration 2_b.* was edited/),
    ]);
    expect(summary(change({ ...goose('1_a') }, { '1_a.sql': '-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 3;\n' }))).toEqual([
      expect.stringMatching(/^history-edit\/error@1_a\.sql:4 The reverse/),
    ]);
  });
});

describe('analyzeChange: an empty down file', () => {
  it('is a missing reverse, not SQL left undrilled (vaultwarden 2025-01-09-172300_add_manage/down.sql)', () => {
    const head = { '2_b/up.sql': 'ALTER TABLE t ADD COLUMN c int;\n', '2_b/down.sql': '' };
    const analysis = analyzeChange({ ...change(diesel('1_a'), head), changedPaths: ['db/2_b/up.sql', 'db/2_b/down.sql'] });
    expect(analysis.findings.map((f) => `${f.hazard}@${f.path}:${f.line} ${f.message}`)).toEqual([
      expect.stringMatching(/^missing-reverse@db\/2_b\/up\.sql:1 .*2_b\/down\.sql holds no statement/),
    ]);
  });
});

describe('analyzeChange: tools whose migrations are ordered by their place, not their version', () => {
  const changeset = (id: string) => `--changeset ann:${id}\nSELECT ${id.length};\n--rollback SELECT 0;\n`;
  const changelog = (...ids: string[]) => ({ 'changelog.sql': `--liquibase formatted sql\n${ids.map(changeset).join('')}` });

  it('Liquibase runs a changeset added above ones that ran after them: a notice at it; appended below, nothing', () => {
    expect(summary(change(changelog('zeta', 'alpha'), changelog('zeta', 'beta', 'alpha')))).toEqual([
      expect.stringMatching(/^ordering\/notice@changelog\.sql:5 ann:beta is placed above ann:alpha, which the base already has; Liquibase applies it after/),
    ]);
    // `aardvark` sorts first by name, but its place is last: Liquibase runs it last everywhere.
    expect(summary(change(changelog('zeta', 'alpha'), changelog('zeta', 'alpha', 'aardvark')))).toEqual([]);
  });

  it("Liquibase native changesets: the history's one infra notice (a baseline lifts it), the change's own an infra error, an unchanged one nothing", () => {
    const xml = (...ids: string[]) => ({
      'master.xml': `<databaseChangeLog>\n${ids.map((id) => `<changeSet id="${id}" author="ann"><createTable tableName="${id}"/></changeSet>\n`).join('')}<include file="changelog.sql" relativeToChangelogFile="true"/>\n</databaseChangeLog>\n`,
    });
    const c = change({ ...xml('t1'), ...changelog('a') }, { ...xml('t1', 't2'), ...changelog('a') });
    expect(summary(c)).toEqual([
      expect.stringMatching(
        /^infra\/error@master\.xml:3 This migration was not drilled: changeset ann:t2 uses Liquibase change types .*createTable \(line 3\)/,
      ),
      expect.stringMatching(
        /^infra\/notice@master\.xml:2 The base history holds 1 migration that Drillbot cannot run \(db\/master\.xml:2\): changeset ann:t1 uses /,
      ),
    ]);
    const baseline = withBaseline(analyzeChange(c), { path: 'db/schema.sql', content: 'CREATE TABLE t1 (id int);\n' });
    expect(baseline.findings.map((f) => f.rule)).toEqual(['not-drilled']);
  });

  it('Liquibase runs a runOnChange changeset again when edited: drilled as a new run, not a history edit', () => {
    const rerun = (sql: string) => ({
      'changelog.sql': `--liquibase formatted sql\n--changeset ann:seed runOnChange:true\n${sql}\n--rollback SELECT 0;\n${changeset('z')}`,
    });
    const analysis = analyzeChange(change(rerun('SELECT 1;'), rerun('SELECT 2;')));
    expect([analysis.added.map((m) => m.name), analysis.findings]).toEqual([['ann:seed'], []]);
    // Without runOnChange the same edit is a history edit, and nothing is drilled.
    const plain = analyzeChange(change(rerun('SELECT 1;'), { 'changelog.sql': rerun('SELECT 2;')['changelog.sql'].replace(' runOnChange:true', '') }));
    expect(plain.added).toEqual([]);
  });

  it("sqitch never deploys a change planned above a deployed one: an error at the plan's script", () => {
    const plan = (...names: string[]) => ({
      'sqitch.plan': names.map((n) => `${n} 2024-01-01T00:00:00Z Ann <ann@example.com>\n`).join(''),
      ...Object.fromEntries(
        names.flatMap((n) => [
          [`deploy/${n}.sql`, 'SELECT 1;\n'],
          [`revert/${n}.sql`, 'SELECT 2;\n'],
        ]),
      ),
    });
    expect(summary(change(plan('a', 'c'), plan('a', 'b', 'c')))).toEqual([
      expect.stringMatching(
        /^ordering\/error@deploy\/b\.sql:1 b is placed above c, which the base already has; sqitch deploys only the changes planned after the last one deployed, so environments that already ran c skip this migration/,
      ),
    ]);
  });
});
