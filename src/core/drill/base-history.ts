import { createHash } from 'node:crypto';
import pg from 'pg';
import type { HistoryPrivileges } from '../config.js';
import type { Migration, MigrationScript } from '../layouts/layout.js';
import { lineLocator, parseScript } from '../sql/parse.js';
import { findTemplate, saveAsTemplate, type ShadowDatabase } from './databases.js';
import type { Guard } from './guard.js';
import { assertCanGrantSuperuser, vetFor, withHistoryPrivileges } from './history-privileges.js';
import type { ShadowServer } from './providers/provider.js';

/** Bump when what a template holds changes shape, so old caches are not reused. */
const TEMPLATE_FORMAT = 'drillbot-base-v2'; // v2: objects owned by pg_database_owner

/** The base history could not be replayed: production's history does not run on the shadow. */
export class BaseReplayError extends Error {
  constructor(
    message: string,
    readonly path: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export interface PreparedBase {
  readonly template: string;
  /** The template's cache key (baseKey), which its comment on the server holds. */
  readonly key: string;
  readonly cache: 'hit' | 'miss';
}

export interface BaseOptions {
  readonly setupSql?: string;
  /** Whose privileges the replay has (shadow.historyPrivileges); the change never gets more than the owner's. */
  readonly historyPrivileges: HistoryPrivileges;
  readonly useCache: boolean;
  readonly statementTimeoutMs: number;
  readonly onProgress: (message: string) => void;
  /** Creates the database the replay runs in, confined like the drill's others. */
  readonly guard: Guard;
  /** Registers the replay's connection, so the drill's deadline can close it. */
  readonly hold: (client: pg.Client) => void;
}

/** Content hash of everything that determines the base database: its template's cache key. */
export function baseKey(server: ShadowServer, base: readonly Migration[], setupSql = '', privileges: HistoryPrivileges = 'owner'): string {
  const hash = createHash('sha256').update(`${TEMPLATE_FORMAT}\0${server.major}\0${privileges}\0${setupSql}`);
  for (const m of base) hash.update(`\0${m.version}\0${m.forward.transaction}\0${m.forward.sql}`);
  return hash.digest('hex');
}

/**
 * Returns a template database holding the setup SQL and the base history, replaying it only when
 * no template for the same content exists (or the cache is off).
 */
export async function prepareBase(server: ShadowServer, base: readonly Migration[], opts: BaseOptions): Promise<PreparedBase> {
  assertCanGrantSuperuser(server, opts.historyPrivileges);
  const key = baseKey(server, base, opts.setupSql, opts.historyPrivileges);
  if (opts.useCache) {
    const template = await findTemplate(server, key);
    if (template) {
      opts.onProgress(`base history: ${base.length} migrations from the template cache`);
      return { template, key, cache: 'hit' };
    }
  }
  const build = await opts.guard.create('base');
  try {
    const vet = await vetFor(server, build, opts.historyPrivileges);
    await withHistoryPrivileges(server, build, opts.historyPrivileges, () => replay(build, base, opts));
    return { template: await saveAsTemplate(server, build.name, key, { vet, consume: true }), key, cache: 'miss' };
  } finally {
    await opts.guard.drop(build);
  }
}

async function replay(database: ShadowDatabase, base: readonly Migration[], opts: BaseOptions): Promise<void> {
  const client = new pg.Client(database.login);
  client.on('error', () => undefined);
  opts.hold(client);
  await client.connect();
  try {
    await client.query(`SET statement_timeout = ${Math.round(opts.statementTimeoutMs)}`);
    if (opts.setupSql) {
      opts.guard.running('shadow.setup', 1);
      await applyScript(client, { path: 'shadow.setup', sql: opts.setupSql, startLine: 1, transaction: 'transaction' });
    }
    const step = Math.max(1, Math.round(base.length / 20));
    for (const [i, migration] of base.entries()) {
      opts.guard.running(migration.forward.path, migration.forward.startLine);
      await applyScript(client, migration.forward);
      if ((i + 1) % step === 0 || i + 1 === base.length) opts.onProgress(`base history: ${i + 1}/${base.length} migrations applied`);
    }
  } finally {
    await client.end();
  }
}

/**
 * Applies a script the way its tool does, as fast as possible (no observation): one round trip for
 * transactional scripts, one per statement for non-transactional ones (CONCURRENTLY needs that).
 */
export async function applyScript(client: pg.ClientBase, script: MigrationScript): Promise<void> {
  if (script.transaction === 'none') {
    const parsed = await parseScript(script);
    if (!parsed.ok) throw new BaseReplayError(parsed.error.message, script.path, parsed.error.line);
    for (const statement of parsed.statements) {
      await run(client, statement.text, (offset) => lineLocator(statement.text, statement.line)(offset), script.path);
    }
    return;
  }
  // BEGIN goes on the same line as the script's first line so that error positions map 1:1.
  const prefix = script.transaction === 'transaction' ? 'BEGIN;' : '';
  const suffix = script.transaction === 'transaction' ? '\n;COMMIT;' : '';
  const lines = lineLocator(script.sql, script.startLine);
  try {
    await run(client, `${prefix}${script.sql}${suffix}`, (offset) => lines(Math.max(0, offset - prefix.length)), script.path);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error instanceof BaseReplayError && error.line === script.startLine ? await locateFailure(client, script, error) : error;
  }
}

/**
 * Errors without a position (a permission, a RAISE in a DO block) point at the script's first
 * line; the statements are run again one by one, in a transaction rolled back afterwards, to name
 * the one that fails the same way.
 */
async function locateFailure(client: pg.ClientBase, script: MigrationScript, failure: BaseReplayError): Promise<BaseReplayError> {
  const parsed = await parseScript(script);
  if (!parsed.ok || parsed.statements.length < 2) return failure;
  await client.query('BEGIN');
  try {
    for (const statement of parsed.statements) await run(client, statement.text, lineLocator(statement.text, statement.line), script.path);
    return failure;
  } catch (error) {
    return error instanceof BaseReplayError && error.message === failure.message ? error : failure;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

async function run(client: pg.ClientBase, sql: string, lineAt: (offset: number) => number, path: string): Promise<void> {
  try {
    await client.query(sql);
  } catch (error) {
    // The server's errors (pg's DatabaseError) carry a SQLSTATE; anything else is not the file's failure.
    const failure = error as Partial<pg.DatabaseError> | undefined;
    if (typeof failure?.code !== 'string') throw error;
    const line = failure.position ? lineAt(Number(failure.position) - 1) : lineAt(0);
    throw new BaseReplayError(`${failure.message} (SQLSTATE ${failure.code})`, path, line);
  }
}
