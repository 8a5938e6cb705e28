import type { ClientBase } from 'pg';
import type { Migration } from '../layouts/layout.js';
import type { Finding } from '../report/report.js';
import { finding } from '../report/findings.js';
import type { ParsedStatement } from '../sql/parse.js';
import { compareFingerprints, fingerprintData, fingerprintTables, type DataFingerprint, type DataLoss, type TableFingerprint } from './data-fingerprint.js';
import { pinScope, readScope, tablesInScope, type CheckpointScope, type Reached } from './checkpoint-scope.js';
import type { ScanSession } from './scan-session.js';
import { describeDifference, reverseFixFor } from './schema-fixes.js';
import { diffSchemas, objectOf, sameObject, snapshotSchema, type SchemaDifference, type SchemaSnapshot } from './schema-snapshot.js';

/** Schema and data right before a forward migration: what its reverse must restore. */
export interface Checkpoint {
  readonly schema: SchemaSnapshot;
  readonly data: DataFingerprint;
  /** What it covers (checkpoint-scope.ts); undefined: the whole schema and every table. */
  readonly scope?: CheckpointScope;
  /** With a scope: what was in reach, which the checkpoint after the reverse reads too. */
  readonly reached?: Reached;
}

/**
 * The sessions a checkpoint reads on: the drill's own, and optionally a second session of the same
 * database (scan-session.ts) for the table scans, which then run beside the catalog reads, on the
 * other core. The drill commits or rolls back every script before a checkpoint, so both see the
 * same state. Without it the scans run on the drill's own session, after the catalog reads.
 */
export interface CheckpointSessions {
  readonly own: ClientBase;
  readonly scans?: Pick<ScanSession, 'run'>;
}

/**
 * A checkpoint of what `scope` covers (and of what the checkpoint before the forward had in reach,
 * `seen`), or of everything. The state after the reverse is read with the same scope (see checkRoundTrip).
 */
export async function takeCheckpoint(on: CheckpointSessions, scope?: CheckpointScope, seen?: Reached): Promise<Checkpoint> {
  if (!scope) {
    // Scanning every table needs nothing from the catalog read, so a second session starts at once.
    const [schema, scanned] = await Promise.all([snapshotSchema(on.own), on.scans?.run((client) => fingerprintData(client))]);
    return { schema, data: scanned ?? (await fingerprintData(on.own)) };
  }
  const pinning = pinScope(on.own, scope);
  const scanScope = async (client: ClientBase): Promise<DataFingerprint> =>
    scope.wholeData ? fingerprintData(client) : fingerprintTables(client, await tablesInScope(client, await pinning, seen));
  // Every table's scans start at once; the scoped tables' list needs the named oids, and the second
  // session reads and scans them beside the catalogs. Either is awaited with the catalog read, so
  // a failure of both (the drill's database gone) leaves none unhandled.
  const beside = scope.wholeData ? on.scans?.run(scanScope) : pinning.then(() => on.scans?.run(scanScope));
  // The own session must wait: a query sent while the snapshot has its settings pinned (the
  // search_path at pg_catalog) would print reg* values under them.
  const [read, scanned] = await Promise.all([pinning.then((pinned) => readScope(on.own, pinned, seen)), beside]);
  return { schema: read.schema, data: scanned ?? (await scanScope(on.own)), scope, reached: read.reached };
}

/** A newer migration's round trip in the same drill: the checkpoint before its forward and the state its reverse left. */
export interface NewerRoundTrip {
  readonly before: Checkpoint;
  readonly after: Checkpoint;
}

/**
 * Compares the state after a reverse with the checkpoint before its forward. Schema differences
 * become `reverse-mismatch` findings on the forward statement that made the object (where the
 * fix belongs to its reverse); lost seeded values become `data-loss`, unless the forward drop that
 * destroyed them was already reported. Reverses run newest first, so what a newer migration's
 * reverse left behind (`newer`) is still there: it is reported at that migration, not again here.
 * Returns the findings and the state after this reverse (the `newer` of the next, older one).
 */
export async function checkRoundTrip(
  on: CheckpointSessions,
  before: Checkpoint,
  migration: Migration,
  forward: ParsedStatement[],
  reported: Finding[],
  newer?: NewerRoundTrip,
): Promise<{ findings: Finding[]; after: Checkpoint }> {
  const after = await takeCheckpoint(on, before.scope, before.reached);
  const expected = newer ? setAsideNewer(before, after, newer) : before;
  const mismatches = groupByStatement(diffSchemas(expected.schema, after.schema), forward).map(({ statement, differences }) =>
    mismatchFinding(migration, statement, differences),
  );
  const alreadyLost = new Set(reported.filter((f) => f.hazard === 'data-loss' && f.path === migration.forward.path).map((f) => f.table));
  const losses = compareFingerprints(expected.data, after.data).filter((loss) => !alreadyLost.has(loss.table));
  return { findings: losses.length > 0 ? [...mismatches, lossFinding(migration, losses)] : mismatches, after };
}

/**
 * The checkpoint with the newer migration's leftovers taken as expected: an object (schema key) or
 * seeded column that had the same definition before this forward as before the newer one (this
 * forward left it alone) and is the same after both reverses (this reverse left it alone) carries
 * the newer reverse's difference, not this migration's.
 */
function setAsideNewer(before: Checkpoint, after: Checkpoint, newer: NewerRoundTrip): Checkpoint {
  const schema = new Map(before.schema);
  for (const key of new Set([...before.schema.keys(), ...after.schema.keys()])) {
    if (!sameObject(before.schema.get(key), newer.before.schema.get(key)) || !sameObject(after.schema.get(key), newer.after.schema.get(key))) continue;
    const now = after.schema.get(key);
    if (now === undefined) schema.delete(key);
    else schema.set(key, now);
  }
  const data = new Map(before.data);
  for (const [table, was] of before.data) {
    const wasAtNewer = newer.before.data.get(table);
    const now = after.data.get(table);
    const nowAtNewer = newer.after.data.get(table);
    if (!wasAtNewer) continue;
    if (!now || !nowAtNewer) {
      if (!now && !nowAtNewer && sameTableData(was, wasAtNewer)) data.delete(table);
      continue;
    }
    const columns = new Map(was.columns);
    for (const [column, hash] of was.columns) {
      if (hash !== wasAtNewer.columns.get(column) || now.columns.get(column) !== nowAtNewer.columns.get(column)) continue;
      const current = now.columns.get(column);
      if (current === undefined) columns.delete(column);
      else columns.set(column, current);
    }
    const rows = was.rows === wasAtNewer.rows && now.rows === nowAtNewer.rows ? now.rows : was.rows;
    data.set(table, { rows, columns });
  }
  return { schema, data };
}

function sameTableData(a: TableFingerprint, b: TableFingerprint): boolean {
  return a.rows === b.rows && a.columns.size === b.columns.size && [...a.columns].every(([column, hash]) => b.columns.get(column) === hash);
}

function groupByStatement(
  differences: SchemaDifference[],
  forward: ParsedStatement[],
): Array<{ statement: ParsedStatement | null; differences: SchemaDifference[] }> {
  const groups = new Map<ParsedStatement | null, SchemaDifference[]>();
  for (const d of differences) {
    const statement = statementMaking(d, forward);
    groups.set(statement, [...(groups.get(statement) ?? []), d]);
  }
  return [...groups].map(([statement, diffs]) => ({ statement, differences: diffs }));
}

/** The forward statement that names the object (its last name part), e.g. the CREATE INDEX of an index left behind. */
function statementMaking(d: SchemaDifference, forward: ParsedStatement[]): ParsedStatement | null {
  const object = objectOf(d);
  const leaf = unquote('member' in object ? object.member : (d.name.split('.').pop() ?? d.name));
  const pattern = new RegExp(`(^|[^\\w$])"?${escapeRegExp(leaf)}"?($|[^\\w$])`, 'i');
  return forward.find((s) => pattern.test(s.text)) ?? null;
}

function mismatchFinding(migration: Migration, statement: ParsedStatement | null, differences: SchemaDifference[]): Finding {
  const reverse = migration.reverse;
  const target = statement
    ? { path: migration.forward.path, line: statement.line, endLine: statement.endLine }
    : { path: reverse?.path ?? migration.forward.path, line: reverse?.startLine ?? 1 };
  const fixes = differences.map(reverseFixFor).filter((f): f is string => f !== null);
  const shown = differences.slice(0, 5).map(describeDifference);
  const more = differences.length > shown.length ? `; and ${differences.length - shown.length} more` : '';
  return finding({
    hazard: 'reverse-mismatch',
    source: 'drill',
    ...target,
    message: `Forward then reverse does not restore the schema: ${shown.join('; ')}${more}.`,
    fix:
      fixes.length > 0
        ? `Add to the reverse migration${reverse ? ` (${reverse.path})` : ''}:\n${fixes.join('\n')}`
        : 'Make the reverse migration undo exactly what this statement does.',
    evidence: `schema diff after ${migration.name} forward+reverse: ${differences.length} difference(s)`,
  });
}

function lossFinding(migration: Migration, losses: DataLoss[]): Finding {
  const reverse = migration.reverse;
  const shown = losses.slice(0, 5).map(describeLoss);
  return finding({
    hazard: 'data-loss',
    source: 'drill',
    path: reverse?.path ?? migration.forward.path,
    line: reverse?.startLine ?? 1,
    message: `Seeded data does not survive forward then reverse: ${shown.join('; ')}${losses.length > shown.length ? '; …' : ''}.`,
    fix: 'Keep the data recoverable: copy it aside in the forward migration (or do not destroy it until a later release), and restore it in the reverse.',
    evidence: `data fingerprint after ${migration.name} forward+reverse`,
  });
}

function describeLoss(loss: DataLoss): string {
  const where = loss.column ? `${loss.table}.${loss.column}` : loss.table;
  switch (loss.kind) {
    case 'table-missing':
      return `table ${where} is gone (${loss.before} rows)`;
    case 'column-missing':
      return `column ${where} is gone`;
    case 'rows-lost':
      return `${where} lost ${loss.before - loss.after} of ${loss.before} rows`;
    case 'values-changed':
      return `values of ${where} changed`;
  }
}

function unquote(name: string): string {
  return name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
