import type { ParsedStatement, StatementNode } from '../../sql/parse.js';
import { quoteIdent, relationName, sameRelation, typeName } from '../../sql/nodes.js';

/**
 * A CHECK expression equivalent to a partition bound (`FOR VALUES FROM … TO …`, `IN (…)`), so
 * that ATTACH PARTITION can skip its validation scan. PostgreSQL skips the scan when the
 * partition's valid constraints imply the partition constraint; this mirrors what
 * get_qual_for_range / get_qual_for_list build (https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-ATTACH-PARTITION).
 */

/** SQL text of a bound datum: constants and casts; undefined for anything else. */
function datumText(datum: StatementNode): string | undefined {
  if (datum.TypeCast) {
    const inner = datumText(datum.TypeCast.arg ?? {});
    return inner === undefined ? undefined : `${inner}::${typeName(datum.TypeCast.typeName)}`;
  }
  const c = datum.A_Const;
  if (!c) return undefined;
  if (c.isnull) return 'NULL';
  if (c.sval) return `'${String(c.sval.sval ?? '').replace(/'/g, "''")}'`;
  if (c.ival) return String(c.ival.ival ?? 0);
  if (c.fval) return String(c.fval.fval);
  if (c.boolval) return String(!!c.boolval.boolval);
  return undefined;
}

const isUnbounded = (datum: StatementNode): string | undefined => {
  const name = datum.ColumnRef?.fields?.[0]?.String?.sval;
  return name === 'minvalue' || name === 'maxvalue' ? name : undefined;
};

/** The partition key columns of a partitioned table created by one of the statements, if any (expressions give undefined). */
export function partitionKey(statements: readonly ParsedStatement[], parent: string): string[] | undefined {
  const created = statements.find((s) => s.kind === 'CreateStmt' && s.node.partspec && sameRelation(relationName(s.node.relation), parent));
  const params: StatementNode[] = created?.node.partspec.partParams ?? [];
  const names = params.map((p) => p.PartitionElem?.name as string | undefined);
  return created && names.every((n) => n) ? (names as string[]) : undefined;
}

/**
 * A CHECK condition matching a single-column range or list bound, with `key` as the column
 * (a placeholder when unknown); undefined for hash, DEFAULT or multi-column bounds.
 */
export function boundCheck(bound: StatementNode | undefined, key: string): string | undefined {
  if (!bound || bound.is_default) return undefined;
  const column = /^[<]/.test(key) ? key : quoteIdent(key);
  if (bound.strategy === 'r' && bound.lowerdatums?.length === 1 && bound.upperdatums?.length === 1) {
    const parts = [`${column} IS NOT NULL`];
    const lower = bound.lowerdatums[0];
    const upper = bound.upperdatums[0];
    if (!isUnbounded(lower)) {
      const text = datumText(lower);
      if (text === undefined) return undefined;
      parts.push(`${column} >= ${text}`);
    }
    if (!isUnbounded(upper)) {
      const text = datumText(upper);
      if (text === undefined) return undefined;
      parts.push(`${column} < ${text}`);
    }
    return parts.join(' AND ');
  }
  if (bound.strategy === 'l') {
    const values = (bound.listdatums ?? []).map(datumText);
    if (values.some((v: string | undefined) => v === undefined)) return undefined;
    const nonNull = values.filter((v: string) => v !== 'NULL');
    const inList = nonNull.length ? `${column} IN (${nonNull.join(', ')})` : undefined;
    if (nonNull.length === values.length) return `${column} IS NOT NULL AND ${inList}`;
    return inList ? `${column} IS NULL OR ${inList}` : `${column} IS NULL`;
  }
  return undefined;
}
