import type { Report } from '../../src/core/index.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { LOCAL_URL } from '../support/drill.js';
import { gitRepo } from '../support/git-repo.js';

/**
 * Files whose bytes PostgreSQL would not run as the review saw them fail closed through the git
 * front door: too large to read, invalid UTF-8, a NUL byte, a binary file.
 */

async function check(dir: string): Promise<{ status: number; report: Report }> {
  let stdout = '';
  const sink = (append: (text: string) => void) => ({ write: (text: string) => (append(text), true) }) as unknown as NodeJS.WritableStream;
  const status = await main(['check', '--repo', dir, '--base', 'main', '--database-url', LOCAL_URL, '--format', 'json', '--quiet'], {
    stdout: sink((t) => (stdout += t)),
    stderr: sink(() => undefined),
  });
  return { status, report: JSON.parse(stdout) as Report };
}

const BASE = {
  'db/migrations/000001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, name text);\n',
  'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
};
const UP = 'db/migrations/000002_change.up.sql';
const DOWN = 'db/migrations/000002_change.down.sql';
const errors = (report: Report) => report.findings.filter((f) => f.severity === 'error');
const latin1 = (text: string) => Buffer.from(text, 'latin1');

/** What psql reports for a file's bytes on the local PostgreSQL (UTF8 server encoding). */
function psqlError(bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'drillbot-bytes-'));
  try {
    writeFileSync(join(dir, 'x.sql'), bytes);
    execFileSync('psql', [LOCAL_URL, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', 'SET client_encoding = UTF8', '-f', join(dir, 'x.sql')], { stdio: 'pipe' });
    return '';
  } catch (error) {
    return String((error as { stderr?: Buffer }).stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('migration files PostgreSQL would not run as read', () => {
  const repos: Array<{ remove: () => void }> = [];
  const repo = (change: Record<string, string | Uint8Array>) => {
    const r = gitRepo(BASE, change);
    repos.push(r);
    return r.dir;
  };
  afterAll(() => repos.forEach((r) => r.remove()));

  it('fails a migration over migrations.maxFileSize (a DROP TABLE padded with comments) with an infra finding naming the file and the limit', async () => {
    const limit = DEFAULT_CONFIG.migrations.maxFileSize;
    const padded = `DROP TABLE users;\n${'-- nothing to see here, just padding\n'.repeat(Math.ceil(limit / 36))}`;
    expect(padded.length).toBeGreaterThan(limit);
    const { status, report } = await check(repo({ [UP]: padded, [DOWN]: 'SELECT 1;\n' }));
    expect(status).toBe(2);
    expect(report.verdict).toBe('fail');
    expect(report.findings).toEqual([
      expect.objectContaining({
        hazard: 'infra',
        severity: 'error',
        path: UP,
        line: 1,
        message: expect.stringContaining('over the limit of 5 MiB (migrations.maxFileSize)'),
      }),
    ]);
    expect(report.drill).toBeNull();
  });

  it('honours a smaller migrations.maxFileSize from the base commit', async () => {
    const r = gitRepo(
      { ...BASE, '.github/drillbot.yml': 'migrations:\n  maxFileSize: 2KiB\n' },
      { [UP]: `DROP TABLE users;\n${'-- pad\n'.repeat(400)}`, [DOWN]: 'SELECT 1;\n' },
    );
    repos.push(r);
    const { report } = await check(r.dir);
    expect(report.findings).toEqual([
      expect.objectContaining({ hazard: 'infra', path: UP, message: expect.stringContaining('2.8 KiB, over the limit of 2 KiB') }),
    ]);
  });

  it('reports invalid UTF-8 as the forward error PostgreSQL gives, at its line, and an in-file ack cannot cover it', async () => {
    const up = latin1("-- drillbot:ack forward-error the file is fine\nALTER TABLE users ADD COLUMN city text;\nUPDATE users SET city = 'Zürich';\n");
    const { status, report } = await check(repo({ [UP]: up, [DOWN]: 'ALTER TABLE users DROP COLUMN city;\n' }));
    expect(status).toBe(1);
    expect(report.verdict).toBe('fail');
    const [error] = errors(report);
    expect(errors(report)).toHaveLength(1);
    expect(error).toMatchObject({ hazard: 'forward-error', path: UP, line: 3 });
    expect(error.acknowledged).toBeUndefined();
    // The same words as PostgreSQL itself, for the same bytes.
    const said = /invalid byte sequence for encoding "UTF8": [0-9a-fx ]+[0-9a-f]/.exec(psqlError(latin1("SELECT 'Zürich';\n")))?.[0];
    expect(said).toBe('invalid byte sequence for encoding "UTF8": 0xfc');
    expect(error.message).toContain(`${said} (SQLSTATE 22021)`);
    // The migration never ran: nothing was repaired and applied.
    expect(report.migrations.filter((m) => m.path === UP)).toEqual([]);
  });

  it('reports a NUL byte at its line, in the reverse as a reverse error', async () => {
    const down = Buffer.concat([Buffer.from('ALTER TABLE users\n  DROP COLUMN city'), Buffer.from([0]), Buffer.from(';\n')]);
    const { status, report } = await check(repo({ [UP]: 'ALTER TABLE users ADD COLUMN city text;\n', [DOWN]: down }));
    expect(status).toBe(1);
    expect(errors(report)).toEqual([
      expect.objectContaining({
        hazard: 'reverse-error',
        path: DOWN,
        line: 2,
        message: 'This file contains a NUL byte at line 2; PostgreSQL cannot take it (a query string ends at a NUL byte).',
      }),
    ]);
    expect(report.drill?.roundTrip).toBe('not-run');
  });

  it('names a binary file plainly', async () => {
    const gzip = execFileSync('gzip', ['-c'], { input: 'CREATE TABLE t (id int);\n' });
    const { status, report } = await check(repo({ [UP]: gzip, [DOWN]: 'DROP TABLE t;\n' }));
    expect(status).toBe(1);
    expect(errors(report)).toEqual([
      expect.objectContaining({
        hazard: 'forward-error',
        path: UP,
        message: expect.stringMatching(/^This is a binary file, not SQL text: it contains a NUL byte at line \d+/),
      }),
    ]);
  });

  it('lets no in-file ack cover bytes PostgreSQL refuses, even where the file has a section that parses (goose)', async () => {
    const goose = (up: string, down: string) => `-- +goose Up\n${up}\n-- +goose Down\n${down}\n`;
    const r = gitRepo(
      { 'db/migrations/00001_users.sql': goose('CREATE TABLE users (id bigint PRIMARY KEY, name text);', 'DROP TABLE users;') },
      { 'db/migrations/00002_city.sql': latin1(`-- drillbot:ack forward-error it is fine\n${goose("UPDATE users SET name = 'Zürich';", 'SELECT 1;')}`) },
    );
    repos.push(r);
    const { status, report } = await check(r.dir);
    expect(status).toBe(1);
    expect(errors(report)).toEqual([expect.objectContaining({ hazard: 'forward-error', path: 'db/migrations/00002_city.sql', line: 3 })]);
    expect(errors(report)[0].acknowledged).toBeUndefined();
  });
});
