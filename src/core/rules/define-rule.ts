import { defaultSeverity, type Hazard, type Severity } from '../hazards.js';
import type { LayoutId, TransactionMode } from '../layouts/layout.js';
import type { NodeOf, NodeTag, ParsedStatement, TypedStatement } from '../sql/parse.js';

/** Size of a production table, from `drillbot stats` (catalog statistics, never data). */
export interface TableSize {
  readonly rows: number;
  readonly bytes: number;
}

/** What a rule knows about the statement's surroundings; it never sees the database. */
export interface RuleContext<MessageId extends string = string> {
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
  /** Reports a finding: one of the rule's messages, its `{{placeholders}}` filled from `data`. */
  report(problem: RuleReport<MessageId>): void;
}

/** A value for a message placeholder (written as a template literal would write it). */
export type MessageValue = string | number | boolean | undefined;

export interface RuleReport<MessageId extends string = string> {
  /** The statement the finding points at (its lines and table). */
  readonly node: ParsedStatement;
  readonly messageId: MessageId;
  /** Values for the message's `{{name}}` placeholders. */
  readonly data?: Readonly<Record<string, MessageValue>>;
  /** The safe alternative: SQL replacing the statement (with `replaces: true`) or a recipe. */
  readonly fix?: string;
  /** Whether `fix` is SQL that replaces the statement's lines as they stand (a suggestion block). */
  readonly replaces?: boolean;
}

/** One subcommand of an ALTER TABLE (or ALTER INDEX, VIEW, …), with what every such rule asks first. */
export interface AlterTarget {
  readonly statement: TypedStatement<'AlterTableStmt'>;
  /** The ALTER statement's node (its objtype says TABLE, INDEX, …). */
  readonly alter: NodeOf<'AlterTableStmt'>;
  /** The relation altered, `schema.name` or `name` as written. */
  readonly relation: string;
  /** Whether the change created the relation earlier (empty and unused: its locks and rewrites hurt nobody). */
  readonly isNewTable: boolean;
}

/** Visitors of statements, by their node tag; a misspelled tag does not compile. */
export type StatementVisitors = {
  readonly [Tag in Exclude<NodeTag, 'AlterTableCmd'>]?: (node: NodeOf<Tag>, statement: TypedStatement<Tag>) => void;
};

export type RuleVisitors = StatementVisitors & {
  /** Every subcommand of every ALTER TABLE statement, after the statement's own AlterTableStmt visitor. */
  readonly AlterTableCmd?: (cmd: NodeOf<'AlterTableCmd'>, target: AlterTarget) => void;
};

export interface Rule<MessageId extends string = string> {
  readonly id: string;
  readonly hazard: Hazard;
  /** Defaults to the hazard's severity. */
  readonly severity: Severity;
  /** Policy rules (type choices) are off unless the configuration turns them on. */
  readonly enabledByDefault: boolean;
  /** One line: what the rule asks for. */
  readonly summary: string;
  /** The finding messages by id, with `{{name}}` placeholders (as in ESLint). */
  readonly messages: Readonly<Record<MessageId, string>>;
  create(context: RuleContext<MessageId>): RuleVisitors;
}

export interface RuleDefinition<MessageId extends string, Visitors extends RuleVisitors = RuleVisitors> extends Omit<
  Rule<MessageId>,
  'severity' | 'enabledByDefault' | 'create'
> {
  readonly severity?: Severity;
  readonly enabledByDefault?: boolean;
  // NoInfer: the message ids come from `messages` alone, so a misspelled messageId does not compile.
  create(context: RuleContext<NoInfer<MessageId>>): Visitors;
}

/**
 * The visitor keys that are no node tag. An object literal returned by `create` escapes
 * TypeScript's excess-property check, so defineRule names them itself: a misspelled tag
 * (`IndexStm`) fails to compile instead of never being called.
 */
type UnknownVisitors<Visitors> = Exclude<keyof Visitors, keyof RuleVisitors>;
type KnownVisitorsOnly<Visitors> = [UnknownVisitors<Visitors>] extends [never] ? unknown : { readonly unknownVisitors: UnknownVisitors<Visitors> };

/** Visitors that call `visit` for every statement of the given tags (rules that judge any such statement alike). */
export function visitorsFor(tags: Iterable<NodeTag>, visit: (node: unknown, statement: ParsedStatement) => void): RuleVisitors {
  // `visit` takes each tag's node as unknown, so this one function is a valid visitor for every tag.
  return Object.fromEntries([...tags].map((tag) => [tag, visit])) as RuleVisitors;
}

/** Declares a rule; the severity defaults to the hazard's and the rule is on unless it says otherwise. */
export function defineRule<MessageId extends string, Visitors extends RuleVisitors>(
  definition: RuleDefinition<MessageId, Visitors> & KnownVisitorsOnly<Visitors>,
): Rule<MessageId> {
  return { severity: defaultSeverity(definition.hazard), enabledByDefault: true, ...definition };
}

/** A message with its `{{name}}` placeholders filled; a placeholder without a value is the rule's bug. */
export function formatMessage(rule: Pick<Rule, 'id' | 'messages'>, messageId: string, data: Readonly<Record<string, MessageValue>> = {}): string {
  const template = rule.messages[messageId];
  if (template === undefined) throw new Error(`rule ${rule.id} has no message ${messageId}`);
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => {
    if (!(name in data)) throw new Error(`rule ${rule.id}, message ${messageId}: no value for {{${name}}}`);
    return String(data[name]);
  });
}
