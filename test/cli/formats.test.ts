import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import type { Report } from '../../src/core/index.js';
import { buildIfStale, ROOT } from '../support/build.js';
import { LOCAL_URL } from '../support/drill.js';
import { gitRepo } from '../support/git-repo.js';
import { sarifValidator } from '../support/sarif-schema.js';
import { runCli as cli } from '../support/cli.js';

function spawned(...argv: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'bin', 'drillbot.js'), ...argv], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

const BASE = {
  'db/migrations/000001_users.up.sql': 'CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
};
/** Fails twice: a blocking index build, and an int → bigint change that rewrites the table. */
const FAILING = {
  'db/migrations/000002_email.up.sql': 'CREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ALTER COLUMN id TYPE bigint;\n',
  'db/migrations/000002_email.down.sql': 'ALTER TABLE users ALTER COLUMN id TYPE int;\nDROP INDEX users_email_idx;\n',
};
const FORMATS = ['text', 'json', 'markdown', 'sarif', 'github', 'gitlab'];

describe('drillbot check in every format', () => {
  let repo: { dir: string; remove: () => void };
  let out: string;
  beforeAll(async () => {
    repo = gitRepo(BASE, FAILING);
    out = mkdtempSync(join(tmpdir(), 'drillbot-formats-'));
    await buildIfStale();
  });
  afterAll(() => {
    repo.remove();
    rmSync(out, { recursive: true, force: true });
  });
  const read = (name: string) => readFileSync(join(out, name), 'utf8');

  it('renders the same failing change in all six formats and the timeline, one file each', async () => {
    const args = ['check', '--repo', repo.dir, '--base', 'main', '--database-url', LOCAL_URL, '--quiet'];
    const run = await cli(...args, '--format', FORMATS.join(','), '--output', join(out, 'report.{format}'), '--timeline', join(out, 'drill.svg'));
    expect(run.stdout).toBe('');
    expect(run.status).toBe(1);
    const report = JSON.parse(read('report.json')) as Report;
    const path = 'db/migrations/000002_email.up.sql';
    const hazards = report.findings.filter((f) => !f.acknowledged && f.severity === 'error').map((f) => [f.hazard, f.line]);
    expect(hazards).toEqual(
      expect.arrayContaining([
        ['blocking-index', 1],
        ['rewrite', 2],
      ]),
    );

    expect(read('report.text')).toMatch(/^Drillbot: FAIL, \d+ errors/);
    const md = read('report.markdown');
    expect(md).toMatch(/^## Drillbot: FAIL, \d+ errors/);
    expect(md).toContain(`\`${path}:1\``);
    expect(md).toMatch(
      /\| forward \| `db\/migrations\/000002_email\.up\.sql:2` \| `[·█]+` \| [\d.]+ m?s \| applied \| took AccessExclusive on public\.users,.* rewrote public\.users/,
    );

    const sarif = JSON.parse(read('report.sarif'));
    expect(sarifValidator()(sarif)).toEqual([]);
    expect(sarif.runs[0].results).toHaveLength(report.findings.length);
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual(report.findings.map((f) => f.rule));

    const github = read('report.github').trimEnd().split('\n');
    expect(github).toHaveLength(report.findings.length);
    expect(github).toContainEqual(expect.stringMatching(new RegExp(`^::error title=rewrite[^:]*,file=${path.replace(/\./g, '\\.')},line=2::`)));

    const gitlab = JSON.parse(read('report.gitlab'));
    expect(gitlab.map((i: { location: { path: string; lines: { begin: number } } }) => [i.location.path, i.location.lines.begin])).toEqual(
      report.findings.map((f) => [f.path, f.line]),
    );

    const svg = read('drill.svg');
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain(`forward ${path}:2`);
    expect(svg).toMatch(/took AccessExclusive on public\.users,[^<]* rewrote public\.users/);
  });

  it('spawned: one format to stdout and another to a file, with the exit status of the review', async () => {
    const sarifFile = join(out, 'spawned.sarif');
    const run = await spawned(
      'check',
      '--repo',
      repo.dir,
      '--base',
      'main',
      '--database-url',
      LOCAL_URL,
      '--quiet',
      '--format',
      'github,sarif',
      '--output',
      '-',
      '--output',
      sarifFile,
    );
    expect(run.status).toBe(1);
    expect(
      run.stdout
        .trimEnd()
        .split('\n')
        .every((line) => /^::(error|warning|notice) title=/.test(line)),
    ).toBe(true);
    expect(sarifValidator()(JSON.parse(read('spawned.sarif')))).toEqual([]);
  });

  it.each([
    [['--format', 'text,yaml'], /--format: unknown format "yaml"/],
    [['--format', 'text,sarif'], /2 formats need 2 --output files/],
    [['--format', 'text,text', '--output', 'a', '--output', 'b'], /"text" is given twice/],
    [['--format', 'text,json', '--output', '-', '--output', '-'], /only one format can go to stdout/],
    [['--format', 'sarif', '--output', '/nonexistent-dir/x.sarif'], /--output: cannot write \/nonexistent-dir\/x\.sarif: ENOENT/],
  ])('spawned: exits 2 with a clear error on %j', async (flags, message) => {
    const run = await spawned('check', '--repo', repo.dir, '--base', 'main', '--database-url', LOCAL_URL, '--quiet', ...flags);
    expect(run.stderr).toMatch(message);
    expect(run.status).toBe(2);
  });
});
