import { alterCommands, baseName, relationName, sameRelation } from '../sql/nodes.js';
import type { ParsedStatement, StatementNode } from '../sql/parse.js';
import { defineRule } from './define-rule.js';

/**
 * Subcommands that must stay alone: ATTACH/DETACH PARTITION cannot be combined with others (ALTER
 * TABLE docs), and VALIDATE CONSTRAINT is written separately on purpose, to run under SHARE UPDATE
 * EXCLUSIVE instead of the ACCESS EXCLUSIVE of the statement that added the constraint.
 */
const ALONE = new Set(['AT_AttachPartition', 'AT_DetachPartition', 'AT_DetachPartitionFinalize', 'AT_ValidateConstraint']);

function combinable(statement: ParsedStatement): boolean {
  return statement.kind === 'AlterTableStmt' && statement.node.objtype === 'OBJECT_TABLE' && alterCommands(statement).every((c) => !ALONE.has(c.subtype));
}

/** Whether a statement names the table anywhere (DML, DDL, a subquery): it then must run between the ALTERs. */
function mentions(node: unknown, table: string): boolean {
  if (Array.isArray(node)) return node.some((n) => mentions(n, table));
  if (!node || typeof node !== 'object') return false;
  const record = node as StatementNode;
  if (typeof record.relname === 'string' && sameRelation(relationName(record), table)) return true;
  return Object.values(record).some((v) => mentions(v, table));
}

/** The ALTER TABLE of the same table that this one could be merged into: the previous one, with nothing touching the table in between. */
function previousMergeable(statements: readonly ParsedStatement[], statement: ParsedStatement): ParsedStatement | undefined {
  const table = relationName(statement.node.relation);
  for (const s of statements.slice(0, statements.indexOf(statement)).reverse()) {
    if (s.kind === 'TransactionStmt') return undefined;
    if (s.kind === 'AlterTableStmt' && sameRelation(relationName(s.node.relation), table)) return combinable(s) ? s : undefined;
    if (mentions(s.node, table)) return undefined;
  }
  return undefined;
}

/** `ALTER TABLE [IF EXISTS] [ONLY] name` at the start of a statement, to join the subcommands. */
const HEAD = /^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?:"(?:[^"]|"")+"|[\w$]+)(?:\.(?:"(?:[^"]|"")+"|[\w$]+))?\s+/i;

export default defineRule({
  id: 'combine-alter-table',
  hazard: 'lock-timeout',
  severity: 'notice',
  summary: 'Combine several ALTER TABLE statements on one existing table into one statement.',
  // Policy: separate statements are not wrong, just more lock acquisitions and passes (eugene W12).
  enabledByDefault: false,
  messages: {
    separateAlters:
      '{{count}} ALTER TABLE statements on {{table}} (lines {{lines}}) each wait for ACCESS EXCLUSIVE and may scan or rewrite the table again: one ALTER TABLE with all the subcommands takes the lock once and makes one pass.',
  },
  create: (ctx) => ({
    AlterTableStmt(node, statement) {
      const table = relationName(node.relation);
      if (!combinable(statement) || ctx.isNewTable(table)) return;
      const previous = previousMergeable(ctx.statements, statement);
      // Reported once per group, at its second statement.
      if (!previous || previousMergeable(ctx.statements, previous)) return;
      const group = [previous, statement];
      for (const s of ctx.statements.slice(ctx.statements.indexOf(statement) + 1)) {
        if (previousMergeable(ctx.statements, s) === group.at(-1) && combinable(s)) group.push(s);
      }
      const heads = group.map((s) => HEAD.exec(s.text));
      const combined = heads.every((h) => h) ? `${heads[0]![0]}${group.map((s, i) => s.text.slice(heads[i]![0].length)).join(',\n  ')};` : undefined;
      ctx.report({
        node: statement,
        messageId: 'separateAlters',
        data: { count: group.length, table: baseName(table), lines: group.map((s) => s.line).join(', ') },
        fix: [`-- Replace the ${group.length} statements with one:`, combined ?? `ALTER TABLE ${table} <subcommand 1>, <subcommand 2>, …;`].join('\n'),
      });
    },
  }),
});
