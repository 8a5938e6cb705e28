import { columnTypeVisitors } from './support/column-rule.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'prefer-timestamptz',
  hazard: 'type-choice',
  summary: 'Store points in time as timestamptz, not timestamp without time zone.',
  create: (ctx) =>
    columnTypeVisitors(ctx, (column, name) =>
      column.type === 'timestamp'
        ? {
            message: `Column ${name} is timestamp without time zone: values carry no offset, so writers in different time zones (or a changed TimeZone setting) store ambiguous times.`,
            fix: `-- Use timestamptz for ${column.column}.`,
          }
        : undefined,
    ),
});
