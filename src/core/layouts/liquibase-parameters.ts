/**
 * Liquibase changelog parameters, `${name}` in a changelog (liquibase-standard
 * ChangeLogParameters and ExpressionExpander, 5.0):
 * - an expression is expanded wherever Liquibase reads changelog text: sql changes, sqlFile
 *   contents and paths, include paths, formatted-SQL changesets and rollbacks; a value is itself
 *   expanded; `${` without its `}` stays as written; names compare case-insensitively;
 * - lookup order: system parameters first (what the deployment passes: `-D`, `liquibase.properties`
 *   `parameter.*`, Spring's `spring.liquibase.parameters`; here `migrations.parameters`), then
 *   global ones (the first definition wins), then local ones (`global="false"`), from the defining
 *   changelog outwards to the master, the last definition in a file winning;
 * - a definition with `dbms` counts only where it names postgresql (DatabaseList.definitionMatches);
 * - `database.*` parameters describe the connection; Drillbot's shadow runs in the default schema
 *   `public` of PostgreSQL, with Liquibase's tables named in lower case there;
 * - an expression with no value stays as written (missingPropertyMode, default `preserve`), so
 *   PostgreSQL would reject it: the layout reports the changeset instead of drilling it.
 * Contexts and labels do not filter here: with none given to the run, every definition matches.
 */
export interface PropertyDefinition {
  readonly name: string;
  readonly value: string;
  readonly global: boolean;
  readonly dbms?: string;
}

/** ChangeLogParameters(Database) for PostgreSQL, for what a changelog's SQL can use. */
const DATABASE_PARAMETERS: Readonly<Record<string, string>> = {
  'database.typeName': 'postgresql',
  'database.defaultSchemaName': 'public',
  'database.liquibaseSchemaName': 'public',
  'database.databaseChangeLogTableName': 'databasechangelog',
  'database.databaseChangeLogLockTableName': 'databasechangeloglock',
  'database.lineComment': '--',
};

export interface Expanded {
  readonly text: string;
  /** Names of expressions with no value, in order of appearance, each once. */
  readonly missing: readonly string[];
}

export class ChangeLogParameters {
  private readonly system: ReadonlyMap<string, string>;
  private readonly global = new Map<string, string>();
  private readonly local = new Map<string, Map<string, string>>();

  constructor(
    given: Readonly<Record<string, string>>,
    private readonly runsHere: (dbms: string | undefined) => boolean,
  ) {
    this.system = new Map(Object.entries(given).map(([k, v]) => [k.toLowerCase(), v]));
    for (const [name, value] of Object.entries(DATABASE_PARAMETERS)) this.global.set(name.toLowerCase(), value);
  }

  /** A `<property>` or `--property` read in `changeLog`; its value is expanded as it is read. */
  define(p: PropertyDefinition, chain: readonly string[]): void {
    if (!this.runsHere(p.dbms)) return;
    const name = p.name.toLowerCase();
    const value = this.expand(p.value, chain).text;
    if (p.global) {
      if (!this.global.has(name)) this.global.set(name, value);
      return;
    }
    const file = chain.at(-1)!;
    const own = this.local.get(file) ?? new Map<string, string>();
    own.set(name, value);
    this.local.set(file, own);
  }

  /** `chain`: the changelogs being read, master first, the one holding the text last. */
  expand(text: string, chain: readonly string[]): Expanded {
    const missing: string[] = [];
    const state = { text, at: 0, chain, missing, depth: 0 };
    const out = this.expandFrom(state, false);
    return { text: out, missing: [...new Set(missing)] };
  }

  private value(name: string, chain: readonly string[]): string | undefined {
    const key = name.toLowerCase();
    const system = this.system.get(key) ?? this.global.get(key);
    if (system !== undefined) return system;
    for (const file of [...chain].reverse()) {
      const found = this.local.get(file)?.get(key);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** ExpressionExpander.expandExpressions: reads to the end, or inside an expression to its `}`. */
  private expandFrom(s: ExpandState, inExpression: boolean): string {
    let out = '';
    while (s.at < s.text.length) {
      const c = s.text[s.at++]!;
      if (c === '$' && s.text[s.at] === '{') {
        s.at++;
        out += this.resolve(s, this.expandFrom(s, true));
      } else if (c === '}' && inExpression) {
        return EXPRESSION_END + out;
      } else out += c;
    }
    return inExpression ? '${' + out : out;
  }

  /** What an expression read by expandFrom stands for: its value, or itself when it has none. */
  private resolve(s: ExpandState, read: string): string {
    if (!read.startsWith(EXPRESSION_END)) return read;
    const expression = read.slice(EXPRESSION_END.length);
    const value = this.value(expression.trim(), s.chain);
    if (value === undefined) {
      s.missing.push(expression.trim());
      return '${' + expression + '}';
    }
    // A value refers to other parameters; a definition that refers to itself must not loop.
    if (s.depth > 20) return value;
    const inner = { ...s, text: value, at: 0, depth: s.depth + 1 };
    return this.expandFrom(inner, false);
  }
}

interface ExpandState {
  readonly text: string;
  at: number;
  readonly chain: readonly string[];
  readonly missing: string[];
  readonly depth: number;
}

/** Marks an expression that reached its `}` (text never holds NUL, which Drillbot refuses in files). */
const EXPRESSION_END = '\u0000';

/** A Java properties file (`<property file=…>`): `key=value` or `key: value` lines, `#` and `!` comments, `\` continuations. */
export function readProperties(content: string): Array<{ name: string; value: string }> {
  const logical = content.replace(/\\\r?\n[ \t\f]*/g, '').split(/\r?\n/);
  return logical.flatMap((line) => {
    const text = line.replace(/^[ \t\f]+/, '');
    if (text === '' || text.startsWith('#') || text.startsWith('!')) return [];
    const m = /^((?:\\.|[^=:\s\\])*)[ \t\f]*[=:\s]?[ \t\f]*(.*)$/.exec(text)!;
    const unescape = (s: string) => s.replace(/\\(.)/g, (_, ch: string) => ({ t: '\t', n: '\n', r: '\r', f: '\f' })[ch] ?? ch);
    return [{ name: unescape(m[1]!), value: unescape(m[2]!) }];
  });
}
