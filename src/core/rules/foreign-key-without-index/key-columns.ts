import type { ParsedStatement, StatementNode } from '../../sql/parse.js';
import { alterCommands, relationName, sameRelation } from '../../sql/nodes.js';

/**
 * Foreign keys and index key columns as migration SQL declares them. The rules see only the
 * change's SQL, never the catalog, so an index that already exists in production is unknown here.
 */

/** One FOREIGN KEY a statement declares: referencing table and columns, referenced table. */
export interface ForeignKey {
  readonly table: string;
  readonly columns: readonly string[];
  readonly referenced: string;
}

const names = (list: StatementNode[] | undefined): string[] => (list ?? []).map((n) => String(n.String?.sval ?? ''));

/** Constraints of a column definition or table element, with the columns they apply to. */
function elementConstraints(element: StatementNode): Array<{ constraint: StatementNode; columns: string[] }> {
  if (element.ColumnDef) {
    return (element.ColumnDef.constraints ?? []).map((c: StatementNode) => ({ constraint: c.Constraint ?? {}, columns: [String(element.ColumnDef.colname)] }));
  }
  if (element.Constraint) {
    const c = element.Constraint;
    return [{ constraint: c, columns: c.contype === 'CONSTR_FOREIGN' ? names(c.fk_attrs) : names(c.keys) }];
  }
  return [];
}

/** The table elements (columns and constraints) a CREATE TABLE or ALTER TABLE … ADD declares, with its table. */
function declaredElements(statement: ParsedStatement): { table: string; elements: StatementNode[] } | undefined {
  if (statement.kind === 'CreateStmt') return { table: relationName(statement.node.relation), elements: statement.node.tableElts ?? [] };
  if (statement.kind === 'AlterTableStmt') {
    const elements = alterCommands(statement).flatMap((c) => (['AT_AddColumn', 'AT_AddConstraint'].includes(c.subtype) && c.def ? [c.def] : []));
    return { table: relationName(statement.node.relation), elements };
  }
  return undefined;
}

/** The foreign keys a CREATE TABLE or ALTER TABLE declares (inline REFERENCES or FOREIGN KEY constraints). */
export function foreignKeysDeclared(statement: ParsedStatement): ForeignKey[] {
  const declared = declaredElements(statement);
  if (!declared) return [];
  return declared.elements
    .flatMap(elementConstraints)
    .flatMap(({ constraint, columns }) =>
      constraint.contype === 'CONSTR_FOREIGN' && columns.length ? [{ table: declared.table, columns, referenced: relationName(constraint.pktable) }] : [],
    );
}

/**
 * The key columns of every index that `statements` (all of them, wherever `table` is used) give
 * `table`: CREATE INDEX (up to the first expression), and PRIMARY KEY / UNIQUE constraints of
 * CREATE TABLE and ALTER TABLE.
 */
export function indexKeysDeclared(statements: readonly ParsedStatement[], table: string): string[][] {
  return statements.flatMap((s): string[][] => {
    if (s.kind === 'IndexStmt') {
      if (!sameRelation(relationName(s.node.relation), table)) return [];
      const params: StatementNode[] = (s.node.indexParams ?? []).map((p: StatementNode) => p.IndexElem ?? {});
      const leading = params.findIndex((p) => !p.name);
      return [(leading < 0 ? params : params.slice(0, leading)).map((p) => String(p.name))];
    }
    const declared = declaredElements(s);
    if (!declared || !sameRelation(declared.table, table)) return [];
    return declared.elements
      .flatMap(elementConstraints)
      .filter(({ constraint }) => constraint.contype === 'CONSTR_PRIMARY' || constraint.contype === 'CONSTR_UNIQUE')
      .map(({ columns }) => columns);
  });
}

/** Whether an index's leading columns are exactly `columns`, in any order (what a lookup by all of them needs). */
export function leadsWith(indexKey: readonly string[], columns: readonly string[]): boolean {
  const leading = new Set(indexKey.slice(0, columns.length));
  return indexKey.length >= columns.length && columns.every((c) => leading.has(c));
}
