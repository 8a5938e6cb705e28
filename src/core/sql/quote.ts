/**
 * Quoting for the SQL Drillbot writes: the drill's administration and the fixes it suggests.
 * One quoteIdent, as PostgreSQL's quote_ident: a name stays bare only when the server reads it
 * back unchanged (lower case, no keyword that is not unreserved), so suggested SQL stays readable.
 */

/**
 * The keywords quote_ident quotes (every category but unreserved): PostgreSQL 15's
 * `pg_get_keywords()` where catcode <> 'U', and those later majors added (system_user in 16, the
 * SQL/JSON functions in 16 and 17). Quoting a name that is no keyword on an older server is harmless.
 */
const PG15_KEYWORDS = `all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both case
  cast char character check coalesce collate collation column concurrently constraint create cross
  current_catalog current_date current_role current_schema current_time current_timestamp current_user dec
  decimal default deferrable desc distinct do else end except exists extract false fetch float for foreign
  freeze from full grant greatest group grouping having ilike in initially inner inout int integer intersect
  interval into is isnull join lateral leading least left like limit localtime localtimestamp national natural
  nchar none normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay
  placing position precision primary real references returning right row select session_user setof similar
  smallint some substring symmetric table tablesample then time timestamp to trailing treat trim true union
  unique user using values varchar variadic verbose when where window with xmlattributes xmlconcat xmlelement
  xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable`.split(/\s+/);

/** Added after PostgreSQL 15: a 15 server leaves them bare, and quoting them there is not wrong either. */
export const LATER_KEYWORDS: readonly string[] = [
  'system_user',
  'json_array',
  'json_arrayagg',
  'json_object',
  'json_objectagg',
  'json_scalar',
  'json_serialize',
  'json_exists',
  'json_query',
  'json_value',
  'json_table',
  'merge_action',
];

const QUOTED_KEYWORDS = new Set([...PG15_KEYWORDS, ...LATER_KEYWORDS]);

/** Quotes an identifier as PostgreSQL's quote_ident does. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !QUOTED_KEYWORDS.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal (standard_conforming_strings is on since PostgreSQL 9.1). */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A name always in double quotes, whatever it is: how the drill spells names it resolves with to_regclass. */
export const quoteAlways = (part: string): string => `"${part.replace(/"/g, '""')}"`;
