import type { ParsedStatement, StatementNode } from './parse.js';
import { alterCommands, columnConstraints, relationName, typeModifiers, typeName } from './nodes.js';

/** A column whose type a statement sets: CREATE TABLE, ALTER TABLE ADD COLUMN or ALTER COLUMN TYPE. */
export interface ColumnDefinition {
  readonly table: string;
  readonly column: string;
  /** As the catalog spells it, without pg_catalog: `int4`, `varchar`, `timestamp`, `serial`. */
  readonly type: string;
  readonly typmods: number[];
  /** Whether it is an array of that type. */
  readonly array: boolean;
  /** The constraints declared inline on the column (none for ALTER COLUMN TYPE). */
  readonly constraints: StatementNode[];
  /** Whether the column is (part of) the primary key declared in the same statement. */
  readonly primaryKey: boolean;
  readonly how: 'create-table' | 'add-column' | 'alter-type';
}

/** Every column definition (with its type) that a CREATE TABLE or ALTER TABLE statement makes. */
export function columnDefinitions(statement: ParsedStatement): ColumnDefinition[] {
  const table = relationName(statement.node.relation);
  if (statement.kind === 'CreateStmt') {
    const elements: StatementNode[] = statement.node.tableElts ?? [];
    // PRIMARY KEY (a, b) written as a table constraint names the key columns.
    const keyColumns = new Set(
      elements
        .filter((e) => e.Constraint?.contype === 'CONSTR_PRIMARY')
        .flatMap((e) => (e.Constraint.keys ?? []).map((k: StatementNode) => String(k.String?.sval))),
    );
    return elements.filter((e) => e.ColumnDef).map((e) => definition(table, e.ColumnDef, 'create-table', keyColumns.has(e.ColumnDef.colname)));
  }
  return alterCommands(statement).flatMap((cmd) => {
    const def = cmd.def?.ColumnDef;
    if (!def) return [];
    if (cmd.subtype === 'AT_AddColumn') return [definition(table, def, 'add-column', false)];
    if (cmd.subtype === 'AT_AlterColumnType') return [definition(table, { ...def, colname: cmd.name }, 'alter-type', false)];
    return [];
  });
}

function definition(table: string, def: StatementNode, how: ColumnDefinition['how'], keyedByTable: boolean): ColumnDefinition {
  const constraints = columnConstraints(def);
  return {
    table,
    column: String(def.colname),
    type: typeName(def.typeName),
    typmods: typeModifiers(def.typeName),
    array: (def.typeName?.arrayBounds ?? []).length > 0,
    constraints,
    primaryKey: keyedByTable || constraints.some((c) => c.contype === 'CONSTR_PRIMARY'),
    how,
  };
}
