import { fileURLToPath } from 'node:url';
import { loadFileTree } from '../testing/file-tree.js';
import { readMigrations } from './index.js';
import type { FileTree } from './layout.js';

const MIXEWAY = fileURLToPath(new URL('../../../test/fixtures/real-layouts/liquibase/', import.meta.url));
const changelog = (content: string): FileTree => ({ root: 'db', files: [{ path: 'db/changelog.sql', content }] });

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
      ['bob smith:5', 'transaction', null],
    ]);
    expect(problems).toEqual([expect.objectContaining({ kind: 'missing-reverse', version: 'changelog.sql::5::bob smith', line: 15 })]);
  });
});
