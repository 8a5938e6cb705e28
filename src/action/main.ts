import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { escapeData, redact } from '../core/index.js';

/**
 * The GitHub Action (action.yml): runs `drillbot check` on the pull request's base and head,
 * annotates the diff (the `github` format on the step's stdout), writes the Markdown report to the
 * job summary and optionally a SARIF file, posts or updates one pull-request comment, and exits
 * with the CLI's status: 0 pass, 1 fail, 2 incomplete.
 */

/** The comment this Action owns on a pull request: found again by this marker and updated in place. */
export const COMMENT_MARKER = '<!-- drillbot:action -->';

/** GitHub refuses comment bodies over 65536 characters. */
const COMMENT_LIMIT = 65536;

/** The Action's inputs, as the runner passes them (`INPUT_<NAME>`, `-` as `_`). */
export interface ActionInputs {
  readonly path?: string;
  readonly layout?: string;
  readonly pgMajor?: string;
  readonly config?: string;
  readonly databaseUrl?: string;
  readonly comment: boolean;
  readonly sarifFile?: string;
  readonly timelineFile?: string;
  readonly token?: string;
}

export function inputsFrom(env: NodeJS.ProcessEnv): ActionInputs {
  const input = (name: string) => env[`INPUT_${name.toUpperCase().replace(/[- ]/g, '_')}`]?.trim() || undefined;
  return {
    path: input('path'),
    layout: input('layout'),
    pgMajor: input('pg-major'),
    config: input('config'),
    databaseUrl: input('database-url'),
    comment: (input('comment') ?? 'true') !== 'false',
    sarifFile: input('sarif-file'),
    timelineFile: input('timeline-file'),
    token: input('token'),
  };
}

interface PullRequestEvent {
  readonly number: number;
  readonly baseSha: string;
}

/** The pull request of the event that started the job (`pull_request` or `pull_request_target`). */
async function pullRequestOf(env: NodeJS.ProcessEnv): Promise<PullRequestEvent> {
  if (!env.GITHUB_EVENT_PATH) throw new ActionError('GITHUB_EVENT_PATH is not set: run the Drillbot Action in a GitHub Actions job');
  const event = JSON.parse(await readFile(env.GITHUB_EVENT_PATH, 'utf8')) as { pull_request?: { number?: number; base?: { sha?: string } } };
  const pr = event.pull_request;
  if (!pr?.number || !pr.base?.sha)
    throw new ActionError(`the ${env.GITHUB_EVENT_NAME ?? 'unknown'} event has no pull request: run the Action on pull_request`);
  return { number: pr.number, baseSha: pr.base.sha };
}

class ActionError extends Error {}

/** The CLI's arguments for the inputs; the reports go to files in `dir`, the annotations to stdout. */
function checkArguments(inputs: ActionInputs, workspace: string, baseSha: string, dir: string): string[] {
  const optional = (flag: string, value: string | undefined) => (value ? [flag, value] : []);
  const formats = ['github', 'markdown', ...(inputs.sarifFile ? ['sarif'] : [])];
  return [
    'check',
    '--repo',
    workspace,
    '--base',
    baseSha,
    ...optional('--path', inputs.path),
    ...optional('--layout', inputs.layout),
    ...optional('--pg-major', inputs.pgMajor),
    ...optional('--config', inputs.config),
    ...optional('--database-url', inputs.databaseUrl),
    '--format',
    formats.join(','),
    '--output',
    '-',
    '--output',
    join(dir, 'report.md'),
    ...(inputs.sarifFile ? ['--output', inputs.sarifFile] : []),
    ...optional('--timeline', inputs.timelineFile),
  ];
}

/** Runs bin/drillbot.js with the step's stdout and stderr, so the runner reads the annotations as they come. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const bin = fileURLToPath(new URL('../../bin/drillbot.js', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'inherit', 'inherit'], env });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 2));
  });
}

/** Runs the Action; returns the exit status of the step. */
export async function runAction(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'drillbot-action-'));
  try {
    const inputs = inputsFrom(env);
    const pull = await pullRequestOf(env);
    const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
    // Least privilege: the review and the PostgreSQL it starts need no token, so they do not inherit one.
    const cliEnv = Object.fromEntries(Object.entries(env).filter(([key]) => key !== 'INPUT_TOKEN' && key !== 'GITHUB_TOKEN'));
    const status = await runCli(checkArguments(inputs, workspace, pull.baseSha, dir), cliEnv);
    const markdown = await readFile(join(dir, 'report.md'), 'utf8').catch(() => null);
    // Without a report the CLI said why on stderr (bad input, exit 2): nothing to summarise or post.
    if (markdown === null) return status;
    if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, markdown);
    if (inputs.comment) await upsertComment(env, inputs, pull.number, markdown, log);
    return status;
  } catch (error) {
    const message = redact(error instanceof Error ? error.message : String(error));
    log(`::error title=Drillbot::${escapeData(message)}`);
    return 2;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface IssueComment {
  readonly id: number;
  readonly body?: string;
}

/** Posts the report as the pull request's Drillbot comment, or updates the one an earlier run posted. */
async function upsertComment(env: NodeJS.ProcessEnv, inputs: ActionInputs, number: number, markdown: string, log: (line: string) => void): Promise<void> {
  if (!inputs.token) throw new ActionError('no token to comment with: set the token input (default: github.token) or comment: false');
  const api = new GitHubApi(env.GITHUB_API_URL ?? 'https://api.github.com', inputs.token);
  const repo = env.GITHUB_REPOSITORY;
  if (!repo) throw new ActionError('GITHUB_REPOSITORY is not set');
  const full = `${COMMENT_MARKER}\n${markdown}`;
  const body = full.length > COMMENT_LIMIT ? `${full.slice(0, COMMENT_LIMIT - 1)}…` : full;
  const existing = await api.findComment(`/repos/${repo}/issues/${number}/comments`, (c) => c.body?.includes(COMMENT_MARKER) ?? false);
  if (existing) {
    await api.request('PATCH', `/repos/${repo}/issues/comments/${existing.id}`, { body });
    log(`Drillbot: updated the report comment ${existing.id} on #${number}`);
  } else {
    const created = (await api.request('POST', `/repos/${repo}/issues/${number}/comments`, { body })) as IssueComment;
    log(`Drillbot: posted the report comment ${created.id} on #${number}`);
  }
}

/** The few REST calls the Action makes, with the token of the job. */
class GitHubApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await this.fetch(method, `${this.baseUrl}${path}`, body);
    return response.json();
  }

  /** Walks the pages of a comment list (newest pages last) until `match` finds one. */
  async findComment(path: string, match: (c: IssueComment) => boolean): Promise<IssueComment | undefined> {
    let url: string | undefined = `${this.baseUrl}${path}?per_page=100`;
    while (url) {
      const response = await this.fetch('GET', url);
      const found = ((await response.json()) as IssueComment[]).find(match);
      if (found) return found;
      url = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    }
    return undefined;
  }

  private async fetch(method: string, url: string, body?: unknown): Promise<Response> {
    const response = await fetch(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${this.token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'drillbot-action',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok)
      throw new ActionError(`GitHub answered ${response.status} to ${method} ${new URL(url).pathname}: ${(await response.text()).slice(0, 300)}`);
    return response;
  }
}
