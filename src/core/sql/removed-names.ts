import { columnAddedEarlier, statementsBefore } from './created-in-file.js';
import { alterCommands, baseName, dropObjectNames, relationName, sameRelation } from './nodes.js';
import type { ParsedStatement } from './parse.js';

/**
 * A table or column that existed before the change and that a forward statement drops or renames:
 * code still naming it fails once the statement has run (the contract half of expand/contract).
 */
export interface RemovedName {
  readonly kind: 'table' | 'column';
  readonly action: 'drop' | 'rename';
  /** The table as written (`s.t` or `t`); for a dropped or renamed table, the table itself. */
  readonly table: string;
  /** The column, for `kind: 'column'`. */
  readonly column?: string;
  /** The new name, for a rename. */
  readonly newName?: string;
  readonly statement: ParsedStatement;
}

/** `t.c` or `t`: how a removed name reads in messages. */
export function removedLabel(r: RemovedName): string {
  return r.column ? `${baseName(r.table)}.${r.column}` : baseName(r.table);
}

/**
 * The names existing before the change that `statement` drops or renames. `changeStatements`:
 * every forward statement of the change in order, so that names the change itself created are left out.
 */
export function removedNames(changeStatements: readonly ParsedStatement[], statement: ParsedStatement): RemovedName[] {
  const createdHere = (table: string) =>
    statementsBefore(changeStatements, statement).some((s) => s.kind === 'CreateStmt' && sameRelation(relationName(s.node.relation), table));
  return candidates(statement).filter((r) => !createdHere(r.table) && !(r.column && columnAddedEarlier(changeStatements, statement, r.table, r.column)));
}

function candidates(statement: ParsedStatement): RemovedName[] {
  const { kind, node } = statement;
  if (kind === 'DropStmt' && node.removeType === 'OBJECT_TABLE') {
    return dropObjectNames(node).map((table) => ({ kind: 'table', action: 'drop', table, statement }));
  }
  if (kind === 'AlterTableStmt' && node.objtype === 'OBJECT_TABLE') {
    const table = relationName(node.relation);
    return alterCommands(statement)
      .filter((c) => c.subtype === 'AT_DropColumn' && c.name)
      .map((c) => ({ kind: 'column', action: 'drop', table, column: c.name, statement }));
  }
  if (kind === 'RenameStmt' && node.relationType === 'OBJECT_TABLE') {
    const table = relationName(node.relation);
    if (node.renameType === 'OBJECT_COLUMN') return [{ kind: 'column', action: 'rename', table, column: node.subname, newName: node.newname, statement }];
    if (node.renameType === 'OBJECT_TABLE') return [{ kind: 'table', action: 'rename', table, newName: node.newname, statement }];
  }
  return [];
}
