import { alterCommands, asNode, baseName, quoteIdent, relationName, sameRelation } from '../sql/nodes.js';
import type { ParsedStatement } from '../sql/parse.js';
import { boundCheck, partitionKey } from './attach-partition-without-check/partition-bounds.js';
import { defineRule } from './define-rule.js';

/**
 * Whether a statement of `statements` before `statement` gave `table` a CHECK constraint that
 * PostgreSQL can use to skip ATTACH's scan: added valid, or added NOT VALID and validated before
 * the attach (typically in an earlier migration of the change, as the fix recommends).
 */
function validCheckBefore(statements: readonly ParsedStatement[], statement: ParsedStatement, table: string): boolean {
  const notValid = new Set<string>();
  for (const s of statements.slice(0, statements.indexOf(statement))) {
    if (s.kind !== 'AlterTableStmt' || !sameRelation(relationName(s.node.relation), table)) continue;
    for (const c of alterCommands(s)) {
      const constraint = c.def?.Constraint;
      if (c.subtype === 'AT_AddConstraint' && constraint?.contype === 'CONSTR_CHECK') {
        if (!constraint.skip_validation) return true;
        notValid.add(String(constraint.conname ?? ''));
      }
      if (c.subtype === 'AT_ValidateConstraint' && c.name && notValid.has(c.name)) return true;
    }
  }
  return false;
}

export default defineRule({
  id: 'attach-partition-without-check',
  hazard: 'blocking-scan',
  summary: 'Add a valid CHECK constraint matching the bound before attaching an existing table as a partition.',
  messages: {
    attachScans:
      'ATTACH PARTITION {{partition}} scans the whole table under ACCESS EXCLUSIVE (and any DEFAULT partition of {{parent}}) to check the bound, because no valid CHECK constraint on {{partition}} proves it first.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, relation: parent }) {
      const attach = asNode(cmd.def, 'PartitionCmd');
      if (cmd.subtype !== 'AT_AttachPartition') return;
      const partition = relationName(attach?.name);
      // A table created earlier in this change is empty or only filled by the change: its scan is short.
      if (!partition || ctx.isNewTable(partition) || validCheckBefore(ctx.changeStatements, statement, partition)) return;
      const bound = attach?.bound;
      const key = partitionKey(ctx.changeStatements, parent);
      const check = boundCheck(bound, key?.length === 1 ? key[0] : '<partition key>') ?? '<condition matching the partition bound>';
      const name = quoteIdent(`${baseName(partition)}_partition_bound`);
      const p = partition.split('.').map(quoteIdent).join('.');
      ctx.report({
        node: statement,
        messageId: 'attachScans',
        data: { partition: baseName(partition), parent: baseName(parent) },
        fix: [
          `-- Prove the bound first with a CHECK that PostgreSQL can use to skip the scan, each step in its own transaction:`,
          `ALTER TABLE ${p} ADD CONSTRAINT ${name} CHECK (${check}) NOT VALID;`,
          `ALTER TABLE ${p} VALIDATE CONSTRAINT ${name}; -- scans under SHARE UPDATE EXCLUSIVE: writes go on`,
          `${statement.text};`,
          `ALTER TABLE ${p} DROP CONSTRAINT ${name}; -- optional: the partition constraint now enforces the bound`,
        ].join('\n'),
      });
    },
  }),
});
