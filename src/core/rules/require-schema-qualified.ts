import type { RangeVar } from '@pgsql/types';
import type { NodeOf, NodeTag, ParsedStatement } from '../sql/parse.js';
import { dropObjectNames } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

/** DROP kinds whose objects live in a schema and can be qualified. */
const SCHEMA_OBJECTS = new Set(['OBJECT_TABLE', 'OBJECT_VIEW', 'OBJECT_MATVIEW', 'OBJECT_INDEX', 'OBJECT_SEQUENCE', 'OBJECT_FOREIGN_TABLE']);

export default defineRule({
  id: 'require-schema-qualified',
  hazard: 'type-choice',
  enabledByDefault: false,
  summary: 'Schema-qualify the tables, views, indexes and sequences a migration creates, alters or drops.',
  messages: {
    unqualified: '{{names}} {{isAre}} not schema-qualified, so the object {{usedOrDropped}} depends on the search_path of whoever runs the migration.',
  },
  create: (ctx) => {
    const target =
      <Tag extends NodeTag>(pick: (node: NodeOf<Tag>) => RangeVar | undefined) =>
      (node: NodeOf<Tag>, statement: ParsedStatement) => {
        const rangeVar = pick(node);
        // Temporary tables live in pg_temp and cannot be qualified with a normal schema.
        if (!rangeVar || rangeVar.schemaname || rangeVar.relpersistence === 't') return;
        report(statement, [String(rangeVar.relname)]);
      };
    const report = (statement: ParsedStatement, names: string[]) =>
      ctx.report({
        node: statement,
        messageId: 'unqualified',
        data: { names: names.join(', '), isAre: names.length > 1 ? 'are' : 'is', usedOrDropped: statement.kind === 'DropStmt' ? 'dropped' : 'used' },
        fix: `-- Write ${names.map((n) => `<schema>.${n}`).join(', ')}, e.g. public.${names[0]}.`,
      });
    return {
      CreateStmt: target<'CreateStmt'>((n) => n.relation),
      AlterTableStmt: target<'AlterTableStmt'>((n) => n.relation),
      IndexStmt: target<'IndexStmt'>((n) => n.relation),
      ViewStmt: target<'ViewStmt'>((n) => n.view),
      CreateSeqStmt: target<'CreateSeqStmt'>((n) => n.sequence),
      CreateTableAsStmt: target<'CreateTableAsStmt'>((n) => n.into?.rel),
      RenameStmt: target<'RenameStmt'>((n) => n.relation),
      DropStmt(node, statement) {
        if (!SCHEMA_OBJECTS.has(String(node.removeType))) return;
        const unqualified = dropObjectNames(node).filter((name) => !name.includes('.'));
        if (unqualified.length > 0) report(statement, unqualified);
      },
    };
  },
});
