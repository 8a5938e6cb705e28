import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import type {
  BackendKeyDataMessage,
  BackendMessage,
  DataRowMessage,
  DatabaseError,
  ReadyForQueryMessage,
  RowDescriptionMessage,
} from 'pg-protocol/dist/messages.js';
import { Parser } from 'pg-protocol/dist/parser.js';
import { serialize } from 'pg-protocol/dist/serializer.js';
import { captureRelationState, heldLocks, type HeldLock, type RelationState } from './relation-state.js';

/**
 * What one round trip of a migration tool (a simple Query, or Parse/Bind/Execute up to Sync) did
 * on its backend, seen by the proxy.
 */
export interface ObservedStatement {
  /** Which of the tool's connections sent it (the order in which they connected). */
  readonly connection: number;
  readonly text: string;
  /** Bound parameters in text form (extended protocol): the tool's bookkeeping passes migration names this way. */
  readonly params: readonly (string | null)[];
  readonly status: 'applied' | 'failed';
  readonly durationMs: number;
  readonly error?: { readonly code: string; readonly message: string; readonly position?: number; readonly detail?: string };
  /** The session's relations before and after (read in the tool's own session, so inside its transaction). */
  readonly before: RelationState;
  readonly after: RelationState;
  /**
   * Relation locks: those held right after it when it ran in a transaction block
   * (`in-transaction`, also when it failed there: none can be read then), else those a second
   * connection saw while it ran (`sampled`). The view says where it ran: the report labels a
   * code migration inside or outside a transaction by it.
   */
  readonly locks: HeldLock[];
  readonly lockView: 'in-transaction' | 'sampled';
}

/** Startup-phase request codes a client may send before its StartupMessage. */
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
/** The pause between two looks of the second connection at the tool's backend while a statement outside a block runs. */
const SAMPLE_MS = 1;

/**
 * A loopback proxy between a migration tool and the shadow database that observes each statement
 * the tool sends: its text (Query, or Parse by name for Bind/Execute), timing and error; the
 * relation state before and after it and the locks it holds, read in the tool's own session by
 * queries the proxy slips in between the tool's round trips (while it holds back ReadyForQuery,
 * so the tool cannot send anything meanwhile); and, for a statement sent outside a transaction
 * block (whose locks are gone when it ends), the locks a second connection samples from pg_locks
 * for the tool's backend pid while it runs.
 *
 * The slipped-in queries use the unnamed prepared statement: a tool that binds an unnamed
 * statement parsed in an earlier round trip would break (node-postgres, psycopg and the JDBC
 * driver parse again each time).
 */
export class ObservingProxy {
  readonly statements: ObservedStatement[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private connections = 0;

  constructor(
    private readonly target: pg.ClientConfig,
    /** Opens a second connection to the same database, for sampling locks. */
    private readonly openSampler: () => Promise<pg.Client>,
  ) {}

  /** Listens on a free loopback port and returns it. */
  async start(): Promise<number> {
    this.server = createServer((client) => {
      const session = new ProxiedSession(client, this.connections++, this.target, this.openSampler, (s) => this.statements.push(s));
      this.sockets.add(client);
      session.upstream.on('close', () => this.sockets.delete(client));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    this.sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** One framed protocol message: its type byte and its whole bytes (type and length included). */
interface Frame {
  readonly type: string;
  readonly bytes: Buffer;
}

/** Splits a byte stream into messages (type byte + int32 length); `startup`: the first message has no type byte. */
class Framer {
  private buffer = Buffer.alloc(0);
  constructor(private startup: boolean) {}

  push(chunk: Buffer): Frame[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const header = this.startup ? 0 : 1;
      if (this.buffer.length < header + 4) break;
      const length = this.buffer.readInt32BE(header) + header;
      if (this.buffer.length < length) break;
      const bytes = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      if (this.startup) {
        const code = bytes.readInt32BE(4);
        // An SSL or GSS request is answered 'N' and followed by the real StartupMessage.
        this.startup = code === SSL_REQUEST || code === GSSENC_REQUEST;
        frames.push({ type: this.startup ? 'request' : 'startup', bytes });
      } else frames.push({ type: String.fromCharCode(bytes[0]), bytes });
    }
    return frames;
  }
}

/** A round trip of the tool in flight. */
interface Cycle {
  text: string;
  params: (string | null)[];
  started: number;
  error?: ObservedStatement['error'];
  sampled: HeldLock[];
  stopSampling?: () => Promise<void>;
}

/** Reads a NUL-terminated string at `at`; returns it and the offset after it. */
function cstring(bytes: Buffer, at: number): [string, number] {
  const end = bytes.indexOf(0, at);
  return [bytes.toString('utf8', at, end), end + 1];
}

/** The statement name and parameters of a Bind message (text-format values; binary ones as hex). */
function readBind(bytes: Buffer): { statement: string; params: (string | null)[] } {
  let at = 5;
  [, at] = cstring(bytes, at);
  const [statement, afterName] = cstring(bytes, at);
  at = afterName;
  const formats = bytes.readInt16BE(at);
  const codes = Array.from({ length: formats }, (_, i) => bytes.readInt16BE(at + 2 + 2 * i));
  at += 2 + 2 * formats;
  const count = bytes.readInt16BE(at);
  at += 2;
  const params: (string | null)[] = [];
  for (let i = 0; i < count; i++) {
    const length = bytes.readInt32BE(at);
    at += 4;
    if (length < 0) params.push(null);
    else {
      const binary = (codes.length === 1 ? codes[0] : codes[i]) === 1;
      params.push(bytes.toString(binary ? 'hex' : 'utf8', at, at + length));
      at += length;
    }
  }
  return { statement, params };
}

class ProxiedSession {
  readonly upstream: Socket;
  private readonly fromClient = new Framer(true);
  private readonly fromServer = new Framer(false);
  private readonly parser = new Parser();
  private readonly prepared = new Map<string, string>();
  private ready = false;
  private pid = 0;
  private transaction: ReadyForQueryMessage['status'] = 'I';
  private state: RelationState = new Map();
  private cycle: Cycle | null = null;
  /** Set while a slipped-in query runs: the server's answers go to it, and the tool's messages wait. */
  private injected: ((message: BackendMessage) => void) | null = null;
  private held: Frame[] = [];
  /** Serializes the work done when the server reports ReadyForQuery. */
  private turn: Promise<void> = Promise.resolve();
  /** The second connection that samples the locks of statements outside a transaction block, opened on first use. */
  private sampler: Promise<pg.Client> | null = null;

  constructor(
    private readonly client: Socket,
    private readonly id: number,
    target: pg.ClientConfig,
    private readonly openSampler: () => Promise<pg.Client>,
    private readonly record: (statement: ObservedStatement) => void,
  ) {
    this.upstream = connect(Number(target.port ?? 5432), target.host ?? '127.0.0.1');
    client.on('data', (chunk: Buffer) => this.fromClient.push(chunk).forEach((f) => this.onClientFrame(f)));
    this.upstream.on('data', (chunk: Buffer) => this.fromServer.push(chunk).forEach((f) => this.onServerData(f)));
    client.on('close', () => {
      this.upstream.destroy();
      void this.sampler?.then((s) => s.end()).catch(() => undefined);
    });
    this.upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    this.upstream.on('error', () => undefined);
  }

  private onClientFrame(frame: Frame): void {
    if (frame.type === 'request') {
      this.client.write('N');
      return;
    }
    if (this.injected) {
      this.held.push(frame);
      return;
    }
    if (this.ready) this.noteClientMessage(frame);
    this.upstream.write(frame.bytes);
  }

  /** Starts a cycle at the tool's first message after ReadyForQuery and notes what it runs. */
  private noteClientMessage(frame: Frame): void {
    if (frame.type === 'X') return;
    if (!this.cycle) {
      this.cycle = { text: '', params: [], started: performance.now(), sampled: [] };
      // Locks of a statement outside a transaction block are gone when it ends: watch them from outside while it runs.
      if (this.transaction === 'I') this.cycle.stopSampling = this.sample(this.cycle);
    }
    const bytes = frame.bytes;
    if (frame.type === 'Q') this.cycle.text = cstring(bytes, 5)[0];
    else if (frame.type === 'P') {
      const [name, at] = cstring(bytes, 5);
      const text = cstring(bytes, at)[0];
      this.prepared.set(name, text);
      this.cycle.text ||= text;
    } else if (frame.type === 'B') {
      const { statement, params } = readBind(bytes);
      this.cycle.text ||= this.prepared.get(statement) ?? '';
      this.cycle.params = params;
    }
  }

  /**
   * The answers to a slipped-in query go straight to it; the tool's messages are handled in order,
   * one at a time (handling ReadyForQuery waits for the slipped-in queries).
   */
  private onServerData(frame: Frame): void {
    if (this.injected) this.injected(this.decode(frame));
    else this.turn = this.turn.then(() => this.onServerFrame(frame));
  }

  private decode(frame: Frame): BackendMessage {
    const messages: BackendMessage[] = [];
    this.parser.parse(frame.bytes, (m) => messages.push(m));
    return messages[0];
  }

  private async onServerFrame(frame: Frame): Promise<void> {
    const message = this.decode(frame);
    if (message.name === 'backendKeyData') this.pid = (message as BackendKeyDataMessage).processID;
    if (message.name === 'error' && this.cycle) this.cycle.error ??= errorOf(message as DatabaseError);
    if (message.name !== 'readyForQuery') {
      this.client.write(frame.bytes);
      return;
    }
    this.transaction = (message as ReadyForQueryMessage).status;
    if (!this.ready) {
      this.ready = true;
      // Opened now: a statement outside a block often ends before a connection could be made for it.
      this.sampler = this.openSampler();
      this.sampler.catch(() => undefined);
      this.state = await this.captureState();
    } else if (this.cycle) await this.finishCycle(this.cycle);
    this.client.write(frame.bytes);
    const held = this.held;
    this.held = [];
    held.forEach((f) => this.onClientFrame(f));
  }

  private async finishCycle(cycle: Cycle): Promise<void> {
    const durationMs = performance.now() - cycle.started;
    this.cycle = null;
    await cycle.stopSampling?.();
    const before = this.state;
    const failedBlock = this.transaction === 'E';
    const inBlock = this.transaction === 'T' || failedBlock;
    const opening = opensTransaction(cycle.text);
    // In a failed transaction block nothing can be read (and nothing changed); after an opening statement nothing may be read (opensTransaction).
    const after = failedBlock || opening ? before : await this.captureState();
    const locks = opening || failedBlock ? [] : inBlock ? await heldLocks(this.asClient()) : cycle.sampled;
    this.state = after;
    if (!cycle.text.trim()) return;
    this.record({
      connection: this.id,
      text: cycle.text,
      params: cycle.params,
      status: cycle.error ? 'failed' : 'applied',
      durationMs,
      ...(cycle.error ? { error: cycle.error } : {}),
      before,
      after,
      locks,
      lockView: inBlock ? 'in-transaction' : 'sampled',
    });
  }

  private captureState(): Promise<RelationState> {
    return captureRelationState(this.asClient());
  }

  /** Polls pg_locks for the tool's backend from a second connection until stopped; keeps every lock seen. */
  private sample(cycle: Cycle): () => Promise<void> {
    let stopped = false;
    const polling = (async () => {
      const sampler = await this.sampler!;
      while (!stopped) {
        for (const lock of await heldLocks(sampler, this.pid)) {
          if (!cycle.sampled.some((l) => l.oid === lock.oid && l.mode === lock.mode)) cycle.sampled.push(lock);
        }
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      }
    })();
    return async () => {
      stopped = true;
      await polling.catch(() => undefined);
    };
  }

  /**
   * The tool's own session as the `query` that captureRelationState and heldLocks call: each call
   * is one Parse/Bind/Describe/Execute/Sync round trip on the upstream socket, answered before the
   * tool's ReadyForQuery is passed on.
   */
  private asClient(): pg.ClientBase {
    const query = (text: string, values: unknown[] = []) => this.inject(text, values);
    // Only `query` is called by the capture functions.
    return { query } as unknown as pg.ClientBase;
  }

  private inject(text: string, values: unknown[]): Promise<{ rows: Record<string, unknown>[] }> {
    return new Promise((resolve, reject) => {
      let fields: RowDescriptionMessage['fields'] = [];
      const rows: Record<string, unknown>[] = [];
      let failure: Error | null = null;
      this.injected = (message) => {
        if (message.name === 'rowDescription') fields = (message as RowDescriptionMessage).fields;
        else if (message.name === 'dataRow') rows.push(rowOf(fields, (message as DataRowMessage).fields));
        else if (message.name === 'error') failure = new Error(`observing the tool's session: ${(message as DatabaseError).message}`);
        else if (message.name === 'readyForQuery') {
          this.injected = null;
          if (failure) reject(failure);
          else resolve({ rows });
        }
      };
      const params = values.map((v) => (v === null || v === undefined ? null : String(v)));
      this.upstream.write(
        Buffer.concat([
          serialize.parse({ text }),
          serialize.bind({ values: params }),
          serialize.describe({ type: 'P' }),
          serialize.execute({}),
          serialize.sync(),
        ]),
      );
    });
  }
}

const OPENING = /^\s*(?:begin|start\s+transaction|set\s+transaction)\b/i;

/**
 * Whether a round trip only opens a transaction block or sets its characteristics (BEGIN, START
 * TRANSACTION, SET TRANSACTION, or several of them in one query string). It changes no relation
 * and takes no lock, and the proxy must not read the session after it: a query would take the
 * transaction's snapshot, after which PostgreSQL refuses SET TRANSACTION ISOLATION LEVEL (Rails'
 * isolated transactions and pg_dump, which Rails runs to write db/structure.sql, send BEGIN, then
 * SET TRANSACTION).
 */
export function opensTransaction(text: string): boolean {
  const statements = text.split(';').filter((part) => part.trim() !== '');
  return statements.length > 0 && statements.every((part) => OPENING.test(part));
}

function rowOf(fields: RowDescriptionMessage['fields'], values: (string | null)[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f, i) => [f.name, values[i] === null ? null : pg.types.getTypeParser(f.dataTypeID, 'text')(values[i]!)]));
}

function errorOf(error: DatabaseError): NonNullable<ObservedStatement['error']> {
  return {
    code: error.code ?? '',
    message: error.message,
    ...(error.position ? { position: Number(error.position) } : {}),
    ...(error.detail ? { detail: error.detail } : {}),
  };
}
