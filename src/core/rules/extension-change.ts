import { createdEarlier } from '../sql/created-in-file.js';
import { asNode, dropObjectNames } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'extension-change',
  hazard: 'breaking-change',
  severity: 'warning',
  summary: 'Review extension upgrades and drops: objects that depend on the extension can change or disappear.',
  messages: {
    update:
      "ALTER EXTENSION {{extension}} UPDATE{{toVersion}} changes the extension's functions and types under every object and query that uses them, and the server must have that version installed.",
    drop: 'DROP EXTENSION {{extensions}} removes its functions, types and operators.',
    dropCascade:
      'DROP EXTENSION {{extensions}} removes its functions, types and operators, and CASCADE also drops the columns, indexes and views that use them.',
  },
  create: (ctx) => ({
    AlterExtensionStmt(node, statement) {
      // An extension the change installed (in this file or an earlier one) has no dependents from before it.
      if (createdEarlier(ctx.changeStatements, statement, 'extension', String(node.extname))) return;
      const option = (node.options ?? []).map((o) => asNode(o, 'DefElem')).find((d) => d?.defname === 'new_version');
      const version = asNode(option?.arg, 'String')?.sval;
      ctx.report({
        node: statement,
        messageId: 'update',
        data: { extension: node.extname, toVersion: version ? ` TO '${version}'` : '' },
        fix: `-- Read the extension's release notes for ${version ?? 'the new version'}, check the version is installed on every server (SELECT * FROM pg_available_extension_versions WHERE name = '${node.extname}'), and test dependent queries.`,
      });
    },
    DropStmt(node, statement) {
      if (node.removeType !== 'OBJECT_EXTENSION') return;
      const existing = dropObjectNames(node).filter((name) => !createdEarlier(ctx.changeStatements, statement, 'extension', name));
      if (existing.length === 0) return;
      ctx.report({
        node: statement,
        messageId: node.behavior === 'DROP_CASCADE' ? 'dropCascade' : 'drop',
        data: { extensions: existing.join(', ') },
        fix: `-- Check pg_depend for objects using ${existing.join(', ')} and remove them explicitly first; never DROP EXTENSION … CASCADE in a migration.`,
      });
    },
  }),
});
