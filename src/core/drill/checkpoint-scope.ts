import type { ClientBase } from 'pg';
import type { ParsedMigration } from '../sql/parse-migrations.js';
import { doBlockStatements } from '../sql/do-block.js';
import type { ParsedStatement } from '../sql/parse.js';
import { quoteAlways } from '../sql/quote.js';
import { userSchema } from '../user-relations.js';
import { tablesToFingerprintSql, type FingerprintedTable } from './data-fingerprint.js';
import { genericPlanQuery, preparedQuery, queryWithoutJit, sqlLiteral, type Argument } from './prepared.js';
import { dropsRelations, SEEN_THROUGH, statementScope } from './reach.js';
import { pinAndSaveSql, restoreSql, RESTORE_SQL } from './pinned-settings.js';
import { snapshotColumns, snapshotOf, SNAPSHOT_SETTINGS, type SchemaSnapshot, type SnapshotLists, type SnapshotScope } from './schema-snapshot.js';

/**
 * What a migration's checkpoints (round-trip.ts) read: the relations named in its statements (and
 * in those of the migrations its round trip is compared with, see scopeNames), each checkpoint
 * expanding them in its own state to what depends on them (reachCte). Both checkpoints of one
 * migration use the same names, so an object a faulty reverse adds or leaves out still shows.
 */
export interface CheckpointScope {
  /** Relation names, quoted, resolved with the session's search_path when the checkpoint is taken. */
  readonly names: readonly string[];
  /** Fingerprint every table, not only those in scope: a trigger, rule or fallback migration may write anywhere. */
  readonly wholeData: boolean;
}

/** Kinds reach.ts sees through that make objects other than relations (functions, types, schemas) or triggers. */
const MAKES_OTHER_OBJECTS = new Set(['CreateTrigStmt', 'CreateFunctionStmt', 'CreateEnumStmt', 'CompositeTypeStmt', 'CreateSchemaStmt']);

/**
 * Statement kinds whose effect is limited to the relations their parse tree names and what
 * depends on them: reach.ts's list without the kinds that make other objects (the scoped snapshot
 * leaves those out unless they depend on a relation in scope) or triggers (whose functions may
 * write any table), and with DROP (statementNames reads what it drops); a DO block is read through
 * the statements its body runs. Anything else (CALL, EXECUTE, ALTER TYPE, CREATE RULE, a DO block
 * with dynamic SQL, ...) takes full checkpoints.
 */
const SCOPED_KINDS = new Set([...[...SEEN_THROUGH].filter((kind) => !MAKES_OTHER_OBJECTS.has(kind)), 'DropStmt']);

/** Object types of relations: a rename keeps the oid, and a faulty reverse leaves the relation under its new name. */
const RELATIONS = ['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE'];

/** Renames of relations and of their members (whose relation the statement names). */
const RELATION_RENAMES = new Set([...RELATIONS, 'OBJECT_COLUMN', 'OBJECT_TABCONSTRAINT', 'OBJECT_TRIGGER', 'OBJECT_POLICY', 'OBJECT_RULE']);

/**
 * Settings that change what a name resolves to, so that the checkpoint would resolve the names
 * differently from the migration: the search_path, and every setting at once (RESET ALL has no name).
 */
const NAME_SETTINGS = new Set(['search_path', undefined]);

/** Builtins that change settings (set_config can set the search_path). */
const SETTING_FUNCTIONS = new Set(['set_config']);

/** What one migration's statements name and call, or undefined when its checkpoints must be full. */
interface Named {
  readonly names: readonly string[];
  readonly functions: readonly string[];
}

/** VACUUM and ANALYZE change statistics and storage, nothing a checkpoint reads. */
const NOTHING: Named = { names: [], functions: [] };

/**
 * The relation names (quoted) one statement can change, and the functions it calls; undefined
 * when the statement can reach objects its text does not name.
 */
function statementNames(statement: ParsedStatement): Named | undefined {
  if (statement.kind === 'VacuumStmt') return NOTHING;
  // A dropped routine, type or schema is out of the scoped snapshot: its reverse's recreation is checked in full.
  if (statement.kind === 'DropStmt' && !dropsRelations(statement)) return undefined;
  if (statement.kind === 'DoStmt') {
    const inner = doBlockStatements(statement);
    return inner && namesOf(inner);
  }
  if (!SCOPED_KINDS.has(statement.kind) || cascades(statement) || changesNameResolution(statement)) return undefined;
  if (statement.kind === 'RenameStmt' && !RELATION_RENAMES.has(String(statement.node.renameType))) return undefined;
  const scope = statementScope(statement);
  if (!scope || scope.functions.some((f) => SETTING_FUNCTIONS.has(f))) return undefined;
  return { names: [...scope.names, ...renamedTo(statement)], functions: scope.functions };
}

/** CASCADE (DROP, TRUNCATE, ALTER TABLE ... DROP) reaches objects no name in the text points at. */
function cascades(statement: ParsedStatement): boolean {
  return JSON.stringify(statement.node).includes('"DROP_CASCADE"');
}

function changesNameResolution(statement: ParsedStatement): boolean {
  return statement.kind === 'VariableSetStmt' && NAME_SETTINGS.has(statement.node.name as string | undefined);
}

/** ALTER TABLE/INDEX/... t RENAME TO u: u, in t's schema, so that a relation the reverse does not rename back still shows. */
function renamedTo(statement: ParsedStatement): string[] {
  const relation = statement.node.relation;
  if (statement.kind !== 'RenameStmt' || !relation || !RELATIONS.includes(String(statement.node.renameType))) return [];
  const parts = [...(relation.schemaname ? [String(relation.schemaname)] : []), String(statement.node.newname)];
  return [parts.map(quoteAlways).join('.')];
}

/** The names and calls of a migration's forward, reverse and verify scripts; undefined when one statement needs full checkpoints. */
function migrationNames(p: ParsedMigration): Named | undefined {
  return namesOf([...(p.forward ?? []), ...(p.reverse ?? []), ...(p.verify ?? [])]);
}

/** The names and calls of statements; undefined when one needs full checkpoints. */
function namesOf(statements: readonly ParsedStatement[]): Named | undefined {
  const named = statements.map(statementNames);
  if (!named.every((n): n is Named => n !== undefined)) return undefined;
  return { names: unique(named.flatMap((n) => n.names)), functions: unique(named.flatMap((n) => n.functions)) };
}

const unique = <T>(items: readonly T[]): T[] => [...new Set(items)];

/** SQL arrays (oid[]) of what the checkpoint before the forward read, which the one after the reverse reads too (see Reached). */
interface SeenParameters {
  readonly rels: string;
  readonly classids: string;
  readonly objids: string;
}

const NOTHING_SEEN: SeenParameters = { rels: `'{}'::oid[]`, classids: `'{}'::oid[]`, objids: `'{}'::oid[]` };

/**
 * The CTEs of a scope, from the relations of `named` (an SQL query of oids). `reached(classid,
 * objid, named)`: the relations, and transitively every object that depends on one (pg_depend:
 * indexes, constraints, triggers, rules of views, defaults, owned sequences, partitions and
 * inheritance children, row types and what uses them, FK constraints of other tables), with the
 * relation each member belongs to (so a view built on a table brings the view, a default using a
 * sequence brings its table) except for FK constraints and their internal triggers: a statement on
 * the referenced table changes the constraint, not the rest of the referencing table. A named
 * view brings its base relations: rows written through it land there. `objects` is `reached`
 * without duplicates, with the objects `seen` lists; `relations`, its relations as one array (an
 * array drives index scans; joined with `objects`, the planner looped over every FK in the base);
 * `rels`, those with their FK parents and inheritance parents (the other side of their links), and
 * the relations `seen` lists. `cascaded`: `rels` and, transitively, the tables whose FK cascades
 * from one (ON DELETE/UPDATE CASCADE, SET NULL, SET DEFAULT), whose rows a statement on it changes.
 */
const reachCte = (named: string, seen: SeenParameters = NOTHING_SEEN): string => `
reached(classid, objid, named) AS (
  SELECT 'pg_class'::regclass::oid, oid, true FROM (${named}) AS n(oid)
  UNION
  SELECT x.classid, x.objid, false FROM reached r, LATERAL (
    SELECT d.classid, d.objid FROM pg_depend d
    WHERE d.refclassid = r.classid AND d.refobjid = r.objid AND d.deptype <> 'e'
    UNION ALL
    SELECT 'pg_class'::regclass::oid, o.relid FROM (
      SELECT co.conrelid FROM pg_constraint co WHERE r.classid = 'pg_constraint'::regclass AND co.oid = r.objid AND co.contype <> 'f'
      UNION ALL SELECT tg.tgrelid FROM pg_trigger tg WHERE r.classid = 'pg_trigger'::regclass AND tg.oid = r.objid AND NOT tg.tgisinternal
      UNION ALL SELECT rw.ev_class FROM pg_rewrite rw WHERE r.classid = 'pg_rewrite'::regclass AND rw.oid = r.objid
      UNION ALL SELECT ad.adrelid FROM pg_attrdef ad WHERE r.classid = 'pg_attrdef'::regclass AND ad.oid = r.objid
      UNION ALL SELECT pol.polrelid FROM pg_policy pol WHERE r.classid = 'pg_policy'::regclass AND pol.oid = r.objid
      UNION ALL SELECT i.indrelid FROM pg_index i WHERE r.classid = 'pg_class'::regclass AND i.indexrelid = r.objid
      UNION ALL SELECT d.refobjid FROM pg_rewrite rw
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid AND d.refclassid = 'pg_class'::regclass
        WHERE r.named AND r.classid = 'pg_class'::regclass AND rw.ev_class = r.objid AND d.refobjid <> r.objid
    ) AS o(relid) WHERE o.relid <> 0
  ) AS x(classid, objid)
),
objects AS MATERIALIZED (
  SELECT classid, objid FROM reached
  UNION SELECT unnest(${seen.classids}), unnest(${seen.objids})
),
relations AS MATERIALIZED (
  SELECT array_agg(objid) AS oids FROM objects WHERE classid = 'pg_class'::regclass
),
rels(oid) AS MATERIALIZED (
  SELECT unnest(oids) FROM relations
  UNION SELECT unnest(${seen.rels})
  UNION SELECT co.confrelid FROM pg_constraint co WHERE co.conrelid = ANY ((SELECT oids FROM relations)::oid[]) AND co.contype = 'f'
  UNION SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = ANY ((SELECT oids FROM relations)::oid[])
),
cascaded(oid) AS (
  SELECT oid FROM rels
  UNION
  SELECT co.conrelid FROM cascaded c JOIN pg_constraint co ON co.confrelid = c.oid AND co.contype = 'f'
  WHERE co.confdeltype IN ('c', 'n', 'd') OR co.confupdtype IN ('c', 'n', 'd')
)`;

/** Relation names (`names`: an SQL text[] of quoted names) as oids, resolved with the session's search_path; names that do not exist are left out. */
const namedOids = (names: string): string => `SELECT c.oid FROM unnest(${names}::text[]) AS name JOIN pg_class c ON c.oid = to_regclass(name)`;

/**
 * The facts about the base that decide how far scoping goes, in one query: which of the called
 * functions (`functions`) cannot write (builtins, and functions of that name in user schemas that are all
 * IMMUTABLE or STABLE, which PostgreSQL keeps from writing; a volatile user function's body may
 * write anywhere, and a name no function has yet is made by the change), whether an event trigger
 * may run on DDL, and whether a table in reach of the names (`names`) has a trigger or rule, which may
 * write tables outside the scope.
 */
const planSql = (names: readonly string[], functions: readonly string[]): string => `
WITH RECURSIVE ${reachCte(namedOids(sqlLiteral(names)))}
SELECT
  ARRAY(SELECT f FROM unnest(${sqlLiteral(functions)}::text[]) AS f
        WHERE EXISTS (SELECT 1 FROM pg_proc p WHERE p.proname = f)
          AND NOT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                          WHERE p.proname = f AND p.provolatile = 'v' AND ${userSchema()})) AS "readOnly",
  EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtenabled <> 'D') AS "eventTriggers",
  EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid IN (SELECT oid FROM cascaded) AND NOT tgisinternal)
    OR EXISTS (SELECT 1 FROM pg_rewrite WHERE ev_class IN (SELECT oid FROM cascaded) AND rulename <> '_RETURN') AS "writesElsewhere"`;

interface PlanRow {
  readOnly: string[];
  eventTriggers: boolean;
  writesElsewhere: boolean;
}

/**
 * Each migration's checkpoint scope, in the order given; undefined where the checkpoints must be
 * full. One query on the base, before the first forward.
 */
export async function planCheckpointScopes(client: ClientBase, parsed: readonly ParsedMigration[]): Promise<(CheckpointScope | undefined)[]> {
  // Migrations after one whose forward does not parse never run (the drill stops there).
  const stop = parsed.findIndex((p) => p.forward === null);
  const named = (stop === -1 ? parsed : parsed.slice(0, stop)).map(migrationNames);
  const known = named.filter((n): n is Named => n !== undefined);
  const row = await queryWithoutJit<PlanRow>(client, planSql(unique(known.flatMap((n) => n.names)), unique(known.flatMap((n) => n.functions))));
  const { readOnly, eventTriggers, writesElsewhere } = row.rows[0];
  const own = named.map((n) => (n && !eventTriggers && n.functions.every((f) => readOnly.includes(f)) ? n.names : undefined));
  const wholeData = writesElsewhere || own.some((n) => n === undefined);
  return scopeNames(own).map((names) => names && { names, wholeData });
}

/**
 * The names each checkpoint covers, from each migration's own (undefined: full). Reverses run
 * newest first, and a migration's round trip is compared with the next newer one's checkpoints
 * (round-trip.ts, setAsideNewer): every object of its scope that a newer migration can change must
 * be in that newer scope too, or a newer leftover would be reported again here. So after the last
 * full migration each scope also holds the names of the newer migrations, and before the first one
 * the scopes grow from the oldest (a full migration can change anything: every older scope must
 * be in the next newer one); from the first full migration to the last, all are full.
 */
export function scopeNames(own: readonly (readonly string[] | undefined)[]): (string[] | undefined)[] {
  const full = own.flatMap((n, i) => (n === undefined ? [i] : []));
  const [first, last] = full.length > 0 ? [full[0], full[full.length - 1]] : [-1, -1];
  return own.map((_, i) => {
    if (first === -1 || i > last) return unique(own.slice(i).flatMap((n) => n ?? []));
    return i < first ? unique(own.slice(0, i + 1).flatMap((n) => n ?? [])) : undefined;
  });
}

/**
 * Pins the snapshot's settings (see schema-snapshot.ts), jit off and generic plans, and returns the
 * caller's settings and the scope's names resolved with the caller's search_path (read first: the
 * CTE is computed before the row that reads it); the scoped query restores them. Without jit: the
 * recursive query's cost estimate passes jit_above_cost, and compiling it (a quarter of a second)
 * takes longer than running it. Generic plans: PostgreSQL otherwise plans the scoped query anew at
 * every checkpoint (its custom plan's estimate is below the generic one's), 4-7 ms each on Lemmy,
 * where running it takes 1-10.
 */
const SWITCH_AND_RESOLVE_SQL = pinAndSaveSql({ ...SNAPSHOT_SETTINGS, jit: 'off', plan_cache_mode: 'force_generic_plan' }, `ARRAY(${namedOids('$1')}) AS named`);

/** The snapshot's conditions for "in the scope" (over reachCte's rels and objects): arrays, which the planner drives index scans with. */
const IN_SCOPE: SnapshotScope = {
  relation: (oid) => `${oid} = ANY ((SELECT array_agg(oid) FROM rels)::oid[])`,
  object: (catalog, oid) => `${oid} = ANY ((SELECT array_agg(objid) FROM objects WHERE classid = '${catalog}'::regclass)::oid[])`,
};

/**
 * The scoped snapshot ($1: excluded schemas, none; $3: the named relations' oids; $4-$6: what the
 * checkpoint before read, see Reached) and what is in reach, in one query; its last column
 * restores the caller's settings ($2).
 */
const SCOPED_SQL = `
WITH RECURSIVE ${reachCte('SELECT unnest($3::oid[])', { rels: '$4::oid[]', classids: '$5::oid[]', objids: '$6::oid[]' })},
lists AS MATERIALIZED (
  SELECT ${snapshotColumns(IN_SCOPE)},
  ARRAY(SELECT oid FROM rels) AS rels,
  (SELECT coalesce(json_agg(json_build_array(classid, objid)), '[]') FROM objects) AS objects
)
SELECT lists.*, ${restoreSql('$2')} FROM lists`;

/**
 * The tables in scope to fingerprint, through their partition root ($1: the named relations' oids;
 * $2-$4: what the checkpoint before read). It needs nothing of the snapshot's settings, so it runs
 * on the scan session beside the catalog reads (see takeCheckpoint). The reach is computed on both
 * sessions, on purpose: a few milliseconds on the other core, where the scans used to wait for the
 * whole catalog read.
 */
const TABLES_IN_SCOPE_SQL = `
WITH RECURSIVE ${reachCte('SELECT unnest($1::oid[])', { rels: '$2::oid[]', classids: '$3::oid[]', objids: '$4::oid[]' })}
${tablesToFingerprintSql('c.oid = ANY ((SELECT array_agg(coalesce(pg_partition_root(oid), oid)) FROM cascaded)::oid[])')}`;

/**
 * What a scoped checkpoint read, by oid (an object keeps its oid for the whole drill): the relations
 * in scope, and every object in reach as (catalog, oid). The checkpoint after the reverse reads
 * these too, as they are then: an object reached before only through a link the round trip removed
 * (a dropped FK child's parent, a dropped view's base table) is still compared, not taken for gone.
 */
export interface Reached {
  readonly rels: readonly number[];
  readonly objects: readonly (readonly [number, number])[];
}

const NOTHING_REACHED: Reached = { rels: [], objects: [] };

/** A scope whose names are resolved, on a session whose settings are pinned for the snapshot (see pinScope). */
export interface PinnedScope {
  /** The session's own settings, which readScope sets back. */
  readonly saved: object;
  /** The named relations' oids. */
  readonly named: readonly string[];
}

/**
 * The first round trip of a scoped checkpoint: resolves the scope's names with the session's
 * search_path and pins the snapshot's settings. readScope must follow on the same session.
 */
export async function pinScope(client: ClientBase, scope: CheckpointScope): Promise<PinnedScope> {
  return (await preparedQuery<{ saved: object; named: string[] }>(client, 'scope_switch', SWITCH_AND_RESOLVE_SQL, [scope.names])).rows[0];
}

/**
 * The schema objects in a pinned scope (and those `seen` by the checkpoint before), in the current
 * state, in one round trip that sets the session's settings back.
 */
export async function readScope(
  client: ClientBase,
  pinned: PinnedScope,
  seen: Reached = NOTHING_REACHED,
): Promise<{ schema: SchemaSnapshot; reached: Reached }> {
  const values = [[], pinned.saved, pinned.named, ...seenValues(seen)];
  let row: ScopedRow;
  try {
    row = (await preparedQuery<ScopedRow>(client, 'scoped_checkpoint', SCOPED_SQL, values)).rows[0];
  } catch (error) {
    await client.query(RESTORE_SQL, [pinned.saved]);
    throw error;
  }
  return { schema: snapshotOf(row), reached: { rels: row.rels.map(Number), objects: row.objects } };
}

/**
 * The tables of a pinned scope (and of what the checkpoint before `seen`) whose data the checkpoint
 * covers, on any session of the drill's database: one round trip, on a generic plan and with jit
 * off (see SWITCH_AND_RESOLVE_SQL), both for this call only.
 */
export async function tablesInScope(client: ClientBase, pinned: PinnedScope, seen: Reached = NOTHING_REACHED): Promise<FingerprintedTable[]> {
  const query = { name: 'tables_in_scope', text: TABLES_IN_SCOPE_SQL, values: [pinned.named, ...seenValues(seen)] };
  return (await genericPlanQuery<FingerprintedTable>(client, query, {}, { jit: 'off' })).rows;
}

const seenValues = (seen: Reached): Argument[] => [seen.rels, seen.objects.map(([c]) => c), seen.objects.map(([, o]) => o)];

type ScopedRow = SnapshotLists & { rels: string[]; objects: [number, number][] };
