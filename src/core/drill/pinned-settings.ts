import { sqlLiteral } from './prepared.js';

/**
 * The settings that decide how PostgreSQL prints values and deparses constants (a timestamptz
 * value, a default's date literal), at PostgreSQL's built-in defaults (UTC for the time zone, which
 * initdb takes from the machine). Every checkpoint reads with them pinned: a migration's SET (or
 * ALTER ROLE/DATABASE … SET) must not make the state before its forward and the state after its
 * reverse print differently. The search_path, which decides how reg* values and deparsed names
 * print, is pinned by each reader.
 */
export const TEXT_FORMS: Readonly<Record<string, string>> = {
  DateStyle: 'ISO, MDY',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  extra_float_digits: '1',
  bytea_output: 'hex',
  lc_monetary: 'C',
};

/** The select-list items that set `settings` for the session (set_config), one column each. */
export const pinSql = (settings: Readonly<Record<string, string>>): string =>
  Object.entries(settings)
    .map(([name, value], i) => `set_config(${sqlLiteral(name)}, ${sqlLiteral(value)}, false) AS pinned${i}`)
    .join(', ');

/**
 * A query that pins `settings` and returns the caller's values of them as one json column
 * (`saved`), read first: the MATERIALIZED CTE is computed before the row that reads it. `extra`
 * adds select-list items computed with the caller's settings too.
 */
export const pinAndSaveSql = (settings: Readonly<Record<string, string>>, extra = ''): string => `
WITH saved AS MATERIALIZED (
  SELECT json_build_object(${Object.keys(settings)
    .map((name) => `${sqlLiteral(name)}, current_setting(${sqlLiteral(name)})`)
    .join(', ')}) AS saved${extra ? `, ${extra}` : ''}
)
SELECT saved.*, ${pinSql(settings)} FROM saved`;

/** A select-list item that sets the settings back from a json object of their values (pinAndSaveSql's `saved`, as the parameter `param`). */
export const restoreSql = (param: string): string => `(SELECT count(set_config(key, value, false)) FROM json_each_text(${param}::json)) AS restored`;

/** Sets the settings back from pinAndSaveSql's `saved` ($1), when the query that would have done it failed. */
export const RESTORE_SQL = `SELECT ${restoreSql('$1')}`;
