import { sign } from '@octokit/webhooks-methods';
import { appKeyPair } from './app-keys.js';
import { FakeGitHub } from './fake-github.js';
import { pullRequestEvent } from './webhooks.js';

// The GitHub side of `npm run bench:webhook` (scripts/webhook-load.js), in a process of its own so
// that its work (it validates every request against GitHub's OpenAPI description) does not slow
// the load generator's clock: a fake GitHub with one pull request per delivery, each adding an
// index migration. Prints one JSON line (the app's credentials and the signed deliveries), then
// serves until killed.

const APP_ID = 31339;
const INSTALLATION_ID = 4713;
const SECRET = 'webhook-load-secret';
const pulls = Number(process.argv[2] ?? '20');

const keys = appKeyPair();
const fake = new FakeGitHub({ appId: APP_ID, publicKey: keys.publicKey, installationId: INSTALLATION_ID });
await fake.start();
const repo = fake.addRepo('octo-org/webhook-load', {
  'db/migrations/000001_users.up.sql': 'CREATE TABLE users (\n  id bigint PRIMARY KEY,\n  email text NOT NULL\n);\n',
  'db/migrations/000001_users.down.sql': 'DROP TABLE users;\n',
});
const deliveries = [];
for (let number = 1; number <= pulls; number++) {
  fake.openPull(repo, {
    number,
    branch: `idx-${number}`,
    author: 'pr-author',
    changes: {
      [`db/migrations/000002_idx_${number}.up.sql`]: 'CREATE INDEX users_email_idx ON users (email);\n',
      [`db/migrations/000002_idx_${number}.down.sql`]: 'DROP INDEX users_email_idx;\n',
    },
  });
  const body = JSON.stringify(pullRequestEvent(fake, repo, number, 'opened'));
  deliveries.push({ event: 'pull_request', body, signature: await sign(SECRET, body) });
}
process.stdout.write(`${JSON.stringify({ appId: APP_ID, privateKey: keys.privateKey, secret: SECRET, gheHost: fake.host, deliveries })}\n`);
process.on('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
