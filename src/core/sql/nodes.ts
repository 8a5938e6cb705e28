import type { ParsedStatement, StatementNode } from './parse.js';

/** Helpers over libpg-query nodes shared by the rules and the drill's advice. */

/** `schema.name` or `name` of a RangeVar, as written (identifiers are already case-folded by the parser). */
export function relationName(rangeVar: StatementNode | undefined): string {
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
export function typeName(typeNameNode: StatementNode | undefined): string {
  const names: string[] = (typeNameNode?.names ?? []).map((n: StatementNode) => String(n.String?.sval ?? ''));
  const parts = names[0] === 'pg_catalog' ? names.slice(1) : names;
  return parts.join('.');
}

/** Type modifiers written after the name, e.g. [100] for varchar(100). */
export function typeModifiers(typeNameNode: StatementNode | undefined): number[] {
  return (typeNameNode?.typmods ?? []).map((m: StatementNode) => Number(m.A_Const?.ival?.ival ?? NaN)).filter((n: number) => !Number.isNaN(n));
}

/** The constraints declared inline on a column definition. */
export function columnConstraints(columnDef: StatementNode | undefined): StatementNode[] {
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
  if (Array.isArray(node)) return node.some((n) => containsNode(n, type));
  if (!node || typeof node !== 'object') return false;
  return Object.entries(node).some(([key, value]) => key === type || containsNode(value, type));
}
