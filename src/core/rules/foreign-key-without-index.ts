import { indexKeysDeclared, foreignKeysDeclared, leadsWith } from './foreign-key-without-index/key-columns.js';
import { baseName, quoteIdent } from '../sql/nodes.js';
import type { ParsedStatement } from '../sql/parse.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'foreign-key-without-index',
  hazard: 'blocking-scan',
  // A warning: the rule only knows the indexes the change itself creates.
  severity: 'warning',
  summary: 'Index the referencing columns of every foreign key.',
  messages: {
    unindexedForeignKey:
      'The foreign key {{table}}({{columns}}) → {{referenced}} has no index on {{table}}({{columns}}) in this change: every DELETE from {{referenced}}, and every update of its key, scans {{table}} to check for referencing rows.',
  },
  create: (ctx) => {
    const check = (_node: unknown, statement: ParsedStatement): void => {
      for (const fk of foreignKeysDeclared(statement)) {
        // Unlike the lock rules, new tables count: the cost comes later, once the table has rows.
        // Indexes created by earlier files of the change count, and anywhere in this file, also after the FOREIGN KEY.
        if (indexKeysDeclared(ctx.changeStatements, fk.table).some((key) => leadsWith(key, fk.columns))) continue;
        const columns = fk.columns.join(', ');
        const table = fk.table.split('.').map(quoteIdent).join('.');
        const concurrently = ctx.isNewTable(fk.table) || statement.kind === 'CreateStmt' ? '' : ' CONCURRENTLY';
        ctx.report({
          node: statement,
          messageId: 'unindexedForeignKey',
          data: { table: baseName(fk.table), columns, referenced: baseName(fk.referenced) },
          fix: [
            `-- Unless such an index already exists in production:`,
            `CREATE INDEX${concurrently} ${quoteIdent(`${baseName(fk.table)}_${fk.columns.join('_')}_idx`)} ON ${table} (${fk.columns.map(quoteIdent).join(', ')});`,
          ].join('\n'),
        });
      }
    };
    return { CreateStmt: check, AlterTableStmt: check };
  },
});
