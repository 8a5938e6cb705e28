import { spawn } from 'node:child_process';
import type { ClientConfig } from 'pg';

export interface ToolRun {
  readonly command: string;
  /** The exit code; null when the process was killed (the drill's deadline). */
  readonly exitCode: number | null;
  /** The end of what it printed (stdout and stderr together), for the report. */
  readonly output: string;
}

/** How much of a tool's output a finding quotes. */
const OUTPUT_TAIL = 2000;

/**
 * The environment variables migration tools read their database from: DATABASE_URL (node-pg-migrate,
 * Rails, dj-database-url, most knexfiles) and libpq's PG* variables (psycopg, node-postgres defaults).
 */
export function databaseEnvironment(login: ClientConfig): Record<string, string> {
  const host = login.host ?? '127.0.0.1';
  const port = String(login.port ?? 5432);
  const user = login.user ?? '';
  const password = String(login.password ?? '');
  const database = login.database ?? '';
  const url = `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`;
  return { DATABASE_URL: url, PGHOST: host, PGPORT: port, PGUSER: user, PGPASSWORD: password, PGDATABASE: database, PGSSLMODE: 'disable' };
}

/**
 * Runs a migration tool's command through the shell in `cwd`, against the database of `login`.
 * The signal kills the whole process group (npx starts the tool as a child of its own).
 */
export function runTool(command: string, cwd: string, login: ClientConfig, signal?: AbortSignal): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd,
      env: { ...process.env, ...databaseEnvironment(login) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const kill = () => child.pid && process.kill(-child.pid, 'SIGKILL');
    signal?.addEventListener('abort', kill, { once: true });
    child.on('error', reject);
    child.on('close', (exitCode) => {
      signal?.removeEventListener('abort', kill);
      resolve({ command, exitCode, output: output.trim() });
    });
  });
}
