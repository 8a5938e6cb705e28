import { MAX_IDENTIFIER_BYTES, truncateIdentifier, writtenIdentifiers } from './identifier-too-long/identifiers.js';
import { defineRule, visitorsFor } from './define-rule.js';

export default defineRule({
  id: 'identifier-too-long',
  hazard: 'forward-error',
  severity: 'warning',
  summary: 'Keep identifiers within 63 bytes: PostgreSQL silently truncates longer ones.',
  messages: {
    tooLong:
      'Identifier {{name}} is {{bytes}} bytes long; PostgreSQL silently truncates it to {{truncated}}, so it can collide with another name and tools that use the full name will not find it.',
  },
  create: (ctx) =>
    // Any statement kind: the check reads the statement's tokens, not its node.
    visitorsFor(new Set(ctx.statements.map((s) => s.kind)), (_node, statement) => {
      const long = [...new Set(writtenIdentifiers(statement.text))].filter((n) => Buffer.byteLength(n, 'utf8') > MAX_IDENTIFIER_BYTES);
      for (const name of long) {
        ctx.report({
          node: statement,
          messageId: 'tooLong',
          data: { name, bytes: Buffer.byteLength(name, 'utf8'), truncated: truncateIdentifier(name) },
          fix: `-- Shorten ${name} to at most ${MAX_IDENTIFIER_BYTES} bytes.`,
        });
      }
    }),
});
