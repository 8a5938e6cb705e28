import type { LayoutId, MigrationScript } from '../layouts/layout.js';
import type { ParsedStatement, StatementNode } from './parse.js';
import { dropObjectNames, isConcurrent, relationName } from './nodes.js';

/**
 * Statements PostgreSQL refuses inside a transaction block ("… cannot run inside a transaction
 * block"), and how each migration tool lets a migration run outside one.
 */

/** A short description of the statement (`CREATE INDEX CONCURRENTLY on users`) when it cannot run in a transaction block. */
export function nonTransactionalStatement(statement: ParsedStatement, pgMajor: number): string | undefined {
  const node = statement.node;
  const on = (table: string): string => (table ? ` on ${table}` : '');
  switch (statement.kind) {
    case 'IndexStmt':
      return node.concurrent ? `CREATE INDEX CONCURRENTLY${on(relationName(node.relation))}` : undefined;
    case 'DropStmt':
      return node.concurrent ? `DROP INDEX CONCURRENTLY ${dropObjectNames(node).join(', ')}` : undefined;
    case 'ReindexStmt': {
      if (isConcurrent(statement)) return `REINDEX CONCURRENTLY ${relationName(node.relation) || String(node.name ?? '')}`.trim();
      // REINDEX SCHEMA / DATABASE / SYSTEM commit per table, so they refuse a transaction block too.
      const kind = String(node.kind ?? '');
      if (['REINDEX_OBJECT_SCHEMA', 'REINDEX_OBJECT_DATABASE', 'REINDEX_OBJECT_SYSTEM'].includes(kind)) {
        return `REINDEX ${kind.slice('REINDEX_OBJECT_'.length)} ${String(node.name ?? '')}`.trim();
      }
      return undefined;
    }
    case 'AlterTableStmt':
      return isConcurrent(statement) ? `DETACH PARTITION CONCURRENTLY${on(relationName(node.relation))}` : undefined;
    case 'VacuumStmt':
      // ANALYZE alone may run in a transaction block; VACUUM may not.
      return node.is_vacuumcmd
        ? `VACUUM${(node.rels ?? []).length ? ` ${(node.rels ?? []).map((r: StatementNode) => relationName(r.VacuumRelation?.relation)).join(', ')}` : ''}`
        : undefined;
    case 'AlterSystemStmt':
      return 'ALTER SYSTEM';
    case 'CreatedbStmt':
      return `CREATE DATABASE ${node.dbname}`;
    case 'DropdbStmt':
      return `DROP DATABASE ${node.dbname}`;
    case 'CreateTableSpaceStmt':
      return `CREATE TABLESPACE ${node.tablespacename}`;
    case 'DropTableSpaceStmt':
      return `DROP TABLESPACE ${node.tablespacename}`;
    case 'AlterEnumStmt':
      // Before PostgreSQL 12, ALTER TYPE … ADD VALUE could not run in a transaction block.
      return pgMajor < 12 && node.newVal !== undefined && node.oldVal === undefined
        ? `ALTER TYPE ${(node.typeName ?? []).map((n: StatementNode) => n.String?.sval).join('.')} ADD VALUE (before PostgreSQL 12)`
        : undefined;
    default:
      return undefined;
  }
}

/** Whether a COMMIT, ROLLBACK or BEGIN written in the file lies between two of its statements (a transaction boundary). */
export function transactionBoundaryBetween(statements: readonly ParsedStatement[], first: ParsedStatement, second: ParsedStatement): boolean {
  const from = statements.indexOf(first);
  const to = statements.indexOf(second);
  return statements.slice(from + 1, to).some((s) => s.kind === 'TransactionStmt');
}

/** Why the tool runs the file's statements in a transaction block, in words. */
export function whyInTransaction(layout: LayoutId): string {
  switch (layout) {
    case 'golang-migrate':
      return 'golang-migrate sends the file as one query string, which PostgreSQL runs as one transaction when it holds several statements';
    case 'goose':
      return 'goose runs each migration file in a transaction';
    case 'dbmate':
      return 'dbmate runs each migration in a transaction';
    case 'diesel':
      return 'Diesel runs each migration in a transaction';
    case 'flyway':
      return 'Flyway runs this script in a transaction';
    case 'plain':
      return 'the migration runs in a transaction';
    case 'prisma':
      return 'Prisma Migrate sends the migration.sql as one query string, which PostgreSQL runs as one transaction when it holds several statements';
    case 'supabase':
      return 'the Supabase CLI sends the file as one pipeline of statements, which PostgreSQL runs as one transaction';
    case 'drizzle':
      return "Drizzle's migrator runs every pending migration in one transaction";
    case 'atlas':
      return 'Atlas runs each migration file in a transaction (--tx-mode file)';
    case 'liquibase':
      return 'Liquibase runs each changeset in a transaction (runInTransaction defaults to true)';
    case 'sqitch':
      return 'the script opens a transaction with BEGIN (sqitch runs it with psql, statement by statement)';
    case 'node-pg-migrate':
      return 'node-pg-migrate runs each migration in a transaction';
  }
}

/** How to make the tool run a statement outside a transaction block. */
export function runOutsideTransaction(layout: LayoutId): string {
  switch (layout) {
    case 'golang-migrate':
      return 'Move the statement alone into its own migration file (a lone statement runs outside a transaction), or use x-multi-statement=true.';
    case 'goose':
      return 'Move the statement into a migration file that starts with `-- +goose NO TRANSACTION` (goose then runs its statements one by one, each committing on its own).';
    case 'dbmate':
      return 'Move the statement alone into its own migration and mark it `-- migrate:up transaction:false` (dbmate then sends the section as one query string, so keep nothing else in it).';
    case 'diesel':
      return 'Move the statement alone into its own migration whose metadata.toml sets `run_in_transaction = false`.';
    case 'flyway':
      return 'Move the statement alone into its own versioned migration: Flyway runs a script of non-transactional statements without a transaction (mixing them with others needs `mixed=true`).';
    case 'plain':
      return 'Run the statement in a migration step that is not wrapped in a transaction.';
    case 'prisma':
      return 'Move the statement alone into its own migration (prisma migrate dev --create-only): a migration.sql of one statement runs outside a transaction.';
    case 'supabase':
      return 'Move the statement alone into its own migration file: a file of one statement runs outside a transaction.';
    case 'drizzle':
      return "Drizzle's migrator cannot run it (every migration runs in its transaction, with no opt-out): run the statement outside drizzle-kit, e.g. with psql, before or after the deploy.";
    case 'atlas':
      return 'Move the statement into its own migration file whose header says `-- atlas:txmode none` (Atlas then runs its statements one by one, each committing on its own), and run `atlas migrate hash`.';
    case 'liquibase':
      return 'Move the statement into its own changeset with `runInTransaction:false` (Liquibase then runs its statements one by one, each committing on its own).';
    case 'sqitch':
      return 'Move the statement out of the BEGIN … COMMIT of the deploy script, or into its own change without one (psql then runs it on its own).';
    case 'node-pg-migrate':
      return 'Write that migration in JavaScript or TypeScript and call `pgm.noTransaction()` (a SQL migration cannot leave the transaction).';
  }
}

/** What a statement does to the transaction block: opens one, ends one, or neither. */
export function transactionEffect(statement: ParsedStatement): 'begin' | 'end' | undefined {
  if (statement.kind !== 'TransactionStmt') return undefined;
  switch (statement.node.kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START':
      return 'begin';
    // COMMIT/ROLLBACK AND CHAIN end the block and open the next one at once: it stays open.
    case 'TRANS_STMT_COMMIT':
    case 'TRANS_STMT_ROLLBACK':
      return statement.node.chain ? undefined : 'end';
    // PREPARE TRANSACTION ends the session's block (the transaction lives on, prepared).
    case 'TRANS_STMT_PREPARE':
      return 'end';
    default:
      return undefined;
  }
}

/** The BEGIN written in the file whose block is still open when `statement` runs, if any. */
export function openExplicitBegin(statements: readonly ParsedStatement[], statement: ParsedStatement): ParsedStatement | undefined {
  let open: ParsedStatement | undefined;
  for (const s of statements) {
    if (s === statement) return open;
    const effect = transactionEffect(s);
    if (effect === 'begin') open ??= s;
    if (effect === 'end') open = undefined;
  }
  return undefined;
}

/**
 * The statements that share a transaction block with `statement` (including itself), in order;
 * [] when it runs outside one. Blocks come from the tool's wrapping (the rule context's
 * inTransaction) and end at COMMIT/ROLLBACK or start at BEGIN written in the file.
 */
export function transactionBlockOf(
  statements: readonly ParsedStatement[],
  inTransaction: (statement: ParsedStatement) => boolean,
  statement: ParsedStatement,
): ParsedStatement[] {
  if (!inTransaction(statement)) return [];
  let block: ParsedStatement[] = [];
  let found = false;
  for (const s of statements) {
    const effect = transactionEffect(s);
    if (!inTransaction(s) || effect === 'begin') {
      if (found) return block;
      block = [];
      if (!inTransaction(s)) continue;
    }
    block.push(s);
    if (s === statement) found = true;
    if (effect === 'end') {
      if (found) return block;
      block = [];
    }
  }
  return found ? block : [];
}

/** Statements that do no work of their own: transaction control, SET/SHOW, COMMENT ON. */
export function isBookkeeping(statement: ParsedStatement): boolean {
  return ['TransactionStmt', 'VariableSetStmt', 'VariableShowStmt', 'CommentStmt'].includes(statement.kind);
}

/**
 * Whether the tool runs the whole script as one transaction: its own BEGIN/COMMIT, or one query
 * string of several statements (PostgreSQL's implicit transaction); a lone statement sent as one
 * query string runs on its own.
 */
export function wrappedWhole(script: Pick<MigrationScript, 'transaction'>, statements: number): boolean {
  return script.transaction === 'transaction' || (script.transaction === 'single-query' && statements > 1);
}

/** Whether each statement of the script runs inside a transaction block: the tool's own, or one the script opens. */
export function transactionBlocks(script: MigrationScript, statements: readonly ParsedStatement[]): Map<ParsedStatement, boolean> {
  let inBlock = wrappedWhole(script, statements.length);
  const blocks = new Map<ParsedStatement, boolean>();
  for (const statement of statements) {
    const effect = transactionEffect(statement);
    if (effect === 'begin') inBlock = true;
    blocks.set(statement, inBlock);
    if (effect === 'end') inBlock = false;
  }
  return blocks;
}
