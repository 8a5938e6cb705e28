import { fileURLToPath } from 'node:url';
import { loadFileTree } from '../testing/file-tree.js';
import { atlasSum } from './atlas.js';
import { readMigrations } from './index.js';
import type { FileTree } from './layout.js';

const HATCHET = fileURLToPath(new URL('../../../test/fixtures/real-layouts/atlas/', import.meta.url));
const hatchet = (): FileTree => loadFileTree(HATCHET, 'sql/migrations');

describe('Atlas', () => {
  it("recomputes hatchet's atlas.sum byte for byte, as Atlas's NewHashFile does", () => {
    const tree = hatchet();
    const sql = tree.files.filter((f) => f.path.endsWith('.sql')).map((f) => ({ name: f.path.split('/').pop()!, content: f.content }));
    expect(atlasSum(sql)).toBe(tree.files.find((f) => f.path.endsWith('atlas.sum'))!.content);
  });

  it('reads the 32 files in name order, versioned by the prefix, each in a transaction, with no problem', () => {
    const { layout, migrations, problems } = readMigrations(hatchet());
    expect(layout).toBe('atlas');
    expect(migrations).toHaveLength(32);
    expect(migrations[0]).toMatchObject({ version: '20240115180414', name: '20240115180414_init', reverse: null });
    expect(migrations.every((m) => m.forward.transaction === 'transaction')).toBe(true);
    expect(problems).toEqual([]);
  });

  it('reports an edited file at its atlas.sum entry, and reads `-- atlas:txmode none`', () => {
    const tree = hatchet();
    const files = tree.files.map((f) => (f.path.endsWith('20240126235456_v0_7_0.sql') ? { ...f, content: `-- atlas:txmode none\n\n${f.content}` } : f));
    const { migrations, problems } = readMigrations({ ...tree, files });
    expect(migrations.find((m) => m.version === '20240126235456')?.forward.transaction).toBe('none');
    expect(problems).toEqual([
      expect.objectContaining({
        kind: 'unparsable',
        path: 'sql/migrations/atlas.sum',
        line: 4,
        detail: expect.stringMatching(/does not match 20240126235456_v0_7_0\.sql .*checksum mismatch/),
      }),
    ]);
  });

  it('reports a hand-edited atlas.sum (entries swapped) at its total, as Atlas checks that first', () => {
    const tree = hatchet();
    const sum = tree.files.find((f) => f.path.endsWith('atlas.sum'))!;
    const lines = sum.content.split('\n');
    const files = tree.files.map((f) =>
      f === sum ? { ...f, content: [lines[0], ...lines.slice(1, 4), lines[5], lines[4], ...lines.slice(6)].join('\n') } : f,
    );
    expect(readMigrations({ ...tree, files }).problems).toEqual([
      expect.objectContaining({ path: 'sql/migrations/atlas.sum', line: 1, detail: expect.stringMatching(/edited by hand/) }),
    ]);
  });

  it('reports a new file missing from atlas.sum at the line its entry would take', () => {
    const tree = hatchet();
    const files = [...tree.files, { path: 'sql/migrations/20240601000000_new.sql', content: 'SELECT 1;\n' }];
    expect(readMigrations({ ...tree, files }).problems).toEqual([
      expect.objectContaining({ path: 'sql/migrations/atlas.sum', line: 34, detail: expect.stringMatching(/20240601000000_new\.sql/) }),
    ]);
  });
});
