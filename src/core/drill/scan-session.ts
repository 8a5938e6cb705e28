import type pg from 'pg';
import type { OpenSession } from './bare-locks.js';
import { pinSql, TEXT_FORMS } from './pinned-settings.js';

/** The scans' settings: the text forms, and the usual search_path, which decides how reg* values print. */
const PIN_SQL = `SELECT ${pinSql({ ...TEXT_FORMS, search_path: '"$user", public' })}`;

/** SQLSTATE 57P01: the backend was terminated (pg_terminate_backend), the error its last query gets. */
const TERMINATED = '57P01';

/**
 * The second session of the drill's database that the checkpoints' table scans run on, beside the
 * catalog reads of the drill's own session (see CheckpointSessions), with the text forms pinned
 * (pinned-settings.ts): a session opened again prints values as the first did, whatever the change
 * did to its role's or database's defaults meanwhile. A migration may end the other sessions of
 * its role (some terminate every other session of their database before a rename or a drop): the
 * scans then run on a session opened anew, once.
 */
export class ScanSession {
  private session: Promise<pg.Client> | null = null;

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
      // The 'error' and 'end' handlers drop a session that ended; a terminated one may not have ended yet.
      const ended = this.session !== session;
      if (!ended && (error as { code?: string }).code !== TERMINATED) throw error;
      if (!ended) this.session = null;
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
      // A session ended while idle emits 'error' (its FATAL) before 'end', and refuses queries from then on.
      const drop = () => {
        if (this.session === session) this.session = null;
      };
      client.on('error', drop);
      client.on('end', drop);
      await client.query(PIN_SQL);
      return client;
    });
    return session;
  }
}
