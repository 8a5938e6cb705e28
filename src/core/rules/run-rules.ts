import type { Severity } from '../hazards.js';
import type { LayoutId, MigrationScript } from '../layouts/layout.js';
import type { Finding } from '../report/report.js';
import { finding } from '../report/findings.js';
import type { ParsedStatement, StatementNode, TypedStatement } from '../sql/parse.js';
import { baseName, relationName, targetTable } from '../sql/nodes.js';
import { transactionEffect } from '../sql/transaction-block.js';
import { formatMessage, type MessageValue, type Rule, type RuleContext, type RuleVisitors, type TableSize } from './define-rule.js';

export interface ParsedScript {
  readonly script: MigrationScript;
  readonly statements: readonly ParsedStatement[];
}

export interface RuleRun {
  readonly rules: readonly Rule[];
  /** The change's forward scripts, in the order they run. */
  readonly scripts: readonly ParsedScript[];
  readonly layout: LayoutId;
  readonly pgMajor: number;
  readonly tableSizes?: ReadonlyMap<string, TableSize>;
  /** Severity per rule and file from the configuration; 'off' silences the rule there. */
  readonly severityOf?: (rule: Rule, path: string) => Severity | 'off';
  /** Called with each finding a rule reports, the id of its message and the message's values (the rule tester's check). */
  readonly onReport?: (finding: Finding, messageId: string, data: Readonly<Record<string, MessageValue>>) => void;
}

/** Runs every rule over every statement of the change, in order, and returns their findings. */
export function runRules(run: RuleRun): Finding[] {
  const findings: Finding[] = [];
  const created = new Set<string>();
  // The statements of the files already run: with the current file's, a rule's changeStatements.
  const earlier: ParsedStatement[] = [];
  for (const { script, statements } of run.scripts) {
    const changeStatements = [...earlier, ...statements];
    const active = run.rules.flatMap((rule) => {
      const severity = run.severityOf?.(rule, script.path) ?? (rule.enabledByDefault ? rule.severity : 'off');
      if (severity === 'off') return [];
      const context = contextFor(rule, severity, script, { statements, changeStatements }, run, created, findings);
      return [rule.create(context)];
    });
    for (const statement of statements) {
      for (const visitors of active) visit(visitors, statement, created);
      for (const table of tablesCreatedBy(statement)) created.add(table);
    }
    earlier.push(...statements);
  }
  return findings;
}

/** Calls the visitor of the statement's tag, then, for an ALTER TABLE, the subcommand visitor on each subcommand. */
function visit(visitors: RuleVisitors, statement: ParsedStatement, created: ReadonlySet<string>): void {
  // The statement's tag is only known at run time: the visitor's typed node is its node under that tag.
  const byTag = visitors as Partial<Record<string, (node: StatementNode, statement: ParsedStatement) => void>>;
  byTag[statement.kind]?.(statement.node, statement);
  if (!visitors.AlterTableCmd || statement.kind !== 'AlterTableStmt') return;
  const alter = statement as TypedStatement<'AlterTableStmt'>;
  const relation = relationName(alter.node.relation);
  const target = { statement: alter, alter: alter.node, relation, isNewTable: isCreated(created, relation) };
  for (const cmd of alter.node.cmds ?? []) if ('AlterTableCmd' in cmd) visitors.AlterTableCmd(cmd.AlterTableCmd, target);
}

function isCreated(created: ReadonlySet<string>, name: string): boolean {
  return created.has(name) || created.has(baseName(name));
}

function contextFor(
  rule: Rule,
  severity: Severity,
  script: MigrationScript,
  { statements, changeStatements }: { statements: readonly ParsedStatement[]; changeStatements: readonly ParsedStatement[] },
  run: RuleRun,
  created: ReadonlySet<string>,
  findings: Finding[],
): RuleContext {
  const blocks = transactionBlocks(script, statements);
  return {
    path: script.path,
    layout: run.layout,
    transaction: script.transaction,
    pgMajor: run.pgMajor,
    statements,
    changeStatements,
    inTransaction: (statement) => blocks.get(statement) ?? false,
    isNewTable: (name) => isCreated(created, name),
    settingBefore: (statement, name) => settingBefore(statements, statement, name),
    tableSize: (name) => run.tableSizes?.get(name) ?? run.tableSizes?.get(baseName(name)) ?? run.tableSizes?.get(`public.${baseName(name)}`),
    report: ({ node: statement, messageId, data, fix, replaces }) => {
      const reported: Finding = {
        ...finding({
          hazard: rule.hazard,
          source: 'rule',
          rule: rule.id,
          severity,
          path: script.path,
          line: statement.line,
          endLine: statement.endLine,
          message: formatMessage(rule, messageId, data),
          fix,
          table: targetTable(statement) || undefined,
        }),
        ...(fix && replaces ? { fixReplacesLines: true } : {}),
      };
      findings.push(reported);
      run.onReport?.(reported, messageId, data ?? {});
    },
  };
}

/**
 * Whether each statement runs inside a transaction block: the tool's wrapping (golang-migrate's
 * multi-statement string counts), moved by BEGIN/COMMIT written in the file itself.
 */
function transactionBlocks(script: MigrationScript, statements: readonly ParsedStatement[]): Map<ParsedStatement, boolean> {
  let inBlock = script.transaction === 'transaction' || (script.transaction === 'single-query' && statements.length > 1);
  const blocks = new Map<ParsedStatement, boolean>();
  for (const statement of statements) {
    const effect = transactionEffect(statement);
    if (effect === 'begin') inBlock = true;
    blocks.set(statement, inBlock);
    if (effect === 'end') inBlock = false;
  }
  return blocks;
}

function settingBefore(statements: readonly ParsedStatement[], statement: ParsedStatement, name: string): string | undefined {
  let value: string | undefined;
  for (const s of statements) {
    if (s === statement) break;
    if (s.kind !== 'VariableSetStmt' || s.node.name !== name) continue;
    value = s.node.kind === 'VAR_SET_VALUE' ? settingValue(s.node.args?.[0]) : undefined;
  }
  return value;
}

function settingValue(arg: StatementNode | undefined): string | undefined {
  const constant = arg?.A_Const;
  if (!constant) return undefined;
  return String(constant.sval?.sval ?? constant.ival?.ival ?? constant.fval?.fval ?? '');
}

/** Tables a statement creates (CREATE TABLE, CREATE TABLE AS). */
function tablesCreatedBy(statement: ParsedStatement): string[] {
  const node = statement.node;
  switch (statement.kind) {
    case 'CreateStmt':
      return names(relationName(node.relation));
    case 'CreateTableAsStmt':
      return names(relationName(node.into?.rel));
    default:
      return [];
  }
}

function names(name: string): string[] {
  return name ? [name, baseName(name)] : [];
}
