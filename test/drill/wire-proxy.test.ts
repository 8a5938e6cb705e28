import pg from 'pg';
import { ObservingProxy } from '../../src/core/drill/wire-proxy.js';
import { createScratchDatabase, dropScratchDatabase, LOCAL_SERVER, type ScratchDatabase } from '../support/scratch-database.js';

let scratch: ScratchDatabase | undefined;
let proxy: ObservingProxy;
let tool: pg.Client;

beforeAll(async () => {
  scratch = await createScratchDatabase('wire_proxy');
  await scratch.client.query('CREATE TABLE users (id int PRIMARY KEY, email text); INSERT INTO users SELECT g, g::text FROM generate_series(1, 1000) g');
  const login = { ...LOCAL_SERVER, database: scratch.name };
  proxy = new ObservingProxy(login, async () => {
    const sampler = new pg.Client(login);
    await sampler.connect();
    return sampler;
  });
  const port = await proxy.start();
  tool = new pg.Client({ ...login, host: '127.0.0.1', port });
  await tool.connect();
});

afterAll(async () => {
  await tool?.end();
  await proxy?.stop();
  await dropScratchDatabase(scratch);
});

const last = () => proxy.statements[proxy.statements.length - 1];

test('a statement in a transaction block: its text, the locks it holds and the index it built, read in the tool’s session', async () => {
  await tool.query('BEGIN');
  await tool.query('CREATE INDEX users_email ON users (email)');
  const seen = last();
  await tool.query('COMMIT');
  expect(seen.text).toBe('CREATE INDEX users_email ON users (email)');
  expect(seen.lockView).toBe('in-transaction');
  expect(seen.locks).toContainEqual(expect.objectContaining({ relation: 'public.users', mode: 'ShareLock' }));
  const table = [...seen.after.values()].find((t) => t.name === 'public.users')!;
  expect(table.indexes.map((i) => i.name)).toContain('public.users_email');
  expect([...seen.before.values()].find((t) => t.name === 'public.users')!.indexes.map((i) => i.name)).not.toContain('public.users_email');
});

test('a bound statement: the prepared text and its parameters; an error with its SQLSTATE', async () => {
  await tool.query('INSERT INTO users (id, email) VALUES ($1, $2)', [5000, 'a@b']);
  expect(last()).toMatchObject({ text: 'INSERT INTO users (id, email) VALUES ($1, $2)', params: ['5000', 'a@b'], status: 'applied' });
  await expect(tool.query('INSERT INTO users (id) VALUES (1)')).rejects.toThrow(/duplicate key/);
  // The tool's session goes on as before (node-postgres rejects before ReadyForQuery: the record follows).
  expect((await tool.query('SELECT count(*)::int AS n FROM users')).rows[0].n).toBe(1001);
  expect(proxy.statements.find((s) => s.text === 'INSERT INTO users (id) VALUES (1)')).toMatchObject({ status: 'failed', error: { code: '23505' } });
});

test('a statement outside a transaction block: its locks are sampled from a second connection while it runs', async () => {
  // pg_sleep holds the lock long enough for a sample; the tool's locks are gone when it ends.
  await tool.query('SELECT pg_sleep(0.3) FROM (SELECT 1 FROM users LIMIT 1) AS u');
  expect(last().lockView).toBe('sampled');
  expect(last().locks).toContainEqual(expect.objectContaining({ relation: 'public.users', mode: 'AccessShareLock' }));
});

test('BEGIN, then SET TRANSACTION: the proxy reads nothing between them, so PostgreSQL still takes the isolation level (pg_dump and Rails send them so)', async () => {
  await tool.query('BEGIN');
  await tool.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
  const isolation = (await tool.query('SHOW transaction_isolation')).rows[0].transaction_isolation;
  await tool.query('LOCK TABLE users IN SHARE MODE');
  const locked = last();
  await tool.query('COMMIT');
  expect(isolation).toBe('repeatable read');
  expect(proxy.statements.find((s) => s.text.startsWith('SET TRANSACTION'))).toMatchObject({ status: 'applied', locks: [] });
  // Statements after them are read as before.
  expect(locked.locks).toContainEqual(expect.objectContaining({ relation: 'public.users', mode: 'ShareLock' }));
});
