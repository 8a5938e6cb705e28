import { LOCAL_URL } from '../support/drill.js';
import { gitRepo } from '../support/git-repo.js';
import { runCli as cli } from '../support/cli.js';

const BASE = {
  'db/migrations/000001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
  // No model in these tests, whatever the environment holds.
  '.github/drillbot.yml': 'reviewer:\n  enabled: false\n',
};

describe('drillbot check: checklist and drafted reverses', () => {
  const repos: Array<{ remove: () => void }> = [];
  afterAll(() => repos.forEach((r) => r.remove()));
  const repo = () => {
    const r = gitRepo(BASE, { 'db/migrations/000002_nick.up.sql': "SET lock_timeout = '2s';\nALTER TABLE users ADD COLUMN nick text;\n" });
    repos.push(r);
    return r.dir;
  };

  it('prints the checklist and the proven draft in JSON', async () => {
    const { status, stdout } = await cli('check', '--repo', repo(), '--base', 'main', '--database-url', LOCAL_URL, '--format', 'json', '--quiet');
    expect(status).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.checklist).toContainEqual(expect.objectContaining({ id: 'reverse-present', direction: 'reverse', status: 'fail', source: 'drill' }));
    expect(report.checklist).toContainEqual(expect.objectContaining({ id: 'forward-compatible', status: 'needs-human', source: 'model' }));
    expect(report.checklist).toContainEqual(expect.objectContaining({ id: 'forward-rollout-documented', status: 'pass', source: 'drill' }));
    expect(report.reverseDrafts).toEqual([
      expect.objectContaining({
        path: 'db/migrations/000002_nick.down.sql',
        status: 'proven',
        sql: "SET lock_timeout = '2s';\nALTER TABLE users DROP COLUMN nick;\n",
      }),
    ]);
    expect(report.reviewer).toMatchObject({ status: 'not-configured' });
  });

  it('prints them in the text report', async () => {
    const { stdout } = await cli('check', '--repo', repo(), '--base', 'main', '--database-url', LOCAL_URL, '--quiet');
    expect(stdout).toMatch(/Checklist\n/);
    expect(stdout).toMatch(/ reverse fail {8}reverse-present \(drill\)/);
    expect(stdout).toMatch(/Drafted reverses\n {2}proven {4}db\/migrations\/000002_nick\.down\.sql \(deterministic\)/);
    expect(stdout).toMatch(/sql: SET lock_timeout = '2s';\n\s+ALTER TABLE users DROP COLUMN nick;/);
  });
});
