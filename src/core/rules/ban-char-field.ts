import { columnTypeVisitors } from './support/column-rule.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'ban-char-field',
  hazard: 'type-choice',
  summary: 'Use text (or varchar) instead of char(n).',
  create: (ctx) =>
    // char(n) is bpchar in the catalog; the one-byte internal "char" type is a different one.
    columnTypeVisitors(ctx, (column, name) =>
      column.type === 'bpchar'
        ? {
            message: `Column ${name} is char(${column.typmods[0] ?? 1}): values are blank-padded to that length, trailing spaces are ignored in comparisons, and it is no faster than text.`,
            fix: `-- Use text for ${column.column} (with a CHECK (length(${column.column}) = n) if the length is fixed).`,
          }
        : undefined,
    ),
});
