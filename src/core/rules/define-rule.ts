import { defaultSeverity, type Hazard, type Severity } from '../hazards.js';
import type { LayoutId, TransactionMode } from '../layouts/layout.js';
import type { ParsedStatement, StatementNode } from '../sql/parse.js';

/** Size of a production table, from `drillbot stats` (catalog statistics, never data). */
export interface TableSize {
  readonly rows: number;
  readonly bytes: number;
}

/** What a rule knows about the statement's surroundings; it never sees the database. */
export interface RuleContext {
  readonly path: string;
  readonly layout: LayoutId;
  /** How the tool runs the whole file (before any BEGIN/COMMIT written in it). */
  readonly transaction: TransactionMode;
  /** Whether the tool runs this statement inside a transaction block (the layout's mode, BEGIN/COMMIT in the file). */
  inTransaction(statement: ParsedStatement): boolean;
  /** Target (production) PostgreSQL major version. */
  readonly pgMajor: number;
  /**
   * All statements of the file, in order. Use it for questions about this file or its transactions
   * (BEGIN/COMMIT, SET scoping, lines a fix replaces, what runs after a statement).
   */
  readonly statements: readonly ParsedStatement[];
  /**
   * The change so far: every statement of the change's earlier migration files, in the order the
   * tool runs the files (each file's statements in order), then all statements of this file
   * (`statements`, the same objects, so `indexOf(statement)` finds the current one). Later files
   * are not included. Use it for questions about what the change did before ("an index created
   * earlier in the change"): a migration often builds on its predecessors (CHECK … NOT VALID,
   * VALIDATE in the next file, SET NOT NULL in the one after).
   */
  readonly changeStatements: readonly ParsedStatement[];
  /** Whether the table was created earlier in this change (its locks hurt nobody). */
  isNewTable(name: string): boolean;
  /**
   * The value of `SET [LOCAL] <name>` made earlier in the same file, if any. A SET of an earlier
   * file does not count: the tool may run each file on another connection.
   */
  settingBefore(statement: ParsedStatement, name: string): string | undefined;
  /** Production size of an existing table, when a stats file is configured. */
  tableSize(name: string): TableSize | undefined;
  report(problem: RuleReport): void;
}

export interface RuleReport {
  readonly statement: ParsedStatement;
  readonly message: string;
  /** The safe alternative: SQL replacing the statement (with `replaces: true`) or a recipe. */
  readonly fix?: string;
  /** Whether `fix` is SQL that replaces the statement's lines as they stand (a suggestion block). */
  readonly replaces?: boolean;
}

/** Visitor functions keyed by libpg-query statement node type (`IndexStmt`, `AlterTableStmt`, …). */
export type RuleVisitors = Partial<Record<string, (node: StatementNode, statement: ParsedStatement) => void>>;

export interface Rule {
  readonly id: string;
  readonly hazard: Hazard;
  /** Defaults to the hazard's severity. */
  readonly severity: Severity;
  /** Policy rules (type choices) are off unless the configuration turns them on. */
  readonly enabledByDefault: boolean;
  /** One line: what the rule asks for. */
  readonly summary: string;
  create(context: RuleContext): RuleVisitors;
}

export interface RuleDefinition extends Omit<Rule, 'severity' | 'enabledByDefault'> {
  readonly severity?: Severity;
  readonly enabledByDefault?: boolean;
}

/** Declares a rule; the severity defaults to the hazard's and the rule is on unless it says otherwise. */
export function defineRule(definition: RuleDefinition): Rule {
  return { severity: defaultSeverity(definition.hazard), enabledByDefault: true, ...definition };
}
