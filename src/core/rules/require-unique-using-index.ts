import { asNode, baseName, quoteIdent } from '../sql/nodes.js';
import type { StatementNode } from '../sql/parse.js';
import { defineRule } from './define-rule.js';

const KINDS: Readonly<Record<string, string>> = { CONSTR_UNIQUE: 'UNIQUE', CONSTR_PRIMARY: 'PRIMARY KEY' };

const keyColumns = (constraint: StatementNode): string[] => (constraint.keys ?? []).map((k: StatementNode) => String(k.String?.sval ?? ''));

export default defineRule({
  id: 'require-unique-using-index',
  hazard: 'blocking-index',
  summary: 'Add UNIQUE and PRIMARY KEY constraints to existing tables over an index built CONCURRENTLY (USING INDEX).',
  messages: {
    buildsIndexUnderLock:
      'ADD {{kind}} on {{table}} builds its unique index while holding ACCESS EXCLUSIVE: reads and writes of the table wait for the whole build.',
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, relation: table, isNewTable }) {
      const constraint = asNode(cmd.def, 'Constraint');
      // A table created earlier in this change has no traffic yet, so locking it is harmless.
      if (isNewTable || cmd.subtype !== 'AT_AddConstraint' || !constraint) return;
      const kind = KINDS[String(constraint.contype)];
      // USING INDEX adopts an existing index: nothing is built under the lock.
      if (!kind || constraint.indexname) return;
      const columns = keyColumns(constraint);
      const name = String(constraint.conname ?? `${baseName(table)}_${columns.join('_')}_${kind === 'UNIQUE' ? 'key' : 'pkey'}`);
      const t = table.split('.').map(quoteIdent).join('.');
      ctx.report({
        node: statement,
        messageId: 'buildsIndexUnderLock',
        data: { kind, table: baseName(table) },
        fix: [
          `-- In a migration that runs outside a transaction:`,
          `CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${t} (${columns.map(quoteIdent).join(', ')});`,
          `-- Then, in the next migration:`,
          `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(name)} ${kind} USING INDEX ${quoteIdent(name)};`,
          ...(kind === 'PRIMARY KEY'
            ? ['-- (PRIMARY KEY also needs its columns NOT NULL: validate a CHECK (col IS NOT NULL) NOT VALID constraint first, then SET NOT NULL.)']
            : []),
        ].join('\n'),
      });
    },
  }),
});
