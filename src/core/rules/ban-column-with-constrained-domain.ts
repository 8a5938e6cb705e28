import { asNode, quoteIdent, sameRelation, typeModifiers, typeName } from '../sql/nodes.js';
import type { ParsedStatement, StatementNode } from '../sql/parse.js';
import { defineRule } from './define-rule.js';

interface ConstrainedDomain {
  readonly name: string;
  /** The domain's base type as the catalog spells it, with modifiers: `int4`, `varchar(20)`. */
  readonly baseType: string;
}

/**
 * Domains with constraints created (or given constraints) by `statements` before `statement`:
 * pass the change's. Only these are known statically: a domain of the base schema is invisible to
 * rules (the drill still sees the rewrite).
 */
function constrainedDomainsBefore(statements: readonly ParsedStatement[], statement: ParsedStatement): ConstrainedDomain[] {
  const domains = new Map<string, { baseType: string; constrained: boolean }>();
  for (const s of statements) {
    if (s === statement) break;
    if (s.kind === 'CreateDomainStmt') {
      const mods = typeModifiers(s.node.typeName);
      const constrained = (s.node.constraints ?? []).some((c: StatementNode) => ['CONSTR_CHECK', 'CONSTR_NOTNULL'].includes(c.Constraint?.contype));
      domains.set(typeName({ names: s.node.domainname }), {
        baseType: `${typeName(s.node.typeName)}${mods.length ? `(${mods.join(', ')})` : ''}`,
        constrained,
      });
    }
    // ALTER DOMAIN … ADD CONSTRAINT (subtype 'C') or SET NOT NULL (subtype 'O').
    if (s.kind === 'AlterDomainStmt' && ['C', 'O'].includes(String(s.node.subtype))) {
      const name = typeName({ names: s.node.typeName });
      const known = [...domains.keys()].find((d) => sameRelation(d, name));
      if (known) domains.get(known)!.constrained = true;
    }
  }
  return [...domains].filter(([, d]) => d.constrained).map(([name, d]) => ({ name, baseType: d.baseType }));
}

export default defineRule({
  id: 'ban-column-with-constrained-domain',
  hazard: 'rewrite',
  severity: 'warning',
  summary: 'Do not add columns of a domain with constraints to existing tables: PostgreSQL rewrites the table.',
  messages: {
    constrainedDomain:
      "Adding column {{column}} of the constrained domain {{domain}} to {{table}} rewrites the table under an ACCESS EXCLUSIVE lock, to check the domain's constraints for every existing row.",
  },
  create: (ctx) => ({
    AlterTableCmd(cmd, { statement, relation: table, isNewTable }) {
      const column = asNode(cmd.def, 'ColumnDef');
      // A table created earlier in this change is empty and unused: rewriting it costs nothing.
      if (isNewTable || cmd.subtype !== 'AT_AddColumn' || !column) return;
      // An array of the domain is a different type, whose NULL needs no domain check.
      if ((column.typeName?.arrayBounds ?? []).length > 0) return;
      const domain = constrainedDomainsBefore(ctx.changeStatements, statement).find((d) => sameRelation(d.name, typeName(column.typeName)));
      if (!domain) return;
      const t = table.split('.').map(quoteIdent).join('.');
      const c = quoteIdent(String(column.colname));
      const check = `${String(table.split('.').at(-1))}_${String(column.colname)}_check`;
      ctx.report({
        node: statement,
        messageId: 'constrainedDomain',
        data: { column: column.colname, domain: domain.name, table },
        fix: [
          `ALTER TABLE ${t} ADD COLUMN ${c} ${domain.baseType};`,
          `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(check)} CHECK (<the domain's CHECK, with VALUE replaced by ${c}>) NOT VALID;`,
          `-- in a later migration: ALTER TABLE ${t} VALIDATE CONSTRAINT ${quoteIdent(check)};`,
        ].join('\n'),
      });
    },
  }),
});
