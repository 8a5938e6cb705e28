import { parseSync, scanSync } from 'libpg-query';
import type { ParsedStatement, StatementNode } from './parse.js';

/**
 * The source text of parts of a column definition (its type, its DEFAULT expression), cut from
 * the statement as written, so that fixes and recipes can repeat them verbatim. Rules run after
 * parseScript has loaded libpg-query, so its synchronous scanner is available.
 */

interface Token {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Keywords that end a column's type or a DEFAULT expression at parenthesis depth 0. */
const CLAUSE_STARTS = new Set([
  'DEFAULT',
  'NOT',
  'NULL',
  'CONSTRAINT',
  'CHECK',
  'REFERENCES',
  'UNIQUE',
  'PRIMARY',
  'GENERATED',
  'COLLATE',
  'DEFERRABLE',
  'INITIALLY',
  'USING',
]);

/** The type of the column `column` as an ALTER TABLE … ADD COLUMN statement writes it (`varchar(20)`, `timestamp with time zone`). */
export function addedColumnTypeText(statement: ParsedStatement, column: string): string | undefined {
  const tokens = columnTokens(statement, column);
  if (!tokens) return undefined;
  return textOf(statement.text, untilClause(tokens.slice(1)));
}

/** The DEFAULT expression of the column `column` as an ALTER TABLE … ADD COLUMN statement writes it. */
export function addedColumnDefaultText(statement: ParsedStatement, column: string): string | undefined {
  const tokens = columnTokens(statement, column);
  if (!tokens) return undefined;
  let depth = 0;
  for (let i = 1; i < tokens.length; i++) {
    depth += depthChange(tokens[i]);
    if (depth === 0 && tokens[i].text.toUpperCase() === 'DEFAULT') {
      // The expression's first token may itself be a clause keyword (DEFAULT NULL, DEFAULT NOT x).
      const rest = tokens.slice(i + 1);
      return textOf(statement.text, rest.slice(0, 1).concat(untilClause(rest.slice(1))));
    }
  }
  return undefined;
}

/** The tokens of the column definition of `column` (its name first), up to the `,` that ends it. */
function columnTokens(statement: ParsedStatement, column: string): Token[] | undefined {
  if (statement.kind !== 'AlterTableStmt') return undefined;
  let def: StatementNode | undefined;
  try {
    const stmt = parseSync(statement.text).stmts?.[0]?.stmt as StatementNode | undefined;
    const cmds: StatementNode[] = stmt?.AlterTableStmt?.cmds ?? [];
    def = cmds.map((c) => c.AlterTableCmd?.def?.ColumnDef).find((d) => d?.colname === column);
  } catch {
    return undefined; // the statement parsed as part of its file; alone it should too, but never fail a rule over a recipe
  }
  if (!def || typeof def.location !== 'number') return undefined;
  const bytes = Buffer.from(statement.text, 'utf8');
  const tokens: Token[] = scanSync(statement.text)
    .tokens.filter((t) => t.start >= def.location)
    .map((t) => ({ start: t.start, end: t.end, text: bytes.subarray(t.start, t.end).toString('utf8') }));
  const out: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    depth += depthChange(t);
    if (depth < 0 || (depth === 0 && (t.text === ',' || t.text === ';'))) break;
    out.push(t);
  }
  return out;
}

function untilClause(tokens: Token[]): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (depth === 0 && CLAUSE_STARTS.has(t.text.toUpperCase())) break;
    depth += depthChange(t);
    out.push(t);
  }
  return out;
}

function depthChange(token: Token): number {
  return token.text === '(' || token.text === '[' ? 1 : token.text === ')' || token.text === ']' ? -1 : 0;
}

function textOf(text: string, tokens: Token[]): string | undefined {
  if (tokens.length === 0) return undefined;
  return Buffer.from(text, 'utf8').subarray(tokens[0].start, tokens.at(-1)!.end).toString('utf8');
}

/** Keywords that start the next inline column constraint after a REFERENCES clause. */
const NEXT_COLUMN_CONSTRAINT = new Set(['NULL', 'DEFAULT', 'CHECK', 'UNIQUE', 'PRIMARY', 'CONSTRAINT', 'GENERATED', 'COLLATE', 'REFERENCES']);

/**
 * The source text of a constraint of the statement (`CONSTRAINT c CHECK (a > 0)`,
 * `REFERENCES u (id) ON DELETE CASCADE`): `constraint` must be a Constraint node of `statement.node`.
 */
export function constraintText(statement: ParsedStatement, constraint: StatementNode): string | undefined {
  const index = constraintsIn(statement.node).indexOf(constraint);
  if (index < 0) return undefined;
  let reparsed: StatementNode | undefined;
  try {
    reparsed = constraintsIn(parseSync(statement.text).stmts?.[0]?.stmt)[index];
  } catch {
    return undefined;
  }
  if (!reparsed || typeof reparsed.location !== 'number') return undefined;
  const bytes = Buffer.from(statement.text, 'utf8');
  const tokens = scanSync(statement.text)
    .tokens.filter((t) => t.start >= reparsed.location)
    .map((t) => ({ start: t.start, end: t.end, text: bytes.subarray(t.start, t.end).toString('utf8').toUpperCase() }));
  const out: Token[] = [];
  let depth = 0;
  for (const [i, t] of tokens.entries()) {
    if (depth === 0 && i > 0) {
      if (t.text === ',' || t.text === ';' || t.text === ')') break;
      // An inline REFERENCES clause ends where the column's next constraint starts (NOT NULL, DEFAULT, …).
      if (tokens[0].text === 'REFERENCES' && (NEXT_COLUMN_CONSTRAINT.has(t.text) || (t.text === 'NOT' && tokens[i + 1]?.text === 'NULL'))) break;
    }
    depth += depthChange(t);
    out.push(t);
  }
  return textOf(statement.text, out);
}

/** Every Constraint node inside a tree, in document order. */
function constraintsIn(node: unknown): StatementNode[] {
  if (Array.isArray(node)) return node.flatMap(constraintsIn);
  if (!node || typeof node !== 'object') return [];
  const record = node as StatementNode;
  return [...(record.Constraint ? [record.Constraint] : []), ...Object.values(record).flatMap(constraintsIn)];
}
