import type { NodeOf, ParsedStatement } from '../sql/parse.js';
import { alterCommands, asNode, baseName, relationName } from '../sql/nodes.js';
import { defineRule } from './define-rule.js';

const ROW_SECURITY: Record<string, string> = {
  AT_EnableRowSecurity: 'ENABLE ROW LEVEL SECURITY',
  AT_DisableRowSecurity: 'DISABLE ROW LEVEL SECURITY',
  AT_ForceRowSecurity: 'FORCE ROW LEVEL SECURITY',
  AT_NoForceRowSecurity: 'NO FORCE ROW LEVEL SECURITY',
};

const FIX =
  '-- Review who can read and write what after this change (roles the application connects as, policies per command), and deploy it with the code that expects it.';

export default defineRule({
  id: 'authorization-change',
  hazard: 'breaking-change',
  severity: 'warning',
  summary: 'Review changes to row-level security, policies and privileges.',
  messages: {
    rowSecurity: '{{changes}} on {{table}} changes which rows each role sees: queries can start returning nothing, or data can be exposed.',
    dropPolicy: 'Dropping policy {{policy}} on {{table}} changes which rows each role sees: queries can start returning nothing, or data can be exposed.',
    grant: '{{verb}}{{on}} changes what roles may do: {{consequence}}.',
    grantRole: '{{verb}} of role membership changes what roles may do: {{consequence}}.',
    policy: '{{verb}} policy {{policy}} on {{table}} changes which rows each role sees: queries can start returning nothing, or data can be exposed.',
  },
  create: (ctx) => {
    // Nobody queries a table created earlier in this change yet, so its access rules can change freely.
    const existing = (table: string) => table !== '' && !ctx.isNewTable(table);
    return {
      AlterTableStmt(node, statement) {
        const table = relationName(node.relation);
        const changes = alterCommands(statement).flatMap((c) => (ROW_SECURITY[c.subtype] ? [ROW_SECURITY[c.subtype]] : []));
        if (changes.length === 0 || !existing(table)) return;
        ctx.report({
          node: statement,
          messageId: 'rowSecurity',
          data: { changes: changes.join(', '), table: baseName(table) },
          fix: FIX,
        });
      },
      CreatePolicyStmt: (node, statement) => policy('Creating', node, statement),
      AlterPolicyStmt: (node, statement) => policy('Altering', node, statement),
      DropStmt(node, statement) {
        if (node.removeType !== 'OBJECT_POLICY') return;
        for (const object of node.objects ?? []) {
          const parts = (asNode(object, 'List')?.items ?? []).map((i) => String(asNode(i, 'String')?.sval));
          const table = parts.slice(0, -1).join('.');
          if (!existing(table)) continue;
          ctx.report({
            node: statement,
            messageId: 'dropPolicy',
            data: { policy: parts.at(-1), table: baseName(table) },
            fix: FIX,
          });
        }
      },
      GrantStmt(node, statement) {
        const tables: string[] =
          node.targtype === 'ACL_TARGET_OBJECT' && node.objtype === 'OBJECT_TABLE' ? (node.objects ?? []).map((o) => relationName(asNode(o, 'RangeVar'))) : [];
        if (tables.length > 0 && !tables.some(existing)) return;
        const verb = node.is_grant ? 'GRANT' : 'REVOKE';
        const on = tables.length > 0 ? ` on ${tables.map(baseName).join(', ')}` : '';
        ctx.report({
          node: statement,
          messageId: 'grant',
          data: {
            verb,
            on,
            consequence: node.is_grant ? 'data can be exposed to more roles' : 'queries of the running application can fail with permission denied',
          },
          fix: FIX,
        });
      },
      GrantRoleStmt(node, statement) {
        ctx.report({
          node: statement,
          messageId: 'grantRole',
          data: {
            verb: node.is_grant ? 'GRANT' : 'REVOKE',
            consequence: node.is_grant ? 'data can be exposed to more roles' : 'queries can fail with permission denied',
          },
          fix: FIX,
        });
      },
    };

    function policy(verb: string, node: NodeOf<'CreatePolicyStmt' | 'AlterPolicyStmt'>, statement: ParsedStatement): void {
      const table = relationName(node.table);
      if (!existing(table)) return;
      ctx.report({
        node: statement,
        messageId: 'policy',
        data: { verb, policy: node.policy_name, table: baseName(table) },
        fix: FIX,
      });
    }
  },
});
