import type { ColumnDef, Node, RangeVar, TypeName } from '@pgsql/types';
import type { NodeOf, NodeTag, ParsedStatement, StatementNode } from './parse.js';

/** Helpers over libpg-query nodes shared by the rules and the drill's advice. */

/** The node under `tag` when `node` is one of that type (`asNode(item, 'String')?.sval`), else undefined. */
export function asNode<T extends NodeTag>(node: Node | undefined, tag: T): NodeOf<T> | undefined {
  return node && tag in node ? (node as Record<T, NodeOf<T>>)[tag] : undefined;
}

/** `schema.name` or `name` of a RangeVar, as written (identifiers are already case-folded by the parser). */
export function relationName(rangeVar: RangeVar | undefined): string {
  if (!rangeVar) return '';
  return rangeVar.schemaname ? `${rangeVar.schemaname}.${rangeVar.relname}` : String(rangeVar.relname);
}

/** The unqualified part of a possibly qualified name, for comparing tables written either way. */
export function baseName(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

export interface AlterCommand {
  readonly subtype: string;
  readonly name?: string;
  readonly def?: StatementNode;
  readonly behavior?: string;
  readonly missing_ok?: boolean;
}

/** The subcommands of an ALTER TABLE statement (empty for anything else). */
export function alterCommands(statement: ParsedStatement): AlterCommand[] {
  if (statement.kind !== 'AlterTableStmt') return [];
  return (statement.node.cmds ?? []).map((c: StatementNode) => c.AlterTableCmd ?? {});
}

/** The table an ALTER TABLE, CREATE INDEX, … statement targets, or '' when it has none. */
export function targetTable(statement: ParsedStatement): string {
  return relationName(statement.node.relation);
}

/** Type name as PostgreSQL's catalog spells it, without pg_catalog: `int4`, `varchar`, `timestamptz`. */
export function typeName(typeNameNode: TypeName | undefined): string {
  const names: string[] = (typeNameNode?.names ?? []).map((n: StatementNode) => String(n.String?.sval ?? ''));
  const parts = names[0] === 'pg_catalog' ? names.slice(1) : names;
  return parts.join('.');
}

/** Type modifiers written after the name, e.g. [100] for varchar(100). */
export function typeModifiers(typeNameNode: TypeName | undefined): number[] {
  return (typeNameNode?.typmods ?? []).map((m: StatementNode) => Number(m.A_Const?.ival?.ival ?? NaN)).filter((n: number) => !Number.isNaN(n));
}

/** The constraints declared inline on a column definition. */
export function columnConstraints(columnDef: ColumnDef | undefined): StatementNode[] {
  return (columnDef?.constraints ?? []).map((c: StatementNode) => c.Constraint ?? {});
}

/** Functions whose value changes per row: a default using one makes ADD COLUMN rewrite the table. */
const VOLATILE_FUNCTIONS = new Set([
  'clock_timestamp',
  'timeofday',
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'nextval',
  'txid_current',
  'statement_timestamp',
]);

/** Whether an expression calls a known volatile function (anywhere inside it). */
export function callsVolatileFunction(expr: unknown): boolean {
  return findFunctionCalls(expr).some((name) => VOLATILE_FUNCTIONS.has(name));
}

/** Names (unqualified) of every function called inside a node tree. */
export function findFunctionCalls(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(findFunctionCalls);
  if (!node || typeof node !== 'object') return [];
  const record = node as StatementNode;
  const own = record.FuncCall ? [String(record.FuncCall.funcname?.at(-1)?.String?.sval ?? '')] : [];
  return [...own, ...Object.values(record).flatMap(findFunctionCalls)];
}

/** Whether a node tree contains a node of the given type anywhere. */
export function containsNode(node: unknown, type: string): boolean {
  return collectNodes(node, type).length > 0;
}

/** Every node of the given type inside a node tree (the node under its type key), outermost first. */
export function collectNodes(node: unknown, type: string): StatementNode[] {
  if (Array.isArray(node)) return node.flatMap((n) => collectNodes(n, type));
  if (!node || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => [...(key === type ? [value as StatementNode] : []), ...collectNodes(value, type)]);
}

/** Names of the objects a DROP statement removes, dotted as written (`s.t`, `t`, `ext`). */
export function dropObjectNames(drop: StatementNode): string[] {
  return (drop.objects ?? []).map((o: StatementNode) => {
    const parts: StatementNode[] = o.List?.items ?? (o.String ? [o] : []);
    return parts.map((p) => String(p.String?.sval ?? '')).join('.');
  });
}

/** Whether two relation names denote the same table, one of them possibly unqualified. */
export function sameRelation(a: string, b: string): boolean {
  return a === b || (!(a.includes('.') && b.includes('.')) && baseName(a) === baseName(b));
}

/**
 * Whether no other statement shares a line with this one, so that a fix replacing its lines
 * (a GitHub suggestion) replaces this statement and nothing else.
 */
export function ownsLines(statements: readonly ParsedStatement[], statement: ParsedStatement): boolean {
  return statements.every((s) => s === statement || s.endLine < statement.line || s.line > statement.endLine);
}

/** Every FOREIGN KEY constraint a CREATE TABLE or ALTER TABLE declares, inline on columns or not. */
export function foreignKeyConstraints(statement: ParsedStatement): StatementNode[] {
  const all: StatementNode[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const record = node as StatementNode;
    if (record.Constraint?.contype === 'CONSTR_FOREIGN') all.push(record.Constraint);
    Object.values(record).forEach(visit);
  };
  if (statement.kind === 'CreateStmt' || statement.kind === 'AlterTableStmt') visit(statement.node);
  return all;
}

/** Whether a DefElem option list (`REINDEX (CONCURRENTLY)`, `VACUUM (FULL)`) turns `name` on; a bare option means on. */
export function optionEnabled(params: StatementNode[] | undefined, name: string): boolean {
  // The last mention wins, as in PostgreSQL: `REINDEX (CONCURRENTLY false) INDEX CONCURRENTLY i` is concurrent.
  const option = (params ?? [])
    .map((p) => p.DefElem ?? {})
    .filter((d) => d.defname === name)
    .at(-1);
  if (!option) return false;
  const arg = option.arg;
  if (!arg) return true;
  const value = String(
    arg.Boolean?.boolval ?? arg.String?.sval ?? arg.Integer?.ival ?? arg.A_Const?.boolval?.boolval ?? arg.A_Const?.sval?.sval ?? '',
  ).toLowerCase();
  return !['false', 'off', '0', ''].includes(value);
}

/** Whether the statement runs CONCURRENTLY: CREATE/DROP INDEX, REINDEX, ALTER TABLE … DETACH PARTITION. */
export function isConcurrent(statement: ParsedStatement): boolean {
  switch (statement.kind) {
    case 'IndexStmt':
    case 'DropStmt':
      return !!statement.node.concurrent;
    case 'ReindexStmt':
      return optionEnabled(statement.node.params, 'concurrently');
    case 'AlterTableStmt':
      return alterCommands(statement).some((c) => c.subtype === 'AT_DetachPartition' && !!c.def?.PartitionCmd?.concurrent);
    default:
      return false;
  }
}

/** The name a CREATE INDEX gives its index, qualified with the table's schema when written (indexes live there). */
export function createdIndexName(indexStmt: StatementNode): string {
  if (!indexStmt.idxname) return '';
  return indexStmt.relation?.schemaname ? `${indexStmt.relation.schemaname}.${indexStmt.idxname}` : String(indexStmt.idxname);
}

/** The CREATE INDEX node of `statements` before `statement` that created the index `name`, if any. */
export function indexCreatedEarlier(statements: readonly ParsedStatement[], statement: ParsedStatement, name: string): StatementNode | undefined {
  const index = statements.indexOf(statement);
  const before = index < 0 ? [] : statements.slice(0, index);
  return before.find((s) => s.kind === 'IndexStmt' && sameRelation(createdIndexName(s.node), name))?.node;
}

/** The column definitions an ALTER TABLE … ADD COLUMN adds (ColumnDef nodes). */
export function addedColumns(statement: ParsedStatement): StatementNode[] {
  return alterCommands(statement).flatMap((c) => (c.subtype === 'AT_AddColumn' && c.def?.ColumnDef ? [c.def.ColumnDef] : []));
}

/** The constraints an ALTER TABLE … ADD CONSTRAINT adds (Constraint nodes). */
export function addedConstraints(statement: ParsedStatement): StatementNode[] {
  return alterCommands(statement).flatMap((c) => (c.subtype === 'AT_AddConstraint' && c.def?.Constraint ? [c.def.Constraint] : []));
}

/** The DEFAULT expression of a column definition, if it declares one. */
export function columnDefault(columnDef: StatementNode | undefined): StatementNode | undefined {
  return columnConstraints(columnDef).find((c) => c.contype === 'CONSTR_DEFAULT')?.raw_expr ?? columnDef?.raw_default;
}

/** Whether an expression is the NULL literal (possibly cast: `NULL::text`). */
export function isNullConstant(expr: StatementNode | undefined): boolean {
  if (!expr) return false;
  if (expr.TypeCast) return isNullConstant(expr.TypeCast.arg);
  return expr.A_Const?.isnull === true;
}

/** Whether a column reference names exactly `column` (unqualified, as in CHECK and USING expressions). */
export function isColumnRef(expr: StatementNode | undefined, column: string): boolean {
  const fields: StatementNode[] = expr?.ColumnRef?.fields ?? [];
  return fields.length > 0 && fields.at(-1)?.String?.sval === column;
}

// The rules take quoteIdent from here with the other node helpers; there is one, in quote.ts.
export { quoteIdent } from './quote.js';
