import { readdirSync } from 'node:fs';
import { readMigrations } from '../src/core/layouts/index.js';
import type { LayoutProblem, Migration } from '../src/core/layouts/layout.js';
import { loadFileTree } from '../src/core/testing/file-tree.js';
import { CORPUS, corpusSuite } from './support/corpus.js';

const { describeCorpus } = corpusSuite('Layouts');

const read = (repo: string, dir: string) => readMigrations(loadFileTree(`${CORPUS}${repo}`, dir));
const missing = (problems: LayoutProblem[]) => problems.filter((p) => p.kind === 'missing-reverse');
const emptyDowns = (problems: LayoutProblem[]) => missing(problems).filter((p) => 'detail' in p && /holds no statement/.test(p.detail));
const byMode = (migrations: Migration[], mode: string) => migrations.filter((m) => m.forward.transaction === mode);

describeCorpus('layouts on the real-world corpus', () => {
  describe('LemmyNet/lemmy (Diesel)', () => {
    const dir = 'migrations';
    const result = read('LemmyNet__lemmy', dir);

    it('reads 342 migrations, each with a reverse, each in a transaction', () => {
      expect(result.layout).toBe('diesel');
      expect(result.migrations).toHaveLength(342);
      expect(result.problems).toEqual([]);
      expect(result.migrations.every((m) => m.reverse !== null)).toBe(true);
      expect(byMode(result.migrations, 'transaction')).toHaveLength(342);
    });

    it("orders by Diesel's version, which here equals byte-wise directory order", () => {
      const names = readdirSync(`${CORPUS}LemmyNet__lemmy/${dir}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(result.migrations.map((m) => m.name)).toEqual(names);
      expect(result.migrations[0]!.version).toBe('00000000000000');
      expect(result.migrations.find((m) => m.name === '2026-01-28-115414-0000_captcha-plugin')?.version).toBe('202601281154140000');
    });
  });

  describe('harness/harness (maragudk/migrate)', () => {
    const result = read('harness__harness', 'app/store/database/migrate/postgres');

    it('reads 209 migrations as plain pairs, not golang-migrate', () => {
      expect(result.layout).toBe('plain');
      expect(result.migrations).toHaveLength(209);
      expect(result.migrations[0]!.version).toBe('0000_alter_table_migrations');
      expect(byMode(result.migrations, 'transaction')).toHaveLength(209);
    });

    it('includes the 8 misnamed _up.sql/_down.sql files as real migrations', () => {
      const misnamed = result.migrations.filter((m) => m.forward.path.endsWith('_up.sql'));
      expect(misnamed.map((m) => [m.version, m.reverse?.path.endsWith('_down.sql')])).toEqual([
        ['0021_alter_table_webhook_add_internal', true],
        ['0029_create_index_job_job_group_id', true],
        ['0058_alter_cde_infraprovisioned', true],
        ['0115_create_table_favorite_repos', true],
      ]);
    });

    it('reports 36 missing reverses: 30 without a down file and 6 empty ones', () => {
      expect(missing(result.problems)).toHaveLength(36);
      expect(emptyDowns(result.problems)).toHaveLength(6);
      expect(result.migrations.filter((m) => m.reverse === null)).toHaveLength(36);
    });

    it('reports the down file whose name does not match its up file', () => {
      // 0026_alter_repo_drop_job_id.up.sql vs 0026_alter_repo_drop_join_id.down.sql (a typo upstream);
      // the README counts that migration among the 30 without a down.
      expect(result.problems.filter((p) => p.kind !== 'missing-reverse')).toEqual([
        {
          kind: 'orphan-reverse',
          version: '0026_alter_repo_drop_join_id',
          path: 'app/store/database/migrate/postgres/0026_alter_repo_drop_join_id.down.sql',
        },
      ]);
    });
  });

  describe('hatchet-dev/hatchet (goose)', () => {
    const result = read('hatchet-dev__hatchet', 'cmd/hatchet-migrate/migrate/migrations');

    it('reads 224 migrations in numeric order', () => {
      expect(result.layout).toBe('goose');
      expect(result.migrations).toHaveLength(224);
      expect(result.migrations[0]!.name).toBe('20240115180414_init');
      const versions = result.migrations.map((m) => BigInt(m.version));
      expect(versions.every((v, i) => i === 0 || versions[i - 1]! < v)).toBe(true);
    });

    it('reports 100 missing reverses: 88 without a Down section and 12 empty ones', () => {
      expect(missing(result.problems)).toHaveLength(100);
      expect(emptyDowns(result.problems)).toHaveLength(12);
      expect(result.problems.filter((p) => p.kind !== 'missing-reverse')).toEqual([]);
    });

    it('runs the 33 NO TRANSACTION files without a transaction', () => {
      expect(byMode(result.migrations, 'none')).toHaveLength(33);
      expect(byMode(result.migrations, 'transaction')).toHaveLength(191);
    });

    it('cuts sections so that line N of sql is file line startLine+N-1', () => {
      const tree = loadFileTree(`${CORPUS}hatchet-dev__hatchet`, 'cmd/hatchet-migrate/migrate/migrations');
      for (const m of result.migrations) {
        const fileLines = tree.files.find((f) => f.path === m.forward.path)!.content.split('\n');
        for (const script of [m.forward, m.reverse]) {
          if (!script) continue;
          // A section ends with its last line break, so the final split element is no line.
          const sqlLines = script.sql.split('\n').slice(0, script.sql.endsWith('\n') ? -1 : undefined);
          expect(sqlLines).toEqual(fileLines.slice(script.startLine - 1, script.startLine - 1 + sqlLines.length));
        }
      }
    });

    it('records StatementBegin/End blocks', () => {
      expect(result.migrations.some((m) => (m.forward.statementBlocks?.length ?? 0) > 0)).toBe(true);
    });
  });

  describe('openfga/openfga (goose)', () => {
    const result = read('openfga__openfga', 'assets/migrations/postgres');

    it('reads 6 migrations, all with a reverse, only 006 without a transaction', () => {
      expect(result.layout).toBe('goose');
      expect(result.migrations.map((m) => m.version)).toEqual(['001', '002', '003', '004', '005', '006']);
      expect(result.problems).toEqual([]);
      expect(byMode(result.migrations, 'none').map((m) => m.name)).toEqual(['006_add_collate_index']);
      expect(result.migrations.every((m) => m.reverse?.transaction === m.forward.transaction)).toBe(true);
    });
  });
});
