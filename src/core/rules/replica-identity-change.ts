import { asNode, baseName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

/** ReplicaIdentityStmt.identity_type, as in PostgreSQL's pg_class.relreplident. */
const IDENTITY: Record<string, string> = { d: 'DEFAULT', f: 'FULL', n: 'NOTHING', i: 'USING INDEX' };

export default defineRule({
  id: 'replica-identity-change',
  hazard: 'breaking-change',
  severity: 'warning',
  summary: 'Coordinate REPLICA IDENTITY changes with logical replication consumers.',
  messages: {
    replicaIdentity:
      'REPLICA IDENTITY {{identity}} on {{table}} changes what logical replication sends for UPDATE and DELETE (and whether they are allowed in a publication), which subscribers and CDC consumers see at once.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, relation: table, isNewTable }) {
      // A table created earlier in this change is not yet replicated to anyone.
      if (isNewTable || cmd.subtype !== 'AT_ReplicaIdentity') return;
      const identity = IDENTITY[String(asNode(cmd.def, 'ReplicaIdentityStmt')?.identity_type)] ?? 'a new value';
      ctx.report({
        node: statement,
        messageId: 'replicaIdentity',
        data: { identity, table: baseName(table) },
        fix: `-- Coordinate with the owners of publications, subscriptions and CDC pipelines (Debezium, …) reading ${baseName(table)} before running this.`,
      });
    },
  }),
});
