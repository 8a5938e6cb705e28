import { parsePlPgSQLSync, parseSync } from 'libpg-query';
import { statementsOf, type ParsedStatement, type StatementNode } from './parse.js';

/**
 * The SQL a DO block runs, read from its PL/pgSQL body with PostgreSQL's own PL/pgSQL parser
 * (libpg-query's parsePlPgSQL): every query and expression in it, as statements of their own. A
 * body that can run SQL its text does not hold (EXECUTE, OPEN … FOR EXECUTE, RETURN QUERY
 * EXECUTE), or one in another language, gives undefined: what it runs is known only when it runs.
 */
export function doBlockStatements(statement: ParsedStatement): ParsedStatement[] | undefined {
  if (statement.kind !== 'DoStmt') return undefined;
  const options = new Map<string, string>(
    (statement.node.args ?? []).map((a: StatementNode) => [String(a.DefElem?.defname), String(a.DefElem?.arg?.String?.sval ?? '')]),
  );
  if ((options.get('language') ?? 'plpgsql').toLowerCase() !== 'plpgsql' || !options.has('as')) return undefined;
  const body = options.get('as') ?? '';
  let tree: unknown;
  try {
    // The PL/pgSQL parser reads function bodies: the block's body becomes one (the name is never created).
    tree = parsePlPgSQLSync(`CREATE FUNCTION drillbot_do_block() RETURNS void LANGUAGE plpgsql AS ${dollarQuoted(body)}`);
  } catch {
    return undefined;
  }
  const queries = staticQueries(tree);
  if (!queries) return undefined;
  const statements: ParsedStatement[] = [];
  for (const sql of queries) {
    try {
      // Inner statements point at the DO statement's lines: their own are within its body.
      statements.push(...statementsOf(sql, parseSync(sql), () => statement.line).map((s) => ({ ...s, endLine: statement.endLine })));
    } catch {
      return undefined;
    }
  }
  return statements;
}

/** The body between dollar quotes whose tag it does not contain. */
function dollarQuoted(body: string): string {
  let tag = 'drillbot';
  while (body.includes(`$${tag}$`)) tag += '_';
  return `$${tag}$${body}$${tag}$`;
}

/** PL/pgSQL statements that run only SQL written in them (every other kind, EXECUTE among them, makes the body opaque). */
const STATIC_STATEMENTS = new Set(
  [
    'block',
    'assign',
    'if',
    'case',
    'loop',
    'while',
    'fori',
    'fors',
    'forc',
    'foreach_a',
    'exit',
    'return',
    'return_next',
    'return_query',
    'raise',
    'assert',
    'execsql',
    'perform',
    'call',
    'getdiag',
    'open',
    'fetch',
    'close',
    'commit',
    'rollback',
  ].map((kind) => `PLpgSQL_stmt_${kind}`),
);

/** How the PL/pgSQL parser read an expression (PostgreSQL's RawParseMode). */
const RAW_PARSE_DEFAULT = 0;
const RAW_PARSE_PLPGSQL_EXPR = 2;
const RAW_PARSE_PLPGSQL_ASSIGN = new Set([3, 4, 5]);

/** `target := expression` (or `=`), the target a variable or a field of one. */
const ASSIGNMENT = /^\s*[A-Za-z_][\w$]*(\s*\.\s*[A-Za-z_][\w$]*)*\s*:?=/;

/**
 * Every query and expression of the parsed body, as SQL statements; undefined when a statement
 * kind is not known to be static, or a query is dynamic (`dynquery`) or read in a mode not handled.
 */
function staticQueries(tree: unknown): string[] | undefined {
  const queries: string[] = [];
  let opaque = false;
  const walk = (node: unknown): void => {
    if (opaque || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(walk);
    for (const [key, value] of Object.entries(node as StatementNode)) {
      if ((key.startsWith('PLpgSQL_stmt_') && !STATIC_STATEMENTS.has(key)) || key === 'dynquery') opaque = true;
      else if (key === 'PLpgSQL_expr') {
        const sql = expressionSql(value as StatementNode);
        if (sql === undefined) opaque = true;
        else queries.push(sql);
      } else walk(value);
    }
  };
  walk(tree);
  return opaque ? undefined : queries;
}

function expressionSql(expr: StatementNode): string | undefined {
  const query = String(expr.query ?? '');
  const mode = Number(expr.parseMode ?? RAW_PARSE_DEFAULT);
  if (mode === RAW_PARSE_DEFAULT) return query;
  if (mode === RAW_PARSE_PLPGSQL_EXPR) return `SELECT ${query}`;
  const target = ASSIGNMENT.exec(query);
  return RAW_PARSE_PLPGSQL_ASSIGN.has(mode) && target ? `SELECT ${query.slice(target[0].length)}` : undefined;
}
