import { columnTypeVisitors } from './support/column-rule.js';
import { defineRule } from './define-rule.js';

export default defineRule({
  id: 'ban-char-field',
  hazard: 'type-choice',
  summary: 'Use text (or varchar) instead of char(n).',
  messages: {
    charColumn:
      'Column {{name}} is char({{length}}): values are blank-padded to that length, trailing spaces are ignored in comparisons, and it is no faster than text.',
  },
  create: (ctx) =>
    // char(n) is bpchar in the catalog; the one-byte internal "char" type is a different one.
    columnTypeVisitors(ctx, (column, name) =>
      column.type === 'bpchar'
        ? {
            messageId: 'charColumn',
            data: { name, length: column.typmods[0] ?? 1 },
            fix: `-- Use text for ${column.column} (with a CHECK (length(${column.column}) = n) if the length is fixed).`,
          }
        : undefined,
    ),
});
