import { columnTypeVisitors } from './support/column-rule.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'prefer-text-over-varchar',
  hazard: 'type-choice',
  enabledByDefault: false,
  summary: 'Use text with a CHECK on its length instead of varchar(n).',
  messages: {
    varcharLimit: 'Column {{name}} is varchar({{limit}}): lowering the limit later is an ALTER COLUMN TYPE that checks every row under ACCESS EXCLUSIVE.',
  },
  create: (ctx) =>
    // Plain varchar (no length) behaves like text; only a declared limit is a problem later.
    columnTypeVisitors(ctx, (column, name) =>
      column.type === 'varchar' && column.typmods.length > 0
        ? {
            messageId: 'varcharLimit',
            data: { name, limit: column.typmods[0] },
            fix: `-- Use text for ${column.column} with CHECK (length(${column.column}) <= ${column.typmods[0]}) ADDed NOT VALID: the limit can then change online.`,
          }
        : undefined,
    ),
});
