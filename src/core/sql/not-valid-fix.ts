import { constraintText } from './clause-text.js';
import type { ParsedStatement, StatementNode } from './parse.js';
import { alterCommands, ownsLines, quoteIdent } from './nodes.js';

/**
 * The fix for a CHECK or FOREIGN KEY added with validation: add it NOT VALID (a catalog change),
 * then VALIDATE it in a later migration, whose scan takes only SHARE UPDATE EXCLUSIVE.
 */
export function notValidFix(
  statements: readonly ParsedStatement[],
  statement: ParsedStatement,
  table: string,
  constraint: StatementNode,
  column?: string,
): { fix: string; replaces: boolean } {
  const t = table.split('.').map(quoteIdent).join('.');
  const suffix = constraint.contype === 'CONSTR_FOREIGN' ? 'fkey' : 'check';
  const name = constraint.conname ? String(constraint.conname) : [table.split('.').at(-1), column, suffix].filter(Boolean).join('_');
  const validate = `-- in a later migration (its own transaction): ALTER TABLE ${t} VALIDATE CONSTRAINT ${quoteIdent(name)};`;
  const alone = alterCommands(statement).length === 1 && !column;
  if (alone && constraint.conname && ownsLines(statements, statement)) {
    return { fix: `${statement.text} NOT VALID;\n${validate}`, replaces: true };
  }
  const clause = constraintText(statement, constraint) ?? (suffix === 'fkey' ? 'FOREIGN KEY (…) REFERENCES …' : 'CHECK (…)');
  const lines: string[] = [];
  let body = clause;
  if (/^REFERENCES\b/i.test(clause)) {
    lines.push(`-- add column ${column} without REFERENCES, then the foreign key as its own statement:`);
    body = `FOREIGN KEY (${quoteIdent(column ?? '…')}) ${clause}`;
  } else if (column) {
    lines.push(`-- add column ${column} without its CHECK, then the constraint as its own statement:`);
  } else if (!alone) {
    lines.push('-- add the constraint in its own ALTER TABLE statement:');
  }
  if (!/^CONSTRAINT\b/i.test(body)) body = `CONSTRAINT ${quoteIdent(name)} ${body}`;
  lines.push(`ALTER TABLE ${t} ADD ${body} NOT VALID;`, validate);
  return { fix: lines.join('\n'), replaces: false };
}
