import { parse } from 'libpg-query';
import { collectNodes, sameRelation } from '../sql/nodes.js';
import type { StatementNode } from '../sql/parse.js';
import type { RemovedName } from '../sql/removed-names.js';

/**
 * Where SQL names a removed table or column, found by PostgreSQL's own parser: a table by its
 * RangeVar, a column by a ColumnRef in a statement that reads the table (qualified by the table
 * or its alias, or unqualified), or as an INSERT/UPDATE target column. Offsets are into `sql`.
 * SQL that does not parse names nothing: it is not SQL we can judge.
 */
export async function sqlReferences(sql: string, removed: RemovedName): Promise<number[]> {
  let tree: StatementNode;
  try {
    tree = await parse(sql);
  } catch {
    return [];
  }
  // libpg-query's locations count bytes; callers count characters.
  const bytes = Buffer.from(sql, 'utf8');
  return (tree.stmts ?? [])
    .flatMap((raw: StatementNode) => statementReferences(raw.stmt, removed))
    .map((b: number) => bytes.subarray(0, b).toString('utf8').length);
}

function statementReferences(stmt: StatementNode, removed: RemovedName): number[] {
  const tables = [...collectNodes(stmt, 'RangeVar'), ...writtenRelations(stmt)].filter((r) =>
    sameRelation(r.schemaname ? `${r.schemaname}.${r.relname}` : String(r.relname), removed.table),
  );
  if (tables.length === 0) return [];
  if (!removed.column) return tables.map((t) => t.location ?? 0);
  const names = new Set([removed.table.slice(removed.table.lastIndexOf('.') + 1), ...tables.flatMap((t) => (t.alias?.aliasname ? [t.alias.aliasname] : []))]);
  const refs = collectNodes(stmt, 'ColumnRef').filter((c) => {
    const fields: string[] = (c.fields ?? []).map((f: StatementNode) => f.String?.sval).filter((f: unknown) => typeof f === 'string');
    if (fields[fields.length - 1] !== removed.column) return false;
    return fields.length === 1 || names.has(fields[fields.length - 2]!);
  });
  return [...refs, ...targetColumns(stmt, removed)].map((n) => n.location ?? 0);
}

/** The table an INSERT, UPDATE or DELETE writes: the AST holds it as a bare RangeVar, not under a `RangeVar` key. */
function writtenRelations(stmt: StatementNode): StatementNode[] {
  return collectNodes(stmt, 'relation').filter((r) => typeof r?.relname === 'string');
}

/** INSERT INTO t (col) and UPDATE t SET col = …: the column named as a target (an alias in a SELECT list is not). */
function targetColumns(stmt: StatementNode, removed: RemovedName): StatementNode[] {
  const write = stmt.InsertStmt ?? stmt.UpdateStmt;
  if (!write?.relation || !sameRelation(String(write.relation.relname), removed.table)) return [];
  const targets: StatementNode[] = (write.cols ?? write.targetList ?? []).map((t: StatementNode) => t.ResTarget ?? {});
  return targets.filter((t) => t.name === removed.column);
}
