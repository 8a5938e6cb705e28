import type { Hazard, Severity } from '../hazards.js';

/** Where a finding came from: the drill's observation, a static rule, the layout, or git history. */
export type FindingSource = 'drill' | 'rule' | 'layout' | 'change-set' | 'engine';

export interface Finding {
  readonly rule: string;
  readonly hazard: Hazard;
  readonly severity: Severity;
  /** File path relative to the repository root. */
  readonly path: string;
  /** 1-based first line of the statement (or line 1 for whole-file findings). */
  readonly line: number;
  readonly endLine?: number;
  /** One sentence: the danger. */
  readonly message: string;
  /** The safe alternative: SQL that replaces the flagged lines, or a recipe. */
  readonly fix?: string;
  /** True when `fix` is SQL that replaces lines line..endLine as they stand (a suggestion block). */
  readonly fixReplacesLines?: boolean;
  readonly source: FindingSource;
  /** What PostgreSQL did, when the drill observed it (locks, rewrites, SQLSTATE, rows). */
  readonly evidence?: string;
  /** The existing table the finding concerns, when there is one (for size-aware messages). */
  readonly table?: string;
  /** An acknowledged error no longer fails the review but stays in the report. */
  readonly acknowledged?: Acknowledgement;
}

export interface Acknowledgement {
  readonly reason: string;
  /** Who or what acknowledged it: `path:line` of an in-file directive, or a user. */
  readonly by: string;
  /** ISO time, for acknowledgements made outside the file. */
  readonly at?: string;
}

/** A relation lock the migration's backend held after a statement (from pg_locks). */
export interface LockObservation {
  /** Schema-qualified relation name. */
  readonly relation: string;
  readonly mode: LockMode;
  /** Whether the relation existed before the change (locks on new tables hurt nobody). */
  readonly existing: boolean;
}

export type LockMode =
  | 'AccessShareLock'
  | 'RowShareLock'
  | 'RowExclusiveLock'
  | 'ShareUpdateExclusiveLock'
  | 'ShareLock'
  | 'ShareRowExclusiveLock'
  | 'ExclusiveLock'
  | 'AccessExclusiveLock';

export type Direction = 'forward' | 'reverse' | 'redo';

export type StatementStatus = 'applied' | 'failed' | 'timed-out' | 'not-run';

export interface StatementResult {
  readonly line: number;
  readonly endLine: number;
  readonly status: StatementStatus;
  readonly durationMs: number;
  /** Locks first taken (or strengthened) by this statement. */
  readonly locks: LockObservation[];
  /** Existing relations whose storage this statement rewrote (pg_class.relfilenode changed). */
  readonly rewrites: string[];
  /** Rows of existing tables read by sequential scans during this statement. */
  readonly scannedRows: Record<string, number>;
  readonly error?: { code: string; message: string; line: number };
}

export type ScriptStatus = 'applied' | 'failed' | 'timed-out' | 'missing' | 'skipped';

export interface MigrationResult {
  readonly path: string;
  readonly version: string;
  readonly direction: Direction;
  readonly status: ScriptStatus;
  readonly durationMs: number;
  /** Strongest lock per relation over the whole script. */
  readonly locks: LockObservation[];
  readonly rewrites: string[];
  readonly statements: StatementResult[];
}

export interface DrillSummary {
  readonly provider: string;
  readonly serverVersion: string;
  readonly layout: string;
  readonly baseMigrations: number;
  readonly newMigrations: number;
  /** Whether the base history came from the template cache. */
  readonly templateCache: 'hit' | 'miss' | 'none';
  readonly seededRows: number;
  readonly seededTables: number;
  /** Did forward → reverse restore the schema and the seeded rows? null when not run. */
  readonly roundTrip: 'restored' | 'mismatch' | 'not-run';
  readonly durationMs: number;
}

export interface Report {
  readonly version: 1;
  readonly verdict: 'pass' | 'fail';
  readonly findings: Finding[];
  readonly migrations: MigrationResult[];
  readonly drill: DrillSummary | null;
}
