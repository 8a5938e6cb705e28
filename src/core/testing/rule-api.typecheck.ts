// A type test, checked by `npm run typecheck` and never run: each `@ts-expect-error` below fails the
// typecheck if the rule API stops rejecting its line. These mistakes compiled (and silently never
// fired) while the AST was `Record<string, any>` and visitors were keyed by any string.
import { defineRule } from '../rules/define-rule.js';
import { testRule } from './rule-tester.js';

export const misspelledVisitor = defineRule(
  // @ts-expect-error -- a visitor key that is no node tag (IndexStm): defineRule names it in `unknownVisitors`
  {
    id: 'rule-api-type-test-visitor',
    hazard: 'blocking-index',
    summary: 'Not a rule: proves that a misspelled visitor does not compile.',
    messages: { blocking: 'CREATE INDEX blocks writes.' },
    create: () => ({ IndexStmt() {}, IndexStm() {} }),
  },
);

const typed = defineRule({
  id: 'rule-api-type-test',
  hazard: 'blocking-index',
  summary: 'Not a rule: proves that misspellings in a rule do not compile.',
  messages: { blocking: 'CREATE INDEX {{name}} blocks writes.' },
  create: (ctx) => ({
    IndexStmt(node, statement) {
      // @ts-expect-error -- a misspelled property of a typed node (IndexStmt has `concurrent`)
      if (node.concurent) return;
      ctx.report({ node: statement, messageId: 'blocking', data: { name: node.idxname } });
      // @ts-expect-error -- a message id the rule does not declare
      ctx.report({ node: statement, messageId: 'bloking' });
    },
    AlterTableCmd(cmd, { alter }) {
      // @ts-expect-error -- an AlterTableType that does not exist (AT_DropColumn)
      if (cmd.subtype === 'AT_DropColum') return;
      // @ts-expect-error -- a misspelled property of the ALTER TABLE statement (objtype)
      if (alter.objectType === 'OBJECT_TABLE') return;
    },
  }),
});

/** Never called: the rule tester's rows are typed by the rule's message ids too. */
export function misspelledMessageIdInTest(): void {
  testRule(typed, {
    valid: [],
    invalid: [
      {
        sql: 'CREATE INDEX i ON t (a);',
        // @ts-expect-error -- a message id the rule does not declare
        errors: [{ line: 1, messageId: 'bloking' }],
      },
    ],
  });
}
