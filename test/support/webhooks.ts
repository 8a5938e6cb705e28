import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';
import type { FakeGitHub, FakeIssueComment, FakeRepo } from './fake-github.js';

/**
 * Webhook payloads for the fake GitHub, built from the real examples in
 * `@octokit/webhooks-examples` and re-pointed at a fake repository, plus signed delivery.
 */

// Example payloads of many event types, read and re-pointed field by field as the tests need.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON from @octokit/webhooks-examples
export type Json = Record<string, any>;

interface ExampleGroup {
  name: string;
  examples: Json[];
}

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as ExampleGroup[];

/** A deep copy of the first real example of `event.action` (optionally the first matching `pick`). */
export function exampleOf(event: string, action: string, pick: (p: Json) => boolean = () => true): Json {
  const group = examples.find((g) => g.name === event);
  const found = group?.examples.find((e) => e.action === action && pick(e));
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${event}.${action} example`);
  return structuredClone(found);
}

/** Replaces the example's repository, owner and API URLs with the fake's, everywhere in the payload. */
function retarget(payload: Json, fake: FakeGitHub, repo: FakeRepo): Json {
  const exampleRepo = payload.repository as Json;
  const from = exampleRepo.full_name as string;
  let text = JSON.stringify(payload);
  text = text.split('https://api.github.com').join(fake.baseUrl);
  text = text.split('https://github.com').join(`http://${fake.host}`);
  text = text.split(from).join(repo.fullName);
  const out = JSON.parse(text) as Json;
  const fixRepo = (r: Json) => {
    r.id = repo.id;
    r.node_id = `R_${repo.id}`;
    r.name = repo.name;
    r.full_name = repo.fullName;
    r.default_branch = repo.defaultBranch;
    r.owner = { ...(r.owner as Json), login: repo.owner, id: 1_000_001, type: 'Organization' };
  };
  fixRepo(out.repository as Json);
  out.installation = { id: fake.options.installationId, node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${fake.options.installationId}` };
  return out;
}

function userOf(login: string, template: Json): Json {
  return { ...template, login, id: 1_000_000 + ((login.length * 7919) % 1_000_000), type: login.endsWith('[bot]') ? 'Bot' : 'User' };
}

/** `pull_request` with `action` (opened, synchronize, …) for a pull request of the fake repo. */
export function pullRequestEvent(fake: FakeGitHub, repo: FakeRepo, number: number, action = 'opened'): Json {
  const pull = repo.pulls.get(number);
  if (!pull) throw new Error(`no pull request #${number} in ${repo.fullName}`);
  const payload = retarget(exampleOf('pull_request', action === 'opened' ? 'opened' : action), fake, repo);
  const pr = payload.pull_request as Json;
  const author = userOf(pull.author, pr.user as Json);
  Object.assign(pr, {
    number,
    id: repo.id * 1000 + number,
    title: pull.title,
    body: pull.body,
    user: author,
    state: 'open',
    draft: false,
    url: `${fake.baseUrl}/repos/${repo.fullName}/pulls/${number}`,
    html_url: `http://${fake.host}/${repo.fullName}/pull/${number}`,
    issue_url: `${fake.baseUrl}/repos/${repo.fullName}/issues/${number}`,
    changed_files: pull.files.length,
    additions: pull.files.reduce((n, f) => n + f.additions, 0),
    deletions: pull.files.reduce((n, f) => n + f.deletions, 0),
    commits: 1,
  });
  // The example's own number and SHA survive in its URLs; point them at this pull request.
  const api = `${fake.baseUrl}/repos/${repo.fullName}`;
  const web = `http://${fake.host}/${repo.fullName}`;
  Object.assign(pr, {
    diff_url: `${web}/pull/${number}.diff`,
    patch_url: `${web}/pull/${number}.patch`,
    commits_url: `${api}/pulls/${number}/commits`,
    review_comments_url: `${api}/pulls/${number}/comments`,
    comments_url: `${api}/issues/${number}/comments`,
    statuses_url: `${api}/statuses/${pull.head.sha}`,
    _links: {
      self: { href: `${api}/pulls/${number}` },
      html: { href: `${web}/pull/${number}` },
      issue: { href: `${api}/issues/${number}` },
      comments: { href: `${api}/issues/${number}/comments` },
      review_comments: { href: `${api}/pulls/${number}/comments` },
      review_comment: { href: `${api}/pulls/comments{/number}` },
      commits: { href: `${api}/pulls/${number}/commits` },
      statuses: { href: `${api}/statuses/${pull.head.sha}` },
    },
  });
  for (const [side, at] of [
    ['head', pull.head],
    ['base', pull.base],
  ] as const) {
    const s = pr[side] as Json;
    s.ref = at.ref;
    s.sha = at.sha;
    s.label = `${repo.owner}:${at.ref}`;
    s.repo = structuredClone(payload.repository);
  }
  payload.number = number;
  payload.sender = author;
  if (action === 'synchronize') {
    payload.before = pull.base.sha;
    payload.after = pull.head.sha;
  }
  return payload;
}

/** `issue_comment.created` for a comment (already added to the fake) on a pull request. */
export function issueCommentCreated(fake: FakeGitHub, repo: FakeRepo, comment: FakeIssueComment): Json {
  const pull = repo.pulls.get(comment.issue);
  if (!pull) throw new Error(`no pull request #${comment.issue} in ${repo.fullName}`);
  const payload = retarget(exampleOf('issue_comment', 'created'), fake, repo);
  const issue = payload.issue as Json;
  const c = payload.comment as Json;
  const commenter = userOf(comment.user, c.user as Json);
  Object.assign(issue, {
    number: comment.issue,
    id: repo.id * 1000 + comment.issue,
    title: pull.title,
    state: 'open',
    user: userOf(pull.author, issue.user as Json),
    url: `${fake.baseUrl}/repos/${repo.fullName}/issues/${comment.issue}`,
    html_url: `http://${fake.host}/${repo.fullName}/pull/${comment.issue}`,
    // The examples are plain issues; this key is what marks an issue as a pull request.
    pull_request: {
      url: `${fake.baseUrl}/repos/${repo.fullName}/pulls/${comment.issue}`,
      html_url: `http://${fake.host}/${repo.fullName}/pull/${comment.issue}`,
      diff_url: `http://${fake.host}/${repo.fullName}/pull/${comment.issue}.diff`,
      patch_url: `http://${fake.host}/${repo.fullName}/pull/${comment.issue}.patch`,
      merged_at: null,
    },
  });
  Object.assign(c, {
    id: comment.id,
    node_id: `IC_${comment.id}`,
    body: comment.body,
    user: commenter,
    created_at: comment.created_at,
    updated_at: comment.updated_at,
    url: `${fake.baseUrl}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `http://${fake.host}/${repo.fullName}/pull/${comment.issue}#issuecomment-${comment.id}`,
    issue_url: `${fake.baseUrl}/repos/${repo.fullName}/issues/${comment.issue}`,
    author_association: 'CONTRIBUTOR',
  });
  payload.sender = commenter;
  return payload;
}

/** The result of one delivery. */
export interface Delivery {
  id: string;
  status: number;
  body: string;
}

/** POSTs a webhook the way GitHub does: JSON body, event and delivery headers, HMAC-SHA256 signature. */
export async function deliver(appUrl: string, secret: string, event: string, payload: Json, opts: { signWith?: string; id?: string } = {}): Promise<Delivery> {
  const body = JSON.stringify(payload);
  const id = opts.id ?? randomUUID();
  const signature = await sign(opts.signWith ?? secret, body);
  const res = await fetch(`${appUrl}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/fake',
      'x-github-event': event,
      'x-github-delivery': id,
      'x-github-hook-id': '1',
      'x-github-hook-installation-target-type': 'integration',
      'x-hub-signature-256': signature,
    },
    body,
  });
  return { id, status: res.status, body: await res.text() };
}
