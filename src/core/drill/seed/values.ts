import type { TypeRow } from './catalog.js';

/** SQL expressions that make a column's value from the row number g.i, so the same schema always gets the same data. */

export const ROW = 'g.i';
export const DUPLICATED_ROW = '(1 + g.i / 2)';

/**
 * Attempt styles, tried in order until the insert succeeds:
 * 0: distinct values from the row number, NULL in every 4th row of a nullable column;
 * 1: other shapes (small numbers, e-mail-like text) and no NULLs, for CHECKs the first style breaks;
 * 2: NULL wherever allowed and column defaults wherever present.
 */
export type Variant = 0 | 1 | 2;

export interface ColumnContext {
  variant: Variant;
  /** Position of the column in the table, to vary values between columns (start < end). */
  position: number;
  isUnique: boolean;
  /**
   * Text (in the first style) led by a hash of the row number, so that its order is unrelated to
   * the rows' as production's names and e-mails are: sorting it (an index build) then costs what
   * it costs there, where the row numbers' text sorts about twice as fast (see SeedOptions).
   */
  shuffledText?: boolean;
}

/**
 * A SQL expression of row number g.i with a value of `type`, or null when the type is not supported.
 * A domain gets its base type's value, uncast: the caller filters by the domain's CHECKs before the cast.
 */
export function valueExpr(types: Map<string, TypeRow>, typeOid: string, typmod: number, ctx: ColumnContext): string | null {
  const type = types.get(typeOid);
  if (!type) return null;
  if (type.kind === 'd') return valueExpr(types, type.base, typmod >= 0 ? typmod : type.typmod, ctx);
  if (type.kind === 'e') {
    // enum_range gives the labels in sort order without putting them into the SQL text.
    return type.labels ? `(enum_range(NULL::${type.format}))[1 + (${ROW} - 1) % ${type.labels}]` : null;
  }
  if (type.kind === 'r' && type.range_subtype) return rangeExpr(types, type, ctx);
  if (type.kind === 'c') return compositeExpr(types, type, ctx);
  if (type.category === 'A' && type.elem !== '0') {
    const elem = valueExpr(types, type.elem, typmod, ctx);
    const elemType = types.get(type.elem);
    return elem === null || !elemType ? null : `ARRAY[(${elem})::${elemType.format}]`;
  }
  return baseValueExpr(type.name, typmod, ctx) ?? byCategory(type.category, ctx);
}

/** A one-point range `[v, v]`: valid for every subtype, discrete or not. */
function rangeExpr(types: Map<string, TypeRow>, type: TypeRow, ctx: ColumnContext): string | null {
  const subtype = types.get(type.range_subtype ?? '');
  const bound = subtype ? valueExpr(types, subtype.oid, -1, ctx) : null;
  return bound === null || !subtype ? null : `${type.format}((${bound})::${subtype.format}, (${bound})::${subtype.format}, '[]')`;
}

/** ROW(...) of the fields' values; a field of a type without values is NULL (fields are nullable). */
function compositeExpr(types: Map<string, TypeRow>, type: TypeRow, ctx: ColumnContext): string | null {
  const fields = (type.fields ?? []).map((oid) => {
    const field = types.get(oid);
    const value = field ? valueExpr(types, oid, -1, ctx) : null;
    return field ? `(${value ?? 'NULL'})::${field.format}` : null;
  });
  return fields.length === 0 || fields.includes(null) ? null : `ROW(${fields.join(', ')})`;
}

/**
 * Extension types the list below does not name (citext-like strings, numeric wrappers) get a value
 * of their category's usual type; the final cast converts it through the type's input function.
 */
function byCategory(category: string, ctx: ColumnContext): string | null {
  if (category === 'S') return textExpr(null, ctx);
  if (category === 'N') return ROW;
  if (category === 'B') return `${ROW} % 2 = 0`;
  return null;
}

function baseValueExpr(name: string, typmod: number, ctx: ColumnContext): string | null {
  const small = ctx.variant !== 0 && !ctx.isUnique;
  const pos = ctx.position;
  switch (name) {
    case 'int2':
      return small ? `1 + ${ROW} % 5` : `${ROW} % 32767`;
    case 'int4':
    case 'int8':
    case 'oid':
      return small ? `1 + ${ROW} % 5` : ROW;
    case 'numeric':
      return numericExpr(typmod, small);
    case 'float4':
    case 'float8':
      return small ? `1 + ${ROW} % 5` : `${ROW} + 0.5`;
    case 'money':
      return `(${ROW})::numeric`;
    case 'text':
    case 'varchar':
    case 'bpchar':
    case 'name':
    case 'citext':
      return textExpr(name === 'name' ? 63 : typmod >= 4 ? typmod - 4 : null, ctx);
    case 'char':
      return `chr(97 + ${ROW} % 26)`;
    case 'bool':
      return `${ROW} % 2 = 0`;
    case 'date':
      return `date '2024-01-01' + (${ROW} + ${pos})`;
    case 'timestamp':
      return `timestamp '2024-01-01 00:00' + ${ROW} * interval '1 hour' + ${pos} * interval '1 minute'`;
    case 'timestamptz':
      return `timestamptz '2024-01-01 00:00:00+00' + ${ROW} * interval '1 hour' + ${pos} * interval '1 minute'`;
    case 'time':
      return `time '00:00' + (${ROW} % 1440) * interval '1 minute'`;
    case 'timetz':
      return `(time '00:00' + (${ROW} % 1440) * interval '1 minute')::timetz`;
    case 'interval':
      return `${ROW} * interval '1 minute'`;
    case 'uuid':
      return `md5('u' || ${ROW} || '/' || ${pos})::uuid`;
    case 'json':
      return `json_build_object('n', ${ROW})`;
    case 'jsonb':
      return `jsonb_build_object('n', ${ROW})`;
    case 'bytea':
      return `convert_to('b' || ${ROW}, 'UTF8')`;
    case 'inet':
      return `('10.' || (${ROW} / 65536) % 256 || '.' || (${ROW} / 256) % 256 || '.' || ${ROW} % 256)::inet`;
    case 'cidr':
      return `('10.' || (${ROW} / 256) % 256 || '.' || ${ROW} % 256 || '.0/24')::cidr`;
    case 'macaddr':
      return `('08:00:2b:00:' || lpad(to_hex((${ROW} / 256) % 256), 2, '0') || ':' || lpad(to_hex(${ROW} % 256), 2, '0'))::macaddr`;
    case 'xml':
      return `xmlelement(name v, ${ROW})`;
    case 'tsvector':
      return `to_tsvector('simple', 'w' || ${ROW})`;
    case 'point':
      return `point(${ROW}, ${pos})`;
    case 'bit':
    case 'varbit':
      return `(${ROW})::bit(32)`;
    case 'ltree':
      return `('n.n' || ${ROW})`;
    case 'hstore':
      return `('k=>' || ${ROW})`;
    default:
      return null;
  }
}

function numericExpr(typmod: number, small: boolean): string {
  if (typmod < 4) return small ? `1 + ${ROW} % 5` : `${ROW} + 0.25`;
  const precision = ((typmod - 4) >> 16) & 0xffff;
  let scale = (typmod - 4) & 0x7ff;
  // PostgreSQL 15+ allows a negative scale, stored as an 11-bit two's complement.
  if (scale & 0x400) scale -= 0x800;
  const integerDigits = precision - scale;
  if (integerDigits <= 0) return `(1 + ${ROW} % 9) * power(10::numeric, ${-scale})`;
  if (small) return `1 + ${ROW} % ${Math.min(5, 10 ** integerDigits - 1)}`;
  return `${ROW} % ${10 ** Math.min(integerDigits, 15)}`;
}

function textExpr(limit: number | null, { variant, shuffledText }: ColumnContext): string {
  const first = shuffledText ? `left(md5((${ROW})::text), 8) || 'v' || ${ROW}` : `'v' || ${ROW}`;
  const text = variant === 0 ? first : `'user' || ${ROW} || '@example.com'`;
  // The right end holds the row number, so cutting from the left keeps values distinct.
  return limit !== null ? `right(${text}, ${limit})` : text;
}
