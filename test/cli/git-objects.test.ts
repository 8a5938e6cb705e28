import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from '../../src/core/index.js';
import { GitObjects } from '../../src/cli/git-objects.js';
import { gitRepo } from '../support/git-repo.js';

describe('GitObjects (one git cat-file --batch per review)', () => {
  it('answers many requests in the order asked, empty files and names of nothing included', async () => {
    const repo = gitRepo({ 'a.sql': 'SELECT 1;\n', 'empty.sql': '' }, { 'b.sql': 'SELECT 2;\n' });
    const objects = new GitObjects(repo.dir);
    try {
      const [a, empty, missing, b, nothing] = await Promise.all([
        objects.read('main:a.sql'),
        objects.read('main:empty.sql'),
        objects.read('main:b.sql'),
        objects.read('HEAD:b.sql'),
        objects.commitId('no-such-branch'),
      ]);
      expect(a?.content.toString()).toBe('SELECT 1;\n');
      expect(empty).toMatchObject({ type: 'blob', content: Buffer.alloc(0) });
      expect(missing).toBeNull();
      expect(b?.content.toString()).toBe('SELECT 2;\n');
      expect(nothing).toBeNull();
      // A blob read by its id is the one the path named.
      expect((await objects.read(a!.id))?.content.toString()).toBe('SELECT 1;\n');
      expect(await objects.commitId('main')).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      objects.close();
      repo.remove();
    }
  });

  it('asks git once per name: a blob both sides share comes back as the same object', async () => {
    const repo = gitRepo({ 'a.sql': 'SELECT 1;\n' }, { 'b.sql': 'SELECT 2;\n' });
    const objects = new GitObjects(repo.dir);
    try {
      const [base, head] = await Promise.all([objects.read('main:a.sql'), objects.read('main:a.sql')]);
      expect(head).toBe(base);
      expect(await objects.read('main:a.sql')).toBe(base);
      // The same blob under another name is asked again; only its bytes are equal.
      const byId = await objects.read(base!.id);
      expect(byId).not.toBe(base);
      expect(byId?.content).toEqual(base?.content);
    } finally {
      objects.close();
      repo.remove();
    }
  });

  it('rejects with git’s reason when the directory is no repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'drillbot-no-repo-'));
    const objects = new GitObjects(dir);
    try {
      const read = objects.commitId('HEAD');
      await expect(read).rejects.toThrow(GitError);
      await expect(read).rejects.toThrow(/not a git repository/);
    } finally {
      objects.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
