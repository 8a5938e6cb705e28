import { fileURLToPath } from 'node:url';
import { locateMigrations } from '../change-set/locate.js';
import { loadFileTree } from '../testing/file-tree.js';
import { readMigrations } from './index.js';
import type { FileTree } from './layout.js';

const MIXEWAY = fileURLToPath(new URL('../../../test/fixtures/real-layouts/liquibase/', import.meta.url));
const MOD_LISTS = fileURLToPath(new URL('../../../test/fixtures/real-layouts/liquibase-master/', import.meta.url));
const MOD_LISTS_DIR = 'src/main/resources/db/changelog';
const changelog = (content: string): FileTree => ({ root: 'db', files: [{ path: 'db/changelog.sql', content }] });
const tree = (files: Record<string, string>): FileTree => ({
  root: 'db',
  files: Object.entries(files).map(([path, content]) => ({ path: `db/${path}`, content })),
});
const XML = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n${body}\n</databaseChangeLog>\n`;
const formatted = (...ids: string[]) =>
  `--liquibase formatted sql\n${ids.map((id) => `--changeset ann:${id}\nSELECT ${id};\n--rollback SELECT 0;\n`).join('')}`;

describe('Liquibase formatted SQL', () => {
  it("reads Mixeway's 218 changesets in file order, and refuses its malformed `--changeset:siewer:165` at line 857", () => {
    const { layout, migrations, problems } = readMigrations(loadFileTree(MIXEWAY, 'src/main/resources/db/changelog'));
    expect(layout).toBe('liquibase');
    expect(migrations).toHaveLength(218);
    expect(migrations[0]).toMatchObject({ name: 'siewer:3', forward: { startLine: 4, transaction: 'transaction' }, reverse: null });
    expect(migrations.at(-1)!.name).toBe('siewer:fixes');
    expect(problems.filter((p) => p.kind === 'unparsable')).toEqual([
      expect.objectContaining({
        path: 'src/main/resources/db/changelog/db.changelog-master.sql',
        line: 857,
        detail: expect.stringMatching(/Unexpected formatting/),
      }),
    ]);
    expect(problems.filter((p) => p.kind === 'missing-reverse')).toHaveLength(218);
  });

  it('reads runInTransaction, splitStatements, --rollback lines and blocks, "not required" and dbms', () => {
    const { migrations, problems } = readMigrations(
      changelog(
        [
          '--liquibase formatted sql',
          '--changeset ann:1',
          'CREATE TABLE t (id int);',
          '--rollback DROP TABLE t;',
          '--changeset ann:2 runInTransaction:false',
          'CREATE INDEX CONCURRENTLY t_idx ON t (id);',
          '/* liquibase rollback',
          'DROP INDEX CONCURRENTLY t_idx;',
          '*/',
          '--changeset ann:3 runInTransaction:false splitStatements:false',
          'SELECT 1; SELECT 2;',
          '--rollback not required',
          '--changeset ann:4 dbms:oracle',
          'SELECT 1 FROM dual;',
          '--changeset ann:6 dbms:!oracle,!mssql',
          'SELECT 6;',
          '--rollback SELECT 0;',
          '--changeset ann:7 dbms:!postgresql',
          'SELECT 7;',
          '--changeset "bob smith":5',
          'SELECT 5;',
          '',
        ].join('\n'),
      ),
    );
    expect(migrations.map((m) => [m.name, m.forward.transaction, m.reverse && [m.reverse.sql, m.reverse.startLine]])).toEqual([
      ['ann:1', 'transaction', ['DROP TABLE t;\n', 4]],
      ['ann:2', 'none', ['DROP INDEX CONCURRENTLY t_idx;\n', 8]],
      ['ann:3', 'single-query', null],
      ['ann:6', 'transaction', ['SELECT 0;\n', 17]],
      ['bob smith:5', 'transaction', null],
    ]);
    expect(problems).toEqual([expect.objectContaining({ kind: 'missing-reverse', version: 'changelog.sql::5::bob smith', line: 20 })]);
  });

  it("follows FOLIO mod-lists' master changelog: sqlFile, sql and raw SQL changesets in the order it gives, native changes not drilled", () => {
    const { layout, migrations, problems } = readMigrations(loadFileTree(MOD_LISTS, MOD_LISTS_DIR));
    expect(layout).toBe('liquibase');
    // Path order would run create-export-details-table first: its foreign key needs list_details.
    expect(migrations.slice(0, 3).map((m) => [m.name, m.forward.path.slice(MOD_LISTS_DIR.length + 1)])).toEqual([
      ['nshah@ebsco.com:create-list-details-table', 'changes/v1.0.0/sql/create-list-details-table.sql'],
      ['nshah@ebsco.com:create-list-refresh-details-table.sql', 'changes/v1.0.0/sql/create-list-refresh-details-table.sql'],
      ['nshah@ebsco.com:create-list-contents-table', 'changes/v1.0.0/sql/create-list-contents-table.sql'],
    ]);
    expect(migrations).toHaveLength(19);
    expect(migrations.find((m) => m.version === 'changes/v1.0.1/sql/alter-list-details-table.sql::raw::includeAll')).toMatchObject({
      forward: { startLine: 1, transaction: 'transaction' },
    });
    expect(migrations.at(-1)).toMatchObject({
      name: 'novercash@ebsco.com:MODLISTS-106',
      forward: {
        path: `${MOD_LISTS_DIR}/changes/v3.2.0/changelog-v3.2.0.xml`,
        startLine: 9,
        sql: expect.stringMatching(/^\n {6}ALTER TABLE list_details DROP COLUMN/),
      },
    });
    const notDrilled = problems.filter((p) => p.kind === 'not-drilled');
    expect(notDrilled.map((p) => `${p.path.slice(MOD_LISTS_DIR.length + 1)}:${p.line}`)).toEqual([
      'changes/v1.1.0/yml/update-list-versions-fkey.yaml:2',
      'changes/v1.1.0/yml/alter-list-details-updated-metadata-add-not-null-constraint.yaml:2',
      'changes/v1.1.0/yml/add-list-details-is-deleted-column.yaml:2',
      'changes/v2.1.0/changelog-v2.1.0.xml:6',
      'changes/v2.1.0/changelog-v2.1.0.xml:13',
      'changes/v2.1.1/changelog-v2.1.1.xml:6',
    ]);
    expect(notDrilled[3]!.detail).toMatch(/novercash@ebsco\.com:MODLISTS-129 uses Liquibase change types .*: createTable \(line 8\)/);
    expect(problems.filter((p) => p.kind !== 'not-drilled' && p.kind !== 'missing-reverse')).toEqual([]);
  });

  it('finds the master above the SQL it includes: one migrations directory, not one per release', () => {
    const files = loadFileTree(MOD_LISTS, '').files;
    expect(locateMigrations(files)).toEqual({ root: MOD_LISTS_DIR, layout: 'liquibase', migrations: 19 });
    // Release notes named like a changelog are no candidate for other tools, nor is the repository root.
    const goose = { path: 'db/migrations/1_a.sql', content: '-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n' };
    const notes = [
      { path: 'CHANGELOG.yml', content: 'databaseChangeLog:\n  - include:\n      file: db/migrations/1_a.sql\n' },
      { path: 'docs/changelog.json', content: '{"releases": []}' },
    ];
    expect(locateMigrations([...notes, goose])).toEqual({ root: 'db/migrations', layout: 'goose', migrations: 1 });
  });

  it('a YAML master: include relative and from the classpath root, includeAll sorted by UTF-16 code units, formatted and raw SQL', () => {
    const { migrations, problems } = readMigrations(
      tree({
        'changelog/db.changelog-master.yaml': [
          'databaseChangeLog:',
          '  - include:',
          '      file: changes/b.sql',
          '      relativeToChangelogFile: true',
          '  - include:',
          '      file: db/changelog/changes/a.sql',
          '  - includeAll:',
          '      path: all/',
          '      relativeToChangelogFile: true',
          '',
        ].join('\n'),
        'changelog/changes/b.sql': formatted('b1', 'b2'),
        'changelog/changes/a.sql': formatted('a1'),
        'changelog/all/10.sql': formatted('ten'),
        'changelog/all/9.sql': formatted('nine'),
        'changelog/all/sub/1.sql': 'CREATE TABLE raw (id int);\n',
        'changelog/all/notes.txt': 'not a changelog',
        'changelog/stray.sql': formatted('stray'),
      }),
    );
    expect(migrations.map((m) => m.name)).toEqual(['ann:b1', 'ann:b2', 'ann:a1', 'ann:ten', 'ann:nine', 'changelog/all/sub/1.sql']);
    expect(problems).toEqual([
      expect.objectContaining({ kind: 'missing-reverse', path: 'db/changelog/all/sub/1.sql', detail: expect.stringMatching(/plain SQL file/) }),
    ]);
  });

  it('an XML sqlFile changeset with runInTransaction, splitStatements and a sqlFile rollback; <rollback/>; inline rollback SQL', () => {
    const { migrations, problems } = readMigrations(
      tree({
        'master.xml': XML(
          [
            '  <changeSet id="1" author="ann" runInTransaction="false">',
            '    <sqlFile path="sql/idx.sql" relativeToChangelogFile="true" splitStatements="false"/>',
            '    <rollback><sqlFile path="sql/idx-down.sql" relativeToChangelogFile="true"/></rollback>',
            '  </changeSet>',
            '  <changeSet id="2" author="ann">',
            '    <comment>seed</comment>',
            '    <sql dbms="oracle">SELECT 1 FROM dual;</sql>',
            '    <sql>INSERT INTO t VALUES (1);</sql>',
            '    <rollback/>',
            '  </changeSet>',
            '  <changeSet id="3" author="ann" runInTransaction="false">',
            '    <sql>',
            '      CREATE INDEX CONCURRENTLY t_x ON t (x);',
            '    </sql>',
            '    <rollback>',
            '      DROP INDEX CONCURRENTLY t_x;',
            '    </rollback>',
            '  </changeSet>',
            '  <changeSet id="4" author="ann" dbms="mysql"><createTable tableName="m"/></changeSet>',
          ].join('\n'),
        ),
        'sql/idx.sql': 'CREATE INDEX CONCURRENTLY t_idx ON t (id);\n',
        'sql/idx-down.sql': 'DROP INDEX CONCURRENTLY t_idx;\n',
      }),
    );
    expect(
      migrations.map((m) => [m.name, m.forward.path, m.forward.startLine, m.forward.transaction, m.reverse && [m.reverse.path, m.reverse.startLine]]),
    ).toEqual([
      ['ann:1', 'db/sql/idx.sql', 1, 'single-query', ['db/sql/idx-down.sql', 1]],
      ['ann:2', 'db/master.xml', 10, 'transaction', null],
      ['ann:3', 'db/master.xml', 14, 'none', ['db/master.xml', 17]],
    ]);
    expect(problems).toEqual([]);
  });

  it('names native changesets, unresolved includes and two masters as problems at their lines; migrations.changelog picks the master', () => {
    const files = {
      'a.changelog.xml': XML(
        [
          '  <include file="missing.sql" relativeToChangelogFile="true"/>',
          '  <changeSet id="t" author="ann">',
          '    <createTable tableName="t"><column name="id" type="int"/></createTable>',
          '  </changeSet>',
        ].join('\n'),
      ),
      'b.changelog.yaml': 'databaseChangeLog:\n  - include:\n      file: one.sql\n      relativeToChangelogFile: true\n',
      'one.sql': formatted('1'),
    };
    // Of two changelogs no other includes, the one reaching more changesets is the master; a tie is a question.
    const { migrations, problems } = readMigrations(tree(files));
    expect([migrations.map((m) => m.name), problems]).toEqual([['ann:1'], []]);
    const tie = readMigrations(tree({ ...files, 'c.changelog.yaml': files['b.changelog.yaml'].replace('one.sql', 'two.sql'), 'two.sql': formatted('2') }));
    expect(tie.problems).toEqual([
      expect.objectContaining({
        kind: 'unparsable',
        path: 'db/c.changelog.yaml',
        line: 1,
        detail: expect.stringMatching(/both master changelogs.*migrations\.changelog/),
      }),
    ]);
    const broken = readMigrations(tree({ ...files, 'b.changelog.yaml': 'databaseChangeLog:\n  - include: {file: one.sql\n' }), 'liquibase', {
      changelog: 'db/b.changelog.yaml',
    });
    expect(broken.problems).toEqual([
      expect.objectContaining({
        kind: 'unparsable',
        path: 'db/b.changelog.yaml',
        line: 3,
        detail: expect.stringMatching(/^Liquibase cannot read this changelog: Flow map/),
      }),
    ]);
    const badXml = readMigrations(tree({ 'm.changelog.xml': XML('<changeSet id="1" author="a"><sql>SELECT 1</sq></changeSet>') }));
    expect(badXml.problems).toEqual([
      expect.objectContaining({
        kind: 'unparsable',
        path: 'db/m.changelog.xml',
        line: 3,
        detail: 'Liquibase cannot read this changelog: unexpected close tag.',
      }),
    ]);
    // A formatted-SQL file may be the master too; a name that is not there is a problem, not a guess.
    expect(readMigrations(tree(files), 'liquibase', { changelog: './db/one.sql' }).migrations.map((m) => m.name)).toEqual(['ann:1']);
    expect(readMigrations(tree(files), 'liquibase', { changelog: 'db/gone.xml' }).problems).toEqual([
      expect.objectContaining({
        kind: 'unparsable',
        path: 'db/gone.xml',
        detail: 'migrations.changelog names db/gone.xml, which is not under the migrations directory "db"',
      }),
    ]);
    const chosen = readMigrations(tree(files), 'liquibase', { changelog: 'db/a.changelog.xml' });
    expect(chosen.migrations).toEqual([]);
    expect(chosen.problems).toEqual([
      expect.objectContaining({
        kind: 'unparsable',
        path: 'db/a.changelog.xml',
        line: 3,
        detail: 'Liquibase cannot include missing.sql: there is no db/missing.sql under the migrations directory "db"',
      }),
      expect.objectContaining({
        kind: 'not-drilled',
        version: 'a.changelog.xml::t::ann',
        line: 4,
        detail: expect.stringMatching(/ann:t uses Liquibase change types .*createTable \(line 5\).*did not run this changeset/),
      }),
    ]);
  });

  it('a JSON master, with a YAML sql changeset whose block text starts on the line after `sql: |`', () => {
    const { migrations } = readMigrations(
      tree({
        'changelog.json': JSON.stringify({ databaseChangeLog: [{ include: { file: 'more.yaml', relativeToChangelogFile: true } }] }, null, 2),
        'more.yaml': [
          'databaseChangeLog:',
          '  - changeSet:',
          '      id: 1',
          '      author: ann',
          '      changes:',
          '        - sql:',
          '            sql: |',
          '              SELECT 1;',
          '',
        ].join('\n'),
      }),
    );
    expect(migrations.map((m) => [m.version, m.forward.sql, m.forward.startLine])).toEqual([['more.yaml::1::ann', 'SELECT 1;\n', 8]]);
  });
});

describe('Liquibase changelog parameters', () => {
  const FQM = fileURLToPath(new URL('../../../test/fixtures/real-layouts/liquibase-parameters/', import.meta.url));
  const FQM_DIR = 'src/main/resources/db/changelog';
  const consortia = 'bsharp@ebsco.com:create-consortia-function-get-tenant-data';

  it("reports FOLIO mod-fqm-manager's ${tenant_id} changeset, which no property defines, instead of drilling SQL PostgreSQL would reject", () => {
    const { migrations, problems } = readMigrations(loadFileTree(FQM, FQM_DIR));
    expect(migrations.map((m) => m.name)).not.toContain(consortia);
    const reported = problems.find((p) => p.kind === 'not-drilled' && p.version.endsWith('::create-consortia-function-get-tenant-data::bsharp@ebsco.com'));
    expect(reported).toMatchObject({
      path: `${FQM_DIR}/bootstrap/harvested-views-trillium.xml`,
      line: 6,
      detail: expect.stringContaining('uses ${tenant_id}, which no property here defines'),
      fix: expect.stringContaining('migrations.parameters of .github/drillbot.yml (tenant_id: …)'),
    });
    expect(migrations.flatMap((m) => [m.forward.sql, m.reverse?.sql ?? '']).filter((sql) => sql.includes('${'))).toEqual([]);
  });

  it('drills it with the value the deployment passes in migrations.parameters', () => {
    const { migrations, problems } = readMigrations(loadFileTree(FQM, FQM_DIR), undefined, { parameters: { tenant_id: 'diku' } });
    const m = migrations.find((x) => x.name === consortia)!;
    expect(m.forward).toMatchObject({ path: `${FQM_DIR}/bootstrap/sql/create-consortia-function-get-tenant-data.sql`, transaction: 'transaction' });
    expect(m.forward.sql).toMatch(/^CREATE OR REPLACE FUNCTION diku_mod_fqm_manager\.get_tenant_data\(\)/);
    expect(m.forward.sql).toContain("WHERE table_schema = 'diku_mod_consortia_keycloak'");
    expect(problems.filter((p) => p.kind === 'not-drilled' && p.detail.includes('${'))).toEqual([]);
  });

  it('takes formatted SQL `--property` lines, in order, and XML properties and property files, as Liquibase does', () => {
    const sql = [
      '--liquibase formatted sql',
      '--property name:tbl value:accounts',
      '--changeset ann:1',
      'CREATE TABLE ${tbl} (id int);',
      '--rollback DROP TABLE ${tbl};',
      '--property name:tbl value:ignored',
      '--property name:col value:email dbms:postgresql',
      '--property name:col value:mail dbms:oracle',
      '--changeset ann:2',
      'ALTER TABLE ${tbl} ADD COLUMN ${col} text;',
      '--rollback ALTER TABLE ${tbl} DROP COLUMN ${col};',
      '',
    ].join('\n');
    const formattedOnly = readMigrations(changelog(sql));
    // A changeset's text runs to the next one: its --rollback and --property lines stay in it as comments.
    expect(formattedOnly.migrations.map((m) => [m.forward.sql.split('\n')[0], m.reverse?.sql.trim()])).toEqual([
      ['CREATE TABLE accounts (id int);', 'DROP TABLE accounts;'],
      ['ALTER TABLE accounts ADD COLUMN email text;', 'ALTER TABLE accounts DROP COLUMN email;'],
    ]);
    const master = XML(
      [
        '<property file="app.properties" relativeToChangelogFile="true"/>',
        '<property name="owner" value="${schema}_owner" global="false"/>',
        '<changeSet id="1" author="ann"><sql>CREATE SCHEMA ${schema} AUTHORIZATION ${owner};</sql><rollback>DROP SCHEMA ${schema};</rollback></changeSet>',
        '<include file="${schema}.xml" relativeToChangelogFile="true"/>',
      ].join('\n'),
    );
    const child = XML('<changeSet id="2" author="ann"><sql>SELECT \'${owner}\';</sql><rollback/></changeSet>');
    const xml = readMigrations(tree({ 'master.xml': master, 'app.properties': 'schema=billing\n', 'billing.xml': child }));
    expect(xml.problems).toEqual([]);
    expect(xml.migrations.map((m) => [m.forward.sql, m.reverse?.sql])).toEqual([
      ['CREATE SCHEMA billing AUTHORIZATION billing_owner;', 'DROP SCHEMA billing;'],
      // A local property is seen by the changelogs its changelog includes.
      ["SELECT 'billing_owner';", undefined],
    ]);
  });
});
