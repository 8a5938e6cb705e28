import type { StatementNode, ParsedStatement } from '../sql/parse.js';

/** A drafted reverse script, or why the common-DDL drafter cannot write one. */
export type DraftResult = { ok: true; sql: string } | { ok: false; reason: string };

/**
 * Drafts the reverse of a forward script from its statements, for common DDL only: ADD↔DROP
 * COLUMN, CREATE↔DROP TABLE/INDEX/VIEW/SEQUENCE/TYPE/EXTENSION, ADD↔DROP CONSTRAINT, RENAME back,
 * SET↔DROP DEFAULT and NOT NULL. Statements are undone newest first. Anything else (data changes,
 * drops, whose reverse needs what was destroyed) makes the draft fail with the statement's line:
 * the model may try it, and the drill decides either way.
 */
export function draftReverse(statements: readonly ParsedStatement[]): DraftResult {
  const created = new Set(statements.filter((s) => s.kind === 'CreateStmt').map((s) => relationKey(s.node.relation)));
  const prologue: string[] = [];
  const undo: string[] = [];
  let transaction = false;
  for (const statement of statements) {
    if (statement.kind === 'TransactionStmt') {
      transaction = true;
      continue;
    }
    // lock_timeout and friends protect the reverse as much as the forward.
    if (statement.kind === 'VariableSetStmt') {
      prologue.push(`${statement.text};`);
      continue;
    }
    const reversed = reverseOf(statement, created);
    if (reversed === null) return { ok: false, reason: `line ${statement.line}: no common-DDL reverse for ${describe(statement)}` };
    if (reversed !== '') undo.unshift(reversed);
  }
  if (undo.length === 0) return { ok: false, reason: 'the forward migration has no statement to undo' };
  const body = [...prologue, ...undo];
  return { ok: true, sql: `${(transaction ? ['BEGIN;', ...body, 'COMMIT;'] : body).join('\n')}\n` };
}

/** The SQL that undoes one statement; '' when nothing needs undoing, null when it cannot be derived. */
function reverseOf(s: ParsedStatement, created: ReadonlySet<string>): string | null {
  const n = s.node;
  switch (s.kind) {
    case 'CreateStmt':
      return `DROP TABLE ${relation(n.relation)};`;
    case 'IndexStmt':
      if (!n.idxname) return null;
      // The index goes with a table created in the same script.
      if (created.has(relationKey(n.relation))) return '';
      return `DROP INDEX${n.concurrent ? ' CONCURRENTLY' : ''} ${qualified(n.relation?.schemaname, n.idxname)};`;
    case 'ViewStmt':
      return `DROP VIEW ${relation(n.view)};`;
    case 'CreateSeqStmt':
      return `DROP SEQUENCE ${relation(n.sequence)};`;
    case 'CreateEnumStmt':
      return `DROP TYPE ${nameList(n.typeName)};`;
    case 'CreateExtensionStmt':
      return `DROP EXTENSION ${ident(n.extname)};`;
    case 'CreateSchemaStmt':
      return n.schemaname && !n.schemaElts ? `DROP SCHEMA ${ident(n.schemaname)};` : null;
    case 'CommentStmt':
      // A comment on an object created in this script goes with the object.
      return commentTarget(n) !== null && created.has(commentTarget(n)!) ? '' : null;
    case 'RenameStmt':
      return renameBack(n);
    case 'AlterTableStmt':
      if (n.objtype !== 'OBJECT_TABLE') return null;
      if (created.has(relationKey(n.relation))) return '';
      return alterBack(n);
    default:
      return null;
  }
}

function alterBack(n: StatementNode): string | null {
  const actions: string[] = [];
  for (const raw of n.cmds ?? []) {
    const cmd = raw.AlterTableCmd;
    const column = cmd?.name ? ident(cmd.name) : '';
    let action: string | null;
    switch (cmd?.subtype) {
      case 'AT_AddColumn':
        action = cmd.def?.ColumnDef?.colname ? `DROP COLUMN ${ident(cmd.def.ColumnDef.colname)}` : null;
        break;
      case 'AT_AddConstraint':
        // PostgreSQL names an unnamed constraint itself; the draft would have to guess that name.
        action = cmd.def?.Constraint?.conname ? `DROP CONSTRAINT ${ident(cmd.def.Constraint.conname)}` : null;
        break;
      case 'AT_ColumnDefault':
        // DROP DEFAULT's reverse needs the default that was there: not in the forward script.
        action = cmd.def ? `ALTER COLUMN ${column} DROP DEFAULT` : null;
        break;
      case 'AT_SetNotNull':
        action = `ALTER COLUMN ${column} DROP NOT NULL`;
        break;
      case 'AT_DropNotNull':
        action = `ALTER COLUMN ${column} SET NOT NULL`;
        break;
      default:
        action = null;
    }
    if (action === null) return null;
    actions.unshift(action);
  }
  return actions.length > 0 ? `ALTER TABLE ${relation(n.relation)} ${actions.join(', ')};` : null;
}

function renameBack(n: StatementNode): string | null {
  const rel = n.relation;
  switch (n.renameType) {
    case 'OBJECT_COLUMN':
      return `ALTER TABLE ${relation(rel)} RENAME COLUMN ${ident(n.newname)} TO ${ident(n.subname)};`;
    case 'OBJECT_TABCONSTRAINT':
      return `ALTER TABLE ${relation(rel)} RENAME CONSTRAINT ${ident(n.newname)} TO ${ident(n.subname)};`;
    case 'OBJECT_TABLE':
      return `ALTER TABLE ${qualified(rel.schemaname, n.newname)} RENAME TO ${ident(rel.relname)};`;
    case 'OBJECT_INDEX':
      return `ALTER INDEX ${qualified(rel.schemaname, n.newname)} RENAME TO ${ident(rel.relname)};`;
    case 'OBJECT_VIEW':
      return `ALTER VIEW ${qualified(rel.schemaname, n.newname)} RENAME TO ${ident(rel.relname)};`;
    default:
      return null;
  }
}

function commentTarget(n: StatementNode): string | null {
  const items: string[] = (n.object?.List?.items ?? []).map((i: StatementNode) => i.String?.sval).filter(Boolean);
  if (n.objtype === 'OBJECT_TABLE') return items.length > 0 ? items.join('.') : null;
  if (n.objtype === 'OBJECT_COLUMN') return items.length > 1 ? items.slice(0, -1).join('.') : null;
  return null;
}

function describe(s: ParsedStatement): string {
  const firstLine = s.text.split('\n')[0];
  return `${s.kind} (${firstLine.length > 60 ? `${firstLine.slice(0, 57)}...` : firstLine})`;
}

function relationKey(rel: StatementNode | undefined): string {
  return rel ? (rel.schemaname ? `${rel.schemaname}.${rel.relname}` : rel.relname) : '';
}

function relation(rel: StatementNode): string {
  return qualified(rel.schemaname, rel.relname);
}

function qualified(schema: string | undefined, name: string): string {
  return schema ? `${ident(schema)}.${ident(name)}` : ident(name);
}

function nameList(names: StatementNode[]): string {
  return names.map((n) => ident(n.String?.sval ?? '')).join('.');
}

/** Words PostgreSQL reserves, which must be quoted as identifiers (the parser drops the quotes). */
const RESERVED = new Set(
  'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral leading limit localtime localtimestamp not null offset on only or order placing primary references returning select session_user some symmetric system_user table then to trailing true union unique user using variadic when where window with'.split(
    ' ',
  ),
);

/** quote_ident: bare when PostgreSQL would read it back unchanged. */
export function ident(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
