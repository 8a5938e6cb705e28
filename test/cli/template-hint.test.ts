import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_HINTS } from '../../src/cli/template-hint.js';
import { LOCAL_URL } from '../support/drill.js';
import { gitRepo } from '../support/git-repo.js';
import { runCli } from '../support/cli.js';
import { withAdmin } from '../support/scratch-database.js';

// The CLI primes a clone of the template its last review of the same base used (a hint in the
// cache directory), while it reads the change; the drill takes it only when it wants exactly that.

const BASE = {
  'db/migrations/000001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
};
const CHANGE = {
  'db/migrations/000002_nick.up.sql': "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nick text;\n",
  'db/migrations/000002_nick.down.sql': 'ALTER TABLE users DROP COLUMN nick;\n',
};
const FROM_POOL = /a ready clone of the template from the pool/;

const poolDatabases = () =>
  withAdmin(async (c) =>
    (await c.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'drillbot\\_pool\\_%'`)).rows.map((r) => r.datname),
  );

describe('drillbot check primes the clone of the template its last review of the base used', () => {
  const saved = process.env.DRILLBOT_CACHE_DIR;
  let cacheDir: string;
  let repo: { dir: string; remove: () => void };
  const check = (...extra: string[]) => runCli('check', '--repo', repo.dir, '--base', 'main', '--database-url', LOCAL_URL, '--format', 'json', ...extra);
  const hintFiles = () => readdirSync(join(cacheDir, 'template-hints')).map((f) => join(cacheDir, 'template-hints', f));

  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'drillbot-hints-'));
    process.env.DRILLBOT_CACHE_DIR = cacheDir;
    repo = gitRepo(BASE, CHANGE);
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.DRILLBOT_CACHE_DIR;
    else process.env.DRILLBOT_CACHE_DIR = saved;
    rmSync(cacheDir, { recursive: true, force: true });
    repo.remove();
  });

  it('takes the primed clone on the second review of the same base, with the same report, and leaves none behind', async () => {
    const before = await poolDatabases();
    const first = await check();
    expect(first.stderr).not.toMatch(FROM_POOL);
    expect(hintFiles()).toHaveLength(1);
    const second = await check();
    expect(second.stderr).toMatch(FROM_POOL);
    const findings = (run: { stdout: string }) => (JSON.parse(run.stdout) as { findings: unknown[] }).findings;
    expect([second.status, findings(second)]).toEqual([first.status, findings(first)]);
    expect((await poolDatabases()).filter((n) => !before.includes(n))).toEqual([]);
  });

  it(`keeps the ${MAX_HINTS} most recently written hints, its own among them`, async () => {
    const dir = join(cacheDir, 'template-hints');
    mkdirSync(dir);
    const old = Array.from({ length: MAX_HINTS + 5 }, (_, i) => join(dir, `${String(i).padStart(64, '0')}.json`));
    old.forEach((file, i) => {
      writeFileSync(file, '{}');
      // The first five are the oldest.
      utimesSync(file, new Date(2020, 0, 1, 0, i), new Date(2020, 0, 1, 0, i));
    });
    await check();
    const kept = hintFiles();
    expect(kept).toHaveLength(MAX_HINTS);
    expect(old.slice(0, 6).filter((file) => kept.includes(file))).toEqual([]);
    expect(old.slice(6).every((file) => kept.includes(file))).toBe(true);
    expect(kept.filter((file) => !old.includes(file))).toHaveLength(1);
  });

  it('drops a clone the hint predicted wrongly, and reviews on a clone of its own', async () => {
    await check();
    const [file] = hintFiles();
    // The same template for a role with other caps: not what this review wants.
    const hint = JSON.parse(readFileSync(file, 'utf8')) as { caps: { statementTimeoutMs: number } };
    writeFileSync(file, JSON.stringify({ ...hint, caps: { ...hint.caps, statementTimeoutMs: hint.caps.statementTimeoutMs + 1 } }));
    const before = await poolDatabases();
    const run = await check();
    expect(run.stderr).not.toMatch(FROM_POOL);
    expect(run.status).toBe(0);
    expect((await poolDatabases()).filter((n) => !before.includes(n))).toEqual([]);
  });
});
