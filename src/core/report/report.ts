import type { Hazard, Severity } from '../hazards.js';

/**
 * Where a finding came from: the drill's observation, a static rule, the layout, git history, the
 * engine itself, or the LLM reviewer (`model`: only ever `checklist` warnings).
 */
export type FindingSource = 'drill' | 'rule' | 'layout' | 'change-set' | 'engine' | 'model';

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

/**
 * How the drill saw a statement's locks. `in-transaction`: in its own transaction right after it.
 * A statement PostgreSQL runs only outside a transaction block holds its locks only while it runs,
 * so they are read from a second session: `while-waiting` while it waited for a transaction the
 * drill held open for that purpose (all it holds at that point); `sampled` while it ran (a lock
 * taken between two samples is missing); `not-observed` when it ended before any sample saw a lock,
 * which does not mean that it took none.
 */
export type LockView = 'in-transaction' | 'while-waiting' | 'sampled' | 'not-observed';

export type Direction = 'forward' | 'reverse' | 'redo';

export type StatementStatus = 'applied' | 'failed' | 'timed-out' | 'not-run';

export interface StatementResult {
  readonly line: number;
  readonly endLine: number;
  readonly status: StatementStatus;
  readonly durationMs: number;
  /** Locks first taken (or strengthened) by this statement. */
  readonly locks: LockObservation[];
  /** How `locks` were seen; absent means `in-transaction`. */
  readonly lockView?: Exclude<LockView, 'in-transaction'>;
  /** What the statement waited for while holding its locks (statements run outside a transaction block). */
  readonly waited?: string;
  /** Existing relations whose storage this statement rewrote (pg_class.relfilenode changed). */
  readonly rewrites: string[];
  /** Rows of existing tables read by sequential scans during this statement. */
  readonly scannedRows: Record<string, number>;
  /** PostgreSQL's error, with its DETAIL when it gave one. */
  readonly error?: { code: string; message: string; line: number; detail?: string };
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

export interface TableSeeding {
  readonly table: string;
  readonly rows: number;
  /** Set when the table holds fewer rows than shadow.seedRows: the error, or what was missing. */
  readonly reason?: string;
}

export interface DrillSummary {
  readonly provider: string;
  readonly serverVersion: string;
  /** Set when the server's major is not the configured shadow.pgMajor (--pg-major): the drill ran on another major than production's. */
  readonly pgMajorMismatch?: { readonly configured: number; readonly server: number };
  readonly layout: string;
  readonly baseMigrations: number;
  /** Whose privileges the base history replayed with (shadow.historyPrivileges); the change ran as the database's owner. */
  readonly historyPrivileges: 'owner' | 'superuser';
  readonly newMigrations: number;
  /** Whether the base history came from the template cache. */
  readonly templateCache: 'hit' | 'miss' | 'none';
  readonly seededRows: number;
  /** Tables holding at least one row after seeding. */
  readonly seededTables: number;
  /** Per table the change can touch (partitioned ones through their root), in seeding order: rows held, and why fewer than asked. */
  readonly seeding: readonly TableSeeding[];
  /** Did forward → reverse restore the schema and the seeded rows? null when not run. */
  readonly roundTrip: 'restored' | 'mismatch' | 'not-run';
  /** The multi-tenant drill (shadow.tenants): absent when no tenants are configured. */
  readonly tenants?: TenantSummary;
  /** The representative queries planned before and after the change (absent when none were given). */
  readonly queryPlans?: QueryPlanSummary;
  readonly durationMs: number;
}

/** The change run once per tenant schema, as a schema-per-tenant tool runs it (see drill/tenants.ts). */
export interface TenantSummary {
  /** The schema the migrations are written against, after the tenant in search_path. */
  readonly template: string;
  readonly tenants: readonly TenantOutcome[];
  /**
   * Per forward migration: its lock time on existing tables summed over the tenants that ran it
   * (the tool migrates one tenant after the other), measured on the seeded shadow.
   */
  readonly lockMs: ReadonlyArray<{ readonly path: string; readonly ms: number; readonly tenants: number }>;
}

export interface TenantOutcome {
  readonly schema: string;
  /** `not-run`: the tenant could not be created or seeded (see its infra finding). */
  readonly forward: 'applied' | 'failed' | 'not-run';
  /** Where its forward failed, when it did. */
  readonly failedAt?: { readonly path: string; readonly line: number };
  /** The reverses of its applied migrations, newest first; `not-run` when there was none to run. */
  readonly reverse: 'applied' | 'failed' | 'not-run';
  /** Per forward migration it ran: how long it held locks on existing tables. */
  readonly lockMs: ReadonlyArray<{ readonly path: string; readonly ms: number }>;
}

/** What the drill established about the base's representative queries against the new schema. */
export interface QueryPlanSummary {
  readonly queries: number;
  /** How many planned on the base schema (only those are compared). */
  readonly plannedAtBase: number;
  /** Planned again after a forward migration applied. */
  readonly checked: boolean;
  /** Why they were not planned (a shadow older than PostgreSQL 16). */
  readonly unsupported?: string;
}

export type ChecklistDirection = 'forward' | 'reverse';
export type ChecklistStatus = 'pass' | 'fail' | 'needs-human';

/** One item of the review checklist (checklists/*.md or the team's config), answered. */
export interface ChecklistAnswer {
  readonly id: string;
  readonly direction: ChecklistDirection;
  readonly question: string;
  readonly status: ChecklistStatus;
  /** What decided the answer: findings, drill results, or the model's explanation. */
  readonly evidence: string;
  /** Who answered: the drill's observations, the static rules, or the LLM reviewer (judgement items only). */
  readonly source: 'drill' | 'rule' | 'model';
}

/** The drill run that tried a drafted reverse: forward → drafted reverse → schema/data compare → redo. */
export interface ReverseProof {
  readonly serverVersion: string;
  /** The drafted reverse ran without error. */
  readonly reverse: ScriptStatus | 'not-run';
  /** Schema and seeded data after forward → drafted reverse equal the state before the forward. */
  readonly roundTrip: 'restored' | 'mismatch' | 'not-run';
  /** The forward applied again after the drafted reverse. */
  readonly redo: ScriptStatus | 'not-run';
  /** What the drill reported against the draft, in its words. */
  readonly problems: string[];
}

/** A reverse migration Drillbot drafted for a forward migration that has none. */
export interface ReverseDraft {
  readonly version: string;
  readonly name: string;
  /** The forward migration it reverses. */
  readonly forwardPath: string;
  /**
   * Where the reverse goes: a new file, or a section of the forward's file (goose, dbmate); for a
   * forward-only tool (Prisma, Drizzle, Supabase, Atlas) a `rollback-plan` of the forward at `path`, a
   * draft the team keeps and runs by hand, since the tool runs no reverse.
   */
  readonly path: string;
  readonly placement: 'new-file' | 'section' | 'rollback-plan';
  /** For a section: the marker line the SQL goes under (`-- +goose Down`, `-- migrate:down`). */
  readonly section?: string;
  /** `deterministic` for common DDL, `model` when the LLM reviewer drafted it. */
  readonly drafter: 'deterministic' | 'model';
  /** The SQL to put there (for a section: the lines after the section marker). */
  readonly sql: string;
  /**
   * `proven`: the drill ran it and it round-trips (only then is it offered as a fix);
   * `failed`: the drill ran it and it does not; `unproven`: the drill could not run it.
   */
  readonly status: 'proven' | 'failed' | 'unproven';
  readonly proof: ReverseProof | null;
  /** Why it is not offered, in plain words (failed and unproven drafts). */
  readonly reason?: string;
}

/** Forward migrations with no reverse that Drillbot could not draft one for, and why. */
export interface ReverseNotDrafted {
  readonly version: string;
  readonly forwardPath: string;
  readonly reason: string;
}

/** How the LLM reviewer ran. */
export interface ReviewerSummary {
  /** `not-configured`: no model; `answered`: the model answered (or its answer came from the cache). */
  readonly status: 'not-configured' | 'answered' | 'invalid-output' | 'unavailable';
  readonly model: string | null;
  readonly tokens: { readonly prompt: number; readonly completion: number; readonly total: number };
  /** The answer came from the cache: no call was made. */
  readonly cached: boolean;
  /** Migration statements summarised instead of shown in full, to stay within the token budget. */
  readonly summarisedStatements: number;
  /** Why the model's answers are missing (timeouts, invalid output), without secrets. */
  readonly problem?: string;
}

/**
 * One step of the rollout runbook, in the order to run them. `deploy` steps come `before` or
 * `after` a migration (expand/contract); `basis` says whether the drill observed what the step
 * states (the migration's locks and times) or it is inferred from the SQL.
 */
export interface RolloutStep {
  readonly kind: 'deploy' | 'migrate' | 'backfill';
  readonly order?: 'before' | 'after';
  /** What to do, in one or two sentences. */
  readonly title: string;
  readonly path: string;
  readonly line: number;
  /** For a migration: whether the tool runs it inside a transaction block or outside one. */
  readonly transaction?: 'inside' | 'outside';
  /** The locks on existing tables and how long the drill held them. */
  readonly lock?: string;
  /** lock_timeout and retries, for a step whose locks queue other sessions. */
  readonly lockTimeout?: string;
  /** How to undo the step: the proven reverse, a drafted plan, or why there is none. */
  readonly rollback: string;
  readonly basis: 'observed' | 'inferred';
}

export interface Report {
  readonly version: 1;
  readonly verdict: 'pass' | 'fail';
  /**
   * Whether the review ran to its end: every new migration was drilled (or stopped by a finding
   * of its own) and nothing stopped Drillbot itself. False whenever an `infra` error is present,
   * which no acknowledgement can cover. The CLI's exit status (2), the App's conclusion (failure)
   * and the renderers read this field and nothing else to tell "could not run".
   */
  readonly complete: boolean;
  readonly findings: Finding[];
  readonly migrations: MigrationResult[];
  readonly drill: DrillSummary | null;
  /** The forward and reverse checklist, item by item (empty when nothing was reviewed). */
  readonly checklist: ChecklistAnswer[];
  /** Reverses drafted for forward migrations that have none, each with its drill proof. */
  readonly reverseDrafts: ReverseDraft[];
  readonly reverseNotDrafted: ReverseNotDrafted[];
  readonly reviewer: ReviewerSummary | null;
  /** The ordered runbook (empty when nothing was drilled; absent from reports older than it). */
  readonly rollout?: RolloutStep[];
}
