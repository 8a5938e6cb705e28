import type { NodeTag, ParsedStatement, StatementNode } from './parse.js';
import { baseName, createdIndexName, dropObjectNames, optionEnabled, relationName, sameRelation } from './nodes.js';

/**
 * Which table-level lock a statement takes, per shared/design/locks.md (PostgreSQL
 * `ref/alter_table.sgml` and the explicit-locking page, cross-checked with squawk and eugene).
 * https://www.postgresql.org/docs/current/explicit-locking.html#LOCKING-TABLES
 */

/** PostgreSQL table lock modes, weakest first. */
export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;

export type LockMode = (typeof LOCK_MODES)[number];

/** One lock a statement acquires. */
export interface RelationLock {
  /** The locked table (or materialized view); for `kind: 'index-table'`, the index whose table is locked. */
  readonly relation: string;
  readonly mode: LockMode;
  /** 'index-table': the statement names an index and locks the table it belongs to (DROP INDEX). */
  readonly kind: 'table' | 'index-table';
}

/** Orders lock modes: a higher rank conflicts with more. */
export function lockRank(mode: LockMode): number {
  return LOCK_MODES.indexOf(mode);
}

/** Whether a lock mode is at least as strong as another. */
export function isAtLeast(mode: LockMode, floor: LockMode): boolean {
  return lockRank(mode) >= lockRank(floor);
}

/** Whether the lock blocks writes (INSERT/UPDATE/DELETE take ROW EXCLUSIVE, which SHARE and stronger conflict with). */
export function blocksWrites(mode: LockMode): boolean {
  return isAtLeast(mode, 'SHARE');
}

/** Whether the lock blocks plain reads (only ACCESS EXCLUSIVE conflicts with ACCESS SHARE). */
export function blocksReads(mode: LockMode): boolean {
  return mode === 'ACCESS EXCLUSIVE';
}

/** The strongest of some lock modes, or undefined for none. */
export function strongest(modes: readonly LockMode[]): LockMode | undefined {
  return modes.reduce<LockMode | undefined>((a, b) => (a === undefined || lockRank(b) > lockRank(a) ? b : a), undefined);
}

/** LockStmt's `mode` is PostgreSQL's LOCKMODE number (1 = AccessShareLock … 8 = AccessExclusiveLock). */
const LOCK_STMT_MODES: Record<number, LockMode> = Object.fromEntries(LOCK_MODES.map((m, i) => [i + 1, m]));

/**
 * ALTER TABLE subcommands that take less than ACCESS EXCLUSIVE ("An ACCESS EXCLUSIVE lock is
 * acquired unless explicitly noted"). Foreign keys and partitions are handled in alterCommandLocks.
 */
const ALTER_SUBCOMMAND_LOCKS: Record<string, LockMode> = {
  AT_SetStatistics: 'SHARE UPDATE EXCLUSIVE',
  AT_SetOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ResetOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_SetRelOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ResetRelOptions: 'SHARE UPDATE EXCLUSIVE',
  AT_ClusterOn: 'SHARE UPDATE EXCLUSIVE',
  AT_DropCluster: 'SHARE UPDATE EXCLUSIVE',
  AT_ValidateConstraint: 'SHARE UPDATE EXCLUSIVE',
  AT_DetachPartitionFinalize: 'SHARE UPDATE EXCLUSIVE',
  AT_EnableTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableAlwaysTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableReplicaTrig: 'SHARE ROW EXCLUSIVE',
  AT_EnableTrigAll: 'SHARE ROW EXCLUSIVE',
  AT_EnableTrigUser: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrig: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrigAll: 'SHARE ROW EXCLUSIVE',
  AT_DisableTrigUser: 'SHARE ROW EXCLUSIVE',
};

/** The foreign-key constraints a node tree declares (inline REFERENCES or table constraints). */
function foreignKeysIn(node: StatementNode | undefined): StatementNode[] {
  if (!node) return [];
  if (node.Constraint) return node.Constraint.contype === 'CONSTR_FOREIGN' ? [node.Constraint] : [];
  if (node.ColumnDef) return (node.ColumnDef.constraints ?? []).flatMap(foreignKeysIn);
  return [];
}

/** Locks one ALTER TABLE subcommand takes on its table and on the other tables it touches. */
function alterCommandLocks(table: string, cmd: StatementNode): RelationLock[] {
  const subtype = String(cmd.subtype);
  const def: StatementNode | undefined = cmd.def;
  const lock = (relation: string, mode: LockMode): RelationLock => ({ relation, mode, kind: 'table' });
  switch (subtype) {
    case 'AT_AttachPartition':
      // SUE on the parent, AE on the partition being attached (and on the default partition, unknown here).
      return [lock(table, 'SHARE UPDATE EXCLUSIVE'), lock(relationName(def?.PartitionCmd?.name), 'ACCESS EXCLUSIVE')];
    case 'AT_DetachPartition': {
      const mode: LockMode = def?.PartitionCmd?.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
      return [lock(table, mode), lock(relationName(def?.PartitionCmd?.name), mode)];
    }
    case 'AT_AddConstraint':
    case 'AT_AddColumn': {
      // ADD FOREIGN KEY takes SHARE ROW EXCLUSIVE on both tables; ADD COLUMN … REFERENCES still takes AE on its own.
      const fks = foreignKeysIn(def);
      const own: LockMode = subtype === 'AT_AddConstraint' && fks.length > 0 ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE';
      return [lock(table, own), ...fks.map((fk) => lock(relationName(fk.pktable), 'SHARE ROW EXCLUSIVE'))];
    }
    default:
      return [lock(table, ALTER_SUBCOMMAND_LOCKS[subtype] ?? 'ACCESS EXCLUSIVE')];
  }
}

/**
 * The table locks a statement acquires, with the strongest mode per relation. Statements that
 * take only ACCESS SHARE / ROW EXCLUSIVE (SELECT, DML) and statements on objects that are not
 * tables (views, functions, types) return [].
 */
export function locksTaken(statement: ParsedStatement): RelationLock[] {
  const node = statement.node;
  const table = (relation: string, mode: LockMode): RelationLock => ({ relation, mode, kind: 'table' });
  let locks: RelationLock[] = [];
  switch (statement.kind) {
    case 'AlterTableStmt':
      if (node.objtype !== 'OBJECT_TABLE' && node.objtype !== 'OBJECT_MATVIEW') return [];
      locks = (node.cmds ?? []).flatMap((c: StatementNode) => alterCommandLocks(relationName(node.relation), c.AlterTableCmd ?? {}));
      break;
    case 'RenameStmt':
      // RENAME TO / RENAME COLUMN / RENAME CONSTRAINT of a table; ALTER INDEX … RENAME names an index instead.
      if (['OBJECT_TABLE', 'OBJECT_COLUMN', 'OBJECT_TABCONSTRAINT', 'OBJECT_MATVIEW'].includes(node.renameType) && node.relation) {
        if (node.renameType === 'OBJECT_COLUMN' && node.relationType && !['OBJECT_TABLE', 'OBJECT_MATVIEW'].includes(node.relationType)) return [];
        locks = [table(relationName(node.relation), 'ACCESS EXCLUSIVE')];
      }
      break;
    case 'AlterObjectSchemaStmt':
      if (node.objectType === 'OBJECT_TABLE' && node.relation) locks = [table(relationName(node.relation), 'ACCESS EXCLUSIVE')];
      break;
    case 'DropStmt':
      locks = dropLocks(node);
      break;
    case 'TruncateStmt':
      locks = (node.relations ?? []).map((r: StatementNode) => table(relationName(r.RangeVar), 'ACCESS EXCLUSIVE'));
      break;
    case 'CreateTrigStmt':
      locks = [table(relationName(node.relation), 'SHARE ROW EXCLUSIVE')];
      break;
    case 'CreateStmt':
      // The new table itself is not worth a lock entry, but REFERENCES takes SRE on the referenced table.
      locks = (node.tableElts ?? []).flatMap(foreignKeysIn).map((fk: StatementNode) => table(relationName(fk.pktable), 'SHARE ROW EXCLUSIVE'));
      break;
    case 'IndexStmt':
      locks = [table(relationName(node.relation), node.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE')];
      break;
    case 'ReindexStmt':
      // The REINDEX page: SHARE on the table (AE on the index itself); locks.md notes squawk models AE.
      if (node.relation && node.kind === 'REINDEX_OBJECT_TABLE') {
        locks = [table(relationName(node.relation), optionEnabled(node.params, 'concurrently') ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE')];
      }
      break;
    case 'VacuumStmt':
      locks = (node.rels ?? []).map((r: StatementNode) =>
        table(relationName(r.VacuumRelation?.relation), isVacuumFull(node) ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE'),
      );
      break;
    case 'ClusterStmt':
      if (node.relation) locks = [table(relationName(node.relation), 'ACCESS EXCLUSIVE')];
      break;
    case 'RefreshMatViewStmt':
      locks = [table(relationName(node.relation), node.concurrent ? 'EXCLUSIVE' : 'ACCESS EXCLUSIVE')];
      break;
    case 'LockStmt': {
      const mode = LOCK_STMT_MODES[Number(node.mode)] ?? 'ACCESS EXCLUSIVE';
      locks = (node.relations ?? []).map((r: StatementNode) => table(relationName(r.RangeVar), mode));
      break;
    }
    default:
      return [];
  }
  return mergeLocks(locks.filter((l) => l.relation));
}

function dropLocks(node: StatementNode): RelationLock[] {
  const objects: string[][] = dropObjectNames(node).map((name) => name.split('.'));
  switch (node.removeType) {
    case 'OBJECT_TABLE':
    case 'OBJECT_MATVIEW':
      return objects.map((parts) => ({ relation: parts.join('.'), mode: 'ACCESS EXCLUSIVE', kind: 'table' }));
    case 'OBJECT_INDEX':
      return objects.map((parts) => ({
        relation: parts.join('.'),
        mode: node.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE',
        kind: 'index-table',
      }));
    case 'OBJECT_TRIGGER':
      // DROP TRIGGER name ON table: the trigger name comes last.
      return objects.map((parts) => ({ relation: parts.slice(0, -1).join('.'), mode: 'ACCESS EXCLUSIVE', kind: 'table' }));
    default:
      return [];
  }
}

function mergeLocks(locks: RelationLock[]): RelationLock[] {
  const byKey = new Map<string, RelationLock>();
  for (const l of locks) {
    const key = `${l.kind}:${l.relation}`;
    const seen = byKey.get(key);
    if (!seen || lockRank(l.mode) > lockRank(seen.mode)) byKey.set(key, l);
  }
  return [...byKey.values()];
}

/** Whether a VACUUM statement has the FULL option (`VACUUM FULL t`, `VACUUM (FULL) t`, not `(FULL false)`). */
export function isVacuumFull(node: StatementNode): boolean {
  return optionEnabled(node.options, 'full');
}

/** The table of an index created by a CREATE INDEX in these statements, or undefined. */
export function tableOfIndex(statements: readonly ParsedStatement[], index: string): string | undefined {
  const created = statements.find((s) => s.kind === 'IndexStmt' && sameRelation(createdIndexName(s.node), index));
  return created ? relationName(created.node.relation) : undefined;
}

/**
 * The locks of at least `floor` that a statement takes on tables that existed before the change
 * (tables the change created have no traffic to block). DROP INDEX locks are resolved to the
 * index's table when a CREATE INDEX of `statements` (pass the change's) created the index;
 * otherwise they stay `index-table` locks.
 */
export function strongLocksOnExistingTables(
  statement: ParsedStatement,
  statements: readonly ParsedStatement[],
  isNewTable: (name: string) => boolean,
  floor: LockMode,
): RelationLock[] {
  return locksTaken(statement).flatMap((lock): RelationLock[] => {
    if (!isAtLeast(lock.mode, floor)) return [];
    if (lock.kind === 'index-table') {
      const table = tableOfIndex(statements, lock.relation);
      if (table === undefined) return [lock];
      return isNewTable(table) ? [] : [{ relation: table, mode: lock.mode, kind: 'table' }];
    }
    return isNewTable(lock.relation) ? [] : [lock];
  });
}

/** A short name for what the statement does, for messages: `ALTER TABLE`, `DROP TABLE`, `CREATE TRIGGER`. */
export function statementLabel(statement: ParsedStatement): string {
  const node = statement.node;
  switch (statement.kind) {
    case 'AlterTableStmt':
      return node.objtype === 'OBJECT_MATVIEW' ? 'ALTER MATERIALIZED VIEW' : 'ALTER TABLE';
    case 'RenameStmt':
      return 'ALTER TABLE … RENAME';
    case 'AlterObjectSchemaStmt':
      return 'ALTER TABLE … SET SCHEMA';
    case 'DropStmt':
      return `DROP ${String(node.removeType ?? '')
        .replace(/^OBJECT_/, '')
        .replace('MATVIEW', 'MATERIALIZED VIEW')}`;
    case 'TruncateStmt':
      return 'TRUNCATE';
    case 'CreateTrigStmt':
      return 'CREATE TRIGGER';
    case 'CreateStmt':
      return 'CREATE TABLE … REFERENCES';
    case 'IndexStmt':
      return 'CREATE INDEX';
    case 'ReindexStmt':
      return 'REINDEX';
    case 'VacuumStmt':
      return isVacuumFull(node) ? 'VACUUM FULL' : 'VACUUM';
    case 'ClusterStmt':
      return 'CLUSTER';
    case 'RefreshMatViewStmt':
      return 'REFRESH MATERIALIZED VIEW';
    case 'LockStmt':
      return 'LOCK TABLE';
    default:
      return statement.kind.replace(/Stmt$/, '');
  }
}

/** Statement kinds that locksTaken knows locks for: visitor keys for rules about locks. */
export const LOCKING_KINDS = [
  'AlterTableStmt',
  'RenameStmt',
  'AlterObjectSchemaStmt',
  'DropStmt',
  'TruncateStmt',
  'CreateTrigStmt',
  'CreateStmt',
  'IndexStmt',
  'ReindexStmt',
  'VacuumStmt',
  'ClusterStmt',
  'RefreshMatViewStmt',
  'LockStmt',
] as const satisfies readonly NodeTag[];

/** `ACCESS EXCLUSIVE / SHARE ROW EXCLUSIVE on users, orders`, for messages. */
export function describeLocks(locks: readonly RelationLock[]): string {
  const modes = [...new Set(locks.map((l) => l.mode))].join(' / ');
  const tables = locks.map((l) => (l.kind === 'index-table' ? `the table of index ${baseName(l.relation)}` : baseName(l.relation)));
  return `${modes} on ${tables.join(', ')}`;
}
