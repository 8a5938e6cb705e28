import pg from 'pg';
import type { Deadline } from '../deadline.js';
import { transactionAdvice, type ResolvedCommand } from '../layouts/command-presets.js';
import type { Migration, MigrationScript, SourceFile, TransactionMode } from '../layouts/layout.js';
import { finding } from '../report/findings.js';
import type { Finding, LockObservation, MigrationResult, StatementResult } from '../report/report.js';
import { locksTaken, type LockMode } from '../sql/lock-levels.js';
import { sameRelation } from '../sql/nodes.js';
import { parseScript, type ParsedStatement } from '../sql/parse.js';
import type { ParsedMigration } from '../sql/parse-migrations.js';
import { nonTransactionalStatement } from '../sql/transaction-block.js';
import { captureBaseline, summarize, type DrillOutcome } from './drill.js';
import type { ScriptRun, StatementRun } from './execute.js';
import { failureFinding } from './failures.js';
import { Guard, type DrillCaps } from './guard.js';
import { judgeStatement, rank, type Baseline } from './observe.js';
import type { HeldLock } from './relation-state.js';
import type { ShadowServer } from './providers/provider.js';
import { seedDatabase } from './seed.js';
import type { ShadowDatabase } from './databases.js';
import { runTool, type ToolRun } from './tool-process.js';
import { checkRoundTrip, takeCheckpoint, type Checkpoint } from './round-trip.js';
import { ObservingProxy, type ObservedStatement } from './wire-proxy.js';

export interface CommandDrillPlan {
  readonly command: ResolvedCommand;
  /** Checkouts of the base and the head commit, where the tool runs. */
  readonly baseDir: string;
  readonly headDir: string;
  /** The change's new migration files (repository-relative paths), in the order the tool runs them. */
  readonly added: readonly SourceFile[];
  readonly seedRows: number;
  readonly statementTimeoutMs: number;
  readonly limits: DrillCaps;
}

type Progress = (message: string) => void;

/**
 * The drill's outcome, with each new migration as the rollout plan reads it: the statements the
 * tool sent for it, at their lines, and whether they ran in a transaction block, as observed.
 */
export interface CommandDrillOutcome extends DrillOutcome {
  readonly parsed: ParsedMigration[];
}

/**
 * Kinds of statements that carry no hazard of the change: the tool's transaction control and
 * session settings, and the driver's cleanup of its prepared statements (Rails' pg adapter sends
 * `DEALLOCATE a1` as it disconnects).
 */
const CONTROL = new Set(['TransactionStmt', 'VariableSetStmt', 'VariableShowStmt', 'DiscardStmt', 'DeallocateStmt']);

/**
 * The drill of code migrations: the repository's own tool migrates a fresh shadow database at the
 * base commit (the history), the tables it did not fill are seeded, then the tool runs the head's
 * migrations through an ObservingProxy that sees each statement; each is judged like a SQL
 * layout's (locks, rewrites, index builds, scans, errors) and reported at its migration file. The
 * reverse is the tool's `down`, once per new migration, newest first, and the redo its `up` again.
 */
export async function runCommandDrill(server: ShadowServer, plan: CommandDrillPlan, onProgress: Progress, deadline: Deadline): Promise<CommandDrillOutcome> {
  const first = plan.added[0]?.path ?? plan.command.path;
  const guard = new Guard(server, { ...plan.limits, statementTimeoutMs: plan.statementTimeoutMs }, deadline, first);
  try {
    const database = await guard.create('review');
    try {
      return await drillDatabase(database, plan, server.major, onProgress, deadline);
    } finally {
      if (!deadline.passed) await guard.drop(database);
    }
  } finally {
    await guard.close();
  }
}

async function drillDatabase(
  database: ShadowDatabase,
  plan: CommandDrillPlan,
  pgMajor: number,
  onProgress: Progress,
  deadline: Deadline,
): Promise<CommandDrillOutcome> {
  const empty: CommandDrillOutcome = {
    migrations: [],
    findings: [],
    templateCache: 'miss',
    seededRows: 0,
    seededTables: 0,
    seeding: [],
    roundTrip: 'not-run',
    parsed: [],
  };
  onProgress(`history: ${plan.command.up} at the base commit`);
  const history = await runTool(plan.command.up, plan.baseDir, database.login, deadline.signal);
  if (history.exitCode !== 0) return { ...empty, findings: [historyFailure(plan, history)] };
  const client = new pg.Client(database.login);
  client.on('error', () => undefined);
  await client.connect();
  try {
    const toolTables = await filledTables(client, plan.command.tables);
    onProgress(`seeding existing tables with up to ${plan.seedRows} rows each (not the tool's own: ${toolTables.names.join(', ') || 'none'})`);
    const seed = await seedDatabase(client, { rowsPerTable: plan.seedRows, only: toolTables.others, signal: deadline.signal });
    const baseline = await captureBaseline(client, seed.tables);
    const drill = new ObservedTool(client, database, plan, toolTables.names, baseline, pgMajor, deadline);
    const outcome = await drill.forwardReverseRedo(onProgress);
    return {
      ...outcome,
      templateCache: 'miss',
      seededRows: seed.totalRows,
      seededTables: seed.tables.filter((t) => t.rows > 0).length,
      seeding: seed.tables,
    };
  } finally {
    await client.end();
  }
}

/**
 * The tool's bookkeeping tables: the preset's, and any table the history left rows in (a tool
 * refuses to run when its bookkeeping holds rows it did not write, e.g. knex's "migration
 * directory is corrupt"). Data the history put in a table of the application stays as it is.
 */
async function filledTables(client: pg.Client, named: readonly string[]): Promise<{ names: string[]; others: Set<string> }> {
  const { rows } = await client.query<{ oid: string; name: string; relname: string }>(
    `SELECT c.oid::text AS oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, c.relname
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`,
  );
  const names: string[] = [];
  const others = new Set<string>();
  for (const table of rows) {
    const filled = named.includes(table.relname) || (await client.query(`SELECT EXISTS (SELECT FROM ${table.name}) AS filled`)).rows[0].filled;
    if (filled) names.push(table.relname);
    else others.add(table.oid);
  }
  return { names, others };
}

/** The tool run against the seeded database through the observing proxy. */
class ObservedTool {
  private readonly findings: Finding[] = [];
  private readonly results: MigrationResult[] = [];
  /** Each new migration's run, by direction and path, as observed: its statements and whether they ran in a transaction block. */
  private readonly runs = new Map<string, { statements: ParsedStatement[]; script: MigrationScript }>();

  constructor(
    private readonly client: pg.Client,
    private readonly database: ShadowDatabase,
    private readonly plan: CommandDrillPlan,
    private readonly toolTables: readonly string[],
    private readonly baseline: Baseline,
    private readonly pgMajor: number,
    private readonly deadline: Deadline,
  ) {}

  async forwardReverseRedo(onProgress: Progress): Promise<Pick<CommandDrillOutcome, 'migrations' | 'findings' | 'roundTrip' | 'parsed'>> {
    onProgress(`forward: ${this.plan.command.up} at the head commit, observed`);
    const checkpoint = await takeCheckpoint({ own: this.client });
    const forward = await this.observe(this.plan.command.up);
    const applied = await this.judgeForward(forward);
    if (applied && this.plan.command.down) onProgress(`reverse: ${this.plan.command.down} once per new migration, observed`);
    const reversed = applied ? await this.reverse(checkpoint) : null;
    const roundTrip = reversed === null ? 'not-run' : reversed && (await this.redo(onProgress)) ? 'restored' : 'mismatch';
    return { migrations: this.results, findings: this.findings, roundTrip, parsed: this.plan.added.map((file) => this.parsedMigration(file)) };
  }

  /** The migration as the drill saw it run; its reverse is the tool's `down` in the same file, where the tool has one. */
  private parsedMigration(file: SourceFile): ParsedMigration {
    const name = migrationName(file);
    const forward = this.ran('forward', file);
    const reverse = this.ran('reverse', file);
    // A forward the tool never reached ran nothing: no transaction of it was observed.
    const forwardScript = forward?.script ?? script(file, []);
    const reverseScript = this.plan.command.down ? (reverse?.script ?? { ...forwardScript }) : null;
    return {
      migration: { version: name, name, forward: forwardScript, reverse: reverseScript },
      forward: forward?.statements ?? [],
      reverse: reverse?.statements ?? null,
    };
  }

  /** A migration's run in one direction, once judged. */
  private ran(direction: 'forward' | 'reverse', file: SourceFile): { statements: ParsedStatement[]; script: MigrationScript } | undefined {
    return this.runs.get(runKey(direction, file));
  }

  /** Runs a command of the tool through a fresh proxy; the statements it sent, in order. */
  private async observe(command: string): Promise<{ run: ToolRun; statements: ObservedStatement[] }> {
    const login = this.database.login;
    const proxy = new ObservingProxy(login, async () => {
      const sampler = new pg.Client(login);
      sampler.on('error', () => undefined);
      await sampler.connect();
      return sampler;
    });
    const port = await proxy.start();
    try {
      const run = await runTool(command, this.plan.headDir, { ...login, host: '127.0.0.1', port }, this.deadline.signal);
      return { run, statements: proxy.statements };
    } finally {
      await proxy.stop();
    }
  }

  /** Judges the forward run per migration; true when the tool applied them all. */
  private async judgeForward({ run, statements }: { run: ToolRun; statements: ObservedStatement[] }): Promise<boolean> {
    const { parts, reached } = await attribute(statements, this.plan.added, this.toolTables);
    // The migration that failed: the one whose statement PostgreSQL refused, else the one the tool had reached.
    const withError = parts.findIndex((own) => own.some((s) => s.observed.status === 'failed'));
    const failed = run.exitCode === 0 ? -1 : withError >= 0 ? withError : reached;
    for (const [i, file] of this.plan.added.entries()) {
      const judged = this.judge(file, parts[i], 'forward', i === failed);
      if (i === failed) {
        this.findings.push(toolFailure(judged, 'forward-error', run, this.plan.command));
        return false;
      }
    }
    return run.exitCode === 0;
  }

  /**
   * The tool's `down` once per new migration, newest first, then the schema and seeded rows
   * compared with those before the forward (the change as a whole); null when there is no reverse to run.
   */
  private async reverse(checkpoint: Checkpoint): Promise<boolean | null> {
    const down = this.plan.command.down;
    if (!down) return null;
    for (const file of [...this.plan.added].reverse()) {
      const { run, statements } = await this.observe(down);
      const own = (await attribute(statements, [file], this.toolTables)).parts[0];
      const judged = this.judge(file, own, 'reverse', run.exitCode !== 0);
      if (run.exitCode !== 0) {
        this.findings.push(toolFailure(judged, 'reverse-error', run, this.plan.command));
        return null;
      }
    }
    const first = this.plan.added[0];
    const migration: Migration = { version: first.path, name: first.path, forward: this.ran('forward', first)!.script, reverse: null };
    // Every forward ran (the reverse runs only then): their statements point a difference at the one that made it.
    const forwardStatements = this.plan.added.flatMap((file) => this.ran('forward', file)!.statements);
    const { findings } = await checkRoundTrip({ own: this.client }, checkpoint, migration, forwardStatements, this.findings);
    this.findings.push(...findings);
    return findings.length === 0;
  }

  /** The tool's `up` again after the reverse: a reverse that leaves something behind makes it fail. */
  private async redo(onProgress: Progress): Promise<boolean> {
    onProgress(`redo: ${this.plan.command.up} after the reverse`);
    const run = await runTool(this.plan.command.up, this.plan.headDir, this.database.login, this.deadline.signal);
    if (run.exitCode === 0) return true;
    this.findings.push(
      finding({
        hazard: 'reverse-mismatch',
        source: 'drill',
        path: this.plan.added[0].path,
        line: 1,
        message: `After the reverse (${this.plan.command.down}) ran, the forward migrations no longer apply: the reverse leaves something behind.`,
        fix: 'Make the reverse undo every object its migration creates, so forward → reverse → forward works.',
        evidence: lastLine(run.output),
      }),
    );
    return false;
  }

  /** Each observed statement judged as a SQL layout's; the migration's result recorded. */
  private judge(file: SourceFile, own: readonly LocatedStatement[], direction: 'forward' | 'reverse', failed: boolean): Judged {
    const runs: StatementRun[] = [];
    const judged: StatementResult[] = [];
    let held: LockObservation[] = [];
    for (const located of own) {
      const run = statementRun(located);
      const verdict = judgeStatement(run, file.path, this.baseline, located.newTransaction ? [] : held);
      held = verdict.held;
      runs.push(run);
      judged.push(verdict.result);
      // Lock hazards matter on the way forward; a reverse runs during an incident, by choice.
      if (direction === 'forward') this.findings.push(...verdict.findings);
    }
    if (direction === 'forward' && !failed) this.findings.push(...piecemeal(own, file, this.plan.command.tool, this.pgMajor));
    const durationMs = own.reduce((sum, s) => sum + s.observed.durationMs, 0);
    const scriptRun: ScriptRun = { status: failed ? 'failed' : 'applied', durationMs, statements: runs };
    const ran = script(file, own);
    this.runs.set(runKey(direction, file), { statements: own.map((s) => s.statement), script: ran });
    const migration: Migration = { version: migrationName(file), name: migrationName(file), forward: ran, reverse: null };
    this.results.push(summarize(migration, ran, direction, scriptRun, judged));
    return { run: scriptRun, script: ran };
  }
}

const runKey = (direction: 'forward' | 'reverse', file: SourceFile): string => `${direction}\0${file.path}`;

/** A code migration's version and name in the report: its file's name. */
const migrationName = (file: SourceFile): string => file.path.split('/').pop()!;

/**
 * A migration that sent several statements outside a transaction block, each committed on its own:
 * if one fails, those before it stay applied while the tool does not record the migration as run,
 * so running it again meets what they did. Reported when one of them could have run in a
 * transaction; those PostgreSQL refuses in one (CREATE INDEX CONCURRENTLY …) have no choice.
 */
function piecemeal(own: readonly LocatedStatement[], file: SourceFile, tool: string, pgMajor: number): Finding[] {
  const outside = own.filter((s) => s.observed.lockView === 'sampled');
  const refused = outside.map((s) => nonTransactionalStatement(s.statement, pgMajor));
  const could = outside.filter((_, i) => refused[i] === undefined);
  if (outside.length < 2 || could.length === 0) return [];
  const lines = outside.map((s) => s.statement.line).join(', ');
  const alone = refused.filter((r) => r !== undefined);
  const split = alone.length > 0 ? ` Leave outside only ${alone.join(', ')}, alone in its own migration.` : '';
  return [
    finding({
      hazard: 'forward-error',
      severity: 'warning',
      source: 'drill',
      path: file.path,
      line: could[0].statement.line,
      message:
        `${outside.length} statements of this migration ran outside a transaction, each committed on its own (lines ${lines}): ` +
        'if one fails, those before it stay applied while the tool does not record the migration as run, and running it again meets what they did.',
      fix: `Run the ${could.length === 1 ? 'statement' : 'statements'} that can run in a transaction in a migration that runs in one.${split} ${transactionAdvice(tool)?.inside ?? ''}`.trim(),
      evidence: `the session was outside a transaction block after each of the ${outside.length} statements`,
    }),
  ];
}

/**
 * A code migration as the report's script: its file, run by the tool, in a transaction block when
 * each of its statements was seen in one (the tool's opt-outs, Knex `transaction: false`,
 * node-pg-migrate `noTransaction()`, Rails `disable_ddl_transaction!`, … take it out of one).
 */
function script(file: SourceFile, ran: readonly LocatedStatement[]): MigrationScript {
  return { path: file.path, sql: '', startLine: 1, transaction: transactionSeen(ran) };
}

function transactionSeen(ran: readonly LocatedStatement[]): TransactionMode {
  return ran.length > 0 && ran.every((s) => s.observed.lockView === 'in-transaction') ? 'transaction' : 'none';
}

/** A migration's run as judged, and its script as observed. */
interface Judged {
  readonly run: ScriptRun;
  readonly script: MigrationScript;
}

/** An observed statement, parsed, at the line of its migration file that most likely wrote it. */
interface LocatedStatement {
  readonly observed: ObservedStatement;
  readonly statement: ParsedStatement;
  /** Whether a transaction ended (or began) since the previous statement of the migration: locks held before are gone. */
  readonly newTransaction: boolean;
}

function statementRun({ observed, statement }: LocatedStatement): StatementRun {
  const error = observed.error ? { code: observed.error.code, message: observed.error.message, line: statement.line, ...detailOf(observed) } : undefined;
  return {
    statement,
    status: observed.status,
    durationMs: observed.durationMs,
    lockView: observed.lockView,
    locks: withDocumentedLocks(observed, statement),
    before: observed.before,
    after: observed.after,
    ...(error ? { error } : {}),
  };
}

/**
 * A statement outside a transaction block holds its locks only while it runs, and a sample every
 * millisecond can miss one that takes a few milliseconds on a small seeded table: the locks
 * PostgreSQL documents for it (sql/lock-levels.ts) complete what was sampled, on the tables that
 * existed before it (an index standing for its table).
 */
function withDocumentedLocks(observed: ObservedStatement, statement: ParsedStatement): HeldLock[] {
  if (observed.lockView !== 'sampled') return observed.locks;
  const tables = [...observed.before.values()];
  const unquoted = (name: string) => name.replace(/"/g, '');
  const documented = locksTaken(statement).flatMap((lock) => {
    const table = tables.find((t) =>
      lock.kind === 'table' ? sameRelation(lock.relation, unquoted(t.name)) : t.indexes.some((i) => sameRelation(lock.relation, unquoted(i.name))),
    );
    return table ? [{ relation: table.name, oid: table.oid, mode: pgLockMode(lock.mode) }] : [];
  });
  return [...observed.locks, ...documented.filter((d) => !observed.locks.some((l) => l.oid === d.oid && rank(l.mode) >= rank(d.mode)))];
}

/** `SHARE UPDATE EXCLUSIVE` as pg_locks names it: ShareUpdateExclusiveLock. */
const pgLockMode = (mode: LockMode): string =>
  `${mode
    .split(' ')
    .map((word) => word[0] + word.slice(1).toLowerCase())
    .join('')}Lock`;

const detailOf = (observed: ObservedStatement) => (observed.error?.detail ? { detail: observed.error.detail } : {});

/**
 * Splits what the tool sent into its migrations. The tool records each migration it ran in its
 * bookkeeping table (INSERT or UPDATE) with a key its file name starts with, as a literal or a
 * bound parameter: the file name itself (Knex), without its extension (node-pg-migrate, Django's
 * name), the revision (Alembic) or the version (Rails). The statements since the previous record
 * are that migration's, whatever order the files have; what no record follows (a migration that
 * failed) belongs to the first new migration not recorded. Statements on the bookkeeping tables,
 * transaction control, settings and plain reads are the tool's own and left out.
 */
async function attribute(
  statements: readonly ObservedStatement[],
  files: readonly SourceFile[],
  toolTables: readonly string[],
): Promise<{ parts: LocatedStatement[][]; reached: number }> {
  const parts: LocatedStatement[][] = files.map(() => []);
  const names = files.map(migrationName);
  const recorded = new Set<number>();
  const mentionsTool = (text: string) => toolTables.some((t) => new RegExp(`(^|[^\\w])${t}([^\\w]|$)`, 'i').test(text));
  let pending: Array<Omit<LocatedStatement, 'statement'> & { parsed: ParsedStatement }> = [];
  const assign = (file: number) => {
    parts[file].push(...pending.map(({ parsed, ...rest }) => ({ ...rest, statement: atLine(parsed, files[file]) })));
    pending = [];
  };
  let newTransaction = true;
  // Locks the tool's session held before a statement in the same transaction (its own statements' too) are not that statement's.
  let held: HeldLock[] = [];
  for (const observed of statements) {
    const carried = observed.lockView === 'in-transaction' ? held : [];
    held = observed.lockView === 'in-transaction' ? observed.locks : [];
    const said = [observed.text, ...observed.params.map((p) => p ?? '')].join('\n');
    if (mentionsTool(said)) {
      const keys = [...observed.text.matchAll(/'([^']{4,})'/g)].map((m) => m[1]).concat(observed.params.filter((p): p is string => (p?.length ?? 0) >= 4));
      const file = /^\s*(insert|update)\b/i.test(observed.text) ? names.findIndex((name) => keys.some((key) => name.startsWith(key))) : -1;
      if (file >= 0) {
        recorded.add(file);
        assign(file);
      }
      continue;
    }
    const parsed = await parse(observed.text);
    if (CONTROL.has(parsed.kind)) {
      newTransaction = true;
      continue;
    }
    const locks = observed.locks.filter((l) => !carried.some((c) => c.oid === l.oid && rank(c.mode) >= rank(l.mode)));
    // A read of the tool's (catalog lookups, version checks, pg_dump's locks as Rails writes db/structure.sql) is no step of the migration.
    if (readsOnly(parsed) && observed.status === 'applied' && locks.every((l) => l.mode === 'AccessShareLock')) continue;
    pending.push({ observed: { ...observed, locks }, parsed, newTransaction });
    newTransaction = false;
  }
  const reached = Math.max(
    0,
    files.findIndex((_, i) => !recorded.has(i)),
  );
  assign(reached);
  return { parts, reached };
}

/** A SELECT, or a LOCK TABLE in ACCESS SHARE mode (pg_dump takes one on each table it dumps), a plain read's lock. */
function readsOnly(parsed: ParsedStatement): boolean {
  return parsed.kind === 'SelectStmt' || (parsed.kind === 'LockStmt' && locksTaken(parsed).every((l) => l.mode === 'ACCESS SHARE'));
}

/**
 * The statement as PostgreSQL parses it (several in one query string: the first one's kind). One
 * the parser refuses (PostgreSQL refused it too, as a rule) stays a bare RawStmt, the parser's own
 * tag for an unanalysed statement: no rule visits it, its observation and error still count.
 */
async function parse(text: string): Promise<ParsedStatement> {
  const parsed = await parseScript({ sql: text, startLine: 1 });
  const first = parsed.ok ? parsed.statements[0] : undefined;
  return first ? { ...first, text: text.trim(), line: 1, endLine: 1 } : { text: text.trim(), kind: 'RawStmt', node: {}, line: 1, endLine: 1 };
}

/** The statement at the line of its migration file that most likely wrote it. */
function atLine(statement: ParsedStatement, file: SourceFile): ParsedStatement {
  const line = likelyLine(statement.text, file.content);
  return { ...statement, line, endLine: line };
}

/**
 * Where the migration file most likely wrote a statement: the line holding its text verbatim (a raw
 * SQL call), else the first line naming the most of its identifiers, quoted or as Ruby symbols (a
 * schema builder call such as `table.index('email')` or Rails' `add_index :users, :email`), else
 * the first naming the most words of them (a generated name), else line 1.
 */
export function likelyLine(text: string, content: string): number {
  const lines = content.split('\n');
  const head = text.trim().split('\n')[0].slice(0, 60).toLowerCase();
  const verbatim = lines.findIndex((l) => l.toLowerCase().includes(head));
  if (verbatim >= 0) return verbatim + 1;
  const identifiers = significant([...text.matchAll(/"([^"]+)"|\b([a-z_][a-z0-9_]*)\b/gi)].map((m) => (m[1] ?? m[2]).toLowerCase()));
  // A name the tool made up from the call's arguments (Rails' index_users_on_email, which
  // `remove_index` drops in the reverse of `add_index :users, :email`) is found by its words.
  return namingLine(lines, identifiers) ?? namingLine(lines, significant(identifiers.flatMap((id) => id.split('_')))) ?? 1;
}

/** The distinct words worth looking for: not SQL's own, nor too short to tell anything. */
function significant(words: readonly string[]): string[] {
  return [...new Set(words)].filter((word) => word.length > 2 && !SQL_WORDS.has(word));
}

/** The first line naming the most of the words, quoted or as Ruby symbols; undefined when none names any. */
function namingLine(lines: readonly string[], words: readonly string[]): number | undefined {
  let best = { line: 0, score: 0 };
  for (const [i, l] of lines.entries()) {
    const quoted = [...l.matchAll(QUOTED), ...l.matchAll(RUBY_SYMBOL)].map((m) => m[1].toLowerCase());
    const score = words.filter((word) => quoted.includes(word)).length;
    if (score > best.score) best = { line: i + 1, score };
  }
  return best.score > 0 ? best.line : undefined;
}

const QUOTED = /['"`]([^'"`]+)['"`]/g;
/** `:users`, not `ActiveRecord::Migration` nor a keyword argument's `null:`. */
const RUBY_SYMBOL = /(?<![:\w]):([a-z_]\w*)/gi;

const SQL_WORDS = new Set([
  'create',
  'index',
  'alter',
  'table',
  'add',
  'column',
  'drop',
  'not',
  'null',
  'default',
  'unique',
  'on',
  'using',
  'btree',
  'type',
  'set',
]);

function historyFailure(plan: CommandDrillPlan, run: ToolRun): Finding {
  return finding({
    hazard: 'infra',
    source: 'engine',
    path: plan.added[0]?.path ?? plan.command.path,
    line: 1,
    message: `The base branch's migrations do not run with \`${run.command}\` at the base commit (exit ${run.exitCode ?? 'killed'}), so the change could not be drilled.`,
    fix: "Check that the tool reads the shadow database from DATABASE_URL or the PG* variables, and that its dependencies are installed in the repository's checkout (npm ci before drillbot check).",
    evidence: lastLine(run.output),
  });
}

/** The failure of the tool's run at a migration: PostgreSQL's error when the tool sent a failing statement, else the tool's own output. */
function toolFailure({ run, script }: Judged, hazard: 'forward-error' | 'reverse-error', tool: ToolRun, command: ResolvedCommand): Finding {
  const failed = run.statements.at(-1);
  if (failed?.error) {
    const seen = failureFinding(run, script, hazard, 'plain');
    // The SQL layouts' advice names a file convention; a code migration leaves its transaction through its tool.
    return failed.error.code === '25001' ? { ...seen, fix: `${seen.fix} ${transactionAdvice(command.tool)?.outside ?? ''}`.trim() } : seen;
  }
  const direction = hazard === 'forward-error' ? 'forward' : 'reverse';
  return finding({
    hazard,
    source: 'drill',
    path: script.path,
    line: 1,
    message: `The ${direction} migration fails: \`${tool.command}\` exits with ${tool.exitCode ?? 'a signal'} before PostgreSQL reports an error.`,
    fix: `Fix the ${direction} migration so that the tool runs it.`,
    evidence: lastLine(tool.output),
  });
}

function lastLine(output: string): string | undefined {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  return lines.length > 0 ? lines.slice(-3).join(' | ').slice(0, 500) : undefined;
}
