import type { StatementNode } from '../sql/parse.js';
import { dropObjectNames } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

/** DROP kinds whose objects live in a schema and can be qualified. */
const SCHEMA_OBJECTS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_INDEX', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE']);

export default defineRule({
  id: 'require-schema-qualified',
  hazard: 'type-choice',
  enabledByDefault: false,
  summary: 'Schema-qualify the tables, views, indexes and sequences a migration creates, alters or drops.',
  create: (ctx) => {
    const target =
      (pick: (node: StatementNode) => StatementNode | undefined) => (node: StatementNode, statement: Parameters<typeof ctx.report>[0]['statement']) => {
        const rangeVar = pick(node);
        // Temporary tables live in pg_temp and cannot be qualified with a normal schema.
        if (!rangeVar || rangeVar.schemaname || rangeVar.relpersistence === 't') return;
        report(statement, [String(rangeVar.relname)]);
      };
    const report = (statement: Parameters<typeof ctx.report>[0]['statement'], names: string[]) =>
      ctx.report({
        statement,
        message: `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} not schema-qualified, so the object ${statement.kind === 'DropStmt' ? 'dropped' : 'used'} depends on the search_path of whoever runs the migration.`,
        fix: `-- Write ${names.map((n) => `<schema>.${n}`).join(', ')}, e.g. public.${names[0]}.`,
      });
    return {
      CreateStmt: target((n) => n.relation),
      AlterTableStmt: target((n) => n.relation),
      IndexStmt: target((n) => n.relation),
      ViewStmt: target((n) => n.view),
      CreateSeqStmt: target((n) => n.sequence),
      CreateTableAsStmt: target((n) => n.into?.rel),
      RenameStmt: target((n) => n.relation),
      DropStmt(node, statement) {
        if (!SCHEMA_OBJECTS.has(node.removeType)) return;
        const unqualified = dropObjectNames(node).filter((name) => !name.includes('.'));
        if (unqualified.length > 0) report(statement, unqualified);
      },
    };
  },
});
