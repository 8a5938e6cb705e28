import type pg from 'pg';
import type { OpenSession } from './bare-locks.js';
import { simpleQuery } from './prepared.js';

/**
 * The settings that decide values' text forms (which the data fingerprint hashes), pinned to
 * PostgreSQL's defaults: a session opened again reads the same text as the first, whatever the
 * change did to its role's or database's defaults (ALTER ROLE/DATABASE ... SET) meanwhile. The
 * search_path decides how reg* values print.
 */
const TEXT_FORMS = [
  "SET DateStyle = 'ISO, MDY'",
  'SET IntervalStyle = postgres',
  "SET TimeZone = 'UTC'",
  'SET extra_float_digits = 1',
  'SET bytea_output = hex',
  "SET lc_monetary = 'C'",
  'SET search_path = "$user", public',
];

/** SQLSTATE 57P01: the backend was terminated (pg_terminate_backend), the error its last query gets. */
const TERMINATED = '57P01';

/**
 * The second session of the drill's database that the checkpoints' table scans run on, beside the
 * catalog reads of the drill's own session (see CheckpointSessions). A migration may end the
 * other sessions of its role (some terminate every other session of their database before a
 * rename or a drop): the scans then run on a session opened anew, once.
 */
export class ScanSession {
  private session: Promise<pg.Client> | null = null;
  private readonly ended = new WeakSet<pg.Client>();

  constructor(private readonly open: OpenSession) {}

  /** Starts opening the session, so that the first scans find it ready. */
  prepare(): void {
    this.current().catch(() => undefined);
  }

  /** Runs `work` on the session; when the session ended before or under it, once more on a new one. */
  async run<T>(work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const session = this.current();
    const client = await session;
    try {
      return await work(client);
    } catch (error) {
      if (!this.ended.has(client) && (error as { code?: string }).code !== TERMINATED) throw error;
      if (this.session === session) this.session = null;
      return work(await this.current());
    }
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = null;
    if (session) await session.then((client) => client.end()).catch(() => undefined);
  }

  private current(): Promise<pg.Client> {
    this.session ??= this.start();
    return this.session;
  }

  private start(): Promise<pg.Client> {
    const session: Promise<pg.Client> = this.open().then(async (client) => {
      client.on('end', () => {
        this.ended.add(client);
        if (this.session === session) this.session = null;
      });
      await simpleQuery(client, TEXT_FORMS);
      return client;
    });
    return session;
  }
}
