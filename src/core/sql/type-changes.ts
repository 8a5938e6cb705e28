import type { ParsedStatement, StatementNode } from './parse.js';
import { alterCommands, isColumnRef, relationName, sameRelation, typeName, type AlterCommand } from './nodes.js';

/**
 * Which ALTER COLUMN … TYPE changes PostgreSQL performs without rewriting the table: the new
 * type must be binary-coercible from the old one and the USING expression must not compute new
 * values (ALTER TABLE Notes; ATColumnChangeRequiresRewrite in tablecmds.c, which also accepts
 * length/precision increases through the types' support functions).
 */

/** A column type as the catalog spells it: `varchar` with [20], `numeric` with [10, 2]. */
export interface ColumnType {
  readonly name: string;
  readonly mods: readonly number[];
  readonly array: boolean;
}

/** The outcome: no rewrite, a rewrite (with the reason), or unknown because the old type is unknown. */
export type TypeChange = { kind: 'no-rewrite' } | { kind: 'rewrite'; why: string } | { kind: 'unknown' };

/** The type a TypeName node denotes. */
export function columnType(typeNameNode: StatementNode | undefined): ColumnType {
  return {
    name: typeName(typeNameNode),
    // A_Const prints 0 as `ival: {}`: numeric(10, 0) and timestamp(0) need it.
    mods: (typeNameNode?.typmods ?? [])
      .map((m: StatementNode) => (m.A_Const?.ival ? Number(m.A_Const.ival.ival ?? 0) : NaN))
      .filter((n: number) => !Number.isNaN(n)),
    array: (typeNameNode?.arrayBounds ?? []).length > 0,
  };
}

/** `varchar(20)`, `numeric(10, 2)[]`: a type written back as SQL. */
export function typeText(type: ColumnType): string {
  return `${type.name}${type.mods.length ? `(${type.mods.join(', ')})` : ''}${type.array ? '[]' : ''}`;
}

/** Types whose length or precision may grow without a rewrite (a missing modifier means "unlimited"). */
const WIDENABLE = new Set(['varchar', 'varbit', 'timestamp', 'timestamptz', 'time', 'timetz', 'interval']);

/** Changes between different types that PostgreSQL treats as binary-coercible, as `from>to`. */
const COERCIBLE = new Set(['varchar>text', 'text>varchar', 'cidr>inet']);

/** Types a binary-coercible change can end in, so a change to them from an unknown type may be safe. */
const REACHABLE = new Set(['varchar', 'text', 'numeric', 'varbit', 'inet', 'timestamp', 'timestamptz', 'time', 'timetz', 'interval']);

/** Built-in types: a change to one of these that is not in REACHABLE always rewrites. */
const BUILTIN = new Set([
  'int2',
  'int4',
  'int8',
  'float4',
  'float8',
  'bool',
  'bpchar',
  'char',
  'date',
  'uuid',
  'json',
  'jsonb',
  'bytea',
  'money',
  'cidr',
  'macaddr',
  'macaddr8',
  'bit',
  'xml',
  'tsvector',
  'oid',
  'point',
  'int4range',
  'int8range',
  'tstzrange',
  'daterange',
]);

/** Whether changing a column from `from` (undefined when unknown) to `to` rewrites the table, ignoring USING. */
export function classifyTypeChange(from: ColumnType | undefined, to: ColumnType, pgMajor: number): TypeChange {
  if (!from) {
    if (!to.array && REACHABLE.has(to.name)) return { kind: 'unknown' };
    if (to.array || BUILTIN.has(to.name)) return { kind: 'rewrite', why: `no other type converts to ${typeText(to)} without a rewrite` };
    return { kind: 'unknown' };
  }
  const rewrite = (why: string): TypeChange => ({ kind: 'rewrite', why });
  if (from.array || to.array) {
    // Array coercions are never skipped by ATColumnChangeRequiresRewrite, even between coercible element types.
    return sameType(from, to) ? { kind: 'no-rewrite' } : rewrite(`${typeText(from)} to ${typeText(to)} converts every array`);
  }
  if (from.name === to.name) {
    if (sameType(from, to)) return { kind: 'no-rewrite' };
    if (to.name === 'numeric') return numericChange(from, to);
    if (WIDENABLE.has(to.name)) return widening(from, to);
    return rewrite(`${typeText(from)} to ${typeText(to)} converts every value`);
  }
  if (COERCIBLE.has(`${from.name}>${to.name}`)) {
    // text → varchar(n) must check every value's length; varchar(n) → text and text → varchar need nothing.
    return to.mods.length === 0 ? { kind: 'no-rewrite' } : rewrite(`${typeText(to)} limits the length of every value`);
  }
  const timestamps = new Set(['timestamp', 'timestamptz']);
  if (timestamps.has(from.name) && timestamps.has(to.name)) {
    // PostgreSQL 12 skips the rewrite when the session TimeZone is UTC (migrations normally run so).
    if (pgMajor < 12) return rewrite(`before PostgreSQL 12, ${from.name} to ${to.name} converts every value`);
    return widening(from, to);
  }
  return rewrite(`${typeText(from)} is not binary-coercible to ${typeText(to)}`);
}

function sameType(a: ColumnType, b: ColumnType): boolean {
  return a.name === b.name && a.array === b.array && a.mods.join(',') === b.mods.join(',');
}

function widening(from: ColumnType, to: ColumnType): TypeChange {
  if (to.mods.length === 0) return { kind: 'no-rewrite' };
  if (from.mods.length > 0 && to.mods[0] >= from.mods[0]) return { kind: 'no-rewrite' };
  return { kind: 'rewrite', why: `${typeText(from)} to ${typeText(to)} narrows the type and checks every value` };
}

function numericChange(from: ColumnType, to: ColumnType): TypeChange {
  if (to.mods.length === 0) return { kind: 'no-rewrite' };
  const scale = (t: ColumnType): number => t.mods[1] ?? 0;
  if (from.mods.length > 0 && to.mods[0] >= from.mods[0] && scale(to) === scale(from)) return { kind: 'no-rewrite' };
  return { kind: 'rewrite', why: `${typeText(from)} to ${typeText(to)} changes the precision or scale of every value` };
}

/** Whether a USING expression only restates the conversion (`USING col` or `USING col::<new type>`). */
export function usingIsPlainCast(using: StatementNode | undefined, column: string, to: ColumnType): boolean {
  if (!using || isColumnRef(using, column)) return true;
  const cast = using.TypeCast;
  return !!cast && isColumnRef(cast.arg, column) && typeText(columnType(cast.typeName)) === typeText(to);
}

/** The column's type as set by the last statement of `statements` before `statement` that defines it, if any. */
export function columnTypeBefore(statements: readonly ParsedStatement[], statement: ParsedStatement, table: string, column: string): ColumnType | undefined {
  let found: ColumnType | undefined;
  for (const s of statements) {
    if (s === statement) break;
    if (!sameRelation(relationName(s.node.relation), table)) continue;
    if (s.kind === 'CreateStmt') {
      const def = (s.node.tableElts ?? []).map((e: StatementNode) => e.ColumnDef).find((d: StatementNode | undefined) => d?.colname === column);
      if (def) found = columnType(def.typeName);
    }
    for (const cmd of alterCommands(s)) {
      const def = cmd.def?.ColumnDef;
      if (cmd.subtype === 'AT_AddColumn' && def?.colname === column) found = columnType(def.typeName);
      if (cmd.subtype === 'AT_AlterColumnType' && cmd.name === column && def) found = columnType(def.typeName);
      if (cmd.subtype === 'AT_DropColumn' && cmd.name === column) found = undefined;
    }
  }
  return found;
}

/**
 * What an `ALTER COLUMN … TYPE` subcommand does to the table: a USING that computes new values
 * rewrites; otherwise the change is classified from the column's type before it, known only when
 * the change (this file or an earlier one) defined the column, since the base schema is not visible to rules.
 */
export function alterTypeChange(
  statements: readonly ParsedStatement[],
  statement: ParsedStatement,
  table: string,
  cmd: Pick<AlterCommand, 'name' | 'def'>,
  pgMajor: number,
): TypeChange {
  const column = String(cmd.name);
  const to = columnType(cmd.def?.ColumnDef?.typeName);
  if (!usingIsPlainCast(cmd.def?.ColumnDef?.raw_default, column, to))
    return { kind: 'rewrite', why: 'the USING expression computes a new value for every row' };
  return classifyTypeChange(columnTypeBefore(statements, statement, table, column), to, pgMajor);
}
