import type { ClientBase } from 'pg';
import type { ParsedStatement, StatementNode } from '../sql/parse.js';
import { doBlockStatements } from '../sql/do-block.js';
import { collectNodes, dropObjectNames, relationName } from '../sql/nodes.js';
import { quoteAlways } from '../sql/quote.js';
import { opaqueUserFunction, userRelation } from '../user-relations.js';
import { queryWithoutJit, sqlLiteral } from './prepared.js';
import type { RelationScope } from './relation-state.js';

/**
 * Statement kinds whose effect on existing relations is limited to the relations their parse
 * tree names (and what the catalog ties to those: see REACH_SQL); a DO block's are those of the
 * statements its body runs (doBlockStatements). Any other kind (CALL, EXECUTE, ALTER TYPE, a DO
 * block with dynamic SQL, a DROP of a type or function that may cascade into columns, …) can reach
 * relations no name in the text points at: then every relation counts as touched.
 */
export const SEEN_THROUGH: ReadonlySet<string> = new Set([
  'CreateStmt',
  'AlterTableStmt',
  'IndexStmt',
  'RenameStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'SelectStmt',
  'CreateTrigStmt',
  'ViewStmt',
  'CreateTableAsStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'CommentStmt',
  'CreateFunctionStmt',
  'CreateEnumStmt',
  'CompositeTypeStmt',
  'CreateSchemaStmt',
  'VariableSetStmt',
  'TransactionStmt',
  'GrantStmt',
  'TruncateStmt',
]);

/** DROPs that remove relations (or their indexes, triggers, rules), never columns elsewhere. */
const RELATION_DROPS = new Set([
  'OBJECT_TABLE',
  'OBJECT_INDEX',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_SEQUENCE',
  'OBJECT_FOREIGN_TABLE',
  'OBJECT_TRIGGER',
  'OBJECT_RULE',
]);

/**
 * DROPs of routines: without CASCADE one fails while a trigger, default, index, view or
 * constraint depends on it, so it reaches no relation.
 */
const ROUTINE_DROPS = new Set(['OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE', 'OBJECT_AGGREGATE']);

/** A DROP of relations (or of their indexes, triggers, rules), not of another kind of object. */
export function dropsRelations(statement: ParsedStatement): boolean {
  return statement.kind === 'DropStmt' && RELATION_DROPS.has(String(statement.node.removeType));
}

function dropsRoutinesOnly(statement: ParsedStatement): boolean {
  return statement.kind === 'DropStmt' && ROUTINE_DROPS.has(String(statement.node.removeType)) && statement.node.behavior !== 'DROP_CASCADE';
}

/**
 * A CTE `reach(oid)` over the relation names in `names` (a text[] literal of quoted names; those
 * that do not exist are left out): the relations named, an index's table; partitions and
 * inheritance parents and children; views' base relations and the views built on a relation; the
 * tables named in the source of a touched table's trigger functions (what its triggers write,
 * found by name: a trigger function is not parsed here); and FK children, whose rows a cascade or
 * a validation reaches. FK parents are not followed: they do not spread the reach (seeding adds them).
 */
const reachCte = (names: string): string => `
WITH RECURSIVE reach(oid) AS (
  SELECT coalesce(i.indrelid, c.oid)
  FROM unnest(${names}::text[]) AS name
  JOIN pg_class c ON c.oid = to_regclass(name)
  LEFT JOIN pg_index i ON i.indexrelid = c.oid
  UNION
  SELECT x.oid FROM reach r, LATERAL (
    SELECT inhrelid FROM pg_inherits WHERE inhparent = r.oid
    UNION ALL SELECT inhparent FROM pg_inherits WHERE inhrelid = r.oid
    UNION ALL SELECT conrelid FROM pg_constraint WHERE contype = 'f' AND confrelid = r.oid
    UNION ALL SELECT d.refobjid FROM pg_rewrite rw
      JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid AND d.refclassid = 'pg_class'::regclass
      WHERE rw.ev_class = r.oid AND d.refobjid <> r.oid
    UNION ALL SELECT rw.ev_class FROM pg_depend d
      JOIN pg_rewrite rw ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
      WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = r.oid AND rw.ev_class <> r.oid
    UNION ALL SELECT c.oid FROM pg_trigger t
      JOIN pg_proc p ON p.oid = t.tgfoid
      CROSS JOIN LATERAL regexp_split_to_table(p.prosrc, '[^[:alnum:]_$]+') AS w(word)
      JOIN pg_class c ON c.relname IN (w.word, lower(w.word)) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      JOIN pg_namespace n ON n.oid = c.relnamespace AND ${userRelation()}
      WHERE t.tgrelid = r.oid AND NOT t.tgisinternal
  ) AS x(oid)
)`;

/** The reach and its FK parents, transitively: a seeded child needs rows in them. */
const seedSql = (names: string): string => `${reachCte(names)},
parents(oid) AS (
  SELECT oid FROM reach
  UNION
  SELECT co.confrelid FROM parents p JOIN pg_constraint co ON co.contype = 'f' AND co.conrelid = p.oid
)
SELECT oid::int8::text AS oid FROM parents`;

/** Calls of functions the migration's authors wrote, which may reach any table (see opaqueUserFunction). */
const USER_FUNCTIONS_SQL = `SELECT ${opaqueUserFunction('$1')} AS found`;

/**
 * The tables a change's statements can touch, as oids (strings), with their FK parents: the
 * tables worth seeding. Undefined when a statement can reach relations its text does not name:
 * then every table is.
 */
export async function seedReach(client: ClientBase, statements: readonly ParsedStatement[]): Promise<ReadonlySet<string> | undefined> {
  const names = await namesWritten(client, statements);
  if (!names) return undefined;
  return new Set((await queryWithoutJit<{ oid: string }>(client, seedSql(sqlLiteral(names)))).rows.map((r) => r.oid));
}

/**
 * The relation names (quoted, for reachCte) the statements write, or undefined when one of them
 * can reach relations its text does not name (see SEEN_THROUGH, and calls of user functions).
 */
async function namesWritten(client: ClientBase, statements: readonly ParsedStatement[]): Promise<string[] | undefined> {
  const scopes = statements.map(statementScope);
  if (!scopes.every((scope) => scope !== undefined)) return undefined;
  const functions = [...new Set(scopes.flatMap((s) => s.functions))];
  if (functions.length > 0 && (await client.query<{ found: boolean }>(USER_FUNCTIONS_SQL, [functions])).rows[0].found) return undefined;
  return [...new Set(scopes.flatMap((s) => s.names))];
}

/** Kinds that write rows, alone or inside another statement (a data-modifying WITH): triggers and rules run. */
const ROW_WRITES = ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'TruncateStmt'];

/**
 * What one statement's observation must cover (see captureScope): the relations its text names,
 * quoted, and the functions it calls; undefined when it can reach relations its text does not name.
 */
export function statementScope(statement: ParsedStatement): RelationScope | undefined {
  if (statement.kind === 'DoStmt') return doBlockScope(statement);
  if (!seenThrough(statement)) return undefined;
  const names = [...new Set(namedRelations(statement))].map((n) => n.split('.'));
  // A three-part name is an error to to_regclass unless it names this database: it would fail the
  // migration's transaction, so such a statement counts as reaching every table.
  if (names.some((parts) => parts.length > 2)) return undefined;
  return {
    names: names.map((parts) => parts.map(quoteAlways).join('.')),
    functions: calledFunctions(statement),
    writesRows: ROW_WRITES.some((kind) => statement.kind === kind || collectNodes(statement.node, kind).length > 0),
  };
}

/** A DO block's scope: that of the statements its body runs, when they are all known (see doBlockStatements). */
function doBlockScope(statement: ParsedStatement): RelationScope | undefined {
  const scopes = doBlockStatements(statement)?.map(statementScope);
  if (!scopes?.every((scope) => scope !== undefined)) return undefined;
  return {
    names: [...new Set(scopes.flatMap((s) => s.names))],
    functions: [...new Set(scopes.flatMap((s) => s.functions))],
    writesRows: scopes.some((s) => s.writesRows),
  };
}

function seenThrough(statement: ParsedStatement): boolean {
  if (statement.kind === 'DropStmt') return dropsRelations(statement) || dropsRoutinesOnly(statement);
  // VACUUM and ANALYZE without a table list process every table.
  if (statement.kind === 'VacuumStmt') return (statement.node.rels ?? []).length > 0;
  return SEEN_THROUGH.has(statement.kind);
}

/**
 * The functions the statement runs: the calls in its tree, except in expressions it only stores
 * for rows written later (a column's new DEFAULT; the columns and constraints of a table it
 * creates, which has no rows yet).
 */
function calledFunctions(statement: ParsedStatement): string[] {
  const { node } = statement;
  const evaluated =
    statement.kind === 'CreateStmt'
      ? { ...node, tableElts: [] }
      : statement.kind === 'AlterTableStmt'
        ? { ...node, cmds: (node.cmds ?? []).filter((c: StatementNode) => c.AlterTableCmd?.subtype !== 'AT_ColumnDefault') }
        : node;
  return [...new Set(collectNodes(evaluated, 'FuncCall').map(functionName))];
}

function functionName(call: StatementNode): string {
  const parts: StatementNode[] = call.funcname ?? [];
  return String(parts.at(-1)?.String?.sval ?? '');
}

/**
 * Relations written in the statement: every RangeVar, the objects a DROP names (a trigger's or
 * rule's table comes first; a routine is none), and every word of a function's text (its body is
 * not parsed here, and a trigger or a later statement may run it).
 */
function namedRelations(statement: ParsedStatement): string[] {
  if (statement.kind === 'CreateFunctionStmt') return statement.text.toLowerCase().match(/[a-z_][a-z0-9_$]*(\.[a-z_][a-z0-9_$]*)?/g) ?? [];
  if (dropsRoutinesOnly(statement)) return [];
  const names = rangeVars(statement.node).map(relationName);
  if (statement.kind !== 'DropStmt') return names;
  const dropped = dropObjectNames(statement.node);
  const onTable = statement.node.removeType === 'OBJECT_TRIGGER' || statement.node.removeType === 'OBJECT_RULE';
  return [...names, ...(onTable ? dropped.map((n) => n.slice(0, n.lastIndexOf('.'))) : dropped)];
}

/** Every RangeVar in a tree: wrapped in a list (`{ RangeVar: … }`) or bare under a typed field (`relation: { relname }`). */
function rangeVars(node: unknown): StatementNode[] {
  if (Array.isArray(node)) return node.flatMap(rangeVars);
  if (!node || typeof node !== 'object') return [];
  const own = typeof (node as StatementNode).relname === 'string' ? [node as StatementNode] : [];
  return [...own, ...Object.values(node).flatMap(rangeVars)];
}
