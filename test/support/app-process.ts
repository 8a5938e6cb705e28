import { ROOT } from './build.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * The built app as a child process (`npm start`, or `node <script>` for a test entry point), with
 * its output kept for failure messages.
 */
export class AppProcess {
  output = '';
  exited: number | null | undefined;
  private child?: ChildProcess;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly command: readonly string[] = ['npm', 'start', '--silent'],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    // Its own process group, so that stopping it also stops the node process npm starts.
    const [file, ...args] = this.command;
    this.child = spawn(file, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...this.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.on('exit', (code, signal) => (this.exited = code ?? (signal ? -1 : null)));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.exited !== undefined) throw new Error(`${this.name} exited with ${this.exited} before listening:\n${this.output}`);
      try {
        await fetch(`${this.url}/api/github/webhooks`);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`${this.name} did not listen on ${this.url} within 60 s:\n${this.output}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** SIGTERM to the process group, SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid || this.exited !== undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => this.exited === undefined && process.kill(-child.pid!, 'SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }

  /** SIGKILL to the process group: a crash, with no chance to clean up. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid || this.exited !== undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    process.kill(-child.pid, 'SIGKILL');
    await gone;
  }

  tail(lines = 60): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** The environment of the app as a GitHub App talking to the fake GitHub (GitHub Enterprise over http) on `port`. */
export function appProcessEnv(
  app: { appId: number; privateKey: string; secret: string; gheHost: string },
  port: number,
  logLevel: string,
): Record<string, string> {
  return {
    APP_ID: String(app.appId),
    PRIVATE_KEY: app.privateKey,
    WEBHOOK_SECRET: app.secret,
    PORT: String(port),
    HOST: '127.0.0.1',
    GHE_HOST: app.gheHost,
    GHE_PROTOCOL: 'http',
    LOG_LEVEL: logLevel,
    NODE_ENV: 'test',
  };
}
