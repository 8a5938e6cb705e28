import type { ColumnEntry, SchemaDifference, SchemaObject, SchemaObjectType, TriggerEntry, TypeEntry } from './schema-snapshot.js';

/**
 * How a schema difference reads for people, and the SQL a reverse migration could add to undo
 * it: both from the typed objects of the snapshot, so nothing here re-reads definition text.
 */

// --- definitions as text, for people --------------------------------------------------------

/** The parts that are set, joined by `separator` (as SQL's concat_ws). */
const joinSet = (separator: string, parts: (string | null | false)[]): string => parts.filter((p): p is string => typeof p === 'string').join(separator);

const identityClause = (c: ColumnEntry): string | null =>
  c.identity === null ? null : `GENERATED ${c.identity === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`;

const generatedClause = (c: ColumnEntry): string | null => (c.generated ? `GENERATED ALWAYS AS (${c.generated.expression}) ${c.generated.kind}` : null);

/** A column's definition as ALTER TABLE ... ADD COLUMN takes it: type [COLLATE] [NOT NULL] [identity] [generated | DEFAULT]. */
function columnDefinition(c: ColumnEntry): string {
  return joinSet(' ', [
    c.type,
    c.collation !== null && `COLLATE ${c.collation}`,
    c.notNull && 'NOT NULL',
    identityClause(c),
    generatedClause(c) ?? (c.default !== null && `DEFAULT ${c.default}`),
  ]);
}

const TRIGGER_STATE: Record<TriggerEntry['enabled'], string | null> = {
  O: null,
  D: 'disabled',
  R: 'enabled replica',
  A: 'enabled always',
};

/** The canonical one-object description that reports quote: PostgreSQL's definition and any state beside it. */
export function definitionOf(o: SchemaObject): string {
  switch (o.objectType) {
    case 'schema':
      return 'schema';
    case 'extension':
      return `version ${o.version} in schema ${o.schema}`;
    case 'table':
      return joinSet('; ', [
        o.tableKind,
        o.unlogged && 'unlogged',
        o.partitionKey !== null && `partition by ${o.partitionKey}`,
        o.partitionBound !== null ? `partition of ${o.parents.join(', ')} ${o.partitionBound}` : o.parents.length > 0 && `inherits ${o.parents.join(', ')}`,
        o.rowSecurity && 'row level security',
        o.forceRowSecurity && 'forced row level security',
        o.options !== null && `with (${o.options.join(', ')})`,
      ]);
    case 'column':
      return columnDefinition(o);
    case 'constraint':
    case 'function':
    case 'procedure':
    case 'aggregate':
      return o.definition;
    case 'index':
      return joinSet(' ', [o.definition, !o.valid && '(invalid)', o.constraint !== null && `(backs constraint ${o.constraint})`]);
    case 'sequence':
      return joinSet(' ', [
        `AS ${o.dataType} INCREMENT BY ${o.increment} MINVALUE ${o.min} MAXVALUE ${o.max} START WITH ${o.start} CACHE ${o.cache}`,
        o.cycle ? 'CYCLE' : 'NO CYCLE',
        o.ownedBy !== null && `OWNED BY ${o.ownedBy}`,
      ]);
    case 'view':
    case 'materialized view':
      return joinSet(' ', [
        o.definition,
        o.options !== null && `WITH (${o.options.join(', ')})`,
        o.objectType === 'materialized view' && !o.populated && '(not populated)',
      ]);
    case 'trigger': {
      const state = TRIGGER_STATE[o.enabled];
      return joinSet(' ', [o.definition, state !== null && `(${state})`]);
    }
    case 'type':
      return typeDefinition(o);
    case 'domain':
      return joinSet(' ', [
        o.baseType,
        o.notNull && 'NOT NULL',
        o.default !== null && `DEFAULT ${o.default}`,
        ...o.checks.map((c) => `CONSTRAINT ${c.name} ${c.definition}`),
      ]);
    case 'policy':
      return joinSet(' ', [
        o.permissive ? 'AS PERMISSIVE' : 'AS RESTRICTIVE',
        `FOR ${o.command}`,
        `TO ${o.roles.join(', ')}`,
        o.using !== null && `USING (${o.using})`,
        o.withCheck !== null && `WITH CHECK (${o.withCheck})`,
      ]);
  }
}

function typeDefinition(t: TypeEntry): string {
  switch (t.variety) {
    case 'enum':
      return `enum (${(t.labels ?? []).join(', ')})`;
    case 'composite':
      return `composite (${(t.fields ?? []).map((f) => `${f.name} ${f.type}`).join(', ')})`;
    case 'range':
      return `range of ${t.subtype ?? ''}`;
  }
}

/** One plain sentence for people about a difference (before = the snapshot taken first). */
export function describeDifference(d: SchemaDifference): string {
  const what = `${d.objectType} ${d.name}`;
  const { before, after } = d;
  if (d.change === 'added' || !before) return `${what} is left behind (it did not exist before)`;
  if (d.change === 'removed' || !after) {
    return before.objectType === 'column' ? `${what} is missing (type ${before.type})` : `${what} is missing (it was: ${oneLine(definitionOf(before))})`;
  }
  return before.objectType === 'column' && after.objectType === 'column'
    ? describeColumnChange(d.name, before, after)
    : `${what} changed from ${oneLine(definitionOf(before))} to ${oneLine(definitionOf(after))}`;
}

function describeColumnChange(name: string, before: ColumnEntry, after: ColumnEntry): string {
  const col = `column ${name}`;
  const clauses: string[] = [];
  const show = (v: string | null): string => v ?? 'none';
  if (before.type !== after.type) clauses.push(`type of ${col} changed from ${before.type} to ${after.type}`);
  if (before.collation !== after.collation) {
    clauses.push(`collation of ${col} changed from ${show(before.collation)} to ${show(after.collation)}`);
  }
  if (before.notNull !== after.notNull) {
    clauses.push(before.notNull ? `${col} lost its NOT NULL constraint` : `${col} became NOT NULL`);
  }
  if (identityClause(before) !== identityClause(after)) {
    clauses.push(`identity of ${col} changed from ${show(identityClause(before))} to ${show(identityClause(after))}`);
  }
  if (generatedClause(before) !== generatedClause(after)) {
    clauses.push(`generation of ${col} changed from ${show(generatedClause(before))} to ${show(generatedClause(after))}`);
  }
  if (before.default !== after.default) {
    clauses.push(`default of ${col} changed from ${show(before.default)} to ${show(after.default)}`);
  }
  return clauses.length > 0 ? clauses.join('; ') : `${col} changed`;
}

/** Collapses every run of white space (as String.prototype.trim knows it) into one space. */
function oneLine(text: string): string {
  let out = '';
  let gap = false;
  for (const ch of text) {
    if (ch.trim() === '') {
      gap = true;
      continue;
    }
    if (gap && out !== '') out += ' ';
    out += ch;
    gap = false;
  }
  return out;
}

// --- reverse fixes ----------------------------------------------------------------------------

const DROP_STATEMENT: Partial<Record<SchemaObjectType, string>> = {
  table: 'DROP TABLE IF EXISTS',
  view: 'DROP VIEW IF EXISTS',
  'materialized view': 'DROP MATERIALIZED VIEW IF EXISTS',
  sequence: 'DROP SEQUENCE IF EXISTS',
  function: 'DROP FUNCTION IF EXISTS',
  procedure: 'DROP PROCEDURE IF EXISTS',
  aggregate: 'DROP AGGREGATE IF EXISTS',
  type: 'DROP TYPE IF EXISTS',
  domain: 'DROP DOMAIN IF EXISTS',
  schema: 'DROP SCHEMA IF EXISTS',
  extension: 'DROP EXTENSION IF EXISTS',
};

/**
 * SQL that a reverse migration could add to undo the difference, or null when it cannot be
 * derived safely. Drops never CASCADE: removing something other objects depend on is a decision
 * for a person.
 */
export function reverseFixFor(d: SchemaDifference): string | null {
  const { before, after } = d;
  if (d.change === 'added' || !before) return after ? fixAdded(after) : null;
  // A function or procedure, gone or changed, comes back whole: CREATE OR REPLACE restores it.
  if (before.objectType === 'function' || before.objectType === 'procedure') return `${before.definition.trimEnd()};`;
  if (d.change === 'removed' || !after) return fixRemoved(before);
  return fixChanged(before, after);
}

function fixAdded(o: SchemaObject): string | null {
  switch (o.objectType) {
    case 'index':
      // An index that backs a constraint goes with the constraint's DROP CONSTRAINT.
      return o.constraint !== null ? null : `DROP INDEX IF EXISTS ${o.name};`;
    case 'column':
      return `ALTER TABLE ${o.table} DROP COLUMN IF EXISTS ${o.member};`;
    case 'constraint':
      return `ALTER TABLE ${o.table} DROP CONSTRAINT IF EXISTS ${o.member};`;
    case 'trigger':
      return `DROP TRIGGER IF EXISTS ${o.member} ON ${o.table};`;
    case 'policy':
      return `DROP POLICY IF EXISTS ${o.member} ON ${o.table};`;
    default: {
      const drop = DROP_STATEMENT[o.objectType];
      return drop ? `${drop} ${o.name};` : null;
    }
  }
}

function fixRemoved(o: SchemaObject): string | null {
  switch (o.objectType) {
    case 'index':
      // Constraint indexes come back with ADD CONSTRAINT; an invalid index was never usable.
      if (o.constraint !== null || !o.valid) return null;
      // pg_get_indexdef writes ON ONLY for a partitioned table's index, and ON ONLY would create
      // it without its partitions' indexes.
      return `${o.definition.replace(' ON ONLY ', ' ON ')};`;
    case 'column':
      return `ALTER TABLE ${o.table} ADD COLUMN ${o.member} ${columnDefinition(o)};`;
    case 'constraint':
      return `ALTER TABLE ${o.table} ADD CONSTRAINT ${o.member} ${o.definition};`;
    case 'trigger':
      return triggerFix(o, true);
    default:
      return null;
  }
}

function fixChanged(before: SchemaObject, after: SchemaObject): string | null {
  switch (before.objectType) {
    case 'column':
      return after.objectType === 'column' ? columnFix(before, after) : null;
    case 'trigger':
      // Only the enabled state can be restored in place; a different definition needs a person.
      return after.objectType === 'trigger' && before.definition === after.definition ? triggerFix(before, false) : null;
    default:
      return null;
  }
}

function columnFix(before: ColumnEntry, after: ColumnEntry): string | null {
  // Identity and generation changes need more than one ALTER and a decision about data.
  if (identityClause(before) !== identityClause(after) || generatedClause(before) !== generatedClause(after)) return null;
  const { table, member } = before;
  const actions: string[] = [];
  if (before.type !== after.type || before.collation !== after.collation) {
    const collate = before.collation !== null ? ` COLLATE ${before.collation}` : '';
    actions.push(`ALTER COLUMN ${member} TYPE ${before.type}${collate}`);
  }
  if (before.default !== after.default) {
    actions.push(before.default === null ? `ALTER COLUMN ${member} DROP DEFAULT` : `ALTER COLUMN ${member} SET DEFAULT ${before.default}`);
  }
  if (before.notNull !== after.notNull) {
    actions.push(`ALTER COLUMN ${member} ${before.notNull ? 'SET' : 'DROP'} NOT NULL`);
  }
  return actions.length > 0 ? `ALTER TABLE ${table} ${actions.join(', ')};` : null;
}

const ENABLE_TRIGGER: Record<TriggerEntry['enabled'], string> = {
  O: 'ENABLE TRIGGER',
  D: 'DISABLE TRIGGER',
  R: 'ENABLE REPLICA TRIGGER',
  A: 'ENABLE ALWAYS TRIGGER',
};

/** Re-creates a trigger (`create`) and/or restores its enabled state. */
function triggerFix(t: TriggerEntry, create: boolean): string {
  const statements = create ? [`${t.definition};`] : [];
  // A re-created trigger fires on origin already; any other state needs the ALTER.
  if (!create || t.enabled !== 'O') statements.push(`ALTER TABLE ${t.table} ${ENABLE_TRIGGER[t.enabled]} ${t.member};`);
  return statements.join('\n');
}
