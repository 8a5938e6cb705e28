import type { Hazard } from '../hazards.js';
import { withConcurrently } from '../sql/concurrently.js';
import type { ParsedStatement, StatementNode } from '../sql/parse.js';

/**
 * The safe alternative for a statement that caused a hazard, as SQL that replaces the statement
 * where one exists (usable as a suggestion), otherwise as the multi-step recipe.
 */
export function safeAlternative(statement: ParsedStatement, hazard: Hazard): string | undefined {
  switch (hazard) {
    case 'blocking-index':
      return indexAlternative(statement);
    case 'rewrite':
      return rewriteAlternative(statement);
    case 'blocking-scan':
      return scanAlternative(statement);
    case 'data-loss':
      return 'Expand/contract: stop reading and writing the data in a release first, back it up, and drop it in a later migration once nothing uses it.';
    case 'data-dependent':
      return 'Make the change safe for existing rows: add the column nullable or with a constant default, backfill in batches, then add the constraint (NOT VALID, then VALIDATE in a separate migration).';
    default:
      return undefined;
  }
}

function alterCommands(statement: ParsedStatement): Array<{ subtype: string; def?: StatementNode; name?: string }> {
  if (statement.kind !== 'AlterTableStmt') return [];
  return (statement.node.cmds ?? []).map((c: StatementNode) => c.AlterTableCmd ?? {});
}

function indexAlternative(statement: ParsedStatement): string | undefined {
  const concurrent = withConcurrently(statement);
  if (concurrent) return `${concurrent};`;
  if (alterCommands(statement).some((c) => c.subtype === 'AT_AddConstraint' || c.subtype === 'AT_AddIndex')) {
    return 'Build the index first with CREATE UNIQUE INDEX CONCURRENTLY (outside a transaction), then attach it: ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY/UNIQUE USING INDEX ….';
  }
  return undefined;
}

function rewriteAlternative(statement: ParsedStatement): string {
  const subtypes = alterCommands(statement).map((c) => c.subtype);
  if (subtypes.includes('AT_AlterColumnType')) {
    return 'Expand/contract: add a new column of the new type, write to both (trigger or application), backfill in batches, switch reads, then drop the old column.';
  }
  if (subtypes.includes('AT_AddColumn')) {
    return 'Add the column without a volatile default (none, or a constant), then ALTER COLUMN … SET DEFAULT for new rows, and backfill existing rows in batches.';
  }
  if (statement.kind === 'VacuumStmt' || statement.kind === 'ClusterStmt') {
    return 'Use pg_repack (or REPACK CONCURRENTLY on PostgreSQL 19+) instead of VACUUM FULL / CLUSTER.';
  }
  return 'Run it in a maintenance window, or build a new table and copy the rows in batches.';
}

function scanAlternative(statement: ParsedStatement): string | undefined {
  const commands = alterCommands(statement);
  const table = statement.node.relation?.relname as string | undefined;
  const setNotNull = commands.find((c) => c.subtype === 'AT_SetNotNull');
  if (setNotNull && table) {
    const column = setNotNull.name;
    return [
      `ALTER TABLE ${table} ADD CONSTRAINT ${table}_${column}_not_null CHECK (${column} IS NOT NULL) NOT VALID;`,
      `-- in a later migration (SHARE UPDATE EXCLUSIVE: writes continue):`,
      `ALTER TABLE ${table} VALIDATE CONSTRAINT ${table}_${column}_not_null;`,
      `ALTER TABLE ${table} ALTER COLUMN ${column} SET NOT NULL; -- PostgreSQL 12+ skips the scan`,
      `ALTER TABLE ${table} DROP CONSTRAINT ${table}_${column}_not_null;`,
    ].join('\n');
  }
  const constraint = commands.find((c) => c.subtype === 'AT_AddConstraint')?.def?.Constraint;
  if (constraint && table && !constraint.skip_validation) {
    const name = constraint.conname ?? '<constraint>';
    return [
      `${statement.text} NOT VALID;`,
      `-- in a later migration (SHARE UPDATE EXCLUSIVE: writes continue):`,
      `ALTER TABLE ${table} VALIDATE CONSTRAINT ${name};`,
    ].join('\n');
  }
  if (commands.some((c) => c.subtype === 'AT_ValidateConstraint')) {
    return 'Commit the NOT VALID constraint first: move VALIDATE CONSTRAINT into a separate migration (its own transaction), so the strong lock from the earlier statement is not held during the scan.';
  }
  return 'Split the work so that no scan of an existing table runs while a lock that blocks writes is held: commit DDL first, then scan or backfill in batches in separate transactions.';
}
