import type { ParsedStatement, StatementNode } from './parse.js';
import { alterCommands, relationName, sameRelation } from './nodes.js';

/**
 * Facts about objects created before a statement. The rule context only knows which tables the
 * change created (isNewTable); dropping or renaming a column, schema, type or extension that the
 * change created is just as harmless, so rules ask here. Each helper searches the list it is
 * given: the rule context's `changeStatements` (earlier files of the change, then this file) for
 * "earlier in the change", or `statements` for "earlier in this file".
 */

/** The statements of `statements` before `statement` (none when `statement` is not in the list). */
export function statementsBefore(statements: readonly ParsedStatement[], statement: ParsedStatement): ParsedStatement[] {
  const index = statements.indexOf(statement);
  return index < 0 ? [] : statements.slice(0, index);
}

/** Whether a statement of `statements` before `statement` added `column` to `table` (ALTER TABLE … ADD COLUMN). */
export function columnAddedEarlier(statements: readonly ParsedStatement[], statement: ParsedStatement, table: string, column: string): boolean {
  return statementsBefore(statements, statement).some(
    (s) =>
      s.kind === 'AlterTableStmt' &&
      sameRelation(relationName(s.node.relation), table) &&
      alterCommands(s).some((c) => c.subtype === 'AT_AddColumn' && c.def?.ColumnDef?.colname === column),
  );
}

/** The constraint named `name` that an ALTER TABLE … ADD CONSTRAINT of `statements` before `statement` added to `table`. */
export function constraintAddedEarlier(
  statements: readonly ParsedStatement[],
  statement: ParsedStatement,
  table: string,
  name: string,
): StatementNode | undefined {
  for (const s of statementsBefore(statements, statement)) {
    if (s.kind !== 'AlterTableStmt' || !sameRelation(relationName(s.node.relation), table)) continue;
    const added = alterCommands(s).find((c) => c.subtype === 'AT_AddConstraint' && c.def?.Constraint?.conname === name);
    if (added) return added.def?.Constraint;
  }
  return undefined;
}

/** Whether `statement` itself or a later one of `statements` adds a foreign key named `name` to `table` again. */
export function foreignKeyAddedAgain(statements: readonly ParsedStatement[], statement: ParsedStatement, table: string, name: string): boolean {
  return statements
    .slice(statements.indexOf(statement))
    .some(
      (s) =>
        s.kind === 'AlterTableStmt' &&
        sameRelation(relationName(s.node.relation), table) &&
        alterCommands(s).some((c) => c.subtype === 'AT_AddConstraint' && c.def?.Constraint?.conname === name && c.def.Constraint.contype === 'CONSTR_FOREIGN'),
    );
}

/** Whether a statement of `statements` before `statement` created the schema, enum type or extension named `name`. */
export function createdEarlier(
  statements: readonly ParsedStatement[],
  statement: ParsedStatement,
  kind: 'schema' | 'type' | 'extension',
  name: string,
): boolean {
  return statementsBefore(statements, statement).some((s) => {
    switch (kind) {
      case 'schema':
        return s.kind === 'CreateSchemaStmt' && s.node.schemaname === name;
      case 'extension':
        return s.kind === 'CreateExtensionStmt' && s.node.extname === name;
      case 'type':
        return s.kind === 'CreateEnumStmt' && sameRelation(qualifiedName(s.node.typeName), name);
    }
  });
}

/** A dotted name from a list of String nodes (`typeName`, `funcname`). */
export function qualifiedName(list: StatementNode[] | undefined): string {
  return (list ?? []).map((n) => String(n.String?.sval ?? '')).join('.');
}
