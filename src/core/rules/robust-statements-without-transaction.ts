import type { ParsedStatement } from '../sql/parse.js';
import { alterCommands, dropObjectNames, ownsLines, relationName, sameRelation } from '../sql/nodes.js';
import { statementsBefore } from '../sql/created-in-file.js';
import { defineRule, type RuleContext } from './define-rule.js';

/** Where `IF [NOT] EXISTS` goes in the statement's text, for the kinds whose spelling is regular. */
const GUARDS: Record<string, [RegExp, string]> = {
  CreateStmt: [/^(CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE)\s+/i, '$1 IF NOT EXISTS '],
  IndexStmt: [/^(CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?)(?=[^\s(]+\s+ON\b)/i, '$1IF NOT EXISTS '],
  CreateSchemaStmt: [/^(CREATE\s+SCHEMA)\s+/i, '$1 IF NOT EXISTS '],
  CreateExtensionStmt: [/^(CREATE\s+EXTENSION)\s+/i, '$1 IF NOT EXISTS '],
  CreateSeqStmt: [/^(CREATE\s+(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?SEQUENCE)\s+/i, '$1 IF NOT EXISTS '],
  CreateTableAsStmt: [/^(CREATE\s+(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?(?:MATERIALIZED\s+VIEW|TABLE))\s+/i, '$1 IF NOT EXISTS '],
  DropStmt: [
    /^(DROP\s+(?:MATERIALIZED\s+VIEW|FOREIGN\s+TABLE|TABLE|INDEX(?:\s+CONCURRENTLY)?|VIEW|SEQUENCE|SCHEMA|EXTENSION|TYPE|DOMAIN|FUNCTION|PROCEDURE|TRIGGER|POLICY))\s+/i,
    '$1 IF EXISTS ',
  ],
};

export default defineRule({
  id: 'robust-statements-without-transaction',
  hazard: 'forward-error',
  severity: 'warning',
  summary: 'Guard CREATE/DROP with IF [NOT] EXISTS in migrations that do not run in a transaction.',
  messages: {
    unguardedCreate:
      '{{what}}{{name}} has no IF NOT EXISTS guard in a migration that does not run in a transaction, so if a later statement fails the file cannot simply be re-run.',
    unguardedDrop:
      '{{what}}{{name}} has no IF EXISTS guard in a migration that does not run in a transaction, so if a later statement fails the file cannot simply be re-run.',
  },
  create: (ctx) => ({
    CreateStmt: (node, statement) => node.if_not_exists || check(ctx, statement, 'CREATE TABLE', relationName(node.relation)),
    IndexStmt: (node, statement) => node.if_not_exists || check(ctx, statement, 'CREATE INDEX', node.idxname ?? ''),
    CreateSchemaStmt: (node, statement) => node.if_not_exists || check(ctx, statement, 'CREATE SCHEMA', node.schemaname ?? ''),
    CreateExtensionStmt: (node, statement) => node.if_not_exists || check(ctx, statement, 'CREATE EXTENSION', String(node.extname)),
    CreateSeqStmt: (node, statement) => node.if_not_exists || check(ctx, statement, 'CREATE SEQUENCE', relationName(node.sequence)),
    CreateTableAsStmt: (node, statement) =>
      node.if_not_exists ||
      check(ctx, statement, node.objtype === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE AS', relationName(node.into?.rel)),
    DropStmt: (node, statement) => node.missing_ok || check(ctx, statement, 'DROP', dropObjectNames(node).join(', ')),
    AlterTableStmt(node, statement) {
      const unguarded = alterCommands(statement).filter((c) => ['AT_AddColumn', 'AT_DropColumn', 'AT_DropConstraint'].includes(c.subtype) && !c.missing_ok);
      if (unguarded.length > 0) check(ctx, statement, 'ALTER TABLE', relationName(node.relation));
    },
  }),
});

function check(ctx: RuleContext<'unguardedCreate' | 'unguardedDrop'>, statement: ParsedStatement, what: string, name: string): void {
  // Inside a transaction a failure rolls everything back, so re-running the file is safe.
  if (ctx.inTransaction(statement)) return;
  // A lone statement either happens or not; only a file of several can fail half way.
  if (ctx.statements.filter((s) => s.kind !== 'VariableSetStmt' && s.kind !== 'TransactionStmt').length < 2) return;
  // DROP … IF EXISTS of the same object just before makes a CREATE re-runnable too (and, unlike
  // IF NOT EXISTS, also replaces an INVALID index left by a failed CREATE INDEX CONCURRENTLY).
  if (what.startsWith('CREATE') && name && droppedBefore(ctx, statement, name)) return;
  const [pattern, replacement] = GUARDS[statement.kind] ?? [];
  const guarded =
    statement.kind === 'IndexStmt' && statement.node.concurrent && statement.node.idxname
      ? // IF NOT EXISTS would keep an INVALID index left by a failed build; drop it and build again.
        `DROP INDEX CONCURRENTLY IF EXISTS ${statement.node.relation?.schemaname ? `${statement.node.relation.schemaname}.` : ''}${statement.node.idxname};\n${statement.text}`
      : pattern?.test(statement.text)
        ? statement.text.replace(pattern, replacement!)
        : undefined;
  const replaces = guarded !== undefined && ownsLines(ctx.statements, statement);
  ctx.report({
    node: statement,
    messageId: what.startsWith('DROP') ? 'unguardedDrop' : 'unguardedCreate',
    // The object's name after a space, or nothing when the statement names none.
    data: { what, name: name ? ` ${name}` : '' },
    fix: replaces
      ? `${guarded};`
      : `-- Add IF [NOT] EXISTS to ${what} (ALTER TABLE: ADD COLUMN IF NOT EXISTS, DROP COLUMN IF EXISTS, DROP CONSTRAINT IF EXISTS), or run the file in a transaction.`,
    replaces,
  });
}

function droppedBefore(ctx: RuleContext<string>, statement: ParsedStatement, name: string): boolean {
  return statementsBefore(ctx.statements, statement).some(
    (s) => s.kind === 'DropStmt' && s.node.missing_ok && dropObjectNames(s.node).some((n) => sameRelation(n, name)),
  );
}
