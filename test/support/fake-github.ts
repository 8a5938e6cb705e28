import { createHash, createPublicKey, randomBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkRunLimitProblems, commentBodyProblems, openApiValidator, type OpenApiValidator, type RecordedRequest, type Violation } from './openapi.js';

/**
 * A stateful stand-in for the GitHub REST API (as GitHub Enterprise serves it under `/api/v3`),
 * good enough to run the real Probot app against: a git object model with real blob and tree
 * SHAs, pull requests whose files carry generated unified-diff patches, check runs, reviews,
 * comments, reactions and collaborator permissions. Every request is recorded and validated
 * against GitHub's OpenAPI description and documented limits; where GitHub would answer 422,
 * so does the fake, and the request is counted as a violation.
 */

type Json = Record<string, unknown>;
type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

/** One line-level anchor the diff allows a review comment on. */
interface DiffLine {
  side: 'LEFT' | 'RIGHT';
  line: number;
  hunk: number;
  position: number;
}

/** A file entry as `GET /pulls/{n}/files` returns it, plus the commentable lines. */
export interface PullFile {
  filename: string;
  status: 'added' | 'removed' | 'modified';
  additions: number;
  deletions: number;
  changes: number;
  patch: string;
  sha: string;
  lines: DiffLine[];
}

interface Commit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  files: Map<string, string>; // path -> blob sha
  date: string;
}

interface Pull {
  number: number;
  title: string;
  body: string;
  author: string;
  base: { ref: string; sha: string };
  head: { ref: string; sha: string };
  files: PullFile[];
  created_at: string;
}

export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  external_id: string | null;
  details_url: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: Json[];
  actions: Array<{ label: string; description: string; identifier: string }>;
  /** Every create/update body in order, so tests can assert the lifecycle. */
  history: Json[];
  created_seq: number;
  updated_seq: number;
}

export interface FakeReviewComment {
  id: number;
  pull_request_review_id: number | null;
  path: string;
  line: number | null;
  side: 'LEFT' | 'RIGHT';
  start_line: number | null;
  body: string;
  commit_id: string;
  user: string;
  created_at: string;
  updated_at: string;
  position: number | null;
  diff_hunk: string;
}

export interface FakeReview {
  id: number;
  pull: number;
  user: string;
  body: string;
  state: 'PENDING' | 'COMMENTED' | 'APPROVED' | 'CHANGES_REQUESTED' | 'DISMISSED';
  commit_id: string;
  submitted_at: string | null;
}

export interface FakeIssueComment {
  id: number;
  issue: number;
  user: string;
  body: string;
  created_at: string;
  updated_at: string;
  created_seq: number;
  updated_seq: number;
  /** Every body the comment had, oldest first. */
  history: string[];
}

export interface FakeReaction {
  id: number;
  comment_id: number;
  user: string;
  content: string;
  seq: number;
}

/** A repository in the fake, with its git objects and its collaboration state. */
export class FakeRepo {
  readonly id: number;
  /** Blob texts (UTF-8 decoded); `bytesOf` gives a blob's exact bytes, binary ones included. */
  readonly blobs = new Map<string, string>();
  private readonly binary = new Map<string, Buffer>();
  readonly trees = new Map<string, Array<{ path: string; mode: string; type: 'blob' | 'tree'; sha: string }>>();
  readonly commits = new Map<string, Commit>();
  readonly branches = new Map<string, string>();
  readonly pulls = new Map<number, Pull>();
  readonly permissions = new Map<string, Permission>();

  constructor(
    readonly owner: string,
    readonly name: string,
    readonly defaultBranch: string,
    id: number,
  ) {
    this.id = id;
  }

  get fullName(): string {
    return `${this.owner}/${this.name}`;
  }

  /** Commits `changes` (path -> content, or null to delete) on top of `parent` (or an empty tree). */
  commit(changes: Record<string, string | Uint8Array | null>, opts: { parent?: string; message?: string; branch?: string } = {}): string {
    const parent = opts.parent ? this.commits.get(opts.parent) : undefined;
    if (opts.parent && !parent) throw new Error(`unknown parent ${opts.parent}`);
    const files = new Map(parent?.files ?? []);
    for (const [path, content] of Object.entries(changes)) {
      if (content === null) files.delete(path);
      else files.set(path, this.putBlob(content));
    }
    const tree = this.putTree(files);
    const date = new Date(Date.now() + this.commits.size * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const message = opts.message ?? 'change';
    const parents = parent ? [parent.sha] : [];
    const raw = `tree ${tree}\n${parents.map((p) => `parent ${p}\n`).join('')}author Test <t@example.invalid> 0 +0000\ncommitter Test <t@example.invalid> 0 +0000\n\n${message}\n${this.commits.size}`;
    const sha = gitHash('commit', Buffer.from(raw));
    this.commits.set(sha, { sha, tree, parents, message, files, date });
    if (opts.branch) this.branches.set(opts.branch, sha);
    return sha;
  }

  /** Text of a file at a commit, or undefined when absent. */
  fileAt(sha: string, path: string): string | undefined {
    const blob = this.commits.get(sha)?.files.get(path);
    return blob === undefined ? undefined : this.blobs.get(blob);
  }

  /** Resolves a branch name or a commit SHA to a commit. */
  resolve(ref: string): Commit | undefined {
    const name = ref.replace(/^refs\/heads\//, '');
    return this.commits.get(this.branches.get(name) ?? name);
  }

  /** A blob's bytes, or undefined when there is no such blob. */
  bytesOf(sha: string): Buffer | undefined {
    const text = this.blobs.get(sha);
    return this.binary.get(sha) ?? (text === undefined ? undefined : Buffer.from(text));
  }

  private putBlob(content: string | Uint8Array): string {
    const bytes = Buffer.from(content);
    const sha = gitHash('blob', bytes);
    this.blobs.set(sha, bytes.toString('utf8'));
    if (typeof content !== 'string') this.binary.set(sha, bytes);
    return sha;
  }

  private putTree(files: Map<string, string>, prefix = ''): string {
    const entries = new Map<string, { mode: string; type: 'blob' | 'tree'; sha: string }>();
    const subdirs = new Map<string, Map<string, string>>();
    for (const [path, sha] of files) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) entries.set(rest, { mode: '100644', type: 'blob', sha });
      else {
        const dir = rest.slice(0, slash);
        if (!subdirs.has(dir)) subdirs.set(dir, new Map());
        subdirs.get(dir)!.set(path, sha);
      }
    }
    for (const [dir, sub] of subdirs) entries.set(dir, { mode: '40000', type: 'tree', sha: this.putTree(sub, `${prefix}${dir}/`) });
    // git orders tree entries by name, with directories compared as if they ended in '/'.
    const sorted = [...entries].sort(([a, x], [b, y]) => {
      const ka = x.type === 'tree' ? `${a}/` : a;
      const kb = y.type === 'tree' ? `${b}/` : b;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    const raw = Buffer.concat(sorted.flatMap(([name, e]) => [Buffer.from(`${e.mode} ${name}\0`), Buffer.from(e.sha, 'hex')]));
    const sha = gitHash('tree', raw);
    this.trees.set(
      sha,
      sorted.map(([name, e]) => ({ path: name, ...e })),
    );
    return sha;
  }
}

/** Options of {@link FakeGitHub}. */
export interface FakeGitHubOptions {
  appId: number;
  appSlug?: string;
  /** PEM public key matching the app's PRIVATE_KEY: app JWTs are verified with it. */
  publicKey: string;
  installationId: number;
}

interface Route {
  method: string;
  regex: RegExp;
  handler: (ctx: RequestContext) => Reply | Promise<Reply>;
}

interface RequestContext {
  params: string[];
  query: Record<string, string>;
  body: unknown;
  headers: IncomingMessage['headers'];
  actor: Actor;
  url: URL;
}

type Actor = { kind: 'app' } | { kind: 'installation'; installationId: number } | { kind: 'anonymous' };

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: string;
}

/**
 * A failure the fake answers to matching requests, as GitHub does during an outage or a rate
 * limit. Without `times` or `forMs` it fails the next matching request only.
 */
export interface FaultSpec {
  status: number;
  headers?: Record<string, string>;
  /** The error message (Octokit's error message; the throttling plugin reads "secondary rate" in it). */
  message?: string;
  /** Fail this many matching requests. */
  times?: number;
  /** Fail every matching request for this long from now (alone, or together with `times`: whichever ends first). */
  forMs?: number;
  /** Handle the request (its effect stays), then answer the failure: a reply lost on the way back. */
  afterSuccess?: boolean;
}

interface Fault extends FaultSpec {
  method: string;
  regex: RegExp;
  until: number;
  left: number;
}

/** The answer of a secondary rate limit (GitHub says how long to wait in `retry-after`). */
export const secondaryRateLimit = (retryAfterS: number, extra: Partial<FaultSpec> = {}): FaultSpec => ({
  status: 403,
  headers: { 'retry-after': String(retryAfterS) },
  message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  ...extra,
});

/** One recorded request with its outcome. */
export interface FakeRequest extends RecordedRequest {
  seq: number;
  status: number;
  accept: string;
  /** Answered with an injected fault. */
  faulted?: boolean;
  /** When the answer was sent (Date.now()), to measure waits between requests. */
  at: number;
}

const notFound = (message = 'Not Found'): Reply => ({ status: 404, body: { message, documentation_url: 'https://docs.github.com/rest', status: '404' } });
const unprocessable = (message: string, errors: unknown[] = []): Reply => ({
  status: 422,
  body: { message, errors, documentation_url: 'https://docs.github.com/rest', status: '422' },
});

/** The fake GitHub API server. */
export class FakeGitHub {
  readonly repos = new Map<string, FakeRepo>();
  readonly checkRuns: FakeCheckRun[] = [];
  readonly reviews: FakeReview[] = [];
  readonly reviewComments: FakeReviewComment[] = [];
  readonly issueComments: FakeIssueComment[] = [];
  readonly reactions: FakeReaction[] = [];
  readonly log: FakeRequest[] = [];
  private readonly schemaViolations: Violation[] = [];
  private readonly unhandledRoutes: string[] = [];
  private readonly tokens = new Map<string, number>();
  private readonly routes: Route[] = [];
  private readonly faults: Fault[] = [];
  private readonly publicKey: KeyObject;
  private readonly validator: OpenApiValidator;
  private server?: Server;
  private port = 0;
  private nextId = 1000;
  private seq = 0;
  private lastActivity = Date.now();
  private inFlight = 0;

  constructor(readonly options: FakeGitHubOptions) {
    this.publicKey = createPublicKey(options.publicKey);
    this.validator = openApiValidator();
    this.defineRoutes();
  }

  get appSlug(): string {
    return this.options.appSlug ?? 'drillbot';
  }

  /** Login GitHub shows for requests made with an installation token. */
  get botLogin(): string {
    return `${this.appSlug}[bot]`;
  }

  /** `host:port`, for GHE_HOST. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The REST base URL an Enterprise client uses. */
  get baseUrl(): string {
    return `http://${this.host}/api/v3`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Adds a repository; `base` files become the first commit on the default branch. */
  addRepo(fullName: string, base: Record<string, string>, opts: { defaultBranch?: string } = {}): FakeRepo {
    const [owner, name] = fullName.split('/');
    const repo = new FakeRepo(owner, name, opts.defaultBranch ?? 'main', this.newId());
    repo.commit(base, { message: 'base', branch: repo.defaultBranch });
    this.repos.set(fullName.toLowerCase(), repo);
    return repo;
  }

  /** Opens a pull request from a new branch holding `changes` on top of the default branch. */
  openPull(
    repo: FakeRepo,
    opts: { number: number; branch: string; changes: Record<string, string | Uint8Array | null>; author: string; title?: string },
  ): Pull {
    const baseSha = repo.branches.get(repo.defaultBranch)!;
    const headSha = repo.commit(opts.changes, { parent: baseSha, message: opts.title ?? opts.branch, branch: opts.branch });
    const pull: Pull = {
      number: opts.number,
      title: opts.title ?? opts.branch,
      body: '',
      author: opts.author,
      base: { ref: repo.defaultBranch, sha: baseSha },
      head: { ref: opts.branch, sha: headSha },
      files: diffCommits(repo, baseSha, headSha),
      created_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    repo.pulls.set(pull.number, pull);
    return pull;
  }

  /**
   * A token the fake accepts for the installation, as a workflow's GITHUB_TOKEN is one (of the
   * github-actions app): what the Action's requests are made with.
   */
  issueToken(): string {
    const token = `ghs_${randomBytes(18).toString('hex')}`;
    this.tokens.set(token, this.options.installationId);
    return token;
  }

  /** Records a comment a person wrote on an issue or pull request (before its webhook is sent). */
  addUserComment(repo: FakeRepo, issue: number, user: string, body: string): FakeIssueComment {
    void repo;
    const now = stamp();
    const comment: FakeIssueComment = {
      id: this.newId(),
      issue,
      user,
      body,
      created_at: now,
      updated_at: now,
      created_seq: ++this.seq,
      updated_seq: this.seq,
      history: [body],
    };
    this.issueComments.push(comment);
    return comment;
  }

  /**
   * Makes requests to `template` (a route such as '/repos/{owner}/{repo}/check-runs/{id}') with
   * `method` fail as `spec` says. Faults added first are used first.
   */
  fail(method: string, template: string, spec: FaultSpec): void {
    const timed = spec.forMs !== undefined;
    const left = spec.times ?? (timed ? Number.POSITIVE_INFINITY : 1);
    this.faults.push({
      ...spec,
      method: method.toUpperCase(),
      regex: routeRegex(template),
      until: timed ? Date.now() + spec.forMs! : Number.POSITIVE_INFINITY,
      left,
    });
  }

  /** Removes every fault not yet used up. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** The requests answered with an injected fault. */
  faulted(): FakeRequest[] {
    return this.log.filter((r) => r.faulted);
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const now = Date.now();
    const fault = this.faults.find((f) => f.method === method && f.regex.test(path) && f.left > 0 && now < f.until);
    if (fault) fault.left -= 1;
    return fault;
  }

  /** Current sequence number: every recorded request and state change increments it. */
  get sequence(): number {
    return this.seq;
  }

  /** All OpenAPI and limit violations recorded so far. */
  violations(): Violation[] {
    return [...this.schemaViolations];
  }

  /** Requests for which the fake has no route (method + path). */
  unhandled(): string[] {
    return [...this.unhandledRoutes];
  }

  /** The check runs on a commit, oldest first. */
  checkRunsFor(headSha: string, name?: string): FakeCheckRun[] {
    return this.checkRuns.filter((r) => r.head_sha === headSha && (!name || r.name === name));
  }

  /** Polls `probe` until it returns a truthy value, or fails after `timeoutMs` with `what`. */
  async waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until no request has arrived or been in flight for `quietMs`, counted from this call at the earliest. */
  async waitForIdle(quietMs = 750, timeoutMs = 60_000): Promise<void> {
    const from = Date.now();
    await this.waitFor(
      `the app to stop calling the API for ${quietMs} ms`,
      () => this.inFlight === 0 && Date.now() - Math.max(this.lastActivity, from) >= quietMs,
      timeoutMs,
    );
  }

  /** A one-line-per-request transcript, for failure messages. */
  transcript(sinceSeq = 0): string {
    return this.log
      .filter((r) => r.seq > sinceSeq)
      .map((r) => `${r.seq} ${r.method} ${r.path}${Object.keys(r.query).length ? '?' + new URLSearchParams(r.query) : ''} -> ${r.status}`)
      .join('\n');
  }

  // ---------------------------------------------------------------------------------------------
  // HTTP plumbing

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.lastActivity = Date.now();
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', `http://${this.host}`);
      const method = (req.method ?? 'GET').toUpperCase();
      const path = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
      const query = Object.fromEntries(url.searchParams);
      let body: unknown;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          return this.send(res, { status: 400, body: { message: 'Problems parsing JSON' } }, { method, path, query, body: text, accept: '' });
        }
      }
      const record: RecordedRequest & { accept: string } = { method, path, query, body, accept: String(req.headers.accept ?? '') };
      const label = `${method} ${path}`;
      if (!url.pathname.startsWith('/api/v3/')) {
        this.unhandledRoutes.push(`${label} (outside /api/v3: is the base URL right?)`);
        return this.send(res, notFound(), record);
      }

      const schemaProblems = this.validator.validate(record);
      this.schemaViolations.push(...schemaProblems);

      const actor = this.authenticate(req, path);
      if ('status' in actor) {
        this.schemaViolations.push({ request: label, problem: actor.problem });
        return this.send(res, { status: actor.status, body: { message: actor.problem } }, record);
      }

      const route = this.routes.find((r) => r.method === method && r.regex.test(path));
      if (!route) {
        this.unhandledRoutes.push(label);
        return this.send(res, notFound('Not Found (route not implemented by the fake GitHub)'), record);
      }
      // GitHub rejects a body that does not match the operation with 422 before doing anything.
      if (schemaProblems.some((p) => p.problem.startsWith('body:') || p.problem.includes('requires a request body'))) {
        return this.send(
          res,
          unprocessable(
            'Invalid request.',
            schemaProblems.map((p) => p.problem),
          ),
          record,
        );
      }
      const fault = this.takeFault(method, path);
      if (fault && !fault.afterSuccess) return this.send(res, faultReply(fault), { ...record, faulted: true });
      const params = route.regex.exec(path)!.slice(1).map(safeDecode);
      let reply: Reply;
      try {
        reply = await route.handler({ params, query, body, headers: req.headers, actor, url });
      } catch (error) {
        reply = { status: 500, body: { message: `fake GitHub crashed: ${(error as Error).stack}` } };
        this.schemaViolations.push({ request: label, problem: `the fake crashed handling it: ${(error as Error).message}` });
      }
      if (reply.status === 422) {
        this.schemaViolations.push({ request: label, problem: `GitHub would answer 422: ${JSON.stringify(reply.body)}` });
      }
      if (fault && reply.status < 400) return this.send(res, faultReply(fault), { ...record, faulted: true });
      return this.send(res, reply, record);
    } finally {
      this.inFlight--;
      this.lastActivity = Date.now();
    }
  }

  private send(res: ServerResponse, reply: Reply, record: RecordedRequest & { accept: string; faulted?: boolean }): void {
    this.log.push({ ...record, seq: ++this.seq, status: reply.status, at: Date.now() });
    const headers: Record<string, string> = {
      'x-github-media-type': 'github.v3; format=json',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
      ...reply.headers,
    };
    if (reply.raw !== undefined) {
      res.writeHead(reply.status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(reply.raw);
    } else if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
    } else {
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(reply.body));
    }
  }

  /** App endpoints need a valid app JWT (RS256, iss = app id); everything else an installation token. */
  private authenticate(req: IncomingMessage, path: string): Actor | { status: number; problem: string } {
    const header = String(req.headers.authorization ?? '');
    const [scheme, credential] = header.split(/\s+/, 2);
    const wantsJwt = path === '/app' || path.startsWith('/app/') || /^\/repos\/[^/]+\/[^/]+\/installation$/.test(path);
    if (wantsJwt) {
      if (scheme?.toLowerCase() !== 'bearer' || !credential) return { status: 401, problem: 'app endpoint called without a Bearer JWT' };
      const problem = this.checkJwt(credential);
      return problem ? { status: 401, problem } : { kind: 'app' };
    }
    if (!credential || !['token', 'bearer'].includes(scheme?.toLowerCase() ?? '')) return { status: 401, problem: 'called without an installation token' };
    const installationId = this.tokens.get(credential);
    if (installationId === undefined) return { status: 401, problem: 'called with a token the fake did not issue (Bad credentials)' };
    return { kind: 'installation', installationId };
  }

  private checkJwt(jwt: string): string | undefined {
    const parts = jwt.split('.');
    if (parts.length !== 3) return 'malformed JWT';
    const [h, p, s] = parts;
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
    if (header.alg !== 'RS256') return `JWT alg ${header.alg}, expected RS256`;
    if (!verifySignature('RSA-SHA256', Buffer.from(`${h}.${p}`), this.publicKey, Buffer.from(s, 'base64url')))
      return 'JWT signature does not verify with the app public key';
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iss?: unknown; iat?: number; exp?: number };
    if (String(claims.iss) !== String(this.options.appId)) return `JWT iss ${String(claims.iss)} is not the app id`;
    const now = Math.floor(Date.now() / 1000);
    if (!claims.exp || claims.exp < now) return 'JWT expired';
    if (claims.exp - (claims.iat ?? now) > 660) return 'JWT lives longer than 10 minutes';
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // Response shapes

  private newId(): number {
    return ++this.nextId;
  }

  private user(login: string): Json {
    const isBot = login.endsWith('[bot]');
    const id = isBot ? 9_000_000 + this.options.appId : 1_000_000 + (parseInt(createHash('sha1').update(login).digest('hex').slice(0, 6), 16) % 1_000_000);
    return {
      login,
      id,
      node_id: Buffer.from(`04:User${id}`).toString('base64'),
      avatar_url: `https://avatars.example.invalid/u/${id}`,
      gravatar_id: '',
      url: `${this.baseUrl}/users/${encodeURIComponent(login)}`,
      html_url: `http://${this.host}/${login}`,
      followers_url: '',
      following_url: '',
      gists_url: '',
      starred_url: '',
      subscriptions_url: '',
      organizations_url: '',
      repos_url: '',
      events_url: '',
      received_events_url: '',
      type: isBot ? 'Bot' : 'User',
      site_admin: false,
    };
  }

  private app(): Json {
    const now = '2024-01-01T00:00:00Z';
    return {
      id: this.options.appId,
      slug: this.appSlug,
      node_id: 'A_app',
      client_id: 'Iv1.fake',
      owner: this.user('octo-org'),
      name: 'Drillbot',
      description: 'fake',
      external_url: 'https://example.invalid',
      html_url: `http://${this.host}/apps/${this.appSlug}`,
      created_at: now,
      updated_at: now,
      permissions: { checks: 'write', pull_requests: 'write', contents: 'read', issues: 'write', metadata: 'read' },
      events: ['pull_request', 'issue_comment', 'check_run', 'check_suite'],
      installations_count: 1,
    };
  }

  private repoJson(repo: FakeRepo): Json {
    const url = `${this.baseUrl}/repos/${repo.fullName}`;
    return {
      id: repo.id,
      node_id: `R_${repo.id}`,
      name: repo.name,
      full_name: repo.fullName,
      private: false,
      owner: this.user(repo.owner),
      html_url: `http://${this.host}/${repo.fullName}`,
      description: null,
      fork: false,
      url,
      default_branch: repo.defaultBranch,
      archived: false,
      disabled: false,
      visibility: 'public',
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      pushed_at: '2024-01-01T00:00:00Z',
    };
  }

  private pullJson(repo: FakeRepo, pull: Pull): Json {
    const url = `${this.baseUrl}/repos/${repo.fullName}/pulls/${pull.number}`;
    const side = (s: { ref: string; sha: string }) => ({
      label: `${repo.owner}:${s.ref}`,
      ref: s.ref,
      sha: s.sha,
      user: this.user(repo.owner),
      repo: this.repoJson(repo),
    });
    return {
      url,
      id: repo.id * 1000 + pull.number,
      node_id: `PR_${pull.number}`,
      html_url: `http://${this.host}/${repo.fullName}/pull/${pull.number}`,
      diff_url: `http://${this.host}/${repo.fullName}/pull/${pull.number}.diff`,
      patch_url: `http://${this.host}/${repo.fullName}/pull/${pull.number}.patch`,
      issue_url: `${this.baseUrl}/repos/${repo.fullName}/issues/${pull.number}`,
      number: pull.number,
      state: 'open',
      locked: false,
      title: pull.title,
      user: this.user(pull.author),
      body: pull.body,
      created_at: pull.created_at,
      updated_at: pull.created_at,
      closed_at: null,
      merged_at: null,
      merge_commit_sha: null,
      draft: false,
      head: side(pull.head),
      base: side(pull.base),
      author_association: 'CONTRIBUTOR',
      merged: false,
      mergeable: true,
      commits: 1,
      additions: pull.files.reduce((n, f) => n + f.additions, 0),
      deletions: pull.files.reduce((n, f) => n + f.deletions, 0),
      changed_files: pull.files.length,
    };
  }

  private fileJson(repo: FakeRepo, f: PullFile, ref: string): Json {
    return {
      sha: f.sha,
      filename: f.filename,
      status: f.status,
      additions: f.additions,
      deletions: f.deletions,
      changes: f.changes,
      blob_url: `http://${this.host}/${repo.fullName}/blob/${ref}/${f.filename}`,
      raw_url: `http://${this.host}/${repo.fullName}/raw/${ref}/${f.filename}`,
      contents_url: `${this.baseUrl}/repos/${repo.fullName}/contents/${f.filename}?ref=${ref}`,
      patch: f.patch,
    };
  }

  private commitJson(repo: FakeRepo, c: Commit): Json {
    const person = { name: 'Test', email: 't@example.invalid', date: c.date };
    return {
      sha: c.sha,
      node_id: `C_${c.sha}`,
      url: `${this.baseUrl}/repos/${repo.fullName}/commits/${c.sha}`,
      html_url: `http://${this.host}/${repo.fullName}/commit/${c.sha}`,
      comments_url: '',
      commit: { author: person, committer: person, message: c.message, tree: { sha: c.tree, url: '' }, url: '', comment_count: 0 },
      author: null,
      committer: null,
      parents: c.parents.map((sha) => ({ sha, url: '' })),
    };
  }

  private checkRunJson(repo: FakeRepo, run: FakeCheckRun): Json {
    const pulls = [...repo.pulls.values()].filter((p) => p.head.sha === run.head_sha);
    return {
      id: run.id,
      node_id: `CR_${run.id}`,
      head_sha: run.head_sha,
      external_id: run.external_id,
      url: `${this.baseUrl}/repos/${repo.fullName}/check-runs/${run.id}`,
      html_url: `http://${this.host}/${repo.fullName}/runs/${run.id}`,
      details_url: run.details_url,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.started_at,
      completed_at: run.completed_at,
      output: {
        ...run.output,
        annotations_count: run.annotations.length,
        annotations_url: `${this.baseUrl}/repos/${repo.fullName}/check-runs/${run.id}/annotations`,
      },
      name: run.name,
      check_suite: { id: 1 },
      app: this.app(),
      pull_requests: pulls.map((p) => ({
        id: repo.id * 1000 + p.number,
        number: p.number,
        url: `${this.baseUrl}/repos/${repo.fullName}/pulls/${p.number}`,
        head: { ref: p.head.ref, sha: p.head.sha, repo: { id: repo.id, url: '', name: repo.name } },
        base: { ref: p.base.ref, sha: p.base.sha, repo: { id: repo.id, url: '', name: repo.name } },
      })),
    };
  }

  private issueCommentJson(repo: FakeRepo, c: FakeIssueComment): Json {
    const byApp = c.user === this.botLogin;
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${this.baseUrl}/repos/${repo.fullName}/issues/comments/${c.id}`,
      html_url: `http://${this.host}/${repo.fullName}/pull/${c.issue}#issuecomment-${c.id}`,
      issue_url: `${this.baseUrl}/repos/${repo.fullName}/issues/${c.issue}`,
      body: c.body,
      user: this.user(c.user),
      created_at: c.created_at,
      updated_at: c.updated_at,
      author_association: byApp ? 'NONE' : 'CONTRIBUTOR',
      performed_via_github_app: byApp ? this.app() : null,
      reactions: this.reactionSummary(c.id),
    };
  }

  private reactionSummary(commentId: number): Json {
    const mine = this.reactions.filter((r) => r.comment_id === commentId);
    const count = (content: string) => mine.filter((r) => r.content === content).length;
    return {
      url: '',
      total_count: mine.length,
      '+1': count('+1'),
      '-1': count('-1'),
      laugh: count('laugh'),
      confused: count('confused'),
      heart: count('heart'),
      hooray: count('hooray'),
      eyes: count('eyes'),
      rocket: count('rocket'),
    };
  }

  private reviewJson(repo: FakeRepo, r: FakeReview): Json {
    return {
      id: r.id,
      node_id: `PRR_${r.id}`,
      user: this.user(r.user),
      body: r.body,
      state: r.state,
      html_url: `http://${this.host}/${repo.fullName}/pull/${r.pull}#pullrequestreview-${r.id}`,
      pull_request_url: `${this.baseUrl}/repos/${repo.fullName}/pulls/${r.pull}`,
      _links: { html: { href: '' }, pull_request: { href: '' } },
      submitted_at: r.submitted_at ?? undefined,
      commit_id: r.commit_id,
      author_association: 'NONE',
    };
  }

  private reviewCommentJson(repo: FakeRepo, pull: number, c: FakeReviewComment): Json {
    return {
      url: `${this.baseUrl}/repos/${repo.fullName}/pulls/comments/${c.id}`,
      pull_request_review_id: c.pull_request_review_id,
      id: c.id,
      node_id: `PRRC_${c.id}`,
      diff_hunk: c.diff_hunk,
      path: c.path,
      position: c.position,
      original_position: c.position,
      commit_id: c.commit_id,
      original_commit_id: c.commit_id,
      user: this.user(c.user),
      body: c.body,
      created_at: c.created_at,
      updated_at: c.updated_at,
      html_url: `http://${this.host}/${repo.fullName}/pull/${pull}#discussion_r${c.id}`,
      pull_request_url: `${this.baseUrl}/repos/${repo.fullName}/pulls/${pull}`,
      author_association: 'NONE',
      _links: { self: { href: '' }, html: { href: '' }, pull_request: { href: '' } },
      start_line: c.start_line,
      original_start_line: c.start_line,
      start_side: c.start_line ? c.side : null,
      line: c.line,
      original_line: c.line,
      side: c.side,
      subject_type: 'line',
    };
  }

  private paginate(items: unknown[], ctx: RequestContext, wrap?: (page: unknown[]) => unknown): Reply {
    const perPage = Math.min(Math.max(Number(ctx.query.per_page ?? 30) || 30, 1), 100);
    const page = Math.max(Number(ctx.query.page ?? 1) || 1, 1);
    const pages = Math.max(Math.ceil(items.length / perPage), 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const link = (p: number, rel: string) => {
      const u = new URL(ctx.url);
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('page', String(p));
      return `<${u.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page < pages) links.push(link(page + 1, 'next'), link(pages, 'last'));
    if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
    return { status: 200, body: wrap ? wrap(slice) : slice, headers: links.length ? { link: links.join(', ') } : {} };
  }

  // ---------------------------------------------------------------------------------------------
  // Routes

  private on(method: string, template: string, handler: Route['handler']): void {
    this.routes.push({ method, regex: routeRegex(template), handler });
  }

  private repoOf(ctx: RequestContext): FakeRepo | undefined {
    return this.repos.get(`${ctx.params[0]}/${ctx.params[1]}`.toLowerCase());
  }

  private defineRoutes(): void {
    const withRepo = (fn: (repo: FakeRepo, ctx: RequestContext) => Reply | Promise<Reply>) => (ctx: RequestContext) => {
      const repo = this.repoOf(ctx);
      return repo ? fn(repo, ctx) : notFound();
    };
    const withPull = (fn: (repo: FakeRepo, pull: Pull, ctx: RequestContext) => Reply) =>
      withRepo((repo, ctx) => {
        const pull = repo.pulls.get(Number(ctx.params[2]));
        return pull ? fn(repo, pull, ctx) : notFound();
      });

    // --- app and installation
    this.on('GET', '/app', () => ({ status: 200, body: this.app() }));
    this.on('GET', '/app/installations', (ctx) => this.paginate([this.installationJson()], ctx));
    this.on('GET', '/app/installations/{id}', (ctx) =>
      Number(ctx.params[0]) === this.options.installationId ? { status: 200, body: this.installationJson() } : notFound(),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/installation',
      withRepo(() => ({ status: 200, body: this.installationJson() })),
    );
    this.on('POST', '/app/installations/{id}/access_tokens', (ctx) => {
      const id = Number(ctx.params[0]);
      if (id !== this.options.installationId) return notFound();
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      this.tokens.set(token, id);
      return {
        status: 201,
        body: {
          token,
          expires_at: new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
          permissions: this.app().permissions,
          repository_selection: 'all',
        },
      };
    });
    this.on('GET', '/installation/repositories', (ctx) =>
      this.paginate(
        [...this.repos.values()].map((r) => this.repoJson(r)),
        ctx,
        (page) => ({ total_count: this.repos.size, repositories: page }),
      ),
    );

    // --- repository, contents and git data
    this.on(
      'GET',
      '/repos/{owner}/{repo}',
      withRepo((repo) => ({ status: 200, body: this.repoJson(repo) })),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/contents/{path+}',
      withRepo((repo, ctx) => {
        const path = ctx.params[2].replace(/^\/+/, '');
        const commit = repo.resolve(ctx.query.ref ?? repo.defaultBranch);
        if (!commit) return notFound('No commit found for the ref');
        const blob = commit.files.get(path);
        if (blob !== undefined) {
          const content = repo.blobs.get(blob)!;
          if (/raw/.test(String(ctx.headers.accept))) return { status: 200, raw: content };
          return {
            status: 200,
            body: {
              type: 'file',
              encoding: 'base64',
              size: Buffer.byteLength(content),
              name: path.split('/').pop(),
              path,
              content: Buffer.from(content).toString('base64'),
              sha: blob,
              url: `${this.baseUrl}/repos/${repo.fullName}/contents/${path}`,
              git_url: null,
              html_url: null,
              download_url: null,
              _links: { self: '', git: null, html: null },
            },
          };
        }
        const prefix = path === '' ? '' : `${path}/`;
        const children = new Map<string, 'file' | 'dir'>();
        for (const p of commit.files.keys()) {
          if (!p.startsWith(prefix)) continue;
          const rest = p.slice(prefix.length);
          const slash = rest.indexOf('/');
          children.set(slash < 0 ? rest : rest.slice(0, slash), slash < 0 ? 'file' : 'dir');
        }
        if (children.size === 0) return notFound();
        return {
          status: 200,
          body: [...children].map(([name, type]) => ({
            type,
            name,
            path: `${prefix}${name}`,
            sha: type === 'file' ? commit.files.get(`${prefix}${name}`) : '0'.repeat(40),
            size: type === 'file' ? Buffer.byteLength(repo.blobs.get(commit.files.get(`${prefix}${name}`)!)!) : 0,
            url: '',
            git_url: null,
            html_url: null,
            download_url: null,
            _links: { self: '', git: null, html: null },
          })),
        };
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/git/trees/{sha}',
      withRepo((repo, ctx) => {
        const ref = ctx.params[2];
        const rootSha = repo.trees.has(ref) ? ref : repo.resolve(ref)?.tree;
        if (!rootSha) return notFound();
        const recursive = ctx.query.recursive !== undefined && ctx.query.recursive !== '0' && ctx.query.recursive !== 'false';
        const entries: Json[] = [];
        const walk = (sha: string, prefix: string) => {
          for (const e of repo.trees.get(sha) ?? []) {
            const path = `${prefix}${e.path}`;
            const size = e.type === 'blob' ? (repo.bytesOf(e.sha)?.length ?? 0) : undefined;
            entries.push({
              path,
              mode: e.mode,
              type: e.type,
              sha: e.sha,
              ...(size !== undefined ? { size } : {}),
              url: `${this.baseUrl}/repos/${repo.fullName}/git/${e.type}s/${e.sha}`,
            });
            if (recursive && e.type === 'tree') walk(e.sha, `${path}/`);
          }
        };
        walk(rootSha, '');
        return { status: 200, body: { sha: rootSha, url: `${this.baseUrl}/repos/${repo.fullName}/git/trees/${rootSha}`, tree: entries, truncated: false } };
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/git/blobs/{sha}',
      withRepo((repo, ctx) => {
        const content = repo.bytesOf(ctx.params[2]);
        if (content === undefined) return notFound();
        if (/raw/.test(String(ctx.headers.accept))) return { status: 200, raw: content.toString('utf8') };
        return {
          status: 200,
          body: { sha: ctx.params[2], node_id: `B_${ctx.params[2]}`, size: content.length, url: '', content: content.toString('base64'), encoding: 'base64' },
        };
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/git/commits/{sha}',
      withRepo((repo, ctx) => {
        const c = repo.commits.get(ctx.params[2]);
        if (!c) return notFound();
        const person = { name: 'Test', email: 't@example.invalid', date: c.date };
        return {
          status: 200,
          body: {
            sha: c.sha,
            node_id: '',
            url: '',
            html_url: '',
            author: person,
            committer: person,
            message: c.message,
            tree: { sha: c.tree, url: '' },
            parents: c.parents.map((sha) => ({ sha, url: '', html_url: '' })),
            verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
          },
        };
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/commits/{ref}',
      withRepo((repo, ctx) => {
        const c = repo.resolve(ctx.params[2]);
        if (!c) return unprocessable(`No commit found for SHA: ${ctx.params[2]}`);
        const parent = c.parents[0];
        const files = parent ? diffCommits(repo, parent, c.sha).map((f) => this.fileJson(repo, f, c.sha)) : [];
        return { status: 200, body: { ...this.commitJson(repo, c), files, stats: { total: 0, additions: 0, deletions: 0 } } };
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/compare/{basehead}',
      withRepo((repo, ctx) => {
        const m = /^(.+?)\.\.\.(.+)$/.exec(ctx.params[2]);
        if (!m) return notFound();
        const base = repo.resolve(m[1]);
        const head = repo.resolve(m[2]);
        if (!base || !head) return notFound();
        // The fake's history is linear, so the merge base is the base whenever the head descends from it.
        const commits: Commit[] = [];
        for (let c: Commit | undefined = head; c && c.sha !== base.sha; c = repo.commits.get(c.parents[0])) commits.unshift(c);
        const files = diffCommits(repo, base.sha, head.sha).map((f) => this.fileJson(repo, f, head.sha));
        const page = this.paginate(
          commits.map((c) => this.commitJson(repo, c)),
          ctx,
        );
        return {
          status: 200,
          headers: page.headers,
          body: {
            url: '',
            html_url: '',
            permalink_url: '',
            diff_url: '',
            patch_url: '',
            base_commit: this.commitJson(repo, base),
            merge_base_commit: this.commitJson(repo, base),
            status: commits.length ? 'ahead' : 'identical',
            ahead_by: commits.length,
            behind_by: 0,
            total_commits: commits.length,
            commits: page.body,
            files,
          },
        };
      }),
    );

    // --- pull requests
    this.on(
      'GET',
      '/repos/{owner}/{repo}/pulls',
      withRepo((repo, ctx) =>
        this.paginate(
          [...repo.pulls.values()].map((p) => this.pullJson(repo, p)),
          ctx,
        ),
      ),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/pulls/{n}',
      withPull((repo, pull, ctx) => {
        if (/diff/.test(String(ctx.headers.accept))) {
          const diff = pull.files
            .map(
              (f) =>
                `diff --git a/${f.filename} b/${f.filename}\n--- ${f.status === 'added' ? '/dev/null' : `a/${f.filename}`}\n+++ ${f.status === 'removed' ? '/dev/null' : `b/${f.filename}`}\n${f.patch}\n`,
            )
            .join('');
          return { status: 200, raw: diff };
        }
        return { status: 200, body: this.pullJson(repo, pull) };
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/pulls/{n}/files',
      withPull((repo, pull, ctx) =>
        this.paginate(
          pull.files.map((f) => this.fileJson(repo, f, pull.head.sha)),
          ctx,
        ),
      ),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/pulls/{n}/commits',
      withPull((repo, pull, ctx) => this.paginate([this.commitJson(repo, repo.commits.get(pull.head.sha)!)], ctx)),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/pulls/{n}/reviews',
      withPull((repo, pull, ctx) =>
        // Pending reviews are visible to their author only, and the app is the only author here.
        this.paginate(
          this.reviews.filter((r) => r.pull === pull.number).map((r) => this.reviewJson(repo, r)),
          ctx,
        ),
      ),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/pulls/{n}/reviews/{id}',
      withPull((repo, pull, ctx) => {
        const r = this.reviews.find((x) => x.pull === pull.number && x.id === Number(ctx.params[3]));
        return r ? { status: 200, body: this.reviewJson(repo, r) } : notFound();
      }),
    );
    this.on(
      'DELETE',
      '/repos/{owner}/{repo}/pulls/{n}/reviews/{id}',
      withPull((repo, pull, ctx) => {
        const i = this.reviews.findIndex((x) => x.pull === pull.number && x.id === Number(ctx.params[3]));
        if (i < 0) return notFound();
        if (this.reviews[i].state !== 'PENDING') return unprocessable('Can not delete a non-pending pull request review');
        const [r] = this.reviews.splice(i, 1);
        for (let j = this.reviewComments.length - 1; j >= 0; j--) if (this.reviewComments[j].pull_request_review_id === r.id) this.reviewComments.splice(j, 1);
        return { status: 200, body: this.reviewJson(repo, r) };
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/pulls/{n}/reviews/{id}/comments',
      withPull((repo, pull, ctx) =>
        this.paginate(
          this.reviewComments.filter((c) => c.pull_request_review_id === Number(ctx.params[3])).map((c) => this.reviewCommentJson(repo, pull.number, c)),
          ctx,
        ),
      ),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/pulls/{n}/comments',
      withPull((repo, pull, ctx) =>
        this.paginate(
          this.commentsOf(pull).map((c) => this.reviewCommentJson(repo, pull.number, c)),
          ctx,
        ),
      ),
    );
    this.on(
      'POST',
      '/repos/{owner}/{repo}/pulls/{n}/reviews',
      withPull((repo, pull, ctx) => this.createReview(repo, pull, ctx.body as Json)),
    );
    this.on(
      'POST',
      '/repos/{owner}/{repo}/pulls/{n}/comments',
      withPull((repo, pull, ctx) => {
        // The body matched the operation's schema before any handler runs (see above), so path and body are there.
        const b = ctx.body as Json & CommentInput;
        if (!b.commit_id || !repo.commits.has(String(b.commit_id))) return unprocessable('commit_id is not part of the pull request');
        const anchored = this.anchor(pull, b);
        if ('message' in anchored) return unprocessable('Validation Failed', [{ resource: 'PullRequestReviewComment', message: anchored.message }]);
        const c = this.addReviewComment(pull, null, b, anchored, String(b.commit_id));
        return { status: 201, body: this.reviewCommentJson(repo, pull.number, c) };
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/pulls/comments/{id}',
      withRepo((repo, ctx) => {
        const c = this.reviewComments.find((x) => x.id === Number(ctx.params[2]));
        return c ? { status: 200, body: this.reviewCommentJson(repo, this.pullOfComment(c), c) } : notFound();
      }),
    );
    this.on(
      'PATCH',
      '/repos/{owner}/{repo}/pulls/comments/{id}',
      withRepo((repo, ctx) => {
        const c = this.reviewComments.find((x) => x.id === Number(ctx.params[2]));
        if (!c) return notFound();
        if (c.user !== this.botLogin)
          this.schemaViolations.push({ request: `PATCH review comment ${c.id}`, problem: `edits a review comment written by ${c.user}` });
        c.body = String((ctx.body as Json).body);
        c.updated_at = stamp();
        return { status: 200, body: this.reviewCommentJson(repo, this.pullOfComment(c), c) };
      }),
    );
    this.on(
      'DELETE',
      '/repos/{owner}/{repo}/pulls/comments/{id}',
      withRepo((_repo, ctx) => {
        const i = this.reviewComments.findIndex((x) => x.id === Number(ctx.params[2]));
        if (i < 0) return notFound();
        this.reviewComments.splice(i, 1);
        return { status: 204 };
      }),
    );

    // --- check runs
    this.on(
      'POST',
      '/repos/{owner}/{repo}/check-runs',
      withRepo((repo, ctx) => {
        const b = ctx.body as Json;
        if (!repo.commits.has(String(b.head_sha))) return unprocessable(`No commit found for SHA: ${String(b.head_sha)}`);
        const limits = checkRunLimitProblems(b);
        if (limits.length) return unprocessable('Invalid request.', limits);
        const run: FakeCheckRun = {
          id: this.newId(),
          name: String(b.name),
          head_sha: String(b.head_sha),
          status: 'queued',
          conclusion: null,
          started_at: stamp(),
          completed_at: null,
          external_id: null,
          details_url: null,
          output: { title: null, summary: null, text: null },
          annotations: [],
          actions: [],
          history: [],
          created_seq: this.seq + 1,
          updated_seq: this.seq + 1,
        };
        this.applyCheckRun(run, b);
        this.checkRuns.push(run);
        return { status: 201, body: this.checkRunJson(repo, run) };
      }),
    );
    this.on(
      'PATCH',
      '/repos/{owner}/{repo}/check-runs/{id}',
      withRepo((repo, ctx) => {
        const run = this.checkRuns.find((r) => r.id === Number(ctx.params[2]));
        if (!run) return notFound();
        const limits = checkRunLimitProblems(ctx.body);
        if (limits.length) return unprocessable('Invalid request.', limits);
        this.applyCheckRun(run, ctx.body as Json);
        return { status: 200, body: this.checkRunJson(repo, run) };
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/check-runs/{id}',
      withRepo((repo, ctx) => {
        const run = this.checkRuns.find((r) => r.id === Number(ctx.params[2]));
        return run ? { status: 200, body: this.checkRunJson(repo, run) } : notFound();
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/check-runs/{id}/annotations',
      withRepo((_repo, ctx) => {
        const run = this.checkRuns.find((r) => r.id === Number(ctx.params[2]));
        return run
          ? this.paginate(
              run.annotations.map((a) => ({ blob_href: '', ...a })),
              ctx,
            )
          : notFound();
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/commits/{ref}/check-runs',
      withRepo((repo, ctx) => {
        const commit = repo.resolve(ctx.params[2]);
        if (!commit) return unprocessable(`No commit found for SHA: ${ctx.params[2]}`);
        let runs = this.checkRuns.filter((r) => r.head_sha === commit.sha);
        if (ctx.query.check_name) runs = runs.filter((r) => r.name === ctx.query.check_name);
        if (ctx.query.status) runs = runs.filter((r) => r.status === ctx.query.status);
        if (ctx.query.app_id && Number(ctx.query.app_id) !== this.options.appId) runs = [];
        if ((ctx.query.filter ?? 'latest') === 'latest') runs = runs.filter((r) => !runs.some((o) => o.name === r.name && o.id > r.id));
        runs = [...runs].sort((a, b) => b.id - a.id);
        return this.paginate(
          runs.map((r) => this.checkRunJson(repo, r)),
          ctx,
          (page) => ({ total_count: runs.length, check_runs: page }),
        );
      }),
    );

    // --- issue comments and reactions
    this.on(
      'GET',
      '/repos/{owner}/{repo}/issues/{n}/comments',
      withRepo((repo, ctx) => {
        const n = Number(ctx.params[2]);
        if (!repo.pulls.has(n)) return notFound();
        return this.paginate(
          this.issueComments.filter((c) => c.issue === n).map((c) => this.issueCommentJson(repo, c)),
          ctx,
        );
      }),
    );
    this.on(
      'POST',
      '/repos/{owner}/{repo}/issues/{n}/comments',
      withRepo((repo, ctx) => {
        const n = Number(ctx.params[2]);
        if (!repo.pulls.has(n)) return notFound();
        const limits = commentBodyProblems(ctx.body, 'issue comment');
        if (limits.length) return unprocessable('Validation Failed', limits);
        const now = stamp();
        const body = String((ctx.body as Json).body);
        const c: FakeIssueComment = {
          id: this.newId(),
          issue: n,
          user: this.botLogin,
          body,
          created_at: now,
          updated_at: now,
          created_seq: this.seq + 1,
          updated_seq: this.seq + 1,
          history: [body],
        };
        this.issueComments.push(c);
        return { status: 201, body: this.issueCommentJson(repo, c) };
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/issues/comments/{id}',
      withRepo((repo, ctx) => {
        const c = this.issueComments.find((x) => x.id === Number(ctx.params[2]));
        return c ? { status: 200, body: this.issueCommentJson(repo, c) } : notFound();
      }),
    );
    this.on(
      'PATCH',
      '/repos/{owner}/{repo}/issues/comments/{id}',
      withRepo((repo, ctx) => {
        const c = this.issueComments.find((x) => x.id === Number(ctx.params[2]));
        if (!c) return notFound();
        const limits = commentBodyProblems(ctx.body, 'issue comment');
        if (limits.length) return unprocessable('Validation Failed', limits);
        // An app with issues:write may edit anyone's comment; doing so to a person's comment is a bug.
        if (c.user !== this.botLogin) this.schemaViolations.push({ request: `PATCH issue comment ${c.id}`, problem: `edits a comment written by ${c.user}` });
        c.body = String((ctx.body as Json).body);
        c.history.push(c.body);
        c.updated_at = stamp();
        c.updated_seq = this.seq + 1;
        return { status: 200, body: this.issueCommentJson(repo, c) };
      }),
    );
    this.on(
      'DELETE',
      '/repos/{owner}/{repo}/issues/comments/{id}',
      withRepo((_repo, ctx) => {
        const i = this.issueComments.findIndex((x) => x.id === Number(ctx.params[2]));
        if (i < 0) return notFound();
        this.issueComments.splice(i, 1);
        return { status: 204 };
      }),
    );
    this.on(
      'GET',
      '/repos/{owner}/{repo}/issues/comments/{id}/reactions',
      withRepo((_repo, ctx) => {
        const id = Number(ctx.params[2]);
        return this.paginate(
          this.reactions.filter((r) => r.comment_id === id && (!ctx.query.content || r.content === ctx.query.content)).map((r) => this.reactionJson(r)),
          ctx,
        );
      }),
    );
    this.on(
      'POST',
      '/repos/{owner}/{repo}/issues/comments/{id}/reactions',
      withRepo((_repo, ctx) => {
        const id = Number(ctx.params[2]);
        if (!this.issueComments.some((c) => c.id === id)) return notFound();
        const content = String((ctx.body as Json).content);
        const existing = this.reactions.find((r) => r.comment_id === id && r.user === this.botLogin && r.content === content);
        if (existing) return { status: 200, body: this.reactionJson(existing) };
        const r: FakeReaction = { id: this.newId(), comment_id: id, user: this.botLogin, content, seq: this.seq + 1 };
        this.reactions.push(r);
        return { status: 201, body: this.reactionJson(r) };
      }),
    );
    this.on(
      'DELETE',
      '/repos/{owner}/{repo}/issues/comments/{id}/reactions/{rid}',
      withRepo((_repo, ctx) => {
        const i = this.reactions.findIndex((r) => r.comment_id === Number(ctx.params[2]) && r.id === Number(ctx.params[3]));
        if (i < 0) return notFound();
        this.reactions.splice(i, 1);
        return { status: 204 };
      }),
    );

    // --- collaborators
    this.on(
      'GET',
      '/repos/{owner}/{repo}/collaborators/{user}/permission',
      withRepo((repo, ctx) => {
        const login = ctx.params[2];
        const role = repo.permissions.get(login) ?? (login === repo.owner ? 'admin' : 'none');
        // The legacy `permission` field folds maintain into write and triage into read.
        const legacy = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
        const rank = ['none', 'read', 'triage', 'write', 'maintain', 'admin'].indexOf(role);
        return {
          status: 200,
          body: {
            permission: legacy,
            role_name: role,
            user: {
              ...this.user(login),
              permissions: { pull: rank >= 1, triage: rank >= 2, push: rank >= 3, maintain: rank >= 4, admin: rank >= 5 },
              role_name: role,
            },
          },
        };
      }),
    );
  }

  private installationJson(): Json {
    return {
      id: this.options.installationId,
      account: this.user('octo-org'),
      repository_selection: 'all',
      access_tokens_url: `${this.baseUrl}/app/installations/${this.options.installationId}/access_tokens`,
      repositories_url: `${this.baseUrl}/installation/repositories`,
      html_url: '',
      app_id: this.options.appId,
      target_id: 1,
      target_type: 'Organization',
      permissions: this.app().permissions,
      events: this.app().events,
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      single_file_name: null,
      app_slug: this.appSlug,
      suspended_by: null,
      suspended_at: null,
    };
  }

  private reactionJson(r: FakeReaction): Json {
    return { id: r.id, node_id: `REA_${r.id}`, user: this.user(r.user), content: r.content, created_at: stamp() };
  }

  private commentsOf(pull: Pull): FakeReviewComment[] {
    const reviewIds = new Set(this.reviews.filter((r) => r.pull === pull.number && r.state !== 'PENDING').map((r) => r.id));
    return this.reviewComments.filter((c) =>
      c.pull_request_review_id === null ? this.pullOfComment(c) === pull.number : reviewIds.has(c.pull_request_review_id),
    );
  }

  private readonly commentPull = new Map<number, number>();

  private pullOfComment(c: FakeReviewComment): number {
    return this.commentPull.get(c.id) ?? 0;
  }

  private applyCheckRun(run: FakeCheckRun, b: Json): void {
    run.history.push(structuredClone(b));
    run.updated_seq = this.seq + 1;
    if (typeof b.name === 'string') run.name = b.name;
    if (typeof b.status === 'string') run.status = b.status;
    if (typeof b.conclusion === 'string') {
      run.conclusion = b.conclusion;
      run.status = 'completed';
    }
    if (run.status === 'completed' && !run.completed_at) run.completed_at = typeof b.completed_at === 'string' ? b.completed_at : stamp();
    if (run.status !== 'completed') {
      // Re-queuing a completed run (GitHub allows it) clears the conclusion.
      run.conclusion = null;
      run.completed_at = null;
    }
    if (typeof b.started_at === 'string') run.started_at = b.started_at;
    if (typeof b.external_id === 'string') run.external_id = b.external_id;
    if (typeof b.details_url === 'string') run.details_url = b.details_url;
    const out = b.output as { title?: string; summary?: string; text?: string; annotations?: Json[] } | undefined;
    if (out) {
      run.output = { title: out.title ?? run.output.title, summary: out.summary ?? run.output.summary, text: out.text ?? run.output.text };
      // "Each time you update the check run, annotations are appended."
      if (out.annotations) run.annotations.push(...out.annotations);
    }
    if (Array.isArray(b.actions)) run.actions = b.actions as FakeCheckRun['actions'];
  }

  private createReview(repo: FakeRepo, pull: Pull, b: Json): Reply {
    const commitId = typeof b.commit_id === 'string' ? b.commit_id : pull.head.sha;
    if (!repo.commits.has(commitId)) return unprocessable('Validation Failed', [{ resource: 'PullRequestReview', field: 'commit_id', code: 'invalid' }]);
    const event = b.event as string | undefined;
    if (event === 'REQUEST_CHANGES' && !b.body) return unprocessable('Unprocessable Entity', ['Review body is required when requesting changes']);
    const limits = commentBodyProblems(b, 'review');
    if (limits.length) return unprocessable('Validation Failed', limits);
    if (!event && this.reviews.some((r) => r.pull === pull.number && r.user === this.botLogin && r.state === 'PENDING')) {
      return unprocessable('Unprocessable Entity', ['User can only have one pending review per pull request']);
    }
    const inputs = (b.comments ?? []) as CommentInput[];
    const anchors: Array<ReturnType<FakeGitHub['anchor']>> = inputs.map((c) => this.anchor(pull, c));
    const errors = anchors.flatMap((a, i) =>
      'message' in a ? [`comments[${i}] (${inputs[i].path}:${inputs[i].line ?? inputs[i].position}): ${a.message}`] : [],
    );
    for (const [i, c] of inputs.entries()) errors.push(...commentBodyProblems(c, `comments[${i}]`));
    // One bad anchor fails the whole review: GitHub creates nothing.
    if (errors.length) return unprocessable('Unprocessable Entity', errors);
    const review: FakeReview = {
      id: this.newId(),
      pull: pull.number,
      user: this.botLogin,
      body: String(b.body ?? ''),
      state: !event ? 'PENDING' : event === 'APPROVE' ? 'APPROVED' : event === 'REQUEST_CHANGES' ? 'CHANGES_REQUESTED' : 'COMMENTED',
      commit_id: commitId,
      submitted_at: event ? stamp() : null,
    };
    this.reviews.push(review);
    inputs.forEach((c, i) => this.addReviewComment(pull, review.id, c, anchors[i] as DiffLine & { start?: DiffLine; file: PullFile }, commitId));
    return { status: 200, body: this.reviewJson(repo, review) };
  }

  private addReviewComment(
    pull: Pull,
    reviewId: number | null,
    c: CommentInput,
    a: DiffLine & { start?: DiffLine; file: PullFile },
    commitId: string,
  ): FakeReviewComment {
    const now = stamp();
    const comment: FakeReviewComment = {
      id: this.newId(),
      pull_request_review_id: reviewId,
      path: c.path,
      line: a.line,
      side: a.side,
      start_line: a.start?.line ?? null,
      body: c.body,
      commit_id: commitId,
      user: this.botLogin,
      created_at: now,
      updated_at: now,
      position: a.position,
      diff_hunk: a.file.patch
        .split('\n')
        .slice(0, a.position + 1)
        .join('\n'),
    };
    this.commentPull.set(comment.id, pull.number);
    this.reviewComments.push(comment);
    return comment;
  }

  /** Resolves a review comment's anchor the way GitHub does, or says why GitHub would answer 422. */
  private anchor(pull: Pull, c: CommentInput): (DiffLine & { start?: DiffLine; file: PullFile }) | { message: string } {
    const file = pull.files.find((f) => f.filename === c.path);
    if (!file) return { message: 'Path could not be resolved' };
    if (c.subject_type === 'file') return { message: 'file-level comments are not supported by the fake' };
    if (c.position !== undefined && c.line === undefined) {
      const at = file.lines.find((l) => l.position === c.position);
      return at ? { ...at, file } : { message: 'Pull request review thread position is invalid' };
    }
    if (typeof c.line !== 'number') return { message: 'Pull request review thread line must be part of the diff' };
    const side = c.side ?? 'RIGHT';
    const at = file.lines.find((l) => l.side === side && l.line === c.line);
    if (!at) return { message: 'Pull request review thread line must be part of the diff' };
    if (c.start_line === undefined || c.start_line === null) return { ...at, file };
    const startSide = c.start_side ?? side;
    const start = file.lines.find((l) => l.side === startSide && l.line === c.start_line);
    if (!start) return { message: 'Pull request review thread start line must be part of the diff' };
    if (start.hunk !== at.hunk) return { message: 'Pull request review thread start line must be part of the same hunk as the line' };
    if (start.position >= at.position) return { message: 'Pull request review thread start line must precede the end line' };
    return { ...at, start, file };
  }
}

interface CommentInput {
  path: string;
  body: string;
  line?: number;
  side?: 'LEFT' | 'RIGHT';
  start_line?: number;
  start_side?: 'LEFT' | 'RIGHT';
  position?: number;
  subject_type?: string;
}

// -----------------------------------------------------------------------------------------------
// Diffs

/** The files that differ between two commits, with GitHub-style patches (hunks only, no headers). */
export function diffCommits(repo: FakeRepo, baseSha: string, headSha: string): PullFile[] {
  const base = repo.commits.get(baseSha)!.files;
  const head = repo.commits.get(headSha)!.files;
  const paths = [...new Set([...base.keys(), ...head.keys()])].sort();
  const files: PullFile[] = [];
  for (const path of paths) {
    const a = base.get(path);
    const b = head.get(path);
    if (a === b) continue;
    const before = a === undefined ? '' : repo.blobs.get(a)!;
    const after = b === undefined ? '' : repo.blobs.get(b)!;
    const d = unifiedDiff(before, after);
    files.push({
      filename: path,
      status: a === undefined ? 'added' : b === undefined ? 'removed' : 'modified',
      additions: d.additions,
      deletions: d.deletions,
      changes: d.additions + d.deletions,
      patch: d.patch,
      sha: b ?? a!,
      lines: d.lines,
    });
  }
  return files;
}

/** A unified diff with three lines of context, as GitHub's `patch` field shows it. */
export function unifiedDiff(before: string, after: string, context = 3): { patch: string; additions: number; deletions: number; lines: DiffLine[] } {
  const split = (s: string) => {
    if (s === '') return { lines: [] as string[], eolAtEnd: true };
    const eolAtEnd = s.endsWith('\n');
    return { lines: (eolAtEnd ? s.slice(0, -1) : s).split('\n'), eolAtEnd };
  };
  const A = split(before);
  const B = split(after);
  const a = A.lines;
  const b = B.lines;
  // Longest common subsequence by dynamic programming: migration files are small.
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  type Op = { t: ' ' | '-' | '+'; text: string; ai: number; bi: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    // A last line whose only change is the trailing newline must show as changed.
    const same = i < n && j < m && a[i] === b[j] && !(i === n - 1 && j === m - 1 && A.eolAtEnd !== B.eolAtEnd);
    if (same) ops.push({ t: ' ', text: a[i], ai: i++, bi: j++ });
    // Deletions before insertions, as git prints them.
    else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ t: '-', text: a[i], ai: i++, bi: j });
    else ops.push({ t: '+', text: b[j], ai: i, bi: j++ });
  }
  const changed = ops.map((o, k) => (o.t !== ' ' ? k : -1)).filter((k) => k >= 0);
  const out: string[] = [];
  const lines: DiffLine[] = [];
  let position = 0;
  let hunkNo = 0;
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(changed[k] - context, 0);
    let end = Math.min(changed[k] + context, ops.length - 1);
    while (k + 1 < changed.length && changed[k + 1] - context <= end + 1) end = Math.min(changed[++k] + context, ops.length - 1);
    k++;
    const hunk = ops.slice(start, end + 1);
    const first = ops[start];
    const oldCount = hunk.filter((o) => o.t !== '+').length;
    const newCount = hunk.filter((o) => o.t !== '-').length;
    const oldStart = oldCount === 0 ? first.ai : first.ai + 1;
    const newStart = newCount === 0 ? first.bi : first.bi + 1;
    const range = (s: number, c: number) => (c === 1 ? `${s}` : `${s},${c}`);
    if (position > 0) position++; // a later hunk header counts as a diff position
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    hunkNo++;
    for (const o of hunk) {
      position++;
      out.push(`${o.t}${o.text}`);
      if (o.t !== '+') lines.push({ side: 'LEFT', line: o.ai + 1, hunk: hunkNo, position });
      if (o.t !== '-') lines.push({ side: 'RIGHT', line: o.bi + 1, hunk: hunkNo, position });
      const lastOld = o.t !== '+' && o.ai === n - 1 && !A.eolAtEnd;
      const lastNew = o.t !== '-' && o.bi === m - 1 && !B.eolAtEnd;
      if (lastOld || lastNew) out.push('\\ No newline at end of file');
    }
  }
  return { patch: out.join('\n'), additions: ops.filter((o) => o.t === '+').length, deletions: ops.filter((o) => o.t === '-').length, lines };
}

/** A route template ('/repos/{owner}/{repo}/contents/{path+}') as a regex capturing its parameters. */
function routeRegex(template: string): RegExp {
  const source = template
    .split(/(\{\w+\+?\})/)
    .map((part) => (part.startsWith('{') ? (part.endsWith('+}') ? '(.+)' : '([^/]+)') : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

function faultReply(fault: FaultSpec): Reply {
  const message = fault.message ?? (fault.status >= 500 ? 'Server Error' : `Injected failure ${fault.status}`);
  return { status: fault.status, headers: fault.headers, body: { message, documentation_url: 'https://docs.github.com/rest', status: String(fault.status) } };
}

function gitHash(type: string, content: Buffer): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]))
    .digest('hex');
}

function stamp(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
