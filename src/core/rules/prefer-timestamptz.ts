import { columnTypeVisitors } from './support/column-rule.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'prefer-timestamptz',
  hazard: 'type-choice',
  summary: 'Store points in time as timestamptz, not timestamp without time zone.',
  messages: {
    timestampColumn:
      'Column {{name}} is timestamp without time zone: values carry no offset, so writers in different time zones (or a changed TimeZone setting) store ambiguous times.',
  },
  create: (ctx) =>
    columnTypeVisitors(ctx, (column, name) =>
      column.type === 'timestamp'
        ? {
            messageId: 'timestampColumn',
            data: { name },
            fix: `-- Use timestamptz for ${column.column}.`,
          }
        : undefined,
    ),
});
