import { createdEarlier, qualifiedName } from '../sql/created-in-file.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'rename-schema-or-enum-value',
  hazard: 'breaking-change',
  summary: 'Do not rename schemas or enum values that deployed code uses.',
  messages: {
    renameSchema: 'Renaming schema {{from}} to {{to}} breaks every query and search_path of the running application that names {{from}}.',
    renameEnumValue:
      "Renaming value '{{oldVal}}' of enum {{type}} to '{{newVal}}' makes running code that writes or compares '{{oldVal}}' fail or silently match nothing.",
  },
  create: (ctx) => ({
    RenameStmt(node, statement) {
      if (node.renameType !== 'OBJECT_SCHEMA') return;
      // A schema created earlier in the change (this file or an earlier one) is used by nobody yet.
      if (createdEarlier(ctx.changeStatements, statement, 'schema', String(node.subname))) return;
      ctx.report({
        node: statement,
        messageId: 'renameSchema',
        data: { from: node.subname, to: node.newname },
        fix: [
          `-- Create the new schema next to the old one and move clients over before retiring the old name:`,
          `CREATE SCHEMA ${node.newname};`,
          `-- move or mirror the objects (dual writes, or views in ${node.subname} over ${node.newname}), deploy code that uses ${node.newname},`,
          `-- and drop ${node.subname} in a later migration.`,
        ].join('\n'),
      });
    },
    AlterEnumStmt(node, statement) {
      if (node.oldVal === undefined) return;
      const type = qualifiedName(node.typeName);
      // A type created earlier in the change (this file or an earlier one) holds no stored values yet.
      if (createdEarlier(ctx.changeStatements, statement, 'type', type)) return;
      ctx.report({
        node: statement,
        messageId: 'renameEnumValue',
        data: { oldVal: node.oldVal, type, newVal: node.newVal },
        fix: [
          `-- Add the new value, migrate the data, stop using the old one:`,
          `ALTER TYPE ${type} ADD VALUE '${node.newVal}';`,
          `-- (in a later transaction) UPDATE each column of type ${type} SET it to '${node.newVal}' WHERE it = '${node.oldVal}', in batches;`,
          `-- deploy code that only uses '${node.newVal}'; an enum value cannot be dropped, so leave '${node.oldVal}' unused.`,
        ].join('\n'),
      });
    },
  }),
});
