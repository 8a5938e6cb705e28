import { isBroadWhere, tablesReadBy, topLevelKeywordAt } from './unbatched-backfill/backfill.js';
import { blocksWrites, locksTaken, statementLabel } from '../sql/lock-levels.js';
import { asNode, baseName, relationName, sameRelation } from '../sql/nodes.js';
import type { ParsedStatement } from '../sql/parse.js';
import { transactionBlockOf } from '../sql/transaction-block.js';
import { defineRule, type RuleContext, type TableSize } from './define-rule.js';

const BATCH = 10000;

function formatSize(size: TableSize | undefined): string {
  if (!size) return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let bytes = size.bytes;
  let unit = 0;
  while (bytes >= 1024 && unit < units.length - 1) {
    bytes /= 1024;
    unit++;
  }
  return ` (about ${size.rows.toLocaleString('en-US')} rows, ${bytes.toFixed(bytes < 10 && unit > 0 ? 1 : 0)} ${units[unit]} in production)`;
}

/** An earlier statement of the same transaction that blocks writes to the table (DDL), if any. */
function ddlEarlierInTransaction(ctx: RuleContext, statement: ParsedStatement, table: string): ParsedStatement | undefined {
  const block = transactionBlockOf(ctx.statements, ctx.inTransaction, statement);
  return block
    .slice(0, block.indexOf(statement))
    .find((s) => locksTaken(s).some((l) => l.kind === 'table' && blocksWrites(l.mode) && sameRelation(l.relation, table)));
}

/** The statement text up to its outer WHERE, and the WHERE condition (without the keyword). */
function splitWhere(text: string): { head: string; condition?: string } {
  const at = topLevelKeywordAt(text, 'WHERE');
  if (at < 0) return { head: text };
  const rest = text.slice(at + 'WHERE'.length);
  const returning = topLevelKeywordAt(rest, 'RETURNING');
  return { head: text.slice(0, at).trimEnd(), condition: (returning < 0 ? rest : rest.slice(0, returning)).trim() };
}

function batchedRecipe(statement: ParsedStatement, table: string, ddl: ParsedStatement | undefined): string {
  const { head, condition } = splitWhere(statement.text);
  const where = condition ? `(${condition}) AND ` : '';
  const lines = [`-- Run the data change in batches, each committed on its own${ddl ? ', in a later migration than the DDL (or after its COMMIT)' : ''}.`];
  if (statement.kind === 'DeleteStmt') {
    lines.push(`-- Repeat until it deletes 0 rows:`, `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${condition ?? 'true'} LIMIT ${BATCH});`);
  } else if (statement.kind === 'UpdateStmt') {
    lines.push(
      `-- For each key range (here the key is assumed to be id) from min(id) to max(id):`,
      `${head}`,
      `WHERE ${where}id >= :lo AND id < :lo + ${BATCH};`,
    );
  } else {
    lines.push(
      `-- Copy by key range (here the key is assumed to be id), adding to the SELECT's WHERE:`,
      `-- … WHERE ${where}id >= :lo AND id < :lo + ${BATCH}`,
    );
  }
  lines.push('-- Throttle between batches (e.g. pg_sleep) if replicas lag.');
  return lines.join('\n');
}

export default defineRule({
  id: 'unbatched-backfill',
  hazard: 'unbatched-backfill',
  summary: 'Backfill existing tables in batches, outside the transaction that changes their schema.',
  messages: {
    backfill: '{{verb}} on {{table}} {{reasons}}.',
    insertSelect:
      'INSERT … SELECT copies every row of {{source}}{{size}} into {{target}} in one statement, one long transaction that writes a burst of WAL replicas must replay.',
    insertSelectWithDdl:
      'INSERT … SELECT copies every row of {{source}}{{size}} into {{target}} in one statement, one long transaction that writes a burst of WAL replicas must replay, and runs in the same transaction as the {{ddl}} on line {{line}}.',
  },
  create: (ctx) => {
    const check = (statement: ParsedStatement, table: string, whole: string | undefined): void => {
      if (!table || ctx.isNewTable(table)) return;
      const ddl = ddlEarlierInTransaction(ctx, statement, table);
      if (!whole && !ddl) return;
      const verb = statement.kind === 'UpdateStmt' ? 'UPDATE' : statement.kind === 'DeleteStmt' ? 'DELETE' : 'INSERT … SELECT';
      const reasons = [
        ...(whole
          ? [
              `${whole} in one statement${formatSize(ctx.tableSize(table))}, holding row locks until commit and writing a burst of WAL that replicas must replay`,
            ]
          : []),
        ...(ddl
          ? [`runs in the same transaction as the ${statementLabel(ddl)} on line ${ddl.line}, so ${baseName(table)} stays locked until the data change commits`]
          : []),
      ];
      ctx.report({
        node: statement,
        messageId: 'backfill',
        data: { verb, table: baseName(table), reasons: reasons.join(', and ') },
        fix: batchedRecipe(statement, table, ddl),
      });
    };
    return {
      UpdateStmt(node, statement) {
        const table = relationName(node.relation);
        check(statement, table, isBroadWhere(node.whereClause) ? `touches ${node.whereClause ? 'most rows' : 'every row'} of ${baseName(table)}` : undefined);
      },
      DeleteStmt(node, statement) {
        // DELETE without WHERE is data loss first: ban-delete-without-where reports it.
        if (!node.whereClause) return;
        const table = relationName(node.relation);
        check(statement, table, isBroadWhere(node.whereClause) ? `deletes most rows of ${baseName(table)}` : undefined);
      },
      InsertStmt(node, statement) {
        const select = asNode(node.selectStmt, 'SelectStmt');
        if (!select || select.valuesLists || select.limitCount || !isBroadWhere(select.whereClause)) return;
        const source = tablesReadBy(select).find((t) => !ctx.isNewTable(t));
        if (!source) return;
        // The target's own lock matters for the same-transaction check; the size is the source's.
        const target = relationName(node.relation);
        const size = formatSize(ctx.tableSize(source));
        const ddl = ctx.isNewTable(target) ? undefined : ddlEarlierInTransaction(ctx, statement, target);
        ctx.report({
          node: statement,
          messageId: ddl ? 'insertSelectWithDdl' : 'insertSelect',
          data: { source: baseName(source), size, target: baseName(target), ddl: ddl && statementLabel(ddl), line: ddl?.line },
          fix: batchedRecipe(statement, target, ddl),
        });
      },
    };
  },
});
